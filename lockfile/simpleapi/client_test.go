package simpleapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/poll"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

func noBackoff(int) time.Duration { return 0 }

func newClient(t *testing.T, opts Options) *Client {
	t.Helper()
	opts.NoNetrc = opts.NoNetrc || opts.Netrc == ""
	if opts.Backoff == nil {
		opts.Backoff = noBackoff
	}
	c, err := New(opts)
	assert.NilError(t, err)
	return c
}

func generated() *testindex.Index {
	return testindex.Generated(testindex.GenerateOptions{HugeVersions: 5})
}

// wantFiles is what a page of the project in ix must yield.
func wantFiles(t *testing.T, s *testindex.Server, ix *testindex.Index, name, index string, html bool) []File {
	t.Helper()
	var out []File
	p := ix.Project(name)
	for _, v := range p.Versions {
		files, err := v.Files(p.Name)
		assert.NilError(t, err)
		for _, f := range files {
			wf := File{Project: pep508.CanonicalName(name), Filename: f.Filename, URL: s.URL + f.URLPath(),
				Hashes: map[string]string{"sha256": f.SHA256}, RequiresPython: v.RequiresPython,
				Yanked: v.Yanked, YankedReason: v.YankedReason, Size: int64(len(f.Body)), Index: index}
			if !v.UploadTime.IsZero() && !html {
				wf.UploadTime = v.UploadTime
			}
			if html {
				wf.Size = -1
			}
			if f.Wheel() {
				wf.CoreMetadata, wf.CoreMetadataHashes = true, map[string]string{"sha256": f.MetadataSHA256}
			}
			out = append(out, wf)
		}
	}
	return out
}

func TestProjectJSONAndHTML(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"json", "html"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			ix := generated()
			s := testindex.StartT(t, ix, testindex.Options{Format: format})
			c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL(), Name: "test"}}})
			for _, name := range []string{"yanked", "platform", "needs-py312", "no-upload-time"} {
				p, err := c.Project(context.Background(), name)
				assert.NilError(t, err)
				assert.DeepEqual(t, p.Files, wantFiles(t, s, ix, name, "test", format == "html"))
			}
			p, err := c.Project(context.Background(), "Yanked")
			assert.NilError(t, err)
			if format == "json" {
				assert.DeepEqual(t, p.Versions, []string{"0.9.0", "1.0.0", "1.1.0", "2.0.0"})
			}
			// Pages are memoized: the second spelling asked nothing new.
			assert.Equal(t, s.Count("/simple/yanked/", 0), 1)
		})
	}
}

func TestNonNormalizedNameRedirect(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{})
	c := newClient(t, Options{Indexes: []Index{{URL: s.URL + "/simple"}}})
	p, err := c.Project(context.Background(), "No_Upload.Time")
	assert.NilError(t, err)
	assert.Equal(t, p.Name, "no-upload-time")
	assert.Equal(t, p.Files[0].Index, strings.TrimPrefix(s.URL, "http://"))
}

func TestYankedAndUploadTimeSelection(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{})
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}})
	p, err := c.Project(context.Background(), "yanked")
	assert.NilError(t, err)
	cutoff := time.Date(2022, 1, 1, 1, 0, 0, 0, time.UTC) // 0.9.0 and 1.0.0 are uploaded by then
	var free, pinned, inTime []string
	for _, f := range p.Files {
		if !f.Wheel() {
			continue
		}
		if f.Selectable(false) {
			free = append(free, f.Filename)
		}
		if f.Selectable(true) {
			pinned = append(pinned, f.Filename)
		}
		if f.UploadedBy(cutoff) {
			inTime = append(inTime, f.Filename)
		}
	}
	assert.DeepEqual(t, free, []string{"yanked-0.9.0-py3-none-any.whl", "yanked-1.0.0-py3-none-any.whl"})
	assert.Equal(t, len(pinned), 4)
	assert.DeepEqual(t, inTime, free)
	nut, err := c.Project(context.Background(), "no-upload-time")
	assert.NilError(t, err)
	assert.Assert(t, !nut.Files[0].UploadedBy(time.Now()), "a file without upload-time is excluded by any cut-off")
}

