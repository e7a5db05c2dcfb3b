package lockfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/resolve"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/fs"
)

const target = "cp312-manylinux_2_36_x86_64"

func reqs(t testing.TB, ss ...string) []pep508.Requirement {
	t.Helper()
	var out []pep508.Requirement
	for _, s := range ss {
		r, err := pep508.Parse(s)
		assert.NilError(t, err)
		out = append(out, r)
	}
	return out
}

func paymentsInputs(t testing.TB, srv *testindex.Server) project.Inputs {
	return project.Inputs{
		Requirements:   reqs(t, "fastapi>=0.110", "uvicorn[standard]>=0.29", "gunicorn"),
		Constraints:    reqs(t, "pydantic<3"),
		RequiresPython: ">=3.12",
		IndexURLs:      []string{srv.SimpleURL()},
		Targets:        []string{target},
		ExcludeNewer:   testindex.PaymentsExcludeNewer,
	}
}

// fastClient retries without waiting, so fault tests stay quick.
func fastClient(t testing.TB, srv *testindex.Server) resolve.Source {
	t.Helper()
	clean, err := project.RedactURL(srv.SimpleURL())
	assert.NilError(t, err)
	c, err := simpleapi.New(simpleapi.Options{
		Indexes: []simpleapi.Index{{URL: srv.SimpleURL(), Name: clean}},
		Backoff: func(int) time.Duration { return time.Millisecond },
		NoNetrc: true,
	})
	assert.NilError(t, err)
	return c
}

func TestLockIsDeterministic(t *testing.T) {
	t.Parallel()
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	in := paymentsInputs(t, srv)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "pylock.payments.toml")
	h1, err := Write(ctx, path, in, Options{})
	assert.NilError(t, err)
	first, err := os.ReadFile(path)
	assert.NilError(t, err)
	h2, err := Write(ctx, path, in, Options{Source: fastClient(t, srv)})
	assert.NilError(t, err)
	second, err := os.ReadFile(path)
	assert.NilError(t, err)
	assert.Equal(t, string(first), string(second))
	assert.Equal(t, h1, h2)
	assert.Equal(t, h1, pylock.Hash(first))

	l, err := pylock.Unmarshal(first)
	assert.NilError(t, err)
	assert.Equal(t, l.CreatedBy, "pydeploy")
	assert.Equal(t, l.RequiresPython, ">=3.12")
	assert.DeepEqual(t, l.Environments, []string{`implementation_name == "cpython" and python_version == "3.12" and sys_platform == "linux" and platform_machine == "x86_64"`})
	names := map[string]pylock.Package{}
	for _, p := range l.Packages {
		names[p.Name] = p
		assert.Assert(t, len(p.Wheels) == 1 && p.Sdist == nil, "%s: wheel-only lock expected", p.Name)
		w := p.Wheels[0]
		assert.Assert(t, w.Hashes["sha256"] != "" && w.Size != nil && !w.UploadTime.IsZero(), "%s: %+v", p.Name, w)
		assert.Assert(t, !w.UploadTime.After(testindex.PaymentsExcludeNewer))
		assert.Equal(t, p.Index, srv.SimpleURL())
	}
	for _, want := range []string{"fastapi", "uvicorn", "uvloop", "httptools", "gunicorn", "pydantic", "starlette"} {
		_, ok := names[want]
		assert.Assert(t, ok, "missing %s in %v", want, l.Packages)
	}
	assert.Assert(t, strings.Contains(string(first), "exclude-newer = 2024-10-01T00:00:00Z"))
	assert.Assert(t, strings.Contains(string(first), "'requires:fastapi>=0.110',"))

	// The lock installs on its target.
	sel, err := l.Select(mustTarget(t).Environment(), mustTarget(t))
	assert.NilError(t, err)
	assert.Equal(t, len(sel), len(l.Packages))
}

