package resolve

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
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

// pypiRootSets are the fixture's root sets and "union", all three at once.
var pypiRootSets = []string{"web-service", "jupyter", "dagster", "union"}

// pypiIndex returns the index of a root set with its requirements; the
// union's index holds every project of the fixture.
func pypiIndex(tb testing.TB, rootSet string) (*testindex.Index, *testindex.PyPIRoot) {
	tb.Helper()
	dir := shareddata.Dir(tb, "pypi")
	if rootSet != "union" {
		ix, root, err := testindex.FromPyPI(dir, rootSet)
		assert.NilError(tb, err)
		return ix, root
	}
	ix, root, err := testindex.FromPyPI(dir, "")
	assert.NilError(tb, err)
	root.Requirements = nil
	for _, name := range pypiRootSets[:3] {
		_, r, err := testindex.FromPyPI(dir, name)
		assert.NilError(tb, err)
		root.Requirements = append(root.Requirements, r.Requirements...)
	}
	return ix, root
}

// pypiFixture serves one root set of the real PyPI metadata on 127.0.0.1 and
// returns a client for it and the request to resolve (CPython 3.11,
// manylinux_2_28 x86_64, no newer than the snapshot).
func pypiFixture(tb testing.TB, rootSet string, cacheDir string) (*simpleapi.Client, Request) {
	tb.Helper()
	ix, root := pypiIndex(tb, rootSet)
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
			// Generous: under -race on a loaded machine the cold first run (the
			// index generates its files) takes minutes.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
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

// BenchmarkResolvePyPI measures warm resolutions with one long-lived
// client: its pages and metadata are already cached (on disk, fresh, and in
// the client's memory), so the figure is the resolver's own cost plus cache
// reads.
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
			start, cpu := time.Now(), startCPU()
			for b.Loop() {
				if _, err := Resolve(ctx, req, Options{Source: client}); err != nil && !errors.As(err, &nse) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/resolve")
			cpu.report(b)
			if res != nil {
				b.ReportMetric(float64(len(res.Packages)), "packages")
			}
		})
	}
}

// BenchmarkResolvePyPIWarm measures what a new process sees on a warm
// machine (the side-by-side program's "ours warm"): every iteration builds
// a new client over an on-disk cache that an earlier resolve filled.
func BenchmarkResolvePyPIWarm(b *testing.B) {
	for _, name := range pypiRootSets {
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			client, req := pypiFixture(b, name, dir)
			ctx := context.Background()
			if err := resolveOnce(ctx, req, client); err != nil {
				b.Fatal(err)
			}
			opts := simpleapi.Options{Indexes: client.Indexes(), NoNetrc: true, CacheDir: dir}
			b.ResetTimer()
			start, cpu := time.Now(), startCPU()
			for b.Loop() {
				c, err := simpleapi.New(opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := resolveOnce(ctx, req, c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/resolve")
			cpu.report(b)
		})
	}
}

// universalTargets are the four images of the universal benchmarks:
// CPython 3.10 and 3.11 (the fixture predates 3.12 wheels) on manylinux
// x86_64 and aarch64.
var universalTargets = []string{"cp310-manylinux_2_28_x86_64", "cp310-manylinux_2_28_aarch64", "cp311-manylinux_2_28_x86_64", "cp311-manylinux_2_28_aarch64"}

// universal turns a single-target fixture request into a universal one
// over universalTargets (sdists allowed: psutil had no aarch64 wheels).
func universal(tb testing.TB, req Request) Request {
	tb.Helper()
	for _, s := range universalTargets {
		t, err := wheel.ParseTarget(s)
		assert.NilError(tb, err)
		req.Targets = append(req.Targets, t)
	}
	req.AllowSdist = true
	return req
}

// BenchmarkResolvePyPIUniversalWarm is BenchmarkResolvePyPIWarm for one
// universal resolution over four images; compare with
// BenchmarkResolvePyPIWarmSdist (the same single-target request with
// sdists allowed) for the cost of universality.
func BenchmarkResolvePyPIUniversalWarm(b *testing.B) {
	benchWarm(b, universal)
}

// BenchmarkResolvePyPIWarmSdist is BenchmarkResolvePyPIWarm with sdists
// allowed, the single-target baseline of the universal benchmark.
func BenchmarkResolvePyPIWarmSdist(b *testing.B) {
	benchWarm(b, func(_ testing.TB, r Request) Request { r.AllowSdist = true; return r })
}

func benchWarm(b *testing.B, shape func(testing.TB, Request) Request) {
	for _, name := range pypiRootSets {
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			client, req := pypiFixture(b, name, dir)
			req = shape(b, req)
			ctx := context.Background()
			if err := resolveOnce(ctx, req, client); err != nil {
				b.Fatal(err)
			}
			opts := simpleapi.Options{Indexes: client.Indexes(), NoNetrc: true, CacheDir: dir}
			b.ResetTimer()
			start, cpu := time.Now(), startCPU()
			for b.Loop() {
				c, err := simpleapi.New(opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := resolveOnce(ctx, req, c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/resolve")
			cpu.report(b)
		})
	}
}

// BenchmarkResolvePyPICold measures a first resolve on a new machine: every
// iteration builds a new client over an empty cache directory, against the
// loopback index (already serving, its files already generated), and
// includes writing the cache.
func BenchmarkResolvePyPICold(b *testing.B) {
	for _, name := range pypiRootSets {
		b.Run(name, func(b *testing.B) {
			client, req := pypiFixture(b, name, "")
			ctx := context.Background()
			if err := resolveOnce(ctx, req, client); err != nil { // the index generates its files on first use
				b.Fatal(err)
			}
			root := b.TempDir()
			b.ResetTimer()
			start, cpu := time.Now(), startCPU()
			i := 0
			for b.Loop() {
				i++
				opts := simpleapi.Options{Indexes: client.Indexes(), NoNetrc: true, CacheDir: filepath.Join(root, strconv.Itoa(i))}
				c, err := simpleapi.New(opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := resolveOnce(ctx, req, c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/resolve")
			cpu.report(b)
		})
	}
}

// cpuMeter measures the process CPU time of a benchmark loop.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuMeter {
	t, ok := processCPU()
	return cpuMeter{t, ok}
}

// report adds the CPU time per resolve (all goroutines of the process,
// including the loopback index's) as "cpu-ms/resolve".
func (m cpuMeter) report(b *testing.B) {
	if t, ok := processCPU(); ok && m.ok {
		b.ReportMetric(float64((t-m.start).Microseconds())/1000/float64(b.N), "cpu-ms/resolve")
	}
}

// resolveOnce resolves req for a benchmark; a *NoSolutionError counts as a
// result.
func resolveOnce(ctx context.Context, req Request, c *simpleapi.Client) error {
	_, err := Resolve(ctx, req, Options{Source: c})
	if _, ok := errors.AsType[*NoSolutionError](err); ok {
		return nil
	}
	return err
}
