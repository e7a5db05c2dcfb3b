package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/project"
)

const target = "cp312-manylinux_2_36_x86_64"

// pyproject is payments-api's declared dependencies, as in the quickstart.
const pyproject = `[project]
name = "payments-api"
version = "1.4.0"
requires-python = ">=3.11"
dependencies = [
    "fastapi>=0.110",
    "pydantic>=2.6",
    "gunicorn>=22",
    "uvicorn[standard]>=0.30",
]

[dependency-groups]
dev = ["pytest>=8"]
`

// switchingIndex is a reverse proxy on 127.0.0.1 in front of a testindex
// server that can be swapped: the index changes while its URL (the one
// recorded in the lock) stays the same.
type switchingIndex struct {
	url     string
	backend atomic.Pointer[url.URL]
}

func newSwitchingIndex(t *testing.T, ix *testindex.Index) *switchingIndex {
	t.Helper()
	s := &switchingIndex{}
	s.serve(t, ix)
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(s.backend.Load())
	}})
	t.Cleanup(proxy.Close)
	s.url = proxy.URL + "/simple/"
	return s
}

// serve makes ix the index behind the proxy.
func (s *switchingIndex) serve(t *testing.T, ix *testindex.Index) {
	t.Helper()
	srv := testindex.StartT(t, ix, testindex.Options{})
	u, err := url.Parse(srv.URL)
	assert.NilError(t, err)
	s.backend.Store(u)
}

// lockPyProject writes pyproject.toml into a new directory and locks it,
// as a team's lock step would, into pylock.payments-api.toml.
func lockPyProject(t *testing.T, indexURL string, excludeNewer time.Time) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "pyproject.toml")
	assert.NilError(t, os.WriteFile(path, []byte(pyproject), 0o644))
	p, err := project.LoadPyProject(path)
	assert.NilError(t, err)
	reqs, err := p.Requirements(nil, nil)
	assert.NilError(t, err)
	in := project.Inputs{
		Requirements:   reqs,
		RequiresPython: p.RequiresPython,
		IndexURLs:      []string{indexURL},
		Targets:        []string{target},
		ExcludeNewer:   excludeNewer,
	}
	_, err = lockfile.Write(context.Background(), filepath.Join(dir, "pylock.payments-api.toml"), in, lockfile.Options{})
	assert.NilError(t, err)
	return dir
}

// edit replaces old with new in the file, which must contain old.
func edit(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	assert.Assert(t, bytes.Contains(data, []byte(old)), "%s has no %q", path, old)
	assert.NilError(t, os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644))
}

// runIn runs lock-check and returns the exit code and the outputs, with the
// directory replaced by $DIR.
func runIn(dir string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	clean := func(s string) string { return strings.ReplaceAll(s, dir, "$DIR") }
	return code, clean(stdout.String()), clean(stderr.String())
}

func TestFreshLockPasses(t *testing.T) {
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	dir := lockPyProject(t, srv.SimpleURL(), testindex.PaymentsExcludeNewer)
	for _, args := range [][]string{
		{"-project", filepath.Join(dir, "pyproject.toml")},
		{"-project", filepath.Join(dir, "pyproject.toml"), "-lock", filepath.Join(dir, "pylock.payments-api.toml"),
			"-target", "cp312-manylinux_2_36-x86_64", "-index", srv.SimpleURL()},
	} {
		code, stdout, stderr := runIn(dir, args...)
		assert.Equal(t, code, exitFresh, stdout+stderr)
		assert.Assert(t, strings.HasPrefix(stdout, "$DIR/pylock.payments-api.toml is fresh: "), stdout)
		assert.Assert(t, strings.HasSuffix(stdout, "(offline check of the recorded inputs)\n"), stdout)
		assert.Equal(t, stderr, "")
	}
}