func TestCheck(t *testing.T) {
	t.Parallel()
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	in := paymentsInputs(t, srv)
	l, err := Lock(context.Background(), in, Options{})
	assert.NilError(t, err)
	assert.NilError(t, Check(l, in))

	// Spelling differences are not changes.
	same := in
	same.Requirements = reqs(t, "FastAPI >= 0.110", "Uvicorn[Standard]>=0.29", "gunicorn", "gunicorn")
	assert.NilError(t, Check(l, same))

	changed := in
	changed.Requirements = reqs(t, "fastapi>=0.200", "uvicorn[standard]>=0.29", "httpx")
	changed.IndexURLs = []string{"https://user:secret@mirror.example/simple/"}
	err = Check(l, changed)
	var stale *StaleError
	assert.Assert(t, errors.As(err, &stale), "%v", err)
	got := []string{}
	for _, c := range stale.Changes {
		got = append(got, c.String())
	}
	assert.DeepEqual(t, got, []string{
		"removed index " + srv.SimpleURL(),
		"added index https://mirror.example/simple/",
		"changed requirement fastapi>=0.110 → fastapi>=0.200",
		"removed requirement gunicorn",
		"added requirement httpx",
	})
	assert.Assert(t, strings.Contains(err.Error(), "lock is stale"))
	assert.Assert(t, !strings.Contains(err.Error(), "secret"))
	assert.Equal(t, len(stale.Unsatisfied), 2, "%v", stale.Unsatisfied)
	assert.Assert(t, strings.HasPrefix(stale.Unsatisfied[0], "requirement fastapi>=0.200 is not satisfied by locked fastapi 0."), stale.Unsatisfied[0])
	assert.Equal(t, stale.Unsatisfied[1], "requirement httpx: httpx is not in the lock")

	// A lock from another tool, or a hand-edited table, cannot be checked.
	foreign := *l
	foreign.Tool = nil
	assert.ErrorContains(t, Check(&foreign, in), "lock has no [tool.pydeploy] table")
	edited, _ := pylock.Unmarshal(mustMarshal(t, l))
	edited.Tool["pydeploy"].(map[string]any)["inputs"] = []any{"requires:other"}
	assert.ErrorContains(t, Check(edited, in), "does not match the recorded inputs")
}

func mustMarshal(t *testing.T, l *pylock.Lock) []byte {
	t.Helper()
	data, err := pylock.Marshal(l)
	assert.NilError(t, err)
	return data
}

