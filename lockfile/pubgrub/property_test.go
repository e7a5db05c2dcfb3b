package pubgrub

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

// randomUniverse builds a universe of n packages with up to 5 versions each
// and random dependencies on later-named packages and, sometimes, earlier
// ones (cycles).
func randomUniverse(r *rand.Rand, n int) universe {
	u := universe{"root": {"1.0.0": {}}}
	name := func(i int) string { return fmt.Sprintf("p%d", i) }
	ops := []string{">=", "<", "==", "!="}
	for i := range n {
		vs := map[string]map[string]string{}
		for v := 1; v <= 1+r.IntN(5); v++ {
			deps := map[string]string{}
			for range r.IntN(3) {
				j := r.IntN(n)
				if j == i {
					continue
				}
				deps[name(j)] = ops[r.IntN(len(ops))] + fmt.Sprint(1+r.IntN(5))
			}
			vs[fmt.Sprint(v)] = deps
		}
		u[name(i)] = vs
	}
	for range 1 + r.IntN(3) {
		u["root"]["1.0.0"][name(r.IntN(n))] = ops[r.IntN(2)] + fmt.Sprint(1+r.IntN(5))
	}
	return u
}

// TestSolveRandomGraphs checks the solver's answers on random graphs: a
// solution must satisfy every dependency of every chosen version, and a
// failure must come with an explanation that ends in the conclusion.
func TestSolveRandomGraphs(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	solved, failed := 0, 0
	for range 400 {
		u := randomUniverse(r, 3+r.IntN(8))
		got, err := Solve(context.Background(), &memProvider{u: u}, "root", pep440.MustParse("1.0.0"))
		if nse, ok := errors.AsType[*NoSolutionError](err); ok {
			failed++
			text := Explain(nse.Incompatibility, Format{Root: "root"})
			assert.Assert(t, len(text) > 0 && text[len(text)-len("version solving failed."):] == "version solving failed.", text)
			if len(u) <= 6 {
				assert.Assert(t, !bruteForceSolvable(u), "solver found no solution, but one exists:\n%s", text)
			}
			continue
		}
		assert.NilError(t, err)
		solved++
		chosen := map[string]pep440.Version{"root": pep440.MustParse("1.0.0")}
		for _, d := range got {
			chosen[d.Package] = d.Version
		}
		for pkg, v := range chosen {
			var deps map[string]string
			for s, d := range u[pkg] {
				if pep440.MustParse(s).Equal(v) {
					deps = d
				}
			}
			for dep, spec := range deps {
				dv, ok := chosen[dep]
				assert.Assert(t, ok, "%s==%s needs %s, which is not in the solution %v", pkg, v, dep, got)
				assert.Assert(t, pep440.MustParseSpecifiers(spec).Range().Contains(dv), "%s==%s needs %s%s, got %s", pkg, v, dep, spec, dv)
			}
		}
	}
	assert.Assert(t, solved > 50 && failed > 50, "solved %d, failed %d: the generator should produce both", solved, failed)
}

// bruteForceSolvable tries every choice (absent or one version) for every
// package.
func bruteForceSolvable(u universe) bool {
	var names []string
	for n := range u {
		if n != "root" {
			names = append(names, n)
		}
	}
	chosen := map[string]string{"root": "1.0.0"}
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(names) {
			for pkg, v := range chosen {
				for dep, spec := range u[pkg][v] {
					dv, ok := chosen[dep]
					if !ok || !pep440.MustParseSpecifiers(spec).Range().Contains(pep440.MustParse(dv)) {
						return false
					}
				}
			}
			return true
		}
		if try(i + 1) {
			return true
		}
		for v := range u[names[i]] {
			chosen[names[i]] = v
			ok := try(i + 1)
			delete(chosen, names[i])
			if ok {
				return true
			}
		}
		return false
	}
	return try(0)
}
