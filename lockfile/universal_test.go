package lockfile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"

	"github.com/pydeploy/pydeploy/internal/shareddata"
	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/resolve"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

// imageTargets are four images a team builds one service for. The PyPI
// fixture is a snapshot of 2023-09-07, a month before CPython 3.12, so its
// binary packages have no cp312 wheels yet: the images use 3.10 and 3.11.
var imageTargets = []string{
	"cp310-manylinux_2_28_x86_64", "cp310-manylinux_2_28_aarch64",
	"cp311-manylinux_2_28_x86_64", "cp311-manylinux_2_28_aarch64",
}

// TestUniversalLockPyPI locks each real PyPI root set (and their union) once
// for four images: CPython 3.10 and 3.11 on manylinux x86_64 and aarch64.
// Lock itself checks every image's installation with pylock.Select; here
// each image's installation must also be what a single-image resolution
// accepts (resolving for that image alone, with those versions preferred,
// gives exactly them), and the lock is byte-stable.
func TestUniversalLockPyPI(t *testing.T) {
	t.Parallel()
	srv, root := pypiServer(t)
	dir := shareddata.Dir(t, "pypi")
	sets := map[string][]string{}
	var union []string
	for _, name := range []string{"web-service", "jupyter", "dagster"} {
		_, r, err := testindex.FromPyPI(dir, name)
		assert.NilError(t, err)
		sets[name] = r.Requirements
		union = append(union, r.Requirements...)
	}
	sets["union"] = union
	opts := simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.SimpleURL(), Name: srv.SimpleURL()}}, NoNetrc: true, CacheDir: t.TempDir()}
	for name, roots := range sets {
		t.Run(name, func(t *testing.T) {
			in := pypiInputs(t, srv, root, imageTargets[0], roots...)
			in.Targets = imageTargets
			// psutil published no aarch64 wheels then: those images build
			// it from its sdist.
			in.AllowSdist = true
			c, err := simpleapi.New(opts)
			assert.NilError(t, err)
			l, err := Lock(context.Background(), in, Options{Source: c})
			assert.NilError(t, err)
			data, err := pylock.Marshal(l)
			assert.NilError(t, err)
			assert.Equal(t, string(lockBytes(t, in, opts)), string(data), "a second lock gives the same bytes")
			golden.Assert(t, lockSummary(l), "universal-"+name+".txt")
			assert.Equal(t, len(l.Environments), 4)
			for _, ts := range imageTargets {
				tg := mustParseTarget(t, ts)
				sel, err := l.Select(tg.Environment(), tg)
				assert.NilError(t, err, ts)
				prefs := map[string]pep440.Version{}
				var want []string
				for _, s := range sel {
					prefs[s.Package.Name] = pep440.MustParse(s.Package.Version)
					want = append(want, s.Package.Name+"=="+s.Package.Version)
				}
				req := resolve.Request{Requirements: in.Requirements, Target: tg, ExcludeNewer: in.ExcludeNewer, Preferences: prefs, AllowSdist: true}
				res, err := resolve.Resolve(context.Background(), req, resolve.Options{Source: c})
				assert.NilError(t, err, ts)
				var got []string
				for _, p := range res.Packages {
					got = append(got, p.Name+"=="+p.Version.String())
				}
				assert.Equal(t, strings.Join(got, "\n"), strings.Join(want, "\n"), "%s: the universal lock's installation is a resolution for this image", ts)
			}
			t.Logf("%s: %d entries for %d names", name, len(l.Packages), countNames(l))
		})
	}
}

func countNames(l *pylock.Lock) int {
	seen := map[string]bool{}
	for _, p := range l.Packages {
		seen[p.Name] = true
	}
	return len(seen)
}

var _ = fmt.Sprint

// TestUniversalCheck: the freshness checks work on a universal lock: the
// offline check compares the recorded inputs (every target among them),
// the strict check re-locks and demands the same bytes, and a requirement
// the lock no longer satisfies is named.
func TestUniversalCheck(t *testing.T) {
	t.Parallel()
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	in := paymentsInputs(t, srv)
	in.Targets = []string{"cp312-manylinux_2_36_x86_64", "cp312-manylinux_2_36_aarch64", "cp312-musllinux_1_2_x86_64"}
	ctx := context.Background()
	l, err := Lock(ctx, in, Options{})
	assert.NilError(t, err)
	data := mustMarshal(t, l)
	// glibc and musl on x86_64 share a marker environment: one marker
	// covers both, and the two get the same versions (wheels told apart by
	// their tags at install time).
	assert.Equal(t, len(l.Environments), 2)
	rec, err := ReadRecorded(l)
	assert.NilError(t, err)
	assert.DeepEqual(t, rec.Targets, in.Targets)
	for _, p := range l.Packages {
		if p.Name == "uvloop" {
			assert.Equal(t, len(p.Wheels), 3, "one wheel per image: %v", p.Wheels)
		}
	}
	assert.NilError(t, Check(l, in))
	assert.NilError(t, CheckStrict(ctx, data, in, Options{}))

	fewer := in
	fewer.Targets = in.Targets[:2]
	err = Check(l, fewer)
	var se *StaleError
	assert.Assert(t, errors.As(err, &se), "%v", err)
	assert.ErrorContains(t, err, "removed target cp312-musllinux_1_2_x86_64")

	newer := in
	newer.Requirements = reqs(t, "fastapi<0.100", "uvicorn[standard]>=0.29", "gunicorn")
	err = Check(l, newer)
	assert.Assert(t, errors.As(err, &se), "%v", err)
	assert.ErrorContains(t, err, "requirement fastapi<0.100 is not satisfied by locked fastapi 0.112.2")

	// A hand edit is caught by the strict check.
	edited := strings.Replace(string(data), "name = 'anyio'", "name = 'anyio'\nmarker = 'sys_platform == \"linux\"'", 1)
	assert.Assert(t, edited != string(data))
	err = CheckStrict(ctx, []byte(edited), in, Options{})
	assert.Assert(t, errors.As(err, &se), "%v", err)
}

// TestUniversalRange: no targets, a requires-python range and a platform
// marker make a uv-style universal lock; it installs on any image inside
// the range and platform.
func TestUniversalRange(t *testing.T) {
	t.Parallel()
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	in := paymentsInputs(t, srv)
	in.Targets = nil
	in.RequiresPython = ">=3.11"
	in.Environments = []string{"sys_platform == 'linux'"}
	l, err := Lock(context.Background(), in, Options{})
	assert.NilError(t, err)
	assert.DeepEqual(t, l.Environments, []string{`sys_platform == "linux"`})
	assert.Equal(t, l.RequiresPython, ">=3.11")
	for _, ts := range []string{"cp311-manylinux_2_28_x86_64", "cp312-manylinux_2_36_aarch64", "cp312-musllinux_1_2_x86_64"} {
		tg := mustParseTarget(t, ts)
		sel, err := l.Select(tg.Environment(), tg)
		assert.NilError(t, err, ts)
		for _, s := range sel {
			assert.Assert(t, s.Kind == pylock.SourceWheel, "%s: %s from %s", ts, s.Package.Name, s.Kind)
		}
	}
	// Outside the environments the installer refuses the lock.
	win := mustParseTarget(t, "cp312-win_amd64")
	_, err = l.Select(win.Environment(), win)
	assert.Assert(t, errors.Is(err, pylock.ErrNoEnvironment), "%v", err)
	assert.NilError(t, Check(l, in))
}
