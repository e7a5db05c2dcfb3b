package pylock

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Unmarshal parses pylock.toml text and validates it (see Validate). Keys
// the specification does not define are errors in a 1.0 file; in a file
// with a newer 1.x minor version they are ignored (Decode reports them as
// warnings). An unknown major version is an *UnsupportedVersionError; any
// other problem is a *ValidationError naming each key path. Input larger
// than MaxFileSize is refused.
func Unmarshal(data []byte) (*Lock, error) {
	l, _, err := Decode(data)
	return l, err
}

// MaxFileSize is the largest lock file Unmarshal, Decode and ReadFile
// accept (64 MiB): a lock of thousands of packages with dozens of wheels
// each is a few MiB, and go-toml/v2 bounds nesting depth itself.
const MaxFileSize = 64 << 20

// Decode is Unmarshal that also returns warnings: the unknown keys it
// ignored in a lock whose minor version is newer than SupportedVersion.
func Decode(data []byte) (*Lock, []string, error) {
	if len(data) > MaxFileSize {
		return nil, nil, fmt.Errorf("the lock file is %d bytes, more than the %d this package reads", len(data), MaxFileSize)
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		if de, ok := errors.AsType[*toml.DecodeError](err); ok {
			row, col := de.Position()
			return nil, nil, fmt.Errorf("invalid pylock.toml: line %d, column %d: %w", row, col, err)
		}
		return nil, nil, fmt.Errorf("invalid pylock.toml: %w", err)
	}
	r := &reader{}
	version, ok := doc["lock-version"]
	if !ok {
		r.p.add("lock-version", "missing required value")
		return nil, nil, r.p.err()
	}
	vs, ok := version.(string)
	if !ok {
		r.p.add("lock-version", "unexpected type %s (expected str)", typeName(version))
		return nil, nil, r.p.err()
	}
	newer, err := lockMinor(vs)
	if err != nil {
		return nil, nil, err
	}
	r.lenient = newer
	l := r.lock(doc)
	if err := r.p.err(); err != nil {
		return nil, r.warnings, err
	}
	if err := l.Validate(); err != nil {
		return nil, r.warnings, err
	}
	return l, r.warnings, nil
}

// reader converts the generic TOML document into a Lock, checking types and
// keys as it goes.
type reader struct {
	p        problems
	lenient  bool
	warnings []string
}

var (
	lockKeys    = []string{"lock-version", "environments", "requires-python", "extras", "dependency-groups", "default-groups", "created-by", "packages", "tool"}
	packageKeys = []string{"name", "version", "marker", "requires-python", "dependencies", "vcs", "directory", "archive", "index", "sdist", "wheels", "attestation-identities", "tool"}
	vcsKeys     = []string{"type", "url", "path", "requested-revision", "commit-id", "subdirectory"}
	dirKeys     = []string{"path", "editable", "subdirectory"}
	archiveKeys = []string{"url", "path", "size", "upload-time", "hashes", "subdirectory"}
	fileKeys    = []string{"name", "upload-time", "url", "path", "size", "hashes"}
)

func (r *reader) lock(doc map[string]any) *Lock {
	r.unknown(doc, lockKeys, "")
	l := &Lock{
		LockVersion:      r.str(doc, "lock-version", ""),
		Environments:     r.strs(doc, "environments"),
		RequiresPython:   r.str(doc, "requires-python", ""),
		Extras:           r.strs(doc, "extras"),
		DependencyGroups: r.strs(doc, "dependency-groups"),
		DefaultGroups:    r.strs(doc, "default-groups"),
		CreatedBy:        r.str(doc, "created-by", ""),
		Tool:             r.table(doc, "tool", ""),
	}
	if _, ok := doc["created-by"]; !ok {
		r.p.add("created-by", "missing required value")
	}
	pkgs, ok := r.tables(doc, "packages", "")
	if !ok {
		if _, present := doc["packages"]; !present {
			r.p.add("packages", "missing required value")
		}
	}
	for i, m := range pkgs {
		l.Packages = append(l.Packages, r.pkg(m, index("packages", i)))
	}
	return l
}