func TestCheckFileAndStrict(t *testing.T) {
	t.Parallel()
	ix := testindex.Payments()
	srv := testindex.StartT(t, ix, testindex.Options{})
	in := paymentsInputs(t, srv)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pylock.toml")
	_, err := Write(ctx, path, in, Options{})
	assert.NilError(t, err)
	assert.NilError(t, CheckFile(path, in))
	assert.NilError(t, CheckStrictFile(ctx, path, in, Options{}))

	stale := in
	stale.Constraints = nil
	err = CheckFile(path, stale)
	var se *StaleError
	assert.Assert(t, errors.As(err, &se))
	assert.Equal(t, se.Path, path)
	assert.ErrorContains(t, err, path+" is stale; re-run the lock step\n\tremoved constraint pydantic<3")
	assert.Assert(t, errors.As(CheckStrictFile(ctx, path, stale, Options{}), &se), "strict includes the offline check")

	// A hand edit that keeps the inputs is caught only by the strict check.
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	edited := strings.Replace(string(data), "size = ", "size = 1", 1)
	assert.NilError(t, os.WriteFile(path, []byte(edited), 0o644))
	assert.NilError(t, CheckFile(path, in))
	err = CheckStrictFile(ctx, path, in, Options{})
	assert.Assert(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, len(se.Drift), 2, "%v", se.Drift)
	assert.Assert(t, strings.HasPrefix(se.Drift[0], "- size = 1"), se.Drift[0])

	// An index that gains an old-dated release changes the resolution.
	assert.NilError(t, os.WriteFile(path, data, 0o644))
	ix.Add("gunicorn", &testindex.Version{Version: "99.0", WheelTags: []string{"py3-none-any"}, UploadTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	err = CheckStrictFile(ctx, path, in, Options{})
	assert.Assert(t, errors.As(err, &se), "%v", err)
	assert.DeepEqual(t, se.Drift, []string{"package gunicorn 23.0.0 → 99.0", "package packaging 24.1 is no longer resolved"})

	noCutoff := in
	noCutoff.ExcludeNewer = time.Time{}
	l, err := Lock(ctx, noCutoff, Options{})
	assert.NilError(t, err)
	assert.ErrorContains(t, CheckStrict(ctx, mustMarshal(t, l), noCutoff, Options{}), "records no exclude-newer")
}

func TestLockFaultsLeaveNoPartialFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault testindex.Fault
		want  string
		as    any
	}{
		{"5xx forever", testindex.Fault{Path: "/simple/starlette/", Status: 503}, "/simple/starlette/", new(*simpleapi.StatusError)},
		{"wrong metadata hash", testindex.Fault{Path: "/files/pydantic/*.metadata", WrongHash: true}, "pydantic", new(*simpleapi.HashMismatchError)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
			in := paymentsInputs(t, srv)
			ctx := context.Background()
			dir := t.TempDir()
			path := filepath.Join(dir, "pylock.toml")
			_, err := Write(ctx, path, in, Options{Source: fastClient(t, srv)})
			assert.NilError(t, err)
			before, err := os.ReadFile(path)
			assert.NilError(t, err)

			srv.AddFault(tc.fault)
			in.Requirements = append(in.Requirements, reqs(t, "sqlalchemy")...)
			_, err = Write(ctx, path, in, Options{Source: fastClient(t, srv)})
			assert.ErrorContains(t, err, tc.want)
			assert.Assert(t, errors.As(err, tc.as), "%T: %v", err, err)
			after, rerr := os.ReadFile(path)
			assert.NilError(t, rerr)
			assert.Equal(t, string(after), string(before))
			entries, _ := os.ReadDir(dir)
			assert.Equal(t, len(entries), 1, "temp files left behind")
		})
	}
}

func TestLockInputErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := project.Inputs{Requirements: reqs(t, "a"), IndexURLs: []string{"https://h/simple"}}
	_, err := Lock(ctx, in, Options{})
	assert.ErrorContains(t, err, "lock: no target: set Inputs.Targets")
	in.Targets = []string{target}
	in.IndexURLs = nil
	_, err = Lock(ctx, in, Options{})
	assert.ErrorContains(t, err, "no index URL")
	in.RequiresPython = "3"
	_, err = Lock(ctx, in, Options{})
	assert.ErrorContains(t, err, "requires-python")
}

func TestNoSolution(t *testing.T) {
	t.Parallel()
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	in := paymentsInputs(t, srv)
	in.Requirements = reqs(t, "fastapi==0.95.2", "pydantic>=2")
	_, err := Lock(context.Background(), in, Options{})
	var ns *resolve.NoSolutionError
	assert.Assert(t, errors.As(err, &ns), "%v", err)
}

func mustTarget(t testing.TB) wheel.Target {
	t.Helper()
	tg, err := wheel.ParseTarget(target)
	assert.NilError(t, err)
	return tg
}

func mustParseTarget(t testing.TB, s string) wheel.Target {
	t.Helper()
	tg, err := wheel.ParseTarget(s)
	assert.NilError(t, err)
	return tg
}