func TestStaleLockNamesTheChange(t *testing.T) {
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	for _, tc := range []struct {
		name     string
		old, new string
		args     []string
		want     []string
	}{
		{
			name: "added dependency",
			old:  `"gunicorn>=22",`, new: `"gunicorn>=22", "httpx>=0.27",`,
			want: []string{
				"  added requirement httpx>=0.27",
				"  unsatisfied: requirement httpx>=0.27: httpx is not in the lock",
			},
		},
		{
			name: "tightened bound the pin no longer satisfies",
			old:  `"fastapi>=0.110"`, new: `"fastapi>=0.115"`,
			want: []string{
				"  changed requirement fastapi>=0.110 → fastapi>=0.115",
				"  unsatisfied: requirement fastapi>=0.115 is not satisfied by locked fastapi 0.112.2",
			},
		},
		{
			name: "tightened bound the pin still satisfies",
			old:  `"gunicorn>=22"`, new: `"gunicorn>=23"`,
			want: []string{"  changed requirement gunicorn>=22 → gunicorn>=23"},
		},
		{
			name: "removed dependency",
			old:  `    "pydantic>=2.6",` + "\n", new: "",
			want: []string{"  removed requirement pydantic>=2.6"},
		},
		{
			name: "changed requires-python",
			old:  `">=3.11"`, new: `">=3.12"`,
			want: []string{"  changed requires-python >=3.11 → >=3.12"},
		},
		{
			name: "other target demanded",
			args: []string{"-target", "cp312-musllinux_1_2_x86_64"},
			want: []string{
				"  removed target cp312-manylinux_2_36_x86_64",
				"  added target cp312-musllinux_1_2_x86_64",
			},
		},
		{
			name: "group selected",
			args: []string{"-group", "dev"},
			want: []string{
				"  added group dev",
				"  added requirement pytest>=8",
				"  unsatisfied: requirement pytest>=8: pytest is not in the lock",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := lockPyProject(t, srv.SimpleURL(), testindex.PaymentsExcludeNewer)
			if tc.old != "" {
				edit(t, filepath.Join(dir, "pyproject.toml"), tc.old, tc.new)
			}
			code, stdout, stderr := runIn(dir, append([]string{"-project", filepath.Join(dir, "pyproject.toml"), "-relock", "make lock"}, tc.args...)...)
			assert.Equal(t, code, exitStale, stdout+stderr)
			want := "$DIR/pylock.payments-api.toml is stale: $DIR/pyproject.toml changed since it was locked\n" +
				strings.Join(tc.want, "\n") + "\n" +
				"To update it, run `make lock` and commit $DIR/pylock.payments-api.toml.\n"
			assert.Equal(t, stdout, want)
			assert.Equal(t, stderr, "")
		})
	}
}

// fastapiRetroactive is a fastapi release the index gains after the lock
// was made, dated before the lock's exclude-newer cut-off.
func fastapiRetroactive() *testindex.Version {
	v := testindex.Pure("0.113.0",
		"starlette>=0.37.2,<0.39.0",
		"pydantic!=1.8,!=1.8.1,!=2.0.0,!=2.0.1,!=2.1.0,<3.0.0,>=1.7.4",
		"typing-extensions>=4.8.0")
	v.UploadTime = time.Date(2024, 9, 5, 12, 0, 0, 0, time.UTC)
	v.RequiresPython = ">=3.8"
	return v
}

func TestStrictCatchesAnIndexThatRewroteHistory(t *testing.T) {
	index := newSwitchingIndex(t, testindex.Payments())
	dir := lockPyProject(t, index.url, testindex.PaymentsExcludeNewer)
	args := []string{"-project", filepath.Join(dir, "pyproject.toml"), "-strict"}

	// The same index reproduces the lock byte for byte.
	code, stdout, stderr := runIn(dir, args...)
	assert.Equal(t, code, exitFresh, stdout+stderr)
	assert.Assert(t, strings.HasSuffix(stdout, "(re-locked with exclude-newer 2024-10-01T00:00:00Z: identical bytes)\n"), stdout)

	// A release after the cut-off changes nothing.
	late := testindex.Payments()
	v := testindex.Pure("0.116.0", "starlette>=0.37.2,<0.39.0", "pydantic>=2", "typing-extensions>=4.8.0")
	v.UploadTime = testindex.PaymentsExcludeNewer.Add(24 * time.Hour)
	late.Add("fastapi", v)
	index.serve(t, late)
	code, stdout, stderr = runIn(dir, args...)
	assert.Equal(t, code, exitFresh, stdout+stderr)

	// An older-dated release published later does.
	changed := testindex.Payments()
	changed.Add("fastapi", fastapiRetroactive())
	index.serve(t, changed)
	code, stdout, stderr = runIn(dir, args...)
	assert.Equal(t, code, exitStrict, stdout+stderr)
	assert.Equal(t, stdout, "$DIR/pylock.payments-api.toml does not reproduce: re-locking with exclude-newer 2024-10-01T00:00:00Z gives a different lock\n"+
		"  drift: package fastapi 0.112.2 → 0.113.0\n"+
		"The inputs match, so the index now serves something different before the cut-off (a release or file published retroactively, or removed), "+
		"or the lock was edited by hand. To accept the index as it is, re-run the lock step (the program that calls lockfile.Write with these inputs), "+
		"review the diff and commit $DIR/pylock.payments-api.toml.\n")
	assert.Equal(t, stderr, "")

	// Changed inputs are reported as stale (1) before any re-lock.
	edit(t, filepath.Join(dir, "pyproject.toml"), `"gunicorn>=22"`, `"gunicorn>=23"`)
	code, stdout, _ = runIn(dir, args...)
	assert.Equal(t, code, exitStale, stdout)
	assert.Assert(t, strings.Contains(stdout, "  changed requirement gunicorn>=22 → gunicorn>=23\n"), stdout)
}

