package simpleapi

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

// Metadata is parsed core metadata (METADATA / PKG-INFO, the email-header
// format of the core metadata specification).
type Metadata struct {
	MetadataVersion string
	Name            string
	Version         string
	RequiresPython  string
	// RequiresDist are the Requires-Dist values as written (PEP 508).
	RequiresDist  []string
	ProvidesExtra []string
	// Fields holds every header field by its canonical name (as first
	// written), values in order; continuation lines are joined with "\n".
	Fields map[string][]string
}

// maxMetadataSize bounds what ParseMetadata accepts; real METADATA files
// are a few kilobytes, long descriptions a few hundred.
const maxMetadataSize = 16 << 20

// ParseMetadata parses core metadata: "Name: value" header lines,
// continuation lines starting with a space or tab, fields that may repeat,
// and an optional body (the description) after the first blank line.
// Metadata-Version, Name and Version are required.
func ParseMetadata(data []byte) (*Metadata, error) {
	if len(data) > maxMetadataSize {
		return nil, fmt.Errorf("simpleapi: core metadata is %d bytes, more than the %d allowed", len(data), maxMetadataSize)
	}
	m := &Metadata{Fields: map[string][]string{}}
	canon := map[string]string{}
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	s = strings.TrimPrefix(s, "\ufeff")
	var key string
	lines := strings.Split(s, "\n")
	for n, line := range lines {
		if line == "" {
			if len(lines[n+1:]) > 0 {
				if body := strings.Join(lines[n+1:], "\n"); strings.TrimSpace(body) != "" {
					m.Fields["Description"] = append(m.Fields["Description"], strings.TrimRight(body, "\n"))
				}
			}
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if key == "" {
				return nil, fmt.Errorf("simpleapi: core metadata line %d: continuation line before any field", n+1)
			}
			vals := m.Fields[key]
			vals[len(vals)-1] += "\n" + strings.TrimSpace(line)
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("simpleapi: core metadata line %d: expected \"Field: value\", found %q", n+1, truncate(line, 60))
		}
		lk := strings.ToLower(k)
		if c, seen := canon[lk]; seen {
			k = c
		} else {
			canon[lk] = k
		}
		key = k
		m.Fields[k] = append(m.Fields[k], strings.TrimSpace(v))
	}
	get := func(name string) []string { return m.Fields[canon[strings.ToLower(name)]] }
	first := func(name string) string {
		if v := get(name); len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	m.MetadataVersion, m.Name, m.Version, m.RequiresPython = first("Metadata-Version"), first("Name"), first("Version"), first("Requires-Python")
	for _, r := range get("Requires-Dist") {
		m.RequiresDist = append(m.RequiresDist, strings.Join(strings.Fields(r), " "))
	}
	for _, e := range get("Provides-Extra") {
		m.ProvidesExtra = append(m.ProvidesExtra, strings.TrimSpace(e))
	}
	for _, req := range []struct{ field, val string }{{"Metadata-Version", m.MetadataVersion}, {"Name", m.Name}, {"Version", m.Version}} {
		if req.val == "" {
			return nil, fmt.Errorf("simpleapi: core metadata has no %s field", req.field)
		}
	}
	return m, nil
}

// Metadata returns the core metadata of a file: from its PEP 658 metadata
// file when the index offers one (verified against the advertised hash),
// else, for a wheel, by downloading it (hash-verified) and reading
// *.dist-info/METADATA. For an sdist without a metadata file it returns an
// error wrapping ErrNoMetadata. The metadata's Name must match the project.
// Results are memoized for the client's lifetime, like project pages: the
// same *Metadata is returned for the same file and must not be modified.
func (c *Client) Metadata(ctx context.Context, f *File) (*Metadata, error) {
	key := metadataKey(f)
	c.mu.Lock()
	m, ok := c.metadata[key]
	c.mu.Unlock()
	if ok {
		return m, nil
	}
	m, err := c.metadataOf(ctx, f)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.metadata[key] = m
	c.mu.Unlock()
	return m, nil
}

// metadataKey is everything about f that Metadata's answer depends on.
func metadataKey(f *File) string {
	var b strings.Builder
	b.WriteString(f.Project + "\x00" + f.Filename + "\x00" + f.URL + "\x00" + strconv.FormatInt(f.Size, 10) + "\x00" + strconv.FormatBool(f.CoreMetadata))
	for _, h := range []map[string]string{f.Hashes, f.CoreMetadataHashes} {
		b.WriteString("\x00")
		for _, k := range slices.Sorted(maps.Keys(h)) {
			b.WriteString(k + "=" + h[k] + ",")
		}
	}
	return b.String()
}

func (c *Client) metadataOf(ctx context.Context, f *File) (*Metadata, error) {
	u, err := url.Parse(f.URL)
	if err != nil {
		return nil, fmt.Errorf("simpleapi: file %s: url: %w", f.Filename, err)
	}
	var data []byte
	switch {
	case f.CoreMetadata:
		mu := *u
		mu.Path += ".metadata"
		mu.RawPath = ""
		if u.RawPath != "" {
			mu.RawPath = u.RawPath + ".metadata"
		}
		resp, err := c.fetch(ctx, &mu, fetchOptions{name: f.Filename + ".metadata", hashes: f.CoreMetadataHashes, size: -1, limit: c.opts.MaxMetadataBytes})
		if err != nil {
			return nil, fmt.Errorf("simpleapi: metadata of %s%s: %w", f.Filename, fromIndex(f), err)
		}
		data = resp.body
	case f.Wheel():
		resp, err := c.fetch(ctx, u, fetchOptions{name: f.Filename, hashes: f.Hashes, size: f.Size, limit: c.opts.MaxFileBytes})
		if err != nil {
			return nil, fmt.Errorf("simpleapi: metadata of %s%s: %w", f.Filename, fromIndex(f), err)
		}
		if data, err = wheelMetadata(f.Filename, resp.body, c.opts.MaxMetadataBytes); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("simpleapi: metadata of %s: %w", f.Filename, ErrNoMetadata)
	}
	m, err := ParseMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("simpleapi: metadata of %s: %w", f.Filename, err)
	}
	if f.Project != "" && pep508.CanonicalName(m.Name) != f.Project {
		return nil, fmt.Errorf("simpleapi: metadata of %s names project %q, but the file is listed under %q", f.Filename, m.Name, f.Project)
	}
	return m, nil
}

