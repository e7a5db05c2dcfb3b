package simpleapi

import (
	"context"
	"os"
	"path/filepath"
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
	entries, err := filepath.Glob(filepath.Join(dir, "*", "*.entry"))
	assert.NilError(t, err)
	assert.Equal(t, len(entries), 2)
	for i, e := range entries {
		data, err := os.ReadFile(e)
		assert.NilError(t, err)
		corrupt := [][]byte{[]byte("garbage"), append(data[:len(data)-3:len(data)-3], "xyz"...)}[i%2]
		assert.NilError(t, os.WriteFile(e, corrupt, 0o644))
	}
	c = newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: dir})
	p, err = c.Project(ctx, "app")
	assert.NilError(t, err)
	m, err := c.Metadata(ctx, &p.Files[0])
	assert.NilError(t, err)
	assert.Equal(t, m.Name, "app")
	assert.Equal(t, len(s.Requests()), 4, "both corrupted entries were refetched")
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
