package pylock

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

// maxInlineArray is the longest single-line array Marshal writes; longer
// arrays are written one element per line.
const maxInlineArray = 88

// Marshal validates l and writes it as pylock.toml text in a fixed layout:
// top-level keys in the order of the specification (extras,
// dependency-groups and default-groups always written, [] when empty), then
// one [[packages]] table per package with its sub-tables indented as in the
// specification's example and hashes as inline tables, then the [tool]
// tables. Unordered arrays are sorted (packages by name, version and marker,
// wheels by file name, dependencies by name), so the same lock always gives
// the same bytes; l itself is not modified.
func Marshal(l *Lock) ([]byte, error) {
	if l == nil {
		return nil, errors.New("pylock: cannot marshal a nil lock")
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	c := l.sorted()
	e := &emitter{}
	e.top(c)
	for i := range c.Packages {
		e.pkg(&c.Packages[i], fmt.Sprintf("packages[%d]", i))
	}
	e.tool(c.Tool)
	if e.err != nil {
		return nil, fmt.Errorf("pylock: %w", e.err)
	}
	return []byte(e.b.String()), nil
}

// sorted returns a copy of l whose unordered arrays are sorted.
func (l *Lock) sorted() *Lock {
	c := *l
	c.Environments = sortedStrings(l.Environments)
	c.Extras = sortedStrings(l.Extras)
	c.DependencyGroups = sortedStrings(l.DependencyGroups)
	c.DefaultGroups = sortedStrings(l.DefaultGroups)
	c.Packages = slices.Clone(l.Packages)
	for i := range c.Packages {
		p := &c.Packages[i]
		p.Wheels = slices.Clone(p.Wheels)
		slices.SortStableFunc(p.Wheels, func(a, b File) int { return strings.Compare(a.FileName(), b.FileName()) })
		p.Dependencies = slices.Clone(p.Dependencies)
		slices.SortStableFunc(p.Dependencies, compareDependencies)
	}
	slices.SortStableFunc(c.Packages, comparePackages)
	return &c
}

func sortedStrings(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// comparePackages orders by name, then PEP 440 version (entries without a
// version first), then marker.
func comparePackages(a, b Package) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := compareVersions(a.Version, b.Version); c != 0 {
		return c
	}
	return strings.Compare(a.Marker, b.Marker)
}

func compareVersions(a, b string) int {
	if a == b {
		return 0
	}
	va, erra := pep440.Parse(a)
	vb, errb := pep440.Parse(b)
	if a == "" || b == "" || erra != nil || errb != nil {
		return strings.Compare(a, b)
	}
	if c := va.Compare(vb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func compareDependencies(a, b Dependency) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := compareVersions(a.Version, b.Version); c != 0 {
		return c
	}
	return strings.Compare(a.Marker, b.Marker)
}

func (e *emitter) top(l *Lock) {
	e.line("", "lock-version", quote(e, l.LockVersion))
	if len(l.Environments) > 0 {
		e.line("", "environments", e.strings(l.Environments))
	}
	if l.RequiresPython != "" {
		e.line("", "requires-python", quote(e, l.RequiresPython))
	}
	e.line("", "extras", e.strings(l.Extras))
	e.line("", "dependency-groups", e.strings(l.DependencyGroups))
	e.line("", "default-groups", e.strings(l.DefaultGroups))
	e.line("", "created-by", quote(e, l.CreatedBy))
	if len(l.Packages) == 0 {
		e.line("", "packages", "[]")
	}
}

// strings writes a top-level string array: inline when short, else one
// element per line, indented one level.
func (e *emitter) strings(items []string) string {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = quote(e, s)
	}
	return e.array("", parts)
}

func (e *emitter) array(indent string, parts []string) string {
	inline := "[" + strings.Join(parts, ", ") + "]"
	if len(inline) <= maxInlineArray {
		return inline
	}
	var b strings.Builder
	b.WriteString("[\n")
	for _, p := range parts {
		b.WriteString(indent + "    " + p + ",\n")
	}
	b.WriteString(indent + "]")
	return b.String()
}

func (e *emitter) pkg(p *Package, path string) {
	e.b.WriteString("\n[[packages]]\n")
	e.line("", "name", quote(e, p.Name))
	e.optional("", "version", p.Version)
	e.optional("", "marker", p.Marker)
	e.optional("", "requires-python", p.RequiresPython)
	if len(p.Dependencies) > 0 {
		e.b.WriteString("dependencies = [\n")
		for i, d := range p.Dependencies {
			e.b.WriteString("    ")
			e.b.WriteString(e.dependency(d, index(path+".dependencies", i)))
			e.b.WriteString(",\n")
		}
		e.b.WriteString("]\n")
	}
	e.optional("", "index", p.Index)
	const in = "    "
	if v := p.VCS; v != nil {
		e.b.WriteString("\n" + in + "[packages.vcs]\n")
		e.line(in, "type", quote(e, v.Type))
		e.optional(in, "url", v.URL)
		e.optional(in, "path", v.Path)
		e.optional(in, "requested-revision", v.RequestedRevision)
		e.line(in, "commit-id", quote(e, v.CommitID))
		e.optional(in, "subdirectory", v.Subdirectory)
	}
	if d := p.Directory; d != nil {
		e.b.WriteString("\n" + in + "[packages.directory]\n")
		e.line(in, "path", quote(e, d.Path))
		if d.Editable {
			e.line(in, "editable", "true")
		}
		e.optional(in, "subdirectory", d.Subdirectory)
	}
	if a := p.Archive; a != nil {
		e.b.WriteString("\n" + in + "[packages.archive]\n")
		e.optional(in, "url", a.URL)
		e.optional(in, "path", a.Path)
		if a.Size != nil {
			e.line(in, "size", strconv.FormatInt(*a.Size, 10))
		}
		if !a.UploadTime.IsZero() {
			e.line(in, "upload-time", datetime(a.UploadTime))
		}
		e.hashes(in, a.Hashes, path+".archive.hashes")
		e.optional(in, "subdirectory", a.Subdirectory)
	}
	if p.Sdist != nil {
		e.b.WriteString("\n" + in + "[packages.sdist]\n")
		e.file(p.Sdist, path+".sdist")
	}
	for i := range p.Wheels {
		e.b.WriteString("\n" + in + "[[packages.wheels]]\n")
		e.file(&p.Wheels[i], index(path+".wheels", i))
	}
	for i, id := range p.AttestationIdentities {
		e.b.WriteString("\n" + in + "[[packages.attestation-identities]]\n")
		ip := index(path+".attestation-identities", i)
		if k, ok := id["kind"]; ok {
			e.anyLine(in, "kind", k, ip)
		}
		for _, k := range sortedKeys(id) {
			if k != "kind" {
				e.anyLine(in, k, id[k], ip)
			}
		}
	}
	if p.Tool != nil {
		e.b.WriteString("\n" + in + "[packages.tool]\n")
		for _, k := range sortedKeys(p.Tool) {
			e.anyLine(in, k, p.Tool[k], path+".tool")
		}
	}
}

func (e *emitter) optional(indent, k, v string) {
	if v != "" {
		e.line(indent, k, quote(e, v))
	}
}

func (e *emitter) file(f *File, path string) {
	const in = "    "
	e.optional(in, "name", f.Name)
	if !f.UploadTime.IsZero() {
		e.line(in, "upload-time", datetime(f.UploadTime))
	}
	e.optional(in, "url", f.URL)
	e.optional(in, "path", f.Path)
	if f.Size != nil {
		e.line(in, "size", strconv.FormatInt(*f.Size, 10))
	}
	e.hashes(in, f.Hashes, path+".hashes")
}

func (e *emitter) hashes(indent string, h map[string]string, path string) {
	v, err := value(e, h)
	if err != nil {
		e.fail(fmt.Errorf("%s: %w", path, err))
	}
	e.line(indent, "hashes", v)
}

// dependency writes {name = …, version = …, marker = …, other keys sorted}.
func (e *emitter) dependency(d Dependency, path string) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, key(e, k)+" = "+quote(e, v))
		}
	}
	add("name", d.Name)
	add("version", d.Version)
	add("marker", d.Marker)
	for _, k := range sortedKeys(d.Other) {
		v, err := value(e, d.Other[k])
		if err != nil {
			e.fail(fmt.Errorf("%s.%s: %w", path, k, err))
		}
		parts = append(parts, key(e, k)+" = "+v)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// anyLine writes one key of a free-form table; string arrays may span lines.
func (e *emitter) anyLine(indent, k string, v any, path string) {
	var s string
	var err error
	if parts, ok := e.stringParts(v); ok {
		s = e.array(indent, parts)
	} else {
		s, err = value(e, v)
	}
	if err != nil {
		e.fail(fmt.Errorf("%s.%s: %w", path, k, err))
	}
	e.line(indent, k, s)
}

// stringParts returns the quoted elements of a string array.
func (e *emitter) stringParts(v any) ([]string, bool) {
	switch x := v.(type) {
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = quote(e, s)
		}
		return parts, true
	case []any:
		parts := make([]string, len(x))
		for i, el := range x {
			s, ok := el.(string)
			if !ok {
				return nil, false
			}
			parts[i] = quote(e, s)
		}
		return parts, true
	}
	return nil, false
}

// tool writes the top-level [tool] table: plain values under [tool], each
// table-valued tool under its own [tool.<name>] header.
func (e *emitter) tool(t map[string]any) {
	if t == nil {
		return
	}
	var plain, tables []string
	for _, k := range sortedKeys(t) {
		if _, ok := t[k].(map[string]any); ok {
			tables = append(tables, k)
		} else {
			plain = append(plain, k)
		}
	}
	if len(plain) > 0 || len(tables) == 0 {
		e.b.WriteString("\n[tool]\n")
		for _, k := range plain {
			e.anyLine("", k, t[k], "tool")
		}
	}
	for _, k := range tables {
		e.b.WriteString("\n[tool." + key(e, k) + "]\n")
		m := t[k].(map[string]any)
		for _, sk := range sortedKeys(m) {
			e.anyLine("", sk, m[sk], "tool."+k)
		}
	}
}
