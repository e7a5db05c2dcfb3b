package simpleapi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/testindex"
)

// projectFile returns the page entry of a file of project, found by a
// suffix of its name.
func projectFile(t *testing.T, c *Client, project, suffix string) *File {
	t.Helper()
	p, err := c.Project(context.Background(), project)
	assert.NilError(t, err)
	for i := range p.Files {
		if strings.HasSuffix(p.Files[i].Filename, suffix) {
			return &p.Files[i]
		}
	}
	t.Fatalf("project %s has no file ending in %s", project, suffix)
	return nil
}

// assertBody checks that lf holds exactly the index's file.
func assertBody(t *testing.T, ix *testindex.Index, project string, f *File, lf *LocalFile) {
	t.Helper()
	want, err := ix.File(project, f.Filename)
	assert.NilError(t, err)
	got, err := os.ReadFile(lf.Path)
	assert.NilError(t, err)
	assert.DeepEqual(t, got, want.Body)
	assert.Equal(t, lf.SHA256, want.SHA256)
	assert.Equal(t, lf.Size, int64(len(want.Body)))
	assert.Equal(t, filepath.Base(lf.Path), f.Filename)
}

func TestDownloadFileUsesTheCache(t *testing.T) {
	t.Parallel()
	ix := generated()
	s := testindex.StartT(t, ix, testindex.Options{})
	dir := t.TempDir()
	ctx := context.Background()
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: dir})
	f := projectFile(t, c, "platform", "manylinux2014_x86_64.whl")
	lf, err := c.DownloadFile(ctx, f)
	assert.NilError(t, err)
	assertBody(t, ix, "platform", f, lf)
	assert.Assert(t, !lf.Cached)
	assert.Equal(t, lf.Path, filepath.Join(dir, "files", "sha256-"+lf.SHA256, f.Filename))
	st, err := os.Stat(lf.Path)
	assert.NilError(t, err)
	assert.Equal(t, st.Mode().Perm(), os.FileMode(0o444))

	// Again, and from a new client on the same cache: no request.
	s.ResetStats()
	again, err := c.DownloadFile(ctx, f)
	assert.NilError(t, err)
	assert.Assert(t, again.Cached)
	other := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: dir})
	again, err = other.DownloadFile(ctx, f)
	assert.NilError(t, err)
	assert.Assert(t, again.Cached)
	assert.Equal(t, again.Path, lf.Path)
	assert.Equal(t, len(s.Requests()), 0)

	// A lock gives only a URL and hashes: name from the URL, size unknown.
	bare := &File{URL: f.URL, Hashes: f.Hashes}
	again, err = other.DownloadFile(ctx, bare)
	assert.NilError(t, err)
	assert.Equal(t, again.Path, lf.Path)

	r, err := again.Open()
	assert.NilError(t, err)
	assert.NilError(t, r.Close())
	entries, err := os.ReadDir(filepath.Dir(lf.Path))
	assert.NilError(t, err)
	assert.Equal(t, len(entries), 1, "no temporary files are left")
}

func TestDownloadFileRefusesBadFiles(t *testing.T) {
	t.Parallel()
	ix := generated()
	s := testindex.StartT(t, ix, testindex.Options{Faults: []testindex.Fault{{Path: "/files/app/*.whl", WrongHash: true}}})
	dir := t.TempDir()
	ctx := context.Background()
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: dir})

	// The index advertises a hash the body does not have.
	f := projectFile(t, c, "app", ".whl")
	_, err := c.DownloadFile(ctx, f)
	var hm *HashMismatchError
	assert.Assert(t, errors.As(err, &hm), "got %v", err)
	assert.Equal(t, hm.File, f.Filename)
	assert.Equal(t, hm.Want, f.Hashes["sha256"])
	assert.Equal(t, s.Count("/files/app/*.whl", 200), 1, "a wrong file is not retried")
	assert.ErrorContains(t, err, "downloading app-1.0.0-py3-none-any.whl")

	// The right hash with a wrong size, and a right sha256 with a wrong sha512.
	good := projectFile(t, c, "yanked", "1.0.0-py3-none-any.whl")
	wrongSize := *good
	wrongSize.Size++
	_, err = c.DownloadFile(ctx, &wrongSize)
	var te *TruncatedError
	assert.Assert(t, errors.As(err, &te), "got %v", err)
	assert.Equal(t, te.Want, good.Size+1)
	wrongSHA512 := *good
	wrongSHA512.Hashes = map[string]string{"sha256": good.Hashes["sha256"], "sha512": strings.Repeat("ab", 64)}
	_, err = c.DownloadFile(ctx, &wrongSHA512)
	assert.Assert(t, errors.As(err, &hm), "got %v", err)
	assert.Equal(t, hm.Algorithm, "sha512")

	// Nothing unverified was stored.
	err = filepath.Walk(filepath.Join(dir, "files"), func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			t.Errorf("unexpected file in the cache: %s", path)
		}
		return err
	})
	assert.NilError(t, err)
}

