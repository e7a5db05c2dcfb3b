package simpleapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/testindex"
)

// clock is a settable time source for cache freshness.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestCacheServesFreshPagesAndImmutableFiles(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{}) // pages: max-age=600
	dir := t.TempDir()
	clk := &clock{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	run := func() {
		c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: dir, Now: clk.now})
		p, err := c.Project(ctx, "app")
		assert.NilError(t, err)
		_, err = c.Metadata(ctx, &p.Files[0])
		assert.NilError(t, err)
	}
	run()
	assert.Equal(t, len(s.Requests()), 2)
	run() // a new client (new process) within max-age: nothing is asked
	assert.Equal(t, len(s.Requests()), 2)

	clk.t = clk.t.Add(11 * time.Minute) // page is stale: revalidated; metadata is hash-verified, never stale
	run()
	reqs := s.Requests()
	assert.Equal(t, len(reqs), 3)
	assert.Equal(t, reqs[2].Path, "/simple/app/")
	assert.Equal(t, reqs[2].Status, 304)
	assert.Assert(t, reqs[2].IfNoneMatch != "")
}

func TestCacheRevalidatesWithETag(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{PageCacheControl: "max-age=0, must-revalidate"})
	dir := t.TempDir()
	ctx := context.Background()
	var pages []*Project
	for range 3 {
		c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: dir})
		p, err := c.Project(ctx, "yanked")
		assert.NilError(t, err)
		pages = append(pages, p)
	}
	assert.Equal(t, s.Count("/simple/yanked/", 200), 1)
	assert.Equal(t, s.Count("/simple/yanked/", 304), 2)
	assert.DeepEqual(t, pages[0], pages[2])
}

func TestCacheHonoursNoStore(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{PageCacheControl: "no-store"})
	dir := t.TempDir()
	for range 2 {
		c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: dir})
		_, err := c.Project(context.Background(), "yanked")
		assert.NilError(t, err)
	}
	assert.Equal(t, s.Count("/simple/yanked/", 200), 2)
	for _, r := range s.Requests() {
		assert.Equal(t, r.IfNoneMatch, "")
	}
}

func TestCorruptedCacheEntriesAreIgnored(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{})
	dir := t.TempDir()
	ctx := context.Background()
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: dir})
	p, err := c.Project(ctx, "app")
	assert.NilError(t, err)
	_, err = c.Metadata(ctx, &p.Files[0])
	assert.NilError(t, err)
	entries, err := filepath.Glob(filepath.Join(dir, "*.entry"))
	assert.NilError(t, err)
	assert.Equal(t, len(entries), 2)
	for i, e := range entries {
		data, err := os.ReadFile(e)
		assert.NilError(t, err)
		if i%2 == 1 {
			assert.NilError(t, os.WriteFile(e, []byte("garbage"), 0o644))
			continue
		}
		// Damage the body and the end of the file (the page's parsed
		// form, or the metadata's body).
		nl := bytes.IndexByte(data, '\n')
		data[nl+1] ^= 0x20
		copy(data[len(data)-3:], "xyz")
		assert.NilError(t, os.WriteFile(e, data, 0o644))
	}
	c = newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: dir})
	p, err = c.Project(ctx, "app")
	assert.NilError(t, err)
	m, err := c.Metadata(ctx, &p.Files[0])
	assert.NilError(t, err)
	assert.Equal(t, m.Name, "app")
	assert.Equal(t, len(s.Requests()), 4, "both corrupted entries were refetched")
}

// pageEntry returns the path and contents of the cache entry of a page.
func pageEntry(t *testing.T, dir, pageURL string) (string, *cacheEntry, []byte) {
	t.Helper()
	c := &diskCache{dir: dir}
	path := c.path(pageURL, acceptPage)
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	e, ok := c.get(pageURL, acceptPage, 0)
	assert.Assert(t, ok, "no readable entry for %s", pageURL)
	return path, e, data
}

