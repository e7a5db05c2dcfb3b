package simpleapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

// Media types of the Simple API (PEP 691) and the legacy HTML one.
const (
	MediaTypeJSON       = "application/vnd.pypi.simple.v1+json"
	MediaTypeHTML       = "application/vnd.pypi.simple.v1+html"
	MediaTypeLegacyHTML = "text/html"
)

// acceptPage prefers JSON and falls back to HTML, as pip and uv do.
const acceptPage = MediaTypeJSON + ", " + MediaTypeHTML + ";q=0.2, " + MediaTypeLegacyHTML + ";q=0.01"

// Project is a project page: every file one or more indexes offer for it.
type Project struct {
	// Name is the normalized project name.
	Name string
	// Versions is the PEP 700 version list when the index sends one (JSON
	// API 1.1+), merged across indexes in order of first appearance.
	Versions []string
	// Files in page order; with several indexes (best-match strategy),
	// the files of earlier indexes come first.
	Files []File
}

// File is one distribution file of a project page. URLs never contain
// credentials; the client re-attaches them per request.
type File struct {
	// Project is the normalized project name of the page.
	Project  string
	Filename string
	// URL is absolute, resolved against the page URL, without a fragment.
	URL string
	// Hashes maps lower-case hashlib names ("sha256") to lower-case hex.
	Hashes map[string]string
	// RequiresPython is the data-requires-python / requires-python
	// specifier, "" when absent.
	RequiresPython string
	// Yanked files (PEP 592) may only be selected by an exact pin (== or
	// ===); see Selectable.
	Yanked       bool
	YankedReason string
	// UploadTime (PEP 700) is zero when the index does not say.
	UploadTime time.Time
	// Size in bytes, -1 when unknown.
	Size int64
	// CoreMetadata says a PEP 658/714 metadata file is at URL+".metadata";
	// CoreMetadataHashes are its hashes when the index gives them.
	CoreMetadata       bool
	CoreMetadataHashes map[string]string
	// Index is the name of the index that served the page.
	Index string
}

// Wheel reports whether the file is a wheel.
func (f *File) Wheel() bool { return strings.HasSuffix(f.Filename, ".whl") }

// Selectable applies PEP 592: a yanked file may be chosen only when the
// requirement pins its version exactly (== or ===).
func (f *File) Selectable(exactPin bool) bool { return !f.Yanked || exactPin }

// UploadedBy reports whether the file may be used under an exclude-newer
// cut-off: it has an upload time no later than cutoff. Files without an
// upload time are treated as unavailable, as uv does, so re-locking with a
// cut-off is reproducible.
func (f *File) UploadedBy(cutoff time.Time) bool {
	return !f.UploadTime.IsZero() && !f.UploadTime.After(cutoff)
}

// pageMeta is the "meta" object of a JSON page.
type pageMeta struct {
	APIVersion string `json:"api-version"`
}

type jsonFile struct {
	Filename         string            `json:"filename"`
	URL              string            `json:"url"`
	Hashes           map[string]string `json:"hashes"`
	RequiresPython   *string           `json:"requires-python"`
	Yanked           json.RawMessage   `json:"yanked"`
	Size             *int64            `json:"size"`
	UploadTime       *string           `json:"upload-time"`
	CoreMetadata     json.RawMessage   `json:"core-metadata"`
	DistInfoMetadata json.RawMessage   `json:"dist-info-metadata"`
}

type jsonPage struct {
	Meta     pageMeta   `json:"meta"`
	Name     string     `json:"name"`
	Versions []string   `json:"versions"`
	Files    []jsonFile `json:"files"`
}

// checkAPIVersion accepts any 1.x version (clients must accept unknown
// minor versions, PEP 629) and an absent one (HTML without the meta tag).
func checkAPIVersion(v string) error {
	if v == "" {
		return nil
	}
	major, _, _ := strings.Cut(v, ".")
	if major != "1" {
		return fmt.Errorf("repository API version %q is not supported (want 1.x)", v)
	}
	return nil
}

