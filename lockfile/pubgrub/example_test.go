package pubgrub_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pubgrub"
)

// graph is a tiny provider: package -> version -> dependency -> specifiers.
type graph map[string]map[string]map[string]string

func (g graph) Versions(_ context.Context, pkg string) ([]pep440.Version, error) {
	var out []pep440.Version
	for _, v := range []string{"3.0", "2.0", "1.0"} { // newest first
		if _, ok := g[pkg][v]; ok {
			out = append(out, pep440.MustParse(v))
		}
	}
	return out, nil
}

func (g graph) Dependencies(_ context.Context, pkg string, v pep440.Version) (pubgrub.Dependencies, error) {
	var deps pubgrub.Dependencies
	for _, name := range []string{"a", "b", "c"} {
		if spec, ok := g[pkg][v.String()][name]; ok {
			deps.Requires = append(deps.Requires, pubgrub.Dependency{Package: name, Range: pep440.MustParseSpecifiers(spec).Range()})
		}
	}
	return deps, nil
}

func ExampleSolve() {
	g := graph{
		"root": {"1.0": {"a": ">=1", "b": ""}},
		"a":    {"1.0": {}, "2.0": {"c": ">=2"}},
		"b":    {"1.0": {"c": "<2"}},
		"c":    {"1.0": {}, "2.0": {}},
	}
	solution, err := pubgrub.Solve(context.Background(), g, "root", pep440.MustParse("1.0"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range solution {
		fmt.Println(d.Package, d.Version)
	}
	// Output:
	// a 1.0
	// b 1.0
	// c 1.0
}

func ExampleExplain() {
	g := graph{
		"root": {"1.0": {"a": ">=1", "b": ">=2"}},
		"a":    {"1.0": {"b": "<2"}},
		"b":    {"1.0": {}, "2.0": {}},
	}
	_, err := pubgrub.Solve(context.Background(), g, "root", pep440.MustParse("1.0"))
	if nse, ok := errors.AsType[*pubgrub.NoSolutionError](err); ok {
		fmt.Println(pubgrub.Explain(nse.Incompatibility, pubgrub.Format{Root: "root"}))
	}
	// Output:
	// Because a depends on b<2 and root depends on a>=1, root requires b<2.
	// And because root depends on b>=2, version solving failed.
}