// TestStalledIndex: an index that stops answering fails the lock within the
// per-request timeout (retries included), or within the overall deadline,
// with an error naming the index, the URL and the project.
func TestStalledIndex(t *testing.T) {
	t.Parallel()
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{Faults: []testindex.Fault{{Path: "/simple/starlette/", Delay: time.Hour}}})
	in := paymentsInputs(t, srv)
	ctx := context.Background()
	// The timeouts leave every other request ample time on a loaded
	// machine (CI runs this with -race beside other packages' tests), so
	// the only request to time out is the stalled one and the error must
	// name it. At 300 ms the resolver once gave up on fastapi's metadata.

	start := time.Now()
	_, err := Lock(ctx, in, Options{RequestTimeout: time.Second})
	var te *simpleapi.TimeoutError
	assert.Assert(t, errors.As(err, &te), "%v", err)
	assert.ErrorContains(t, err, `project "starlette" on index `+srv.SimpleURL())
	assert.ErrorContains(t, err, "/simple/starlette/: no complete answer within 1s (the per-request timeout) on 4 attempt(s)")
	assert.Assert(t, time.Since(start) < time.Minute)

	start = time.Now()
	_, err = Lock(ctx, in, Options{RequestTimeout: time.Hour, Deadline: 5 * time.Second})
	assert.Assert(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.ErrorContains(t, err, "lock: gave up when the 5s deadline (Options.Deadline) passed, using index "+srv.SimpleURL())
	assert.ErrorContains(t, err, `starlette`)
	assert.Assert(t, time.Since(start) < time.Minute)

	// The caller's own deadline is reported as the caller's.
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = Lock(cctx, in, Options{RequestTimeout: time.Hour})
	assert.Assert(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.Assert(t, !strings.Contains(err.Error(), "Options.Deadline"), "%v", err)
}

// TestLockExtrasAndGroups: the lock records the extras and dependency
// groups the inputs selected, and marks the packages only they need, so an
// installer that does not select them skips them.
func TestLockExtrasAndGroups(t *testing.T) {
	t.Parallel()
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	dir := fs.NewDir(t, "proj", fs.WithFile("pyproject.toml", `
[project]
name = "payments"
requires-python = ">=3.12"
dependencies = ["fastapi>=0.110"]
[project.optional-dependencies]
Server = ["uvicorn[standard]>=0.29"]
[dependency-groups]
dev = ["gunicorn", "fastapi"]
`))
	p, err := project.LoadPyProject(dir.Join("pyproject.toml"))
	assert.NilError(t, err)
	in, err := p.Selected([]string{"Server"}, []string{"dev"})
	assert.NilError(t, err)
	in.IndexURLs, in.Targets, in.ExcludeNewer = []string{srv.SimpleURL()}, []string{target}, testindex.PaymentsExcludeNewer
	l, err := Lock(context.Background(), in, Options{})
	assert.NilError(t, err)
	assert.DeepEqual(t, l.Extras, []string{"server"})
	assert.DeepEqual(t, l.DependencyGroups, []string{"dev"})
	data := string(mustMarshal(t, l))
	assert.Assert(t, strings.Contains(data, "extras = ['server']\ndependency-groups = ['dev']\n"), data)
	markers := map[string]string{}
	for _, pkg := range l.Packages {
		markers[pkg.Name] = pkg.Marker
	}
	assert.Equal(t, markers["fastapi"], "", "the base needs it, and so does the group")
	assert.Equal(t, markers["pydantic"], "")
	assert.Equal(t, markers["gunicorn"], `"dev" in dependency_groups`)
	assert.Equal(t, markers["uvicorn"], `"server" in extras`)
	assert.Equal(t, markers["uvloop"], `"server" in extras`)

	tg := mustTarget(t)
	names := func(env pep508.Environment) []string {
		sel, err := l.Select(env, tg)
		assert.NilError(t, err)
		var out []string
		for _, s := range sel {
			out = append(out, s.Package.Name)
		}
		return out
	}
	all := names(func() pep508.Environment {
		e := tg.Environment()
		e.Extras, e.DependencyGroups = []string{"server"}, []string{"dev"}
		return e
	}())
	assert.Equal(t, len(all), len(l.Packages))
	base := names(tg.Environment())
	assert.Assert(t, !slices.Contains(base, "gunicorn") && !slices.Contains(base, "uvicorn") && slices.Contains(base, "fastapi"), "%v", base)

	// Moving a requirement between the base and a group is a change.
	in2 := in
	in2.GroupRequirements = map[string][]pep508.Requirement{"dev": reqs(t, "fastapi")}
	in2.Requirements = reqs(t, "fastapi>=0.110", "uvicorn[standard]>=0.29", "gunicorn", "fastapi")
	err = Check(l, in2)
	var se *StaleError
	assert.Assert(t, errors.As(err, &se), "%v", err)
	assert.ErrorContains(t, err, "removed requirement of group dev:gunicorn")
}

// TestWriteVerifiesHashes: an index that advertises a wrong sha256 for a
// wheel (its metadata file being right, so resolution succeeds) makes Write
// fail naming the file, and nothing is written; SkipVerify writes the lock
// as resolved. The verified files stay in the cache, so a second Write
// downloads nothing.
func TestWriteVerifiesHashes(t *testing.T) {
	t.Parallel()
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{Faults: []testindex.Fault{{Path: "/files/gunicorn/*.whl", WrongHash: true}}})
	in := paymentsInputs(t, srv)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "pylock.toml")
	_, err := Write(ctx, path, in, Options{CacheDir: t.TempDir()})
	var ve *VerifyError
	assert.Assert(t, errors.As(err, &ve), "%v", err)
	var hm *simpleapi.HashMismatchError
	assert.Assert(t, errors.As(err, &hm), "%v", err)
	assert.Equal(t, len(ve.Failures), 1)
	assert.Assert(t, strings.HasPrefix(ve.Failures[0], "gunicorn-"), "%v", ve.Failures)
	assert.ErrorContains(t, err, "sha256 hash mismatch for gunicorn-")
	_, statErr := os.Stat(path)
	assert.Assert(t, os.IsNotExist(statErr), "a lock was written")

	_, err = Write(ctx, path, in, Options{SkipVerify: true})
	assert.NilError(t, err)

	// Without the fault every file verifies; the second run reads them
	// from the cache.
	srv.ClearFaults()
	cache := t.TempDir()
	_, err = Write(ctx, path, in, Options{CacheDir: cache})
	assert.NilError(t, err)
	srv.ResetStats()
	_, err = Write(ctx, path, in, Options{CacheDir: cache})
	assert.NilError(t, err)
	assert.Equal(t, srv.Count("/files/*/*.whl", 0), 0, "verified files come from the cache")

	// A source that cannot download cannot verify.
	_, err = Write(ctx, path, in, Options{Source: noDownload{fastClient(t, srv)}})
	assert.ErrorContains(t, err, "cannot verify the locked files")
}

