package lockfile

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/shareddata"
	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

// pypiIndex serves the whole real PyPI fixture (every project of every
// root set) once per test binary.
var pypiIndex = sync.OnceValues(func() (*testindex.Index, error) {
	root, err := shareddata.Root()
	if err != nil {
		return nil, err
	}
	ix, _, err := testindex.FromPyPI(root+"/pypi", "")
	return ix, err
})

// pypiServer starts a loopback index over the whole PyPI fixture and
// returns it with the fixture's cut-off.
func pypiServer(t *testing.T) (*testindex.Server, *testindex.PyPIRoot) {
	t.Helper()
	dir := shareddata.Dir(t, "pypi")
	ix, err := pypiIndex()
	assert.NilError(t, err)
	_, root, err := testindex.FromPyPI(dir, "web-service")
	assert.NilError(t, err)
	return testindex.StartT(t, ix, testindex.Options{}), root
}

func pypiInputs(t *testing.T, srv *testindex.Server, root *testindex.PyPIRoot, target string, roots ...string) project.Inputs {
	t.Helper()
	return project.Inputs{
		Requirements: reqs(t, roots...),
		IndexURLs:    []string{srv.SimpleURL()},
		Targets:      []string{target},
		ExcludeNewer: root.Cutoff,
	}
}

func lockBytes(t *testing.T, in project.Inputs, src simpleapi.Options) []byte {
	t.Helper()
	c, err := simpleapi.New(src)
	assert.NilError(t, err)
	l, err := Lock(context.Background(), in, Options{Source: c})
	assert.NilError(t, err)
	data, err := pylock.Marshal(l)
	assert.NilError(t, err)
	return data
}

// TestLockIgnoresRequirementOrder is the order-independence property: every
// permutation of a root set's requirements locks to the same bytes. It runs
// on the real PyPI fixture's three root sets, on their union and on the
// pairs that used to depend on the order ([pydantic-core, pydantic] locked
// pydantic 1.x, [pydantic, pydantic-core] 2.x).
func TestLockIgnoresRequirementOrder(t *testing.T) {
	t.Parallel()
	srv, root := pypiServer(t)
	dir := shareddata.Dir(t, "pypi")
	sets := map[string][]string{
		"pydantic pair": {"pydantic-core", "pydantic"},
		"anyio fastapi": {"anyio", "fastapi"},
	}
	var union []string
	for _, name := range []string{"web-service", "jupyter", "dagster"} {
		_, r, err := testindex.FromPyPI(dir, name)
		assert.NilError(t, err)
		sets[name] = r.Requirements
		union = append(union, r.Requirements...)
	}
	sets["union"] = union
	opts := simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.SimpleURL(), Name: srv.SimpleURL()}}, NoNetrc: true, CacheDir: t.TempDir()}
	sets["web-service universal"] = sets["web-service"]
	for name, roots := range sets {
		t.Run(name, func(t *testing.T) {
			inputs := func(roots []string) project.Inputs {
				in := pypiInputs(t, srv, root, "cp311-manylinux_2_28_x86_64", roots...)
				if strings.HasSuffix(name, "universal") {
					in.Targets, in.AllowSdist = imageTargets, true
				}
				return in
			}
			want := lockBytes(t, inputs(roots), opts)
			rng := rand.New(rand.NewPCG(1, uint64(len(roots))))
			perms := [][]string{slices.Clone(roots)}
			slices.Reverse(perms[0])
			for range 6 {
				p := slices.Clone(roots)
				rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
				perms = append(perms, p)
			}
			for _, p := range perms {
				got := lockBytes(t, inputs(p), opts)
				assert.Equal(t, string(got), string(want), "roots %q", p)
			}
			if name == "pydantic pair" {
				assert.Assert(t, strings.Contains(string(want), "name = 'pydantic'\nversion = '2."), "pydantic 2.x expected:\n%s", want)
			}
		})
	}
}

// TestLockHonoursUpperRequiresPython: typing 3.10.0.0 declares
// Requires-Python <3.5, so for CPython 3.11 the lock must pin the newest
// release that admits 3.11 (3.7.4.3, as pip does), never one an installer
// refuses.
func TestLockHonoursUpperRequiresPython(t *testing.T) {
	t.Parallel()
	srv, root := pypiServer(t)
	opts := simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.SimpleURL(), Name: srv.SimpleURL()}}, NoNetrc: true}
	c, err := simpleapi.New(opts)
	assert.NilError(t, err)
	in := pypiInputs(t, srv, root, "cp311-manylinux_2_28_x86_64", "typing")
	l, err := Lock(context.Background(), in, Options{Source: c})
	assert.NilError(t, err)
	assert.Equal(t, len(l.Packages), 1)
	assert.Equal(t, l.Packages[0].Version, "3.7.4.3")
	tg := mustParseTarget(t, "cp311-manylinux_2_28_x86_64")
	_, err = l.Select(tg.Environment(), tg)
	assert.NilError(t, err)

	// Pinning the excluded release explains why it cannot be used.
	in.Requirements = reqs(t, "typing==3.10.0.0")
	_, err = Lock(context.Background(), in, Options{Source: c})
	assert.ErrorContains(t, err, "typing>=3.10.0.0 requires Python!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,<3.5,>=2.7")
}