func (r *reader) pkg(m map[string]any, path string) Package {
	r.unknown(m, packageKeys, path)
	p := Package{
		Name:           r.str(m, "name", path),
		Version:        r.str(m, "version", path),
		Marker:         r.str(m, "marker", path),
		RequiresPython: r.str(m, "requires-python", path),
		Index:          r.str(m, "index", path),
		Tool:           r.table(m, "tool", path),
	}
	if _, ok := m["name"]; !ok {
		r.p.add(join(path, "name"), "missing required value")
	}
	deps, _ := r.tables(m, "dependencies", path)
	for i, d := range deps {
		p.Dependencies = append(p.Dependencies, r.dependency(d, index(join(path, "dependencies"), i)))
	}
	if v := r.table(m, "vcs", path); v != nil {
		vp := join(path, "vcs")
		r.unknown(v, vcsKeys, vp)
		p.VCS = &VCS{
			Type:              r.str(v, "type", vp),
			URL:               r.str(v, "url", vp),
			Path:              r.str(v, "path", vp),
			RequestedRevision: r.str(v, "requested-revision", vp),
			CommitID:          r.str(v, "commit-id", vp),
			Subdirectory:      r.str(v, "subdirectory", vp),
		}
	}
	if d := r.table(m, "directory", path); d != nil {
		dp := join(path, "directory")
		r.unknown(d, dirKeys, dp)
		p.Directory = &Directory{Path: r.str(d, "path", dp), Editable: r.boolean(d, "editable", dp), Subdirectory: r.str(d, "subdirectory", dp)}
	}
	if a := r.table(m, "archive", path); a != nil {
		ap := join(path, "archive")
		r.unknown(a, archiveKeys, ap)
		p.Archive = &Archive{
			URL:          r.str(a, "url", ap),
			Path:         r.str(a, "path", ap),
			Size:         r.size(a, "size", ap),
			UploadTime:   r.time(a, "upload-time", ap),
			Hashes:       r.hashes(a, ap),
			Subdirectory: r.str(a, "subdirectory", ap),
		}
	}
	if s := r.table(m, "sdist", path); s != nil {
		f := r.file(s, join(path, "sdist"))
		p.Sdist = &f
	}
	wheels, _ := r.tables(m, "wheels", path)
	for i, w := range wheels {
		p.Wheels = append(p.Wheels, r.file(w, index(join(path, "wheels"), i)))
	}
	ids, _ := r.tables(m, "attestation-identities", path)
	p.AttestationIdentities = ids
	return p
}

func (r *reader) dependency(m map[string]any, path string) Dependency {
	d := Dependency{Name: r.str(m, "name", path), Version: r.str(m, "version", path), Marker: r.str(m, "marker", path)}
	for k, v := range m {
		if k == "name" || k == "version" || k == "marker" {
			continue
		}
		if d.Other == nil {
			d.Other = map[string]any{}
		}
		d.Other[k] = v
	}
	return d
}

func (r *reader) file(m map[string]any, path string) File {
	r.unknown(m, fileKeys, path)
	return File{
		Name:       r.str(m, "name", path),
		UploadTime: r.time(m, "upload-time", path),
		URL:        r.str(m, "url", path),
		Path:       r.str(m, "path", path),
		Size:       r.size(m, "size", path),
		Hashes:     r.hashes(m, path),
	}
}

// hashes reads a required hashes table with the reference implementation's
// messages.
func (r *reader) hashes(m map[string]any, path string) map[string]string {
	hp := join(path, "hashes")
	v, ok := m["hashes"]
	if !ok {
		r.p.add(hp, "missing required value")
		return nil
	}
	t, ok := v.(map[string]any)
	if !ok {
		r.p.add(hp, "unexpected type %s (expected Mapping)", typeName(v))
		return nil
	}
	if len(t) == 0 {
		r.p.add(hp, "at least one hash must be provided")
		return nil
	}
	h := make(map[string]string, len(t))
	for k, hv := range t {
		s, ok := hv.(string)
		if !ok {
			r.p.add(hp, "hash values must be strings (%s is %s)", k, typeName(hv))
			return nil
		}
		h[k] = s
	}
	return h
}