func TestMetadataFileAndWheelFallback(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"json", "html"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			s := testindex.StartT(t, generated(), testindex.Options{Format: format, Faults: []testindex.Fault{{Path: "/files/needs-py312/*", NoMetadata: true}}})
			c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}})
			ctx := context.Background()
			want := &Metadata{MetadataVersion: "2.1", Name: "app", Version: "1.0.0",
				RequiresDist:  []string{"yanked>=0.9", "platform", "needs-py312", `huge>=1.0; extra == "fast"`},
				ProvidesExtra: []string{"fast"}}
			p, err := c.Project(ctx, "app")
			assert.NilError(t, err)
			m, err := c.Metadata(ctx, &p.Files[0])
			assert.NilError(t, err)
			assert.DeepEqual(t, m, want, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Fields" }, cmp.Ignore()))
			assert.Equal(t, s.Count("/files/app/*.whl.metadata", 200), 1)
			assert.Equal(t, s.Count("/files/app/*.whl", 0), 0)

			p, err = c.Project(ctx, "needs-py312")
			assert.NilError(t, err)
			assert.Assert(t, !p.Files[0].CoreMetadata)
			m, err = c.Metadata(ctx, &p.Files[2])
			assert.NilError(t, err)
			assert.Equal(t, m.Version, "2.0.0")
			assert.Equal(t, m.RequiresPython, ">=3.12")
			assert.Equal(t, s.Count("/files/needs-py312/*.metadata", 0), 0)
			assert.Equal(t, s.Count("/files/needs-py312/needs_py312-2.0.0-py3-none-any.whl", 200), 1)

			_, err = c.Metadata(ctx, &p.Files[1]) // the sdist
			assert.Assert(t, errors.Is(err, ErrNoMetadata), "got %v", err)
		})
	}
}

func TestHashMismatch(t *testing.T) {
	t.Parallel()
	ix := generated()
	s := testindex.StartT(t, ix, testindex.Options{Faults: []testindex.Fault{
		{Path: "/files/app/*.whl", WrongHash: true, NoMetadata: true},
		{Path: "/files/platform/*.whl.metadata", WrongHash: true},
	}})
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, CacheDir: t.TempDir()})
	ctx := context.Background()
	for _, tc := range []struct{ project, file string }{
		{"app", "app-1.0.0-py3-none-any.whl"},
		{"platform", "platform-1.0.0-cp312-cp312-win_amd64.whl.metadata"},
	} {
		p, err := c.Project(ctx, tc.project)
		assert.NilError(t, err)
		var f *File
		for i := range p.Files {
			if strings.HasPrefix(tc.file, p.Files[i].Filename) && p.Files[i].Wheel() {
				f = &p.Files[i]
			}
		}
		_, err = c.Metadata(ctx, f)
		var hm *HashMismatchError
		assert.Assert(t, errors.As(err, &hm), "got %v", err)
		assert.Equal(t, hm.File, tc.file)
		assert.Equal(t, hm.Algorithm, "sha256")
		assert.Assert(t, hm.Want != hm.Got)
	}
	p, err := c.Project(ctx, "app")
	assert.NilError(t, err)
	var buf bytes.Buffer
	err = c.Download(ctx, &p.Files[0], &buf)
	var hm *HashMismatchError
	assert.Assert(t, errors.As(err, &hm), "got %v", err)
	assert.Equal(t, buf.Len(), 0, "no unverified bytes reach the writer")
	// The sdist is intact: downloaded, verified and byte-identical.
	err = c.Download(ctx, &p.Files[1], &buf)
	assert.NilError(t, err)
	f, err := ix.File("app", p.Files[1].Filename)
	assert.NilError(t, err)
	assert.DeepEqual(t, buf.Bytes(), f.Body)
}

func TestTruncatedBody(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{Faults: []testindex.Fault{{Path: "/files/app/*.whl.metadata", Truncate: true}}})
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, Retries: 2})
	ctx := context.Background()
	p, err := c.Project(ctx, "app")
	assert.NilError(t, err)
	_, err = c.Metadata(ctx, &p.Files[0])
	var te *TruncatedError
	assert.Assert(t, errors.As(err, &te), "got %v", err)
	assert.Equal(t, te.Got, te.Want/2)
	var tr *TransportError
	assert.Assert(t, errors.As(err, &tr))
	assert.Equal(t, tr.Attempts, 3)
	// The server logs a truncated request after closing the connection,
	// which the client may see first.
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		if n := s.Count("/files/app/*.metadata", 0); n != 3 {
			return poll.Continue("%d requests logged, want 3", n)
		}
		return poll.Success()
	}, poll.WithTimeout(10*time.Second), poll.WithDelay(time.Millisecond))
}

