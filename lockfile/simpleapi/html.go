package simpleapi

import (
	"fmt"
	"html"
	"net/url"
	"strings"
)

// ParseHTML decodes a PEP 503 project page: every <a> element is a file;
// the href fragment carries a hash, data-requires-python,
// data-yanked and data-core-metadata (or the legacy
// data-dist-info-metadata) carry the rest. A <base href> changes the URL
// relative links resolve against; a pypi:repository-version meta tag with a
// major version other than 1 is rejected. name is the normalized project
// name of the page.
func ParseHTML(data []byte, name string, base *url.URL) (*Project, error) {
	p := &Project{Name: name}
	s := string(data)
	for i := 0; i < len(s); {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			break
		}
		i += lt
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		tag, attrs, next := parseTag(s, i)
		i = next
		switch tag {
		case "base":
			if href, ok := attrs["href"]; ok {
				b, err := url.Parse(strings.TrimSpace(href))
				if err != nil {
					return nil, fmt.Errorf("simpleapi: HTML project page: <base href=%q> is not a URL", truncate(Redact(href), 80))
				}
				if base != nil {
					b = base.ResolveReference(b)
				}
				base = b
			}
		case "meta":
			if attrs["name"] == "pypi:repository-version" {
				if err := checkAPIVersion(strings.TrimSpace(attrs["content"])); err != nil {
					return nil, fmt.Errorf("simpleapi: HTML project page: %w", err)
				}
			}
		case "a":
			end := indexFold(s[i:], "</a")
			text := s[i:]
			if end >= 0 {
				text = s[i : i+end]
				i += end
			} else {
				i = len(s)
			}
			f, err := anchorFile(p.Name, attrs, text, base)
			if err != nil {
				return nil, err
			}
			if f != nil {
				p.Files = append(p.Files, *f)
			}
		}
	}
	return p, nil
}

func anchorFile(project string, attrs map[string]string, text string, base *url.URL) (*File, error) {
	href, ok := attrs["href"]
	if !ok {
		return nil, nil
	}
	u, frag, err := resolveURL(base, href)
	if err != nil {
		return nil, fmt.Errorf("simpleapi: HTML project page: <a href>: %w", err)
	}
	f := &File{Project: project, URL: u, Size: -1, Hashes: hashFromFragment(frag)}
	f.Filename = strings.TrimSpace(html.UnescapeString(stripTags(text)))
	if f.Filename == "" || strings.ContainsAny(f.Filename, "/\\") {
		f.Filename = fileNameFromURL(u)
	}
	if f.Filename == "" || f.Filename == "." || f.Filename == "/" {
		return nil, fmt.Errorf("simpleapi: HTML project page: <a href=%q> names no file", truncate(u, 80))
	}
	if v, ok := attrs["data-requires-python"]; ok {
		f.RequiresPython = strings.TrimSpace(v)
	}
	if v, ok := attrs["data-yanked"]; ok {
		f.Yanked, f.YankedReason = true, v
	}
	meta, ok := attrs["data-core-metadata"]
	if !ok {
		meta, ok = attrs["data-dist-info-metadata"]
	}
	if ok {
		f.CoreMetadata, f.CoreMetadataHashes = parseHashAttr(meta)
	}
	return f, nil
}

// parseTag reads the tag starting at s[i] == '<' and returns its lower-case
// name (empty for end tags and declarations), its attributes (names
// lower-case, values entity-decoded) and the index after '>'.
func parseTag(s string, i int) (string, map[string]string, int) {
	j := i + 1
	if j < len(s) && (s[j] == '/' || s[j] == '!' || s[j] == '?') {
		end := strings.IndexByte(s[j:], '>')
		if end < 0 {
			return "", nil, len(s)
		}
		return "", nil, j + end + 1
	}
	start := j
	for j < len(s) && isNameByte(s[j]) {
		j++
	}
	name := strings.ToLower(s[start:j])
	if name == "" {
		return "", nil, i + 1
	}
	attrs := map[string]string{}
	for j < len(s) {
		for j < len(s) && (isSpace(s[j]) || s[j] == '/') {
			j++
		}
		if j >= len(s) {
			break
		}
		if s[j] == '>' {
			return name, attrs, j + 1
		}
		ks := j
		for j < len(s) && !isSpace(s[j]) && s[j] != '=' && s[j] != '>' && s[j] != '/' {
			j++
		}
		key := strings.ToLower(s[ks:j])
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		val := ""
		if j < len(s) && s[j] == '=' {
			j++
			for j < len(s) && isSpace(s[j]) {
				j++
			}
			if j < len(s) && (s[j] == '"' || s[j] == '\'') {
				q := s[j]
				end := strings.IndexByte(s[j+1:], q)
				if end < 0 {
					val, j = s[j+1:], len(s)
				} else {
					val, j = s[j+1:j+1+end], j+1+end+1
				}
			} else {
				vs := j
				for j < len(s) && !isSpace(s[j]) && s[j] != '>' {
					j++
				}
				val = s[vs:j]
			}
		}
		if key == "" {
			j++
			continue
		}
		if _, dup := attrs[key]; !dup {
			attrs[key] = html.UnescapeString(val)
		}
	}
	return name, attrs, len(s)
}

// stripTags drops markup inside anchor text (<span>…</span>).
func stripTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	depth := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '<':
			depth = true
		case s[i] == '>' && depth:
			depth = false
		case !depth:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func indexFold(s, sub string) int {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], sub) {
			return i
		}
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == ':'
}