// unknown reports keys outside known: errors for a lock of a known version,
// warnings when a newer minor version may have added them.
func (r *reader) unknown(m map[string]any, known []string, path string) {
	for _, k := range sortedKeys(m) {
		if slices.Contains(known, k) {
			continue
		}
		if r.lenient {
			r.warnings = append(r.warnings, fmt.Sprintf("%s: unknown key ignored (newer lock-version)", join(path, k)))
			delete(m, k)
			continue
		}
		r.p.add(join(path, k), "unknown key")
	}
}

func (r *reader) str(m map[string]any, k, path string) string {
	v, ok := m[k]
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		r.p.add(join(path, k), "unexpected type %s (expected str)", typeName(v))
	}
	return s
}

func (r *reader) boolean(m map[string]any, k, path string) bool {
	v, ok := m[k]
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		r.p.add(join(path, k), "unexpected type %s (expected bool)", typeName(v))
	}
	return b
}

func (r *reader) size(m map[string]any, k, path string) *int64 {
	v, ok := m[k]
	if !ok {
		return nil
	}
	n, ok := v.(int64)
	if !ok {
		r.p.add(join(path, k), "unexpected type %s (expected int)", typeName(v))
		return nil
	}
	return &n
}

// time reads an offset date-time (converted to UTC) or a local date-time,
// which the specification says is UTC.
func (r *reader) time(m map[string]any, k, path string) time.Time {
	v, ok := m[k]
	if !ok {
		return time.Time{}
	}
	switch t := v.(type) {
	case time.Time:
		return t.UTC()
	case toml.LocalDateTime:
		return t.AsTime(time.UTC)
	}
	r.p.add(join(path, k), "unexpected type %s (expected datetime)", typeName(v))
	return time.Time{}
}

// strs reads a top-level array of strings.
func (r *reader) strs(m map[string]any, k string) []string {
	v, ok := m[k]
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		r.p.add(k, "unexpected type %s (expected Sequence)", typeName(v))
		return nil
	}
	var out []string
	for i, el := range arr {
		s, ok := el.(string)
		if !ok {
			r.p.add(index(k, i), "unexpected type %s (expected str)", typeName(el))
			continue
		}
		out = append(out, s)
	}
	return out
}

func (r *reader) table(m map[string]any, k, path string) map[string]any {
	v, ok := m[k]
	if !ok {
		return nil
	}
	t, ok := v.(map[string]any)
	if !ok {
		r.p.add(join(path, k), "unexpected type %s (expected Mapping)", typeName(v))
	}
	return t
}

// tables reads an array of tables; ok is false when the key is absent or
// has the wrong type.
func (r *reader) tables(m map[string]any, k, path string) ([]map[string]any, bool) {
	v, ok := m[k]
	if !ok {
		return nil, false
	}
	arr, ok := v.([]any)
	if !ok {
		r.p.add(join(path, k), "unexpected type %s (expected Sequence)", typeName(v))
		return nil, false
	}
	var out []map[string]any
	for i, el := range arr {
		t, ok := el.(map[string]any)
		if !ok {
			r.p.add(index(join(path, k), i), "unexpected type %s (expected Mapping)", typeName(el))
			continue
		}
		out = append(out, t)
	}
	return out, true
}

// typeName names a decoded TOML value the way the reference implementation
// (Python) does, so messages read the same.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "str"
	case int64:
		return "int"
	case float64:
		return "float"
	case bool:
		return "bool"
	case time.Time, toml.LocalDateTime:
		return "datetime"
	case toml.LocalDate:
		return "date"
	case toml.LocalTime:
		return "time"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}