type noDownload struct{ resolve.Source }

// TestHugeMetadata: a metadata file larger than the client accepts (here 1
// MiB; 16 MiB by default) fails the lock naming the project's file, the
// index and the URL, and is not read to the end.
func TestHugeMetadata(t *testing.T) {
	t.Parallel()
	ix := testindex.New()
	ix.Add("app", testindex.Pure("1.0", "evil"))
	ix.Add("evil", testindex.Pure("1.0", "x; "+strings.Repeat("(", 3<<20)+"os_name == 'nt'"+strings.Repeat(")", 3<<20)))
	srv := testindex.StartT(t, ix, testindex.Options{})
	c, err := simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.SimpleURL()}}, NoNetrc: true, MaxMetadataBytes: 1 << 20})
	assert.NilError(t, err)
	in := project.Inputs{Requirements: reqs(t, "app"), IndexURLs: []string{srv.SimpleURL()}, Targets: []string{target}}
	_, err = Lock(context.Background(), in, Options{Source: c})
	var tl *simpleapi.TooLargeError
	assert.Assert(t, errors.As(err, &tl), "%v", err)
	assert.ErrorContains(t, err, "metadata of evil-1.0-py3-none-any.whl from index 127.0.0.1:")
	assert.ErrorContains(t, err, "/files/evil/evil-1.0-py3-none-any.whl.metadata: the body is")
	assert.ErrorContains(t, err, "more than the 1048576 allowed")
}
