package pubgrub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

// universe is an in-memory provider: package -> version -> dependency ->
// specifier set. Versions are offered newest first.
type universe map[string]map[string]map[string]string

type memProvider struct {
	u           universe
	unavailable map[string]string // "pkg==version" -> reason
	calls       []string
}

func (p *memProvider) Versions(_ context.Context, pkg string) ([]pep440.Version, error) {
	p.calls = append(p.calls, "versions "+pkg)
	var out []pep440.Version
	for v := range p.u[pkg] {
		out = append(out, pep440.MustParse(v))
	}
	sort.Slice(out, func(i, j int) bool { return out[j].Less(out[i]) })
	return out, nil
}

func (p *memProvider) Dependencies(_ context.Context, pkg string, v pep440.Version) (Dependencies, error) {
	p.calls = append(p.calls, "deps "+pkg+"=="+v.String())
	if r, ok := p.unavailable[pkg+"=="+v.String()]; ok {
		return Dependencies{Unavailable: r}, nil
	}
	var deps map[string]string
	if pkg == "root" {
		deps = p.u["root"]["1.0.0"]
	} else {
		for s, d := range p.u[pkg] {
			if pep440.MustParse(s).Equal(v) {
				deps = d
			}
		}
	}
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	slices.Sort(names)
	var out Dependencies
	for _, n := range names {
		out.Requires = append(out.Requires, Dependency{Package: n, Range: pep440.MustParseSpecifiers(deps[n]).Range()})
	}
	return out, nil
}

func solve(t *testing.T, u universe, unavailable map[string]string) (map[string]string, error) {
	t.Helper()
	got, err := Solve(context.Background(), &memProvider{u: u, unavailable: unavailable}, "root", pep440.MustParse("1.0.0"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, d := range got {
		out[d.Package] = d.Version.String()
	}
	return out, nil
}

func TestSolveClassicExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		u    universe
		want map[string]string
	}{{
		name: "no conflict",
		u: universe{
			"root": {"1.0.0": {"foo": ">=1.0.0,<2.0.0"}},
			"foo":  {"1.0.0": {"bar": ">=1.0.0,<2.0.0"}},
			"bar":  {"1.0.0": nil, "2.0.0": nil},
		},
		want: map[string]string{"foo": "1.0.0", "bar": "1.0.0"},
	}, {
		name: "avoiding conflict during decision making",
		u: universe{
			"root": {"1.0.0": {"foo": ">=1.0.0,<2.0.0", "bar": ">=1.0.0,<2.0.0"}},
			"foo":  {"1.1.0": {"bar": ">=2.0.0,<3.0.0"}, "1.0.0": nil},
			"bar":  {"1.0.0": nil, "1.1.0": nil, "2.0.0": nil},
		},
		want: map[string]string{"foo": "1.0.0", "bar": "1.1.0"},
	}, {
		name: "conflict resolution",
		u: universe{
			"root": {"1.0.0": {"foo": ">=1.0.0"}},
			"foo":  {"2.0.0": {"bar": ">=1.0.0,<2.0.0"}, "1.0.0": nil},
			"bar":  {"1.0.0": {"foo": ">=1.0.0,<2.0.0"}},
		},
		want: map[string]string{"foo": "1.0.0"},
	}, {
		name: "conflict with partial satisfier",
		u: universe{
			"root":   {"1.0.0": {"foo": ">=1.0.0,<2.0.0", "target": ">=2.0.0,<3.0.0"}},
			"foo":    {"1.1.0": {"left": ">=1.0.0,<2.0.0", "right": ">=1.0.0,<2.0.0"}, "1.0.0": nil},
			"left":   {"1.0.0": {"shared": ">=1.0.0"}},
			"right":  {"1.0.0": {"shared": "<2.0.0"}},
			"shared": {"2.0.0": nil, "1.0.0": {"target": ">=1.0.0,<2.0.0"}},
			"target": {"2.0.0": nil, "1.0.0": nil},
		},
		want: map[string]string{"foo": "1.0.0", "target": "2.0.0"},
	}, {
		name: "double choices",
		u: universe{
			"root": {"1.0.0": {"a": ""}},
			"a":    {"0": {"b": "", "c": ""}},
			"b":    {"0": {"d": "==0"}, "1": {"d": "==1"}},
			"c":    {"0": nil, "1": {"d": "==2"}},
			"d":    {"0": nil},
		},
		want: map[string]string{"a": "0", "b": "0", "c": "0", "d": "0"},
	}, {
		name: "cycle",
		u: universe{
			"root": {"1.0.0": {"a": ">=1"}},
			"a":    {"1.0": {"b": ">=1"}, "2.0": {"b": ">=2"}},
			"b":    {"1.0": {"a": ">=1"}, "2.0": {"a": "<2"}},
		},
		want: map[string]string{"a": "1.0", "b": "2.0"},
	}, {
		name: "self dependency",
		u: universe{
			"root": {"1.0.0": {"a": ""}},
			"a":    {"2.0": {"a": "<2"}, "1.0": {"a": "==1.0"}},
		},
		want: map[string]string{"a": "1.0"},
	}, {
		name: "backjump over many versions",
		u: universe{
			"root": {"1.0.0": {"a": "", "b": ""}},
			"a":    {"1": nil, "2": {"c": ">=2"}, "3": {"c": ">=2"}, "4": {"c": ">=2"}},
			"b":    {"1": {"c": "<2"}},
			"c":    {"1": nil, "2": nil},
		},
		want: map[string]string{"a": "1", "b": "1", "c": "1"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := solve(t, tc.u, nil)
			assert.NilError(t, err)
			assert.DeepEqual(t, got, tc.want)
		})
	}
}