func TestRetries(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{Faults: []testindex.Fault{
		{Path: "/simple/yanked/", Status: 503, Times: 2},
		{Path: "/simple/platform/", Status: 500},
		{Path: "/simple/huge/", Status: 403},
	}})
	var delays []int
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, Retries: 3, Backoff: func(n int) time.Duration {
		delays = append(delays, n)
		return time.Millisecond
	}})
	ctx := context.Background()
	_, err := c.Project(ctx, "yanked")
	assert.NilError(t, err)
	assert.DeepEqual(t, delays, []int{0, 1})
	assert.Equal(t, s.Count("/simple/yanked/", 503), 2)
	assert.Equal(t, s.Count("/simple/yanked/", 200), 1)

	_, err = c.Project(ctx, "platform")
	var se *StatusError
	assert.Assert(t, errors.As(err, &se), "got %v", err)
	assert.Equal(t, se.Status, 500)
	assert.Equal(t, se.Attempts, 4)
	assert.Equal(t, s.Count("/simple/platform/", 0), 4)

	_, err = c.Project(ctx, "huge")
	assert.Assert(t, errors.As(err, &se), "got %v", err)
	assert.Equal(t, se.Status, 403)
	assert.Equal(t, s.Count("/simple/huge/", 0), 1, "4xx is not retried")
}

// TestSizeLimits: pages, metadata files and downloads over their limit are
// refused with the URL (and, through the caller, the project) without
// reading the rest of the body.
func TestSizeLimits(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{})
	ctx := context.Background()
	small := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, MaxPageBytes: 100})
	_, err := small.Project(ctx, "app")
	var tl *TooLargeError
	assert.Assert(t, errors.As(err, &tl), "got %v", err)
	assert.Equal(t, tl.Limit, int64(100))
	assert.ErrorContains(t, err, `simpleapi: project "app" on index 127.0.0.1:`)
	assert.ErrorContains(t, err, "/simple/app/: the body is ")
	assert.ErrorContains(t, err, "bytes, more than the 100 allowed")

	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, MaxMetadataBytes: 10})
	p, err := c.Project(ctx, "app")
	assert.NilError(t, err)
	_, err = c.Metadata(ctx, &p.Files[0])
	assert.Assert(t, errors.As(err, &tl), "got %v", err)
	assert.ErrorContains(t, err, "simpleapi: metadata of "+p.Files[0].Filename+" from index 127.0.0.1:")
	assert.ErrorContains(t, err, ".metadata: the body is")

	// Without a metadata file the wheel is read, and its METADATA is held
	// to the same limit.
	s2 := testindex.StartT(t, generated(), testindex.Options{Faults: []testindex.Fault{{Path: "/files/app/*.whl", NoMetadata: true}}})
	c = newClient(t, Options{Indexes: []Index{{URL: s2.SimpleURL()}}, MaxMetadataBytes: 10})
	p, err = c.Project(ctx, "app")
	assert.NilError(t, err)
	_, err = c.Metadata(ctx, &p.Files[0])
	assert.ErrorContains(t, err, "METADATA is")
	assert.ErrorContains(t, err, "more than the 10 allowed")

	// A download whose size the index does not advertise is bounded by
	// MaxFileBytes.
	c = newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, MaxFileBytes: 10})
	p, err = c.Project(ctx, "app")
	assert.NilError(t, err)
	f := p.Files[0]
	f.Size = -1
	err = c.Download(ctx, &f, io.Discard)
	assert.Assert(t, errors.As(err, &tl), "got %v", err)
}

func TestSlowIndexTimesOut(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{Faults: []testindex.Fault{{Path: "/simple/app/", Delay: time.Minute}}})
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, Timeout: 50 * time.Millisecond, Retries: 1})
	_, err := c.Project(context.Background(), "app")
	assert.Assert(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
	var te *TimeoutError
	assert.Assert(t, errors.As(err, &te))
	assert.Equal(t, te.Attempts, 2)
	assert.Equal(t, te.After, 50*time.Millisecond)
	assert.ErrorContains(t, err, `simpleapi: project "app" on index 127.0.0.1:`)
	assert.ErrorContains(t, err, "/simple/app/: no complete answer within 50ms (the per-request timeout) on 2 attempt(s); the index is stalled or unreachable")

	// The caller's own cancellation is not retried.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Project(ctx, "app")
	assert.Assert(t, errors.Is(err, context.Canceled), "got %v", err)
}

func TestNotFoundOnEveryIndex(t *testing.T) {
	t.Parallel()
	s1 := testindex.StartT(t, generated(), testindex.Options{})
	s2 := testindex.StartT(t, generated(), testindex.Options{})
	c := newClient(t, Options{Indexes: []Index{{URL: s1.SimpleURL(), Name: "one"}, {URL: s2.SimpleURL(), Name: "two"}}})
	_, err := c.Project(context.Background(), "nope")
	var nf *NotFoundError
	assert.Assert(t, errors.As(err, &nf), "got %v", err)
	assert.DeepEqual(t, nf.URLs, []string{s1.SimpleURL() + "nope/", s2.SimpleURL() + "nope/"})
	assert.ErrorContains(t, err, `project "nope" not found on any index`)
}

