package pubgrub

import (
	"context"
	"errors"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

// forkProvider splits on the root: environment "linux" needs a>=2,
// "darwin" needs a<2; a==1 depends on b<2 and a==2 on b>=2 everywhere.
type forkProvider struct {
	memProvider
	solved []string
	prefer map[string]string
}

func (p *forkProvider) VersionsIn(ctx context.Context, env any, pkg string) ([]pep440.Version, error) {
	vs, err := p.Versions(ctx, pkg)
	if pref, ok := p.prefer[pkg]; ok {
		for i, v := range vs {
			if v.String() == pref {
				vs = append([]pep440.Version{v}, append(vs[:i:i], vs[i+1:]...)...)
				break
			}
		}
	}
	return vs, err
}

func (p *forkProvider) DependenciesIn(ctx context.Context, env any, state State, pkg string, v pep440.Version) (Dependencies, error) {
	if pkg == "root" && env == "all" {
		return Dependencies{Forks: []Fork{
			{Env: "darwin", Requires: []Dependency{{Package: "a", Range: pep440.MustParseSpecifiers("<2").Range()}, {Package: "c", Range: pep440.FullRange()}}},
			{Env: "linux", Requires: []Dependency{{Package: "a", Range: pep440.MustParseSpecifiers(">=2").Range()}, {Package: "c", Range: pep440.FullRange()}}},
			{Env: "windows", Unavailable: "is not for windows"},
		}}, nil
	}
	return p.Dependencies(ctx, pkg, v)
}

func (p *forkProvider) Solved(env any, decisions []Decision) {
	var parts []string
	for _, d := range decisions {
		parts = append(parts, d.Package+"=="+d.Version.String())
		if p.prefer == nil {
			p.prefer = map[string]string{}
		}
		p.prefer[d.Package] = d.Version.String()
	}
	p.solved = append(p.solved, env.(string)+": "+strings.Join(parts, " "))
}

func TestSolveForks(t *testing.T) {
	t.Parallel()
	u := universe{
		"root": {"1.0.0": nil},
		"a":    {"1.0.0": {"b": "<2"}, "2.0.0": {"b": ">=2"}},
		"b":    {"1.0.0": nil, "2.0.0": nil},
		"c":    {"1.0.0": nil, "2.0.0": nil},
	}
	p := &forkProvider{memProvider: memProvider{u: u}}
	// The root itself cannot be decided on windows, so that fork fails.
	_, err := SolveForks(context.Background(), p, "root", pep440.MustParse("1.0.0"), "all")
	var nse *NoSolutionError
	assert.Assert(t, errors.As(err, &nse), "%v", err)
	assert.Equal(t, nse.Env, "windows")
	assert.DeepEqual(t, p.solved, []string{"darwin: a==1.0.0 b==1.0.0 c==2.0.0", "linux: a==2.0.0 b==2.0.0 c==2.0.0"})
}

func TestSolveForksPreferSolvedVersions(t *testing.T) {
	t.Parallel()
	u := universe{
		"root": {"1.0.0": nil},
		"a":    {"1.0.0": nil, "2.0.0": nil},
		"c":    {"1.0.0": nil, "2.0.0": {"a": "<2"}},
	}
	p := &twoForks{forkProvider: forkProvider{memProvider: memProvider{u: u}}}
	sols, err := SolveForks(context.Background(), p, "root", pep440.MustParse("1.0.0"), "all")
	assert.NilError(t, err)
	assert.Equal(t, len(sols), 2)
	assert.Equal(t, sols[0].Env, "darwin")
	assert.Equal(t, sols[1].Env, "linux")
	// darwin decides a==2.0.0 first, which rules out c==2.0.0; linux alone
	// would take c==2.0.0 (and a==1.0.0) but prefers what darwin chose.
	assert.DeepEqual(t, p.solved, []string{"darwin: a==2.0.0 c==1.0.0", "linux: c==1.0.0"})
}

// twoForks splits the root into darwin (needs c and a) and linux (needs c).
type twoForks struct{ forkProvider }

func (p *twoForks) DependenciesIn(ctx context.Context, env any, state State, pkg string, v pep440.Version) (Dependencies, error) {
	if pkg == "root" && env == "all" {
		return Dependencies{Forks: []Fork{
			{Env: "darwin", Requires: []Dependency{{Package: "a", Range: pep440.FullRange()}, {Package: "c", Range: pep440.FullRange()}}},
			{Env: "linux", Requires: []Dependency{{Package: "c", Range: pep440.FullRange()}}},
		}}, nil
	}
	return p.Dependencies(ctx, pkg, v)
}
