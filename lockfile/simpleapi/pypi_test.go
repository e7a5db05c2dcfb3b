package simpleapi

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"
	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/shareddata"
	"github.com/pydeploy/pydeploy/internal/testindex"
)

// TestRealPyPIMetadataRoundTrip serves the web-service root set of the real
// PyPI fixture and checks that every project's page and the metadata of its
// newest version with a wheel come back exactly as published (real
// requirement strings, including the legacy "name (>=1.0)" form).
func TestRealPyPIMetadataRoundTrip(t *testing.T) {
	t.Parallel()
	ix, _, err := testindex.FromPyPI(shareddata.Dir(t, "pypi"), "web-service")
	assert.NilError(t, err)
	s := testindex.StartT(t, ix, testindex.Options{})
	c := newClient(t, Options{Indexes: []Index{{URL: s.SimpleURL()}}, MaxParallel: 4})
	ctx := context.Background()
	assert.NilError(t, c.Prefetch(ctx, ix.Names()...))
	for _, n := range ix.Names() {
		p, err := c.Project(ctx, n)
		assert.NilError(t, err)
		// The newest version published as a wheel (versions the fixture
		// bridges may be sdist-only).
		versions := ix.Project(n).Versions
		var newest *testindex.Version
		var f *File
		for vi := len(versions) - 1; vi >= 0 && f == nil; vi-- {
			newest = versions[vi]
			for i := range p.Files {
				if p.Files[i].Wheel() && p.Files[i].UploadTime.Equal(newest.UploadTime) {
					f = &p.Files[i]
					break
				}
			}
		}
		assert.Assert(t, f != nil, "project %s: no wheel for any version", n)
		m, err := c.Metadata(ctx, f)
		assert.NilError(t, err)
		assert.Equal(t, m.Version, newest.Version)
		assert.Equal(t, m.RequiresPython, newest.RequiresPython)
		assert.DeepEqual(t, m.RequiresDist, newest.RequiresDist, cmpopts.EquateEmpty())
	}
	assert.Equal(t, s.Count("/simple/*/", 200), len(ix.Names()))
	assert.Assert(t, s.MaxInFlight() <= 4)
}