func TestGitHubAnnotations(t *testing.T) {
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	dir := t.TempDir()
	reqs := filepath.Join(dir, "requirements.in")
	assert.NilError(t, os.WriteFile(reqs, []byte("# payments-api\nfastapi>=0.110\ngunicorn>=22\n"), 0o644))
	rf, err := project.LoadRequirements(reqs)
	assert.NilError(t, err)
	in := project.Inputs{IndexURLs: []string{srv.SimpleURL()}, Targets: []string{target}, ExcludeNewer: testindex.PaymentsExcludeNewer}
	in.Requirements, in.Constraints = rf.Lists()
	_, err = lockfile.Write(context.Background(), filepath.Join(dir, "pylock.toml"), in, lockfile.Options{})
	assert.NilError(t, err)

	code, stdout, _ := runIn(dir, "-requirements", reqs, "-format", "github")
	assert.Equal(t, code, exitFresh)
	assert.Assert(t, strings.HasPrefix(stdout, "::notice file=$DIR/pylock.toml,title=lock is fresh::$DIR/pylock.toml is fresh: "), stdout)

	assert.NilError(t, os.WriteFile(reqs, []byte("# payments-api\nfastapi>=0.115\ngunicorn>=22\n\nhttpx>=0.27\n"), 0o644))
	code, stdout, stderr := runIn(dir, "-requirements", reqs, "-format", "github", "-relock", "make lock")
	assert.Equal(t, code, exitStale)
	assert.Assert(t, strings.HasPrefix(stderr, "$DIR/pylock.toml is stale: $DIR/requirements.in changed since it was locked\n"), stderr)
	advice := ". To update it, run `make lock` and commit $DIR/pylock.toml."
	assert.Equal(t, stdout, ""+
		"::error file=$DIR/requirements.in,line=2,title=stale lock $DIR/pylock.toml::changed requirement fastapi>=0.110 → fastapi>=0.115"+advice+"\n"+
		"::error file=$DIR/requirements.in,line=5,title=stale lock $DIR/pylock.toml::added requirement httpx>=0.27"+advice+"\n"+
		"::error file=$DIR/pylock.toml,title=stale lock $DIR/pylock.toml::unsatisfied: requirement fastapi>=0.115 is not satisfied by locked fastapi 0.112.2"+advice+"\n"+
		"::error file=$DIR/pylock.toml,title=stale lock $DIR/pylock.toml::unsatisfied: requirement httpx>=0.27: httpx is not in the lock"+advice+"\n")
}

func TestAnnotationEscaping(t *testing.T) {
	got := annotation("error", location{file: "a,b:c.toml", line: 3}, "50% done", "first\nsecond\r")
	assert.Equal(t, got, "::error file=a%2Cb%3Ac.toml,line=3,title=50%25 done::first%0Asecond%0D")
}