func TestDownloadFileRejectsBadRequests(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{})
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: t.TempDir()})
	noCache := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}})
	f := projectFile(t, c, "yanked", "1.0.0-py3-none-any.whl")
	sha := f.Hashes["sha256"]
	for _, tc := range []struct {
		name   string
		c      *Client
		f      File
		want   string
		noHash bool
	}{
		{"no hash", c, File{URL: f.URL}, "yanked-1.0.0-py3-none-any.whl: no sha256", true},
		{"weak hash only", c, File{URL: f.URL, Hashes: map[string]string{"md5": strings.Repeat("0", 32)}}, "no sha256", true},
		{"malformed hash", c, File{URL: f.URL, Hashes: map[string]string{"sha256": "../../etc"}}, `sha256 hash "../../etc" is not 64 hex digits`, false},
		{"relative url", c, File{URL: "files/x.whl", Hashes: f.Hashes}, `url "files/x.whl" is not an absolute http(s) URL`, false},
		{"dot-dot name", c, File{URL: f.URL, Filename: "..", Hashes: f.Hashes}, `file name ".." (from`, false},
		{"name with a slash", c, File{URL: f.URL, Filename: "a/b.whl", Hashes: f.Hashes}, `file name "a/b.whl"`, false},
		{"url ends in a slash", c, File{URL: s.URL + "/files/", Hashes: f.Hashes}, `file name "" (from`, false},
		{"no cache dir", noCache, File{URL: f.URL, Hashes: map[string]string{"sha256": sha}}, "Options.CacheDir is empty", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.DownloadFile(context.Background(), &tc.f)
			assert.ErrorContains(t, err, tc.want)
			assert.Equal(t, errors.Is(err, ErrNoHash), tc.noHash)
		})
	}
}

func TestDownloadFileRetriesBrokenTransfers(t *testing.T) {
	t.Parallel()
	ix := generated()
	s := testindex.StartT(t, ix, testindex.Options{Faults: []testindex.Fault{
		{Path: "/files/yanked/yanked-1.0.0-*.whl", Truncate: true, Times: 1},
		{Path: "/files/yanked/yanked-0.9.0-*.whl", Status: 503, Times: 2},
		{Path: "/files/yanked/yanked-0.9.0.tar.gz", Truncate: true},
		{Path: "/files/yanked/yanked-1.0.0.tar.gz", Status: 403},
	}})
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: t.TempDir(), Retries: 2})
	ctx := context.Background()
	for _, suffix := range []string{"1.0.0-py3-none-any.whl", "0.9.0-py3-none-any.whl"} {
		f := projectFile(t, c, "yanked", suffix)
		lf, err := c.DownloadFile(ctx, f)
		assert.NilError(t, err)
		assertBody(t, ix, "yanked", f, lf)
	}
	assert.Equal(t, s.Count("/files/yanked/yanked-0.9.0-*.whl", 503), 2)

	_, err := c.DownloadFile(ctx, projectFile(t, c, "yanked", "0.9.0.tar.gz"))
	var te *TruncatedError
	assert.Assert(t, errors.As(err, &te), "got %v", err)
	var tr *TransportError
	assert.Assert(t, errors.As(err, &tr), "got %v", err)
	assert.Equal(t, tr.Attempts, 3)

	_, err = c.DownloadFile(ctx, projectFile(t, c, "yanked", "1.0.0.tar.gz"))
	var se *StatusError
	assert.Assert(t, errors.As(err, &se), "got %v", err)
	assert.Equal(t, se.Status, 403)
	assert.Equal(t, s.Count("/files/yanked/yanked-1.0.0.tar.gz", 403), 1, "4xx is not retried")

	missing := *projectFile(t, c, "yanked", "1.0.0.tar.gz")
	missing.URL = s.URL + "/files/yanked/yanked-7.0.tar.gz"
	_, err = c.DownloadFile(ctx, &missing)
	var nf *NotFoundError
	assert.Assert(t, errors.As(err, &nf), "got %v", err)
}

func TestDownloadFileStallTimesOut(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{Faults: []testindex.Fault{{Path: "/files/yanked/*.whl", Delay: time.Minute}}})
	pages := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}})
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: t.TempDir(), Timeout: 50 * time.Millisecond, Retries: 1})
	_, err := c.DownloadFile(context.Background(), projectFile(t, pages, "yanked", "1.0.0-py3-none-any.whl"))
	var tr *TransportError
	assert.Assert(t, errors.As(err, &tr), "got %v", err)
	assert.ErrorContains(t, err, "no data for 50ms")
	assert.Equal(t, tr.Attempts, 2)
}

