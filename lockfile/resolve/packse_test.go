package resolve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"

	"github.com/pydeploy/pydeploy/internal/shareddata"
	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// packseRequest turns a scenario into a resolve request: the target Python is
// resolver_options.python, else environment.python, else packse's 3.8.
func packseRequest(t *testing.T, sc *testindex.Scenario) Request {
	t.Helper()
	py := sc.ResolverOptions.Python
	if py == "" {
		py = sc.Environment.Python
	}
	if py == "" {
		py = "3.8"
	}
	platform := "manylinux_2_17_x86_64"
	if p := sc.ResolverOptions.PythonPlatform; p != "" {
		arch, plat, ok := strings.Cut(p, "-")
		assert.Assert(t, ok, "python_platform %q", p)
		platform = plat + "_" + arch
	}
	target, err := wheel.ParseTarget("python" + py + "-" + platform)
	assert.NilError(t, err)
	req := Request{Target: target, AllowSdist: true, NoBinary: sc.ResolverOptions.NoBinary, NoBuild: sc.ResolverOptions.NoBuild}
	if sc.ResolverOptions.Prereleases {
		req.Prereleases = PrereleasesAllow
	}
	for _, s := range sc.Root.Requires {
		r, err := pep508.Parse(s)
		assert.NilError(t, err)
		req.Requirements = append(req.Requirements, r)
	}
	// root.requires_python is the project's requires-python of universal
	// (uv lock) scenarios; a single-target resolution only has the target's
	// Python, as uv pip compile --python-version.
	return req
}

// packseDeviations are the scenarios whose expected outcome is uv's policy
// where this resolver deliberately follows the installers instead; each is
// still resolved and its result checked against the golden file.
var packseDeviations = map[string]string{
	// uv ignores Requires-Python upper bounds. pip and every pylock.toml
	// installer (packaging's select(), pylock.Select) refuse a package
	// whose Requires-Python excludes the interpreter, so a lock pinning
	// a==1.0.0 (Requires-Python <=3.8) for Python 3.9 could never be
	// installed: no solution is the only correct answer.
	"python-less-than-current": "unsatisfiable",
	// packse expects no solution, but uv (whose universal resolution the
	// scenario tests) resolves it, as this resolver does; the lockfile
	// package's TestPackseUniversal checks that the lock installs
	// consistently in every environment.
	"preferences-dependent-forking-conflicting": "satisfiable",
}

// packseUniversalRequest is the request uv's scenario tests make for a
// universal scenario: uv lock with requires-python ">=3.12" unless the
// scenario sets one (testindex.FromPackse defaults it to packse's ">=3.8",
// so the file is read again to tell).
func packseUniversalRequest(t *testing.T, path string, sc *testindex.Scenario) Request {
	t.Helper()
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	var raw struct {
		Root struct {
			RequiresPython *string `toml:"requires_python"`
		} `toml:"root"`
	}
	assert.NilError(t, toml.Unmarshal(data, &raw))
	rp := ">=3.12"
	if raw.Root.RequiresPython != nil {
		rp = *raw.Root.RequiresPython
	}
	req := Request{Universal: true, RequiresPython: pep440.MustParseSpecifiers(rp), AllowSdist: true}
	for _, m := range sc.ResolverOptions.RequiredEnvironments {
		mk, err := pep508.ParseMarker(m)
		assert.NilError(t, err)
		req.RequiredEnvironments = append(req.RequiredEnvironments, mk)
	}
	for _, s := range sc.Root.Requires {
		r, err := pep508.Parse(s)
		assert.NilError(t, err)
		req.Requirements = append(req.Requirements, r)
	}
	return req
}

func TestPackse(t *testing.T) {
	dir := shareddata.Dir(t, "packse/scenarios")
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.toml"))
	assert.NilError(t, err)
	slices.Sort(files)
	ran, universal := 0, 0
	for _, path := range files {
		sc, ix, err := testindex.FromPackse(path)
		assert.NilError(t, err, path)
		ran++
		if sc.ResolverOptions.Universal {
			universal++
		}
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			srv := testindex.StartT(t, ix, testindex.Options{})
			client, err := simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.URL + "/simple/"}}, NoNetrc: true})
			assert.NilError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			req := packseRequest(t, sc)
			if sc.ResolverOptions.Universal {
				req = packseUniversalRequest(t, path, sc)
			}
			res, err := Resolve(ctx, req, Options{Source: client})
			goldenPath := filepath.Join("packse", sc.Name+".txt")
			satisfiable := sc.Expected.Satisfiable
			switch packseDeviations[sc.Name] {
			case "unsatisfiable":
				satisfiable = false
			case "satisfiable":
				satisfiable = true
			}
			if !satisfiable {
				var nse *NoSolutionError
				assert.Assert(t, errors.As(err, &nse), "%s: expected no solution, got %v (%v)\n%s", sc.Name, err, pins(res), sc.Description)
				assert.Assert(t, strings.Contains(nse.Explanation, "root depends on") || strings.Contains(nse.Explanation, "root requires"),
					"explanation does not mention the root requirement:\n%s", nse.Explanation)
				golden.Assert(t, nse.Explanation+"\n", goldenPath)
				return
			}
			assert.NilError(t, err, "%s\n%s", sc.Description, sc.Expected.Explanation)
			if sc.Expected.Packages != nil {
				want := map[string]string{}
				for n, v := range sc.Expected.Packages {
					want[pep508.CanonicalName(n)] = pep440.MustParse(v).String()
				}
				assert.DeepEqual(t, pins(res), want)
			}
			golden.Assert(t, formatPins(res), goldenPath)
		})
	}
	t.Logf("packse: %d scenarios resolved (%d of them universal), 0 skipped", ran, universal)
	fmt.Printf("packse: %d scenarios resolved (%d of them universal), 0 skipped\n", ran, universal)
}

func pins(res *Resolution) map[string]string {
	if res == nil {
		return nil
	}
	out := map[string]string{}
	for _, p := range res.Packages {
		out[p.Name] = p.Version.String()
	}
	return out
}

func formatPins(res *Resolution) string {
	var b strings.Builder
	for _, p := range res.Packages {
		b.WriteString(p.Name + "==" + p.Version.String())
		if p.Marker != "" {
			b.WriteString(" ; " + p.Marker)
		}
		if len(p.Extras) > 0 {
			b.WriteString(" [" + strings.Join(p.Extras, ",") + "]")
		}
		if len(p.Dependencies) > 0 {
			b.WriteString(" -> " + strings.Join(p.Dependencies, ", "))
		}
		b.WriteString("\n")
	}
	return b.String()
}