// fromIndex names the index a file was listed on, for errors.
func fromIndex(f *File) string {
	if f.Index == "" {
		return ""
	}
	return " from index " + f.Index
}

// wheelMetadata reads <name>-<version>.dist-info/METADATA from a wheel,
// choosing the .dist-info directory that matches the file name when a
// (malformed) wheel has several.
func wheelMetadata(filename string, body []byte, limit int64) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, fmt.Errorf("simpleapi: wheel %s is not a valid zip: %w", filename, err)
	}
	parts := strings.SplitN(filename, "-", 3)
	want := ""
	if len(parts) == 3 {
		want = strings.ToLower(parts[0] + "-" + parts[1] + ".dist-info/METADATA")
	}
	var candidates []*zip.File
	for _, zf := range zr.File {
		dir, base, ok := strings.Cut(zf.Name, "/")
		if ok && base == "METADATA" && strings.HasSuffix(dir, ".dist-info") {
			candidates = append(candidates, zf)
		}
	}
	var pick *zip.File
	switch {
	case len(candidates) == 1:
		pick = candidates[0]
	default:
		for _, zf := range candidates {
			if strings.ToLower(zf.Name) == want {
				pick = zf
			}
		}
	}
	if pick == nil {
		return nil, fmt.Errorf("simpleapi: wheel %s: found %d .dist-info/METADATA entries, want exactly one matching %q", filename, len(candidates), want)
	}
	if pick.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("simpleapi: wheel %s: %s is %d bytes, more than the %d allowed", filename, pick.Name, pick.UncompressedSize64, limit)
	}
	rc, err := pick.Open()
	if err != nil {
		return nil, fmt.Errorf("simpleapi: wheel %s: opening %s: %w", filename, pick.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("simpleapi: wheel %s: reading %s: %w", filename, pick.Name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("simpleapi: wheel %s: %s is more than the %d bytes allowed", filename, pick.Name, limit)
	}
	return data, nil
}

// Download writes the file's body to w after verifying its size and hash.
// The body is fetched (or taken from the cache) in full before anything
// is written, so w never receives unverified bytes. Installers, which need
// a file on disk and may handle files larger than memory, use DownloadFile.
func (c *Client) Download(ctx context.Context, f *File, w io.Writer) error {
	u, err := url.Parse(f.URL)
	if err != nil {
		return fmt.Errorf("simpleapi: file %s: url: %w", f.Filename, err)
	}
	resp, err := c.fetch(ctx, u, fetchOptions{name: f.Filename, hashes: f.Hashes, size: f.Size, limit: c.opts.MaxFileBytes})
	if err != nil {
		return fmt.Errorf("simpleapi: downloading %s%s: %w", f.Filename, fromIndex(f), err)
	}
	if _, err := w.Write(resp.body); err != nil {
		return fmt.Errorf("simpleapi: writing %s: %w", f.Filename, err)
	}
	return nil
}