// TestCachedParsedPages covers the parsed form kept in a page's cache
// entry: a warm client uses it without parsing; a damaged or mismatched
// one is ignored, the body parsed again (no request) and the entry
// repaired.
func TestCachedParsedPages(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"json", "html"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			s := testindex.StartT(t, generated(), testindex.Options{Format: format})
			ctx := context.Background()
			pageURL := s.SimpleURL() + "yanked/"
			tests := []struct {
				name   string
				damage func(t *testing.T, e *cacheEntry, data []byte) []byte
				// reparsed says the body is parsed again and the entry rewritten.
				reparsed bool
			}{{
				name:   "intact",
				damage: func(_ *testing.T, _ *cacheEntry, data []byte) []byte { return data },
			}, {
				name: "corrupt parsed form",
				damage: func(_ *testing.T, e *cacheEntry, data []byte) []byte {
					data[len(data)-int(e.ParsedSize)/2] ^= 0xff
					return data
				},
				reparsed: true,
			}, {
				name: "truncated parsed form",
				damage: func(t *testing.T, e *cacheEntry, data []byte) []byte {
					e.ParsedSize -= 5
					return rewriteEntry(t, e, e.body, e.parsed[:len(e.parsed)-5])
				},
				reparsed: true,
			}, {
				name: "body hash mismatch",
				damage: func(t *testing.T, e *cacheEntry, _ []byte) []byte {
					// The parsed form of another body: the entry's body is
					// changed (and its hash updated), the parsed form kept.
					body := bytes.Replace(e.body, []byte("yanked-1.0"), []byte("yanked-9.0"), 1)
					assert.Assert(t, !bytes.Equal(body, e.body))
					sum := sha256.Sum256(body)
					e.BodySHA256 = hex.EncodeToString(sum[:])
					return rewriteEntry(t, e, body, e.parsed)
				},
				reparsed: true,
			}, {
				name: "no parsed form",
				damage: func(t *testing.T, e *cacheEntry, _ []byte) []byte {
					return rewriteEntry(t, e, e.body, nil)
				},
				reparsed: true,
			}}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					dir := t.TempDir()
					c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: dir})
					cold, err := c.Project(ctx, "yanked")
					assert.NilError(t, err)
					path, e, data := pageEntry(t, dir, pageURL)
					assert.Assert(t, e.ParsedSize > 0)
					assert.NilError(t, os.WriteFile(path, tc.damage(t, e, data), 0o644))
					_, damaged, _ := pageEntry(t, dir, pageURL)

					// Parsing the entry's body is what the warm client must return.
					base := cachedResponse(damaged).finalURL
					parse := map[string]func() (*Project, error){
						"json": func() (*Project, error) { return ParseJSON(damaged.body, base) },
						"html": func() (*Project, error) { return ParseHTML(damaged.body, "yanked", base) },
					}[format]
					want, err := parse()
					assert.NilError(t, err)
					requests := len(s.Requests())
					warm := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: dir})
					got, err := warm.Project(ctx, "yanked")
					assert.NilError(t, err)
					assert.Equal(t, len(s.Requests()), requests, "the cache entry is fresh: no request")
					want.Name = "yanked"
					for i := range want.Files {
						want.Files[i].Index, want.Files[i].Project = cold.Files[0].Index, "yanked"
					}
					assert.DeepEqual(t, got, want)
					if tc.name == "intact" {
						assert.DeepEqual(t, got, cold)
					}

					_, repaired, _ := pageEntry(t, dir, pageURL)
					_, err = decodeParsed(newParseKey(repaired.BodySHA256, format, base, "yanked"), repaired.parsed)
					assert.NilError(t, err, "the entry holds a valid parsed form afterwards")
					assert.Equal(t, tc.reparsed, !bytes.Equal(repaired.parsed, damaged.parsed), "the entry is rewritten only when its parsed form was unusable")
				})
			}
		})
	}
}

// rewriteEntry encodes an entry with the given body and parsed form,
// keeping the header's fields (including its body hash) as they are.
func rewriteEntry(t *testing.T, e *cacheEntry, body, parsed []byte) []byte {
	t.Helper()
	e.ParsedSize = int64(len(parsed))
	head, err := json.Marshal(e)
	assert.NilError(t, err)
	return append(append(append(head, '\n'), body...), parsed...)
}

func TestParseCacheControl(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want cachePolicy
	}{
		{"", cachePolicy{maxAge: -1}},
		{"max-age=600, public", cachePolicy{maxAge: 600}},
		{"no-store", cachePolicy{noStore: true, maxAge: -1}},
		{"No-Cache, max-age=\"5\"", cachePolicy{noCache: true, maxAge: 5}},
		{"max-age=-3", cachePolicy{maxAge: -1}},
	} {
		assert.Equal(t, parseCacheControl(tc.in), tc.want, tc.in)
	}
}

// TestMetadataMemoized checks that a client asks for a file's metadata once
// and answers later calls from memory, even without a disk cache.
func TestMetadataMemoized(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{})
	ctx := context.Background()
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}})
	p, err := c.Project(ctx, "app")
	assert.NilError(t, err)
	first, err := c.Metadata(ctx, &p.Files[0])
	assert.NilError(t, err)
	requests := len(s.Requests())
	again, err := c.Metadata(ctx, &p.Files[0])
	assert.NilError(t, err)
	assert.Equal(t, again, first)
	assert.Equal(t, len(s.Requests()), requests)

	// A file listed with other hashes is another question.
	other := p.Files[0]
	other.CoreMetadataHashes = map[string]string{"sha256": strings.Repeat("0", 64)}
	_, err = c.Metadata(ctx, &other)
	var mismatch *HashMismatchError
	assert.Assert(t, errors.As(err, &mismatch), "got %v", err)
}

// TestCacheEntryBounded: an entry is read only within the caller's bound
// on the body, and a named pipe where an entry should be is a miss, found
// at once instead of blocking the reader.
func TestCacheEntryBounded(t *testing.T) {
	t.Parallel()
	c := &diskCache{dir: t.TempDir()}
	const u = "https://files.example.org/a-1.0-py3-none-any.whl"
	assert.NilError(t, c.put(&cacheEntry{URL: u, FinalURL: u, MaxAge: -1, body: []byte("0123456789"), parsed: []byte("pq")}))
	for _, tc := range []struct {
		maxBody int64
		ok      bool
	}{{0, true}, {10, true}, {9, false}} {
		e, ok := c.get(u, "", tc.maxBody)
		assert.Equal(t, ok, tc.ok, "maxBody %d", tc.maxBody)
		if ok {
			assert.Equal(t, string(e.body), "0123456789")
			assert.Equal(t, string(e.parsed), "pq")
		}
	}
	e, ok := c.getParsed(u, "")
	assert.Assert(t, ok)
	assert.Equal(t, string(e.parsed), "pq")

	const pipe = "https://files.example.org/pipe/"
	if err := syscall.Mkfifo(c.path(pipe, ""), 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, ok = c.get(pipe, "", 0)
	assert.Assert(t, !ok)
	_, ok = c.getParsed(pipe, "")
	assert.Assert(t, !ok)
}
