package resolve

import (
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// TestBuildProjectIgnoresInvalidNamesAsEagerParsing checks that lazy
// grouping gives what parsing every file name up front gave: invalid wheel
// names are ignored, a version with only invalid files does not exist, and
// equal versions keep the order of their first valid file.
func TestBuildProjectIgnoresInvalidNamesAsEagerParsing(t *testing.T) {
	t.Parallel()
	names := []string{
		"a-1.0-py3-none-any$.whl",   // invalid tag: does not place 1.0 first
		"a-1.0.0-py3-none-any$.whl", // invalid
		"a-2.0-py3-none-any.whl",
		"a-1.0.0-py3-none-any.whl",
		"a-1.0-py3-none-any.whl",
		"b-4.0-py3-none-any.whl",     // another project
		"a-3.0-py3-none-any$.whl",    // 3.0 has no valid file
		"a-3.0-1-2-py3-none-any.whl", // 7 parts
		"a-x.y-py3-none-any.whl",     // bad version
		"a-0.9.tar.gz",
		"a-0.9-cp311-cp311-manylinux_2_28_x86_64.whl",
		"a-0.9-py3-none-any.whl",
	}
	page := &simpleapi.Project{Name: "a"}
	for _, n := range names {
		page.Files = append(page.Files, simpleapi.File{Filename: n, URL: "https://x/" + n, Size: -1})
	}
	req := &Request{Target: testTarget(t)}
	proj := newPolicy(req, []wheel.Target{req.Target}).buildProject("a", page)
	type rel struct{ Version, Chosen string }
	var got []rel
	for _, r := range proj.releases {
		got = append(got, rel{r.version.String(), r.choose(0).chosen.Filename})
	}
	assert.DeepEqual(t, got, []rel{
		{"2.0", "a-2.0-py3-none-any.whl"},
		{"1.0.0", "a-1.0.0-py3-none-any.whl"},
		{"1.0", "a-1.0-py3-none-any.whl"},
		{"0.9", "a-0.9-cp311-cp311-manylinux_2_28_x86_64.whl"},
	})
	assert.Equal(t, len(proj.byKey), 4)
	assert.Assert(t, proj.hasFinal)
}