func TestIndexPriority(t *testing.T) {
	t.Parallel()
	one := testindex.New()
	one.Add("shared", testindex.Pure("1.0"))
	two := testindex.New()
	two.Add("shared", testindex.Pure("9.0"))
	two.Add("only-two", testindex.Pure("1.0"))
	s1 := testindex.StartT(t, one, testindex.Options{})
	s2 := testindex.StartT(t, two, testindex.Options{})
	ctx := context.Background()
	filenames := func(p *Project) []string {
		var out []string
		for _, f := range p.Files {
			out = append(out, f.Index+":"+f.Filename)
		}
		return out
	}

	c := newClient(t, Options{Indexes: []Index{{URL: s1.SimpleURL(), Name: "one"}, {URL: s2.SimpleURL(), Name: "two"}}})
	p, err := c.Project(ctx, "shared")
	assert.NilError(t, err)
	assert.DeepEqual(t, filenames(p), []string{"one:shared-1.0-py3-none-any.whl", "one:shared-1.0.tar.gz"})
	assert.Equal(t, s2.Count("/simple/shared/", 0), 0, "a name found first is never looked up later")
	p, err = c.Project(ctx, "only-two")
	assert.NilError(t, err)
	assert.DeepEqual(t, filenames(p), []string{"two:only_two-1.0-py3-none-any.whl", "two:only_two-1.0.tar.gz"})

	c = newClient(t, Options{Strategy: UnsafeBestMatch, Indexes: []Index{{URL: s1.SimpleURL(), Name: "one"}, {URL: s2.SimpleURL(), Name: "two"}}})
	p, err = c.Project(ctx, "shared")
	assert.NilError(t, err)
	assert.DeepEqual(t, filenames(p), []string{"one:shared-1.0-py3-none-any.whl", "one:shared-1.0.tar.gz", "two:shared-9.0-py3-none-any.whl", "two:shared-9.0.tar.gz"})

	c = newClient(t, Options{Indexes: []Index{{URL: s1.SimpleURL(), Name: "one"}, {URL: s2.SimpleURL(), Name: "two", Explicit: true}}})
	_, err = c.Project(ctx, "only-two")
	var nf *NotFoundError
	assert.Assert(t, errors.As(err, &nf), "an explicit index serves only pinned projects: %v", err)
	c = newClient(t, Options{Pins: map[string]string{"Only_Two": "two"}, Indexes: []Index{{URL: s1.SimpleURL(), Name: "one"}, {URL: s2.SimpleURL(), Name: "two", Explicit: true}}})
	p, err = c.Project(ctx, "only-two")
	assert.NilError(t, err)
	assert.Equal(t, p.Files[0].Index, "two")

	// An outage of the first index is an error, not a reason to use the next.
	s1.AddFault(testindex.Fault{Path: "/simple/*/", Status: 502})
	c = newClient(t, Options{Retries: -1, Indexes: []Index{{URL: s1.SimpleURL(), Name: "one"}, {URL: s2.SimpleURL(), Name: "two"}}})
	_, err = c.Project(ctx, "only-two")
	var se *StatusError
	assert.Assert(t, errors.As(err, &se), "got %v", err)
	assert.ErrorContains(t, err, "on index one")
}

func TestPrefetchIsBounded(t *testing.T) {
	t.Parallel()
	ix := testindex.New()
	var names []string
	for i := range 24 {
		n := fmt.Sprintf("p%02d", i)
		names = append(names, n)
		ix.Add(n, testindex.Pure("1.0"))
	}
	s := testindex.StartT(t, ix, testindex.Options{Faults: []testindex.Fault{{Path: "/simple/*/", Delay: 20 * time.Millisecond}}})
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, MaxParallel: 3})
	assert.NilError(t, c.Prefetch(context.Background(), names...))
	assert.Equal(t, s.Count("/simple/*/", 200), 24)
	assert.Assert(t, s.MaxInFlight() <= 3, "max in flight %d", s.MaxInFlight())
	assert.Assert(t, s.MaxInFlight() >= 2, "prefetch ran serially (max in flight %d)", s.MaxInFlight())
	for _, n := range names {
		_, err := c.Project(context.Background(), n)
		assert.NilError(t, err)
	}
	assert.Equal(t, s.Count("/simple/*/", 0), 24, "Project after Prefetch is answered from memory")
	err := c.Prefetch(context.Background(), "p01", "missing")
	var nf *NotFoundError
	assert.Assert(t, errors.As(err, &nf), "got %v", err)
}

