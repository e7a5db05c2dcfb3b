package image

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/shareddata"
	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/internal/testregistry"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

// BenchmarkBuildJupyter builds and pushes the image of the jupyter root
// set's lock (internal/testindex's generated wheels on 127.0.0.1, the
// stand-in base in a registry on 127.0.0.1): cold with an empty wheel
// cache and an empty repository, warm with the cache filled and the
// layers already pushed.
func BenchmarkBuildJupyter(b *testing.B) {
	ix, root, err := testindex.FromPyPI(shareddata.Dir(b, "pypi"), "jupyter")
	assert.NilError(b, err)
	srv := testindex.StartT(b, ix, testindex.Options{})
	ctx := context.Background()
	l, err := lockfile.Lock(ctx, project.Inputs{Requirements: reqs(b, root.Requirements...),
		IndexURLs: []string{srv.SimpleURL()}, Targets: []string{"cp311-manylinux_2_36_x86_64"}, ExcludeNewer: root.Cutoff}, lockfile.Options{})
	assert.NilError(b, err)
	reg := testregistry.StartT(b, testregistry.Options{})
	base, err := reg.PushStandInBase(ctx, "base/python", "3.11")
	assert.NilError(b, err)
	src := appSource(b)
	client := func(cache string) *simpleapi.Client {
		c, err := simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.SimpleURL()}}, CacheDir: cache, NoNetrc: true})
		assert.NilError(b, err)
		return c
	}
	scratch := b.TempDir()
	build := func(cache, repo string) {
		built, err := Build(ctx, Spec{Base: base, Lock: l, Source: src}, BuildOptions{Client: client(cache), TempDir: scratch})
		assert.NilError(b, err)
		_, err = built.Push(ctx, reg.Ref(repo, ":1"), Remote{})
		assert.NilError(b, err)
		assert.NilError(b, built.Close())
	}
	warm := b.TempDir()
	build(warm, "warm/jupyter")
	// Each iteration's files (the cold cache, whatever Build left in its
	// temporary directory) are removed, untimed, before the next: kept to
	// the end they piled up and made every run slower than the one before.
	clean := func(b *testing.B, dirs ...string) {
		b.StopTimer()
		for _, d := range dirs {
			assert.NilError(b, os.RemoveAll(d))
		}
		assert.NilError(b, os.MkdirAll(scratch, 0o755))
		b.StartTimer()
	}
	for _, mode := range []string{"cold", "warm"} {
		b.Run(mode, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if mode == "cold" {
					cache := filepath.Join(scratch, "cache")
					build(cache, "cold/jupyter"+strconv.Itoa(i))
					clean(b, cache, scratch)
				} else {
					build(warm, "warm/jupyter")
					clean(b, scratch)
				}
			}
			b.ReportMetric(float64(len(l.Packages)), "packages")
		})
	}
}
