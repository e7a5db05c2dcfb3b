package install

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/shareddata"
	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
)

// jupyterLock serves the jupyter root set of the PyPI fixture and locks it
// for the host target.
func jupyterLock(b *testing.B) (*testindex.Server, *pylock.Lock) {
	b.Helper()
	ix, root, err := testindex.FromPyPI(shareddata.Dir(b, "pypi"), "jupyter")
	assert.NilError(b, err)
	srv := testindex.StartT(b, ix, testindex.Options{})
	l, err := lockfile.Lock(context.Background(), project.Inputs{Requirements: reqs(b, root.Requirements...),
		IndexURLs: []string{srv.SimpleURL()}, Targets: []string{hostTarget}, ExcludeNewer: root.Cutoff}, lockfile.Options{})
	assert.NilError(b, err)
	return srv, l
}

// BenchmarkInstallJupyter installs the jupyter root set's lock (the
// generated wheels of internal/testindex, served on 127.0.0.1): cold with an
// empty cache (every wheel downloaded and verified), warm with the cache
// filled (every wheel re-verified from disk). Each iteration's environment
// (and cold cache) is removed, untimed, before the next: kept until the end
// (b.TempDir per iteration) they piled up to thousands of files and
// directories, and every run was slower than the one before, so warm, run
// after cold, measured the pile and not the cache.
func BenchmarkInstallJupyter(b *testing.B) {
	srv, l := jupyterLock(b)
	ctx := context.Background()
	warm := b.TempDir()
	_, err := Install(ctx, l, filepath.Join(b.TempDir(), "env"), Options{Client: newClient(b, srv, warm)})
	assert.NilError(b, err)
	scratch := b.TempDir()
	for _, mode := range []string{"cold", "warm"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				cache := warm
				if mode == "cold" {
					cache = filepath.Join(scratch, "cache")
				}
				env := filepath.Join(scratch, "env")
				_, err := Install(ctx, l, env, Options{Client: newClient(b, srv, cache)})
				assert.NilError(b, err)
				b.StopTimer()
				assert.NilError(b, os.RemoveAll(env))
				if mode == "cold" {
					assert.NilError(b, os.RemoveAll(cache))
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(len(l.Packages)), "packages")
		})
	}
}