func TestSolveExplanations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		u           universe
		unavailable map[string]string
		want        string
	}{{
		name: "root conflict",
		u: universe{
			"root": {"1.0.0": {"a": ">=1", "b": ">=2"}},
			"a":    {"1.0": {"b": "<2"}},
			"b":    {"1.0": nil, "2.0": nil},
		},
		want: "Because a depends on b<2 and root depends on a>=1, root requires b<2.\n" +
			"And because root depends on b>=2, version solving failed.",
	}, {
		name: "linear error reporting",
		u: universe{
			"root": {"1.0.0": {"foo": ">=1.0.0,<2.0.0", "baz": ">=1.0.0,<2.0.0"}},
			"foo":  {"1.0.0": {"bar": ">=2.0.0,<3.0.0"}},
			"bar":  {"2.0.0": {"baz": ">=3.0.0,<4.0.0"}},
			"baz":  {"1.0.0": nil, "3.0.0": nil},
		},
		want: "Because foo depends on bar>=2.0.0, <3.0.0 and bar depends on baz>=3.0.0, <4.0.0, foo requires baz>=3.0.0, <4.0.0.\n" +
			"And because root depends on baz>=1.0.0, <2.0.0 and root depends on foo>=1.0.0, <2.0.0, version solving failed.",
	}, {
		name: "branching error reporting",
		u: universe{
			"root": {"1.0.0": {"foo": ">=1.0.0,<2.0.0"}},
			"foo": {
				"1.0.0": {"a": ">=1.0.0,<2.0.0", "b": ">=1.0.0,<2.0.0"},
				"1.1.0": {"x": ">=1.0.0,<2.0.0", "y": ">=1.0.0,<2.0.0"},
			},
			"a": {"1.0.0": {"b": ">=2.0.0,<3.0.0"}},
			"b": {"1.0.0": nil, "2.0.0": nil},
			"x": {"1.0.0": {"y": ">=2.0.0,<3.0.0"}},
			"y": {"1.0.0": nil, "2.0.0": nil},
		},
		want: "Because a depends on b>=2.0.0, <3.0.0 and foo<1.1.0 depends on a>=1.0.0, <2.0.0, foo<1.1.0 requires b>=2.0.0, <3.0.0.\n" +
			"And because foo<1.1.0 depends on b>=1.0.0, <2.0.0, foo<1.1.0 is forbidden. (1)\n" +
			"\n" +
			"Because x depends on y>=2.0.0, <3.0.0 and foo>=1.1.0 depends on x>=1.0.0, <2.0.0, foo>=1.1.0 requires y>=2.0.0, <3.0.0.\n" +
			"And because foo>=1.1.0 depends on y>=1.0.0, <2.0.0, foo>=1.1.0 is forbidden.\n" +
			"And because foo<1.1.0 is forbidden (1), foo is forbidden.\n" +
			"And because root depends on foo>=1.0.0, <2.0.0, version solving failed.",
	}, {
		name: "missing package",
		u: universe{
			"root": {"1.0.0": {"a": ">=1"}},
		},
		want: "Because there is no version of a>=1 and root depends on a>=1, version solving failed.",
	}, {
		name: "unavailable version",
		u: universe{
			"root": {"1.0.0": {"a": ">=2"}},
			"a":    {"1.0": nil, "2.0": nil},
		},
		unavailable: map[string]string{"a==2.0": "requires Python>=3.12"},
		want:        "Because a>=2.0 requires Python>=3.12 and root depends on a>=2, version solving failed.",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := solve(t, tc.u, tc.unavailable)
			var nse *NoSolutionError
			assert.Assert(t, errors.As(err, &nse), "got %v", err)
			got := Explain(nse.Incompatibility, Format{Root: "root"})
			assert.Equal(t, got, tc.want, cmp.Diff(tc.want, got))
			assert.Assert(t, strings.HasPrefix(err.Error(), "no solution: Because "))
		})
	}
}

