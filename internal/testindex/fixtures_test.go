package testindex

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/shareddata"
)

func TestFromPackseEveryScenario(t *testing.T) {
	dir := shareddata.Dir(t, "packse/scenarios")
	paths, err := filepath.Glob(filepath.Join(dir, "*", "*.toml"))
	assert.NilError(t, err)
	assert.Equal(t, len(paths), 148)
	for _, p := range paths {
		sc, ix, err := FromPackse(p)
		assert.NilError(t, err, p)
		assert.Assert(t, sc.Name != "", p)
		assert.Assert(t, len(sc.Root.Requires) > 0 || len(ix.Names()) == 0, p)
	}
}

func TestFromPackseDefaults(t *testing.T) {
	dir := shareddata.Dir(t, "packse/scenarios")
	sc, ix, err := FromPackse(filepath.Join(dir, "extras", "extra-required.toml"))
	assert.NilError(t, err)
	assert.DeepEqual(t, sc.Expected.Packages, map[string]string{"a": "1.0.0", "b": "1.0.0"})
	v := ix.Project("a").Version("1.0.0")
	assert.Equal(t, v.RequiresPython, ">=3.8")
	assert.DeepEqual(t, v.ProvidesExtra, []string{"extra"})
	assert.DeepEqual(t, v.RequiresDist, []string{`b; extra == "extra"`})
	files, err := v.Files("a")
	assert.NilError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, f.Filename)
	}
	assert.DeepEqual(t, names, []string{"a-1.0.0-py3-none-any.whl", "a-1.0.0.tar.gz"})

	_, ix, err = FromPackse(filepath.Join(dir, "yanked", "package-yanked-specified-mixed-available.toml"))
	assert.NilError(t, err)
	var yanked []string
	for _, v := range ix.Project("a").Versions {
		if v.Yanked {
			yanked = append(yanked, v.Version)
		}
	}
	assert.DeepEqual(t, yanked, []string{"0.2.0", "1.0.0"})

	_, ix, err = FromPackse(filepath.Join(dir, "wheels", "no-sdist-no-wheels-with-matching-abi.toml"))
	assert.NilError(t, err)
	v = ix.Project("a").Versions[0]
	assert.Assert(t, !v.Sdist)
	assert.Assert(t, len(v.WheelTags) == 1 && v.WheelTags[0] != "py3-none-any", v.WheelTags)
}

func TestFromPyPIRootSets(t *testing.T) {
	dir := shareddata.Dir(t, "pypi")
	for _, tc := range []struct {
		root        string
		synthesized []string
		projects    int
	}{
		{"web-service", []string{"click-didyoumean", "tzdata", "uvicorn"}, 57},
		{"jupyter", []string{"aiofiles", "contourpy", "jupyter-server-fileid"}, 118},
		{"dagster", []string{"pyreadline3", "pytz-deprecation-shim", "tzdata", "uvicorn"}, 82},
		{"", []string{"aiofiles", "click-didyoumean", "contourpy", "jupyter-server-fileid", "pyreadline3", "pytz-deprecation-shim", "tzdata", "uvicorn"}, 181 + 8},
	} {
		t.Run(tc.root, func(t *testing.T) {
			ix, root, err := FromPyPI(dir, tc.root)
			assert.NilError(t, err)
			assert.DeepEqual(t, ix.Synthesized, tc.synthesized)
			assert.Equal(t, len(ix.Names()), tc.projects)
			assert.Equal(t, root.Cutoff.Format("2006-01-02T15:04:05Z"), "2023-09-07T21:12:01Z")
			for _, n := range ix.Names() {
				for _, v := range ix.Project(n).Versions {
					assert.Assert(t, v.UploadTime.Before(root.Cutoff), "%s %s", n, v.Version)
				}
			}
		})
	}
}

func TestFromPyPISynthesizedVersionsSatisfyDependents(t *testing.T) {
	dir := shareddata.Dir(t, "pypi")
	ix, _, err := FromPyPI(dir, "")
	assert.NilError(t, err)
	got := map[string][]string{}
	for _, n := range ix.Synthesized {
		for _, v := range ix.Project(n).Versions {
			got[n] = append(got[n], v.Version)
		}
		sort.Strings(got[n])
	}
	// aiofiles has two disjoint dependent ranges (<1,>=0.8.0 and <23,>=22.1.0),
	// so it needs two versions; every bound-less dependent takes any version.
	want := map[string][]string{
		"aiofiles":              {"0.8.1", "22.1.1"},
		"click-didyoumean":      {"0.3.1"},
		"contourpy":             {"1.0.2"},
		"jupyter-server-fileid": {"0.6.1"},
		"pyreadline3":           {"1.0.0"},
		"pytz-deprecation-shim": {"1.0.0"},
		"tzdata":                {"2022.8"},
		"uvicorn":               {"0.12.1", "0.21.1"},
	}
	assert.DeepEqual(t, got, want)
	assert.DeepEqual(t, ix.Project("uvicorn").Versions[0].ProvidesExtra, []string{"standard"})
}

func TestFromPyPIBridgesMissingNewerReleases(t *testing.T) {
	dir := shareddata.Dir(t, "pypi")
	ix, _, err := FromPyPI(dir, "jupyter")
	assert.NilError(t, err)
	t.Logf("bridged %d versions: %v", len(ix.Bridged), ix.Bridged)
	found := false
	for _, b := range ix.Bridged {
		if strings.HasPrefix(b, "jupyter-core==") {
			found = true
		}
	}
	assert.Assert(t, found, "ipykernel's jupyter-core>=4.12,!=5.0.* must be bridged: %v", ix.Bridged)
}
