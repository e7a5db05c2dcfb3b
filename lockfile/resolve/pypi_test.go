package resolve

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"

	"github.com/pydeploy/pydeploy/internal/shareddata"
	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

var pypiRootSets = []string{"web-service", "jupyter", "dagster"}

// pypiFixture serves one root set of the real PyPI metadata on 127.0.0.1 and
// returns a client for it and the request to resolve (CPython 3.11,
// manylinux_2_28 x86_64, no newer than the snapshot).
func pypiFixture(tb testing.TB, rootSet string, cacheDir string) (*simpleapi.Client, Request) {
	tb.Helper()
	ix, root, err := testindex.FromPyPI(shareddata.Dir(tb, "pypi"), rootSet)
	assert.NilError(tb, err)
	srv := testindex.StartT(tb, ix, testindex.Options{})
	client, err := simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.URL + "/simple/"}}, NoNetrc: true, CacheDir: cacheDir})
	assert.NilError(tb, err)
	target, err := wheel.ParseTarget("cp311-manylinux_2_28_x86_64")
	assert.NilError(tb, err)
	req := Request{Target: target, ExcludeNewer: root.Cutoff}
	for _, s := range root.Requirements {
		r, err := pep508.Parse(s)
		assert.NilError(tb, err)
		req.Requirements = append(req.Requirements, r)
	}
	return client, req
}

func TestResolvePyPI(t *testing.T) {
	for _, name := range pypiRootSets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			client, req := pypiFixture(t, name, "")
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			first, err := Resolve(ctx, req, Options{Source: client})
			assert.NilError(t, err)
			// A second run against a fresh client must give the same bytes.
			client2, err := simpleapi.New(simpleapi.Options{Indexes: client.Indexes(), NoNetrc: true})
			assert.NilError(t, err)
			second, err := Resolve(ctx, req, Options{Source: client2})
			assert.NilError(t, err)
			assert.Equal(t, formatPins(second), formatPins(first))
			assert.DeepEqual(t, second.Warnings, first.Warnings)
			out := formatPins(first)
			for _, w := range first.Warnings {
				out += "warning: " + w + "\n"
			}
			golden.Assert(t, out, filepath.Join("pypi", name+".txt"))
		})
	}
}

// BenchmarkResolvePyPI measures warm resolutions: the client's pages and
// metadata are already cached (on disk, fresh), so the figure is the
// resolver's own cost plus cache reads.
func BenchmarkResolvePyPI(b *testing.B) {
	for _, name := range pypiRootSets {
		b.Run(name, func(b *testing.B) {
			client, req := pypiFixture(b, name, b.TempDir())
			ctx := context.Background()
			res, err := Resolve(ctx, req, Options{Source: client})
			var nse *NoSolutionError
			if !errors.As(err, &nse) {
				assert.NilError(b, err)
			}
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				if _, err := Resolve(ctx, req, Options{Source: client}); err != nil && !errors.As(err, &nse) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/resolve")
			if res != nil {
				b.ReportMetric(float64(len(res.Packages)), "packages")
			}
		})
	}
}