// ParseJSON decodes a PEP 691 project page. base is the page URL, against
// which relative file URLs are resolved.
func ParseJSON(data []byte, base *url.URL) (*Project, error) {
	var p jsonPage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("simpleapi: decoding JSON project page: %w", err)
	}
	if err := checkAPIVersion(p.Meta.APIVersion); err != nil {
		return nil, fmt.Errorf("simpleapi: JSON project page: %w", err)
	}
	out := &Project{Name: pep508.CanonicalName(p.Name), Versions: p.Versions}
	if len(p.Files) > 0 {
		out.Files = make([]File, 0, len(p.Files))
	}
	for i := range p.Files {
		jf := &p.Files[i]
		f := File{Project: out.Name, Filename: jf.Filename, Size: -1}
		where := fileLocation{i, jf.Filename}
		if jf.Filename == "" || strings.ContainsAny(jf.Filename, "/\\") {
			return nil, fmt.Errorf("simpleapi: JSON project page: %s: filename must be a plain file name", where)
		}
		u, frag, err := resolveURL(base, jf.URL)
		if err != nil {
			return nil, fmt.Errorf("simpleapi: JSON project page: %s: url: %w", where, err)
		}
		f.URL = u
		f.Hashes = lowerKeys(jf.Hashes)
		if len(f.Hashes) == 0 {
			f.Hashes = hashFromFragment(frag)
		}
		if jf.RequiresPython != nil {
			f.RequiresPython = strings.TrimSpace(*jf.RequiresPython)
		}
		if f.Yanked, f.YankedReason, err = boolOrString(jf.Yanked); err != nil {
			return nil, fmt.Errorf("simpleapi: JSON project page: %s: yanked: %w", where, err)
		}
		if jf.Size != nil {
			if *jf.Size < 0 {
				return nil, fmt.Errorf("simpleapi: JSON project page: %s: size %d is negative", where, *jf.Size)
			}
			f.Size = *jf.Size
		}
		if jf.UploadTime != nil {
			t, err := time.Parse(time.RFC3339Nano, *jf.UploadTime)
			if err != nil {
				return nil, fmt.Errorf("simpleapi: JSON project page: %s: upload-time %q is not ISO 8601 (yyyy-mm-ddThh:mm:ss.ffffffZ)", where, *jf.UploadTime)
			}
			f.UploadTime = t.UTC()
		}
		meta := jf.CoreMetadata
		if len(meta) == 0 || string(meta) == "null" {
			meta = jf.DistInfoMetadata
		}
		if f.CoreMetadata, f.CoreMetadataHashes, err = boolOrHashes(meta); err != nil {
			return nil, fmt.Errorf("simpleapi: JSON project page: %s: core-metadata: %w", where, err)
		}
		out.Files = append(out.Files, f)
	}
	return out, nil
}

// fileLocation names a file of a JSON page in errors; it is formatted only
// when an error is reported.
type fileLocation struct {
	index    int
	filename string
}

func (l fileLocation) String() string { return fmt.Sprintf("files[%d] (%q)", l.index, l.filename) }

// boolOrString decodes a value that is a boolean or a string; a
// json.RawMessage holds valid JSON, so its first byte tells which it is.
func boolOrString(raw json.RawMessage) (bool, string, error) {
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return false, "", nil
	case string(raw) == "true":
		return true, "", nil
	case string(raw) == "false":
		return false, "", nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return true, s, nil
		}
	}
	return false, "", fmt.Errorf("want a boolean or a string, got %s", truncate(string(raw), 40))
}

// boolOrHashes decodes a value that is a boolean or an object of hashes,
// choosing by its first byte as boolOrString does.
func boolOrHashes(raw json.RawMessage) (bool, map[string]string, error) {
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return false, nil, nil
	case string(raw) == "true":
		return true, nil, nil
	case string(raw) == "false":
		return false, nil, nil
	case raw[0] == '{':
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err == nil {
			return true, lowerKeys(m), nil
		}
	}
	return false, nil, fmt.Errorf("want a boolean or a hash object, got %s", truncate(string(raw), 40))
}

// lowerKeys lower-cases the keys and values of m; it returns m itself when
// they already are (the usual case), nil when m is empty.
func lowerKeys(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	lower := true
	for k, v := range m {
		if hasUpper(k) || hasUpper(v) {
			lower = false
			break
		}
	}
	if lower {
		return m
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = strings.ToLower(v)
	}
	return out
}

// hasUpper reports whether strings.ToLower would change s.
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || ('A' <= c && c <= 'Z') {
			return true
		}
	}
	return false
}

// hashFromFragment reads "sha256=<hex>" from a URL fragment (PEP 503).
func hashFromFragment(frag string) map[string]string {
	k, v, ok := strings.Cut(frag, "=")
	if !ok || k == "" || v == "" {
		return nil
	}
	return map[string]string{strings.ToLower(k): strings.ToLower(v)}
}

// parseHashAttr reads a data-core-metadata value: "true" or "<alg>=<hex>".
func parseHashAttr(v string) (bool, map[string]string) {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	if h := hashFromFragment(v); h != nil {
		return true, h
	}
	return true, nil
}

// resolveURL resolves ref against base and returns it without credentials
// or fragment, plus the fragment.
func resolveURL(base *url.URL, ref string) (string, string, error) {
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return "", "", fmt.Errorf("%q is not a URL", truncate(Redact(ref), 80))
	}
	if base != nil {
		r = base.ResolveReference(r)
	}
	if !r.IsAbs() || (r.Scheme != "http" && r.Scheme != "https" && r.Scheme != "file") {
		return "", "", fmt.Errorf("%q is not an absolute http(s) URL", truncate(Redact(r.String()), 80))
	}
	r, _, _ = stripCredentials(r)
	frag := r.Fragment
	r.Fragment, r.RawFragment = "", ""
	return r.String(), frag, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// pageKind classifies a response Content-Type as "json" or "html".
func pageKind(contentType string) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("unparsable content type %q", truncate(contentType, 80))
	}
	switch mt {
	case MediaTypeJSON, "application/vnd.pypi.simple.latest+json":
		return "json", nil
	case MediaTypeHTML, MediaTypeLegacyHTML, "application/vnd.pypi.simple.latest+html":
		return "html", nil
	}
	return "", fmt.Errorf("content type %q is not a Simple API page (want %s or %s)", mt, MediaTypeJSON, MediaTypeLegacyHTML)
}

// fileNameFromURL is the last path segment of u, unescaped.
func fileNameFromURL(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return path.Base(pu.Path)
}