func TestDownloadFileConcurrently(t *testing.T) {
	t.Parallel()
	ix := generated()
	s := testindex.StartT(t, ix, testindex.Options{Faults: []testindex.Fault{{Path: "/files/*", Delay: 20 * time.Millisecond}}})
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: t.TempDir(), MaxParallel: 3})
	ctx := context.Background()
	p, err := c.Project(ctx, "huge")
	assert.NilError(t, err)
	s.ResetStats()
	// Every file four times at once: each is downloaded once, at most three
	// at a time.
	var wg sync.WaitGroup
	results := make([]*LocalFile, 4*len(p.Files))
	errs := make([]error, len(results))
	for i := range results {
		wg.Go(func() {
			results[i], errs[i] = c.DownloadFile(ctx, &p.Files[i%len(p.Files)])
		})
	}
	wg.Wait()
	for i, lf := range results {
		assert.NilError(t, errs[i])
		assertBody(t, ix, "huge", &p.Files[i%len(p.Files)], lf)
	}
	assert.Equal(t, s.Count("/files/huge/*", 200), len(p.Files))
	assert.Assert(t, s.MaxInFlight() <= 3, "max in flight %d", s.MaxInFlight())
}

func TestDownloadFileReplacesDamagedCopies(t *testing.T) {
	t.Parallel()
	ix := generated()
	s := testindex.StartT(t, ix, testindex.Options{})
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: t.TempDir()})
	ctx := context.Background()
	f := projectFile(t, c, "yanked", "1.0.0-py3-none-any.whl")
	lf, err := c.DownloadFile(ctx, f)
	assert.NilError(t, err)
	for _, damage := range []func(string) error{
		func(p string) error { return os.WriteFile(p, []byte("not a wheel"), 0o644) },
		func(p string) error { return os.Truncate(p, 10) },
	} {
		assert.NilError(t, os.Chmod(lf.Path, 0o644))
		assert.NilError(t, damage(lf.Path))
		again, err := c.DownloadFile(ctx, f)
		assert.NilError(t, err)
		assert.Assert(t, !again.Cached)
		assertBody(t, ix, "yanked", f, again)
	}
	assert.Equal(t, s.Count("/files/yanked/*", 200), 3)
}

func TestDownloadFileReusesWheelsReadForMetadata(t *testing.T) {
	t.Parallel()
	ix := generated()
	s := testindex.StartT(t, ix, testindex.Options{Faults: []testindex.Fault{{Path: "/files/yanked/*", NoMetadata: true}}})
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: t.TempDir()})
	ctx := context.Background()
	f := projectFile(t, c, "yanked", "1.0.0-py3-none-any.whl")
	_, err := c.Metadata(ctx, f)
	assert.NilError(t, err)
	assert.Equal(t, s.Count("/files/yanked/*.whl", 200), 1)
	lf, err := c.DownloadFile(ctx, f)
	assert.NilError(t, err)
	assert.Assert(t, lf.Cached)
	assertBody(t, ix, "yanked", f, lf)
	assert.Equal(t, s.Count("/files/yanked/*.whl", 200), 1, "the wheel is not downloaded twice")
}

func TestDownloadFileCredentials(t *testing.T) {
	t.Parallel()
	const secret = "f1le-s3cret"
	ix := generated()
	s := testindex.StartT(t, ix, testindex.Options{User: "ci", Password: secret, Faults: []testindex.Fault{{Path: "/files/app/*", Status: 500}}})
	authURL := strings.Replace(s.SimpleURL(), "http://", "http://ci:"+secret+"@", 1)
	c := newClient(t, Options{Indexes: []Index{{URL: authURL}}, CacheDir: t.TempDir(), Retries: -1})
	ctx := context.Background()
	// Credentials of the index apply to its files; credentials in a lock's
	// URL apply to that URL.
	f := projectFile(t, c, "yanked", "1.0.0-py3-none-any.whl")
	_, err := c.DownloadFile(ctx, f)
	assert.NilError(t, err)
	plain := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: t.TempDir()})
	fromLock := &File{URL: strings.Replace(f.URL, "http://", "http://ci:"+secret+"@", 1), Hashes: f.Hashes}
	lf, err := plain.DownloadFile(ctx, fromLock)
	assert.NilError(t, err)
	assertBody(t, ix, "yanked", f, lf)
	broken := &File{URL: strings.Replace(projectFile(t, c, "app", ".whl").URL, "http://", "http://ci:"+secret+"@", 1), Hashes: f.Hashes}
	_, err = plain.DownloadFile(ctx, broken)
	assert.ErrorContains(t, err, "HTTP status 500")
	assert.Assert(t, !strings.Contains(fmt.Sprint(err), secret), "secret leaked in %v", err)
	for _, r := range s.Requests() {
		assert.Assert(t, r.Authorized, "%s sent without credentials", r.Path)
	}
}