func TestCredentialsFromURLAreRedacted(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-t0ken"
	s := testindex.StartT(t, generated(), testindex.Options{User: "ci", Password: secret,
		Faults: []testindex.Fault{{Path: "/simple/platform/", Status: 503}, {Path: "/files/app/*", WrongHash: true, NoMetadata: true}}})
	var logs bytes.Buffer
	authURL := strings.Replace(s.SimpleURL(), "http://", "http://ci:"+secret+"@", 1)
	c := newClient(t, Options{Indexes: []Index{{URL: authURL}}, Retries: 1, CacheDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ctx := context.Background()
	var texts []string
	p, err := c.Project(ctx, "yanked")
	assert.NilError(t, err)
	m, err := c.Metadata(ctx, &p.Files[0])
	assert.NilError(t, err)
	assert.Equal(t, m.Name, "yanked")
	for _, f := range p.Files {
		texts = append(texts, f.URL, fmt.Sprintf("%+v", f))
	}
	_, err = c.Project(ctx, "platform")
	assert.ErrorContains(t, err, "HTTP status 503")
	texts = append(texts, err.Error())
	p, err = c.Project(ctx, "app")
	assert.NilError(t, err)
	_, err = c.Metadata(ctx, &p.Files[0])
	assert.ErrorContains(t, err, "hash mismatch")
	texts = append(texts, err.Error(), logs.String(), fmt.Sprintf("%+v", c.Indexes()))
	_, err = New(Options{NoNetrc: true, Indexes: []Index{{URL: "ftp://ci:" + secret + "@host/simple/"}}})
	assert.ErrorContains(t, err, "ftp://***@host/simple/")
	texts = append(texts, err.Error())
	for _, text := range texts {
		assert.Assert(t, !strings.Contains(text, secret), "secret leaked in %q", text)
	}
	assert.Assert(t, strings.Contains(logs.String(), "simpleapi: GET"), "requests are logged")
	for _, r := range s.Requests() {
		assert.Assert(t, r.Authorized, "%s sent without credentials", r.Path)
	}
	// The cache on disk holds no credentials either.
	err = filepath.Walk(c.opts.CacheDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		assert.Assert(t, !bytes.Contains(data, []byte(secret)), "secret in cache file %s", path)
		return err
	})
	assert.NilError(t, err)
}

func TestCredentialsFromNetrc(t *testing.T) {
	t.Parallel()
	s := testindex.StartT(t, generated(), testindex.Options{User: "robot", Password: "from-netrc"})
	netrc := filepath.Join(t.TempDir(), "netrc")
	assert.NilError(t, os.WriteFile(netrc, []byte("# ci credentials\nmachine example.com login x password y\nmachine 127.0.0.1\n  login robot\n  password from-netrc\n"), 0o600))
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, Netrc: netrc})
	_, err := c.Project(context.Background(), "app")
	assert.NilError(t, err)

	c = newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}})
	_, err = c.Project(context.Background(), "app")
	var se *StatusError
	assert.Assert(t, errors.As(err, &se) && se.Status == http.StatusUnauthorized, "got %v", err)

	_, err = New(Options{Indexes: []Index{{URL: s.SimpleURL()}}, Netrc: filepath.Join(t.TempDir(), "absent")})
	assert.ErrorContains(t, err, "reading netrc")
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{}, "Options.Indexes is empty"},
		{Options{Indexes: []Index{{URL: "not a url"}}}, `Options.Indexes[0].URL "not a url" is not an absolute http(s) URL`},
		{Options{Indexes: []Index{{URL: "http://a/simple", Name: "x"}, {URL: "http://b/simple", Name: "x"}}}, `index name "x" is used twice`},
		{Options{Indexes: []Index{{URL: "http://a/simple"}}, Pins: map[string]string{"p": "nope"}}, `Options.Pins["p"] names index "nope"`},
	} {
		tc.opts.NoNetrc = true
		_, err := New(tc.opts)
		assert.ErrorContains(t, err, tc.want)
	}
}

func TestDefaultBackoff(t *testing.T) {
	t.Parallel()
	for n, base := range []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond} {
		d := DefaultBackoff(n)
		assert.Assert(t, d >= base/2 && d < base*3/2, "attempt %d: %v", n, d)
	}
	assert.Assert(t, DefaultBackoff(30) < 7500*time.Millisecond)
}