func TestSolveDeterministic(t *testing.T) {
	t.Parallel()
	u := universe{
		"root": {"1.0.0": {"a": "", "b": "", "c": ""}},
		"a":    {"1": {"d": "<2"}, "2": {"d": ">=2"}, "3": {"d": ">=3"}},
		"b":    {"1": {"d": "<3"}, "2": {"e": ">=2"}},
		"c":    {"1": {"e": "<2"}, "2": {"e": "<3", "d": "<3"}},
		"d":    {"1": nil, "2": nil, "3": nil},
		"e":    {"1": nil, "2": nil, "3": {"a": "<3"}},
	}
	var first []string
	for i := range 5 {
		p := &memProvider{u: u}
		got, err := Solve(context.Background(), p, "root", pep440.MustParse("1.0.0"))
		assert.NilError(t, err)
		out := append([]string{fmt.Sprint(got)}, p.calls...)
		if i == 0 {
			first = out
			continue
		}
		assert.DeepEqual(t, out, first)
	}
}

func TestSolveCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Solve(ctx, &memProvider{u: universe{"root": {"1.0.0": {"a": ""}}}}, "root", pep440.MustParse("1"))
	assert.Assert(t, errors.Is(err, context.Canceled), "got %v", err)
}

type failingProvider struct{ memProvider }

func (p *failingProvider) Dependencies(ctx context.Context, pkg string, v pep440.Version) (Dependencies, error) {
	if pkg == "b" {
		return Dependencies{}, errors.New("index unreachable")
	}
	return p.memProvider.Dependencies(ctx, pkg, v)
}

func TestSolveProviderError(t *testing.T) {
	t.Parallel()
	p := &failingProvider{memProvider{u: universe{"root": {"1.0.0": {"a": ""}}, "a": {"1": {"b": ""}}, "b": {"1": nil}}}}
	_, err := Solve(context.Background(), p, "root", pep440.MustParse("1"))
	assert.ErrorContains(t, err, "dependencies of b==1: index unreachable")
	var nse *NoSolutionError
	assert.Assert(t, !errors.As(err, &nse))
}

// prioProvider decides "z" before everything else.
type prioProvider struct{ memProvider }

func (p *prioProvider) Priority(pkg string, _ pep440.Range) int {
	if pkg == "z" {
		return 0
	}
	return 1
}

func TestSolvePriority(t *testing.T) {
	t.Parallel()
	p := &prioProvider{memProvider{u: universe{"root": {"1.0.0": {"a": "", "z": ""}}, "a": {"1": nil}, "z": {"1": nil}}}}
	_, err := Solve(context.Background(), p, "root", pep440.MustParse("1"))
	assert.NilError(t, err)
	assert.DeepEqual(t, p.calls, []string{"deps root==1", "versions z", "deps z==1", "versions a", "deps a==1"})
}