func TestJSONReport(t *testing.T) {
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	dir := lockPyProject(t, srv.SimpleURL(), testindex.PaymentsExcludeNewer)
	edit(t, filepath.Join(dir, "pyproject.toml"), `"fastapi>=0.110"`, `"fastapi>=0.115"`)
	args := []string{"-project", filepath.Join(dir, "pyproject.toml"), "-format", "json"}
	code, stdout, _ := runIn(dir, args...)
	assert.Equal(t, code, exitStale)
	var doc jsonReport
	assert.NilError(t, json.Unmarshal([]byte(stdout), &doc))
	assert.Equal(t, doc.Status, "stale")
	assert.Equal(t, doc.ExitCode, exitStale)
	assert.Equal(t, doc.Lock, "$DIR/pylock.payments-api.toml")
	assert.DeepEqual(t, doc.Changes, []jsonChange{{Kind: "requires", Old: "fastapi>=0.110", New: "fastapi>=0.115", Text: "changed requirement fastapi>=0.110 → fastapi>=0.115"}})
	assert.DeepEqual(t, doc.Unsatisfied, []string{"requirement fastapi>=0.115 is not satisfied by locked fastapi 0.112.2"})
	assert.DeepEqual(t, doc.Drift, []string{})

	// Same input, same bytes.
	_, again, _ := runIn(dir, args...)
	assert.Equal(t, again, stdout)
}

func TestErrorsExitTwo(t *testing.T) {
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	locked := lockPyProject(t, srv.SimpleURL(), testindex.PaymentsExcludeNewer)
	noCutoff := lockPyProject(t, srv.SimpleURL(), time.Time{})
	empty := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(empty, "pyproject.toml"), []byte(pyproject), 0o644))
	broken := lockPyProject(t, srv.SimpleURL(), testindex.PaymentsExcludeNewer)
	assert.NilError(t, os.WriteFile(filepath.Join(broken, "pylock.payments-api.toml"), []byte("lock-version = 1.0\n"), 0o644))

	for _, tc := range []struct {
		name   string
		dir    string
		args   []string
		stderr string
	}{
		{"no lock", empty, []string{"-project", filepath.Join(empty, "pyproject.toml")},
			"no lock file next to $DIR/pyproject.toml: tried $DIR/pylock.payments-api.toml, $DIR/pylock.toml; give its path with -lock"},
		{"missing project", empty, []string{"-project", filepath.Join(empty, "nope.toml")}, "$DIR/nope.toml"},
		{"exclusive inputs", empty, []string{"-project", "a", "-requirements", "b"}, "-project and -requirements are exclusive"},
		{"bad format", empty, []string{"-format", "xml"}, `-format: expected text, github or json, found "xml"`},
		{"positional", empty, []string{"pyproject.toml"}, "unexpected arguments"},
		{"unknown extra", locked, []string{"-project", filepath.Join(locked, "pyproject.toml"), "-extra", "nope"}, `select extras and groups: $DIR/pyproject.toml: extra "nope" is not defined`},
		{"invalid lock", broken, []string{"-project", filepath.Join(broken, "pyproject.toml")}, "$DIR/pylock.payments-api.toml: invalid pylock.toml: lock-version"},
		{"strict without cut-off", noCutoff, []string{"-project", filepath.Join(noCutoff, "pyproject.toml"), "-strict"}, "$DIR/pylock.payments-api.toml: check: the lock records no exclude-newer"},
		{"bad target", locked, []string{"-project", filepath.Join(locked, "pyproject.toml"), "-target", "cp312"}, `target: invalid target "cp312"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runIn(tc.dir, tc.args...)
			assert.Equal(t, code, exitError, stdout+stderr)
			assert.Assert(t, strings.Contains(stderr, tc.stderr), stderr)
			assert.Assert(t, strings.Contains(stderr, "lock-check: "), stderr)
		})
	}
}

func TestErrorsInMachineFormats(t *testing.T) {
	dir := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte(pyproject), 0o644))
	code, stdout, _ := runIn(dir, "-project", filepath.Join(dir, "pyproject.toml"), "-format", "github")
	assert.Equal(t, code, exitError)
	assert.Assert(t, strings.HasPrefix(stdout, "::error file=$DIR/pyproject.toml,title=lock-check could not check the lock::no lock file next to"), stdout)

	code, stdout, _ = runIn(dir, "-project", filepath.Join(dir, "pyproject.toml"), "-format", "json")
	assert.Equal(t, code, exitError)
	var doc jsonReport
	assert.NilError(t, json.Unmarshal([]byte(stdout), &doc))
	assert.Equal(t, doc.Status, "error")
	assert.Assert(t, strings.HasPrefix(doc.Error, "no lock file next to"), doc.Error)
}
