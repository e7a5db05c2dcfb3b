package resolve

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

func testTarget(t testing.TB) wheel.Target {
	t.Helper()
	tg, err := wheel.ParseTarget("cp311-manylinux_2_28_x86_64")
	assert.NilError(t, err)
	return tg
}

func reqs(t testing.TB, ss ...string) []pep508.Requirement {
	t.Helper()
	var out []pep508.Requirement
	for _, s := range ss {
		r, err := pep508.Parse(s)
		assert.NilError(t, err)
		out = append(out, r)
	}
	return out
}

func TestResolve(t *testing.T) {
	t.Parallel()
	type tc struct {
		name    string
		src     *memSource
		req     Request
		roots   []string
		want    map[string]string
		wantErr string // substring of the explanation
	}
	tests := []tc{{
		name: "backtracking",
		src: newMemSource().
			add("a", dist{version: "1.0"}, dist{version: "2.0", requires: []string{"c>=2"}}, dist{version: "3.0", requires: []string{"c>=2"}}).
			add("b", dist{version: "1.0", requires: []string{"c<2"}}).
			add("c", dist{version: "1.0"}, dist{version: "2.0"}),
		roots: []string{"a", "b"},
		want:  map[string]string{"a": "1.0", "b": "1.0", "c": "1.0"},
	}, {
		name: "extras",
		src: newMemSource().
			add("a", dist{version: "1.0", extras: []string{"fast"}, requires: []string{"b>=1; extra == 'fast'", "c"}}).
			add("b", dist{version: "1.0"}, dist{version: "2.0"}).
			add("c", dist{version: "1.0"}),
		roots: []string{"a[fast]"},
		want:  map[string]string{"a": "1.0", "b": "2.0", "c": "1.0"},
	}, {
		name: "extra not requested",
		src: newMemSource().
			add("a", dist{version: "1.0", extras: []string{"fast"}, requires: []string{"b>=1; extra == 'fast'"}}).
			add("b", dist{version: "1.0"}),
		roots: []string{"a"},
		want:  map[string]string{"a": "1.0"},
	}, {
		name: "markers",
		src: newMemSource().
			add("a", dist{version: "1.0", requires: []string{"win; sys_platform == 'win32'", "old; python_version < '3.10'", "new; python_version >= '3.10'"}}).
			add("win", dist{version: "1.0"}).add("old", dist{version: "1.0"}).add("new", dist{version: "1.0"}).
			add("skipped", dist{version: "1.0"}),
		roots: []string{"a", "skipped; os_name == 'nt'"},
		want:  map[string]string{"a": "1.0", "new": "1.0"},
	}, {
		name:  "pre-release skipped when a final release exists",
		src:   newMemSource().add("a", dist{version: "1.0"}, dist{version: "2.0b1"}),
		roots: []string{"a"},
		want:  map[string]string{"a": "1.0"},
	}, {
		name:  "pre-release when only pre-releases exist",
		src:   newMemSource().add("a", dist{version: "1.0a1"}, dist{version: "2.0b1"}),
		roots: []string{"a"},
		want:  map[string]string{"a": "2.0b1"},
	}, {
		name:  "pre-release named explicitly",
		src:   newMemSource().add("a", dist{version: "1.0"}, dist{version: "2.0b1"}),
		roots: []string{"a>=2.0b1"},
		want:  map[string]string{"a": "2.0b1"},
	}, {
		name: "pre-release not named by a transitive requirement",
		src: newMemSource().add("a", dist{version: "1.0", requires: []string{"b>=2.0b1"}}).
			add("b", dist{version: "1.0"}, dist{version: "2.0b1"}),
		roots:   []string{"a"},
		wantErr: "Because a depends on b>=2.0b1 and there is no version of b>=2.0b1, a is forbidden.",
	}, {
		name:  "pre-releases allowed",
		src:   newMemSource().add("a", dist{version: "1.0"}, dist{version: "2.0b1"}),
		req:   Request{Prereleases: PrereleasesAllow},
		roots: []string{"a"},
		want:  map[string]string{"a": "2.0b1"},
	}, {
		name:    "pre-releases disallowed",
		src:     newMemSource().add("a", dist{version: "2.0b1"}),
		req:     Request{Prereleases: PrereleasesDisallow},
		roots:   []string{"a"},
		wantErr: "there is no version of a",
	}, {
		name:  "yanked release skipped",
		src:   newMemSource().add("a", dist{version: "1.0"}, dist{version: "2.0", yanked: true}),
		roots: []string{"a"},
		want:  map[string]string{"a": "1.0"},
	}, {
		name:  "yanked release pinned exactly",
		src:   newMemSource().add("a", dist{version: "1.0"}, dist{version: "2.0", yanked: true}),
		roots: []string{"a==2.0"},
		want:  map[string]string{"a": "2.0"},
	}, {
		name:    "yanked release explained",
		src:     newMemSource().add("a", dist{version: "1.0"}, dist{version: "2.0", yanked: true}),
		roots:   []string{"a>=2"},
		wantErr: "Because a>=2.0 was yanked and root depends on a>=2, version solving failed.",
	}, {
		name:  "requires-python of the target",
		src:   newMemSource().add("a", dist{version: "1.0", rp: ">=3.8"}, dist{version: "2.0", rp: ">=3.12"}),
		roots: []string{"a"},
		want:  map[string]string{"a": "1.0"},
	}, {
		name:    "requires-python explained",
		src:     newMemSource().add("a", dist{version: "1.0", rp: ">=3.8"}, dist{version: "2.0", rp: ">=3.12"}),
		roots:   []string{"a>=2"},
		wantErr: "Because a>=2.0 requires Python>=3.12 and root depends on a>=2, version solving failed.",
	}, {
		// An installer refuses a package whose Requires-Python excludes
		// the interpreter, upper bound or not (pip, packaging's pylock).
		name:  "requires-python upper bounds are honoured",
		src:   newMemSource().add("a", dist{version: "1.0", rp: ">=3.8"}, dist{version: "2.0", rp: ">=3.8,<3.10"}),
		roots: []string{"a"},
		want:  map[string]string{"a": "1.0"},
	}, {
		name:    "requires-python upper bound excluding every release",
		src:     newMemSource().add("a", dist{version: "1.0", rp: ">=3.8,<3.10"}),
		roots:   []string{"a"},
		wantErr: "Because a requires Python<3.10,>=3.8 and root depends on a, version solving failed.",
	}, {
		name:  "requires-python lower bound of the project",
		src:   newMemSource().add("a", dist{version: "1.0", rp: ">=3.8"}, dist{version: "2.0", rp: ">=3.10"}),
		req:   Request{RequiresPython: pep440.MustParseSpecifiers(">=3.9")},
		roots: []string{"a"},
		want:  map[string]string{"a": "1.0"},
	}, {
		name:  "requires-python from metadata only",
		src:   newMemSource().add("a", dist{version: "1.0"}, dist{version: "2.0"}),
		roots: []string{"a"},
		want:  map[string]string{"a": "2.0"},
	}, {
		name:  "keep locked version",
		src:   newMemSource().add("a", dist{version: "1.0"}, dist{version: "2.0"}).add("b", dist{version: "1.0"}, dist{version: "2.0"}),
		req:   Request{Preferences: map[string]pep440.Version{"a": pep440.MustParse("1.0"), "b": pep440.MustParse("1.0")}},
		roots: []string{"a", "b"},
		want:  map[string]string{"a": "1.0", "b": "1.0"},
	}, {
		name:  "upgrade all",
		src:   newMemSource().add("a", dist{version: "1.0"}, dist{version: "2.0"}).add("b", dist{version: "1.0"}, dist{version: "2.0"}),
		req:   Request{Upgrade: true, Preferences: map[string]pep440.Version{"a": pep440.MustParse("1.0"), "b": pep440.MustParse("1.0")}},
		roots: []string{"a", "b"},
		want:  map[string]string{"a": "2.0", "b": "2.0"},
	}, {
		name:  "upgrade one package",
		src:   newMemSource().add("a", dist{version: "1.0"}, dist{version: "2.0"}).add("b", dist{version: "1.0"}, dist{version: "2.0"}),
		req:   Request{UpgradePackages: []string{"B"}, Preferences: map[string]pep440.Version{"a": pep440.MustParse("1.0"), "b": pep440.MustParse("1.0")}},
		roots: []string{"a", "b"},
		want:  map[string]string{"a": "1.0", "b": "2.0"},
	}, {
		name:  "locked version no longer allowed",
		src:   newMemSource().add("a", dist{version: "1.0"}, dist{version: "2.0"}, dist{version: "3.0"}),
		req:   Request{Preferences: map[string]pep440.Version{"a": pep440.MustParse("1.0")}},
		roots: []string{"a>=2"},
		want:  map[string]string{"a": "3.0"},
	}, {
		name: "exclude-newer",
		src: newMemSource().add("a", dist{version: "1.0", uploaded: epoch}, dist{version: "2.0", uploaded: epoch.Add(48 * time.Hour)}).
			add("b", dist{version: "1.0", uploaded: epoch}, dist{version: "2.0"}),
		req:   Request{ExcludeNewer: epoch.Add(24 * time.Hour)},
		roots: []string{"a", "b"},
		want:  map[string]string{"a": "1.0", "b": "1.0"},
	}, {
		name: "cycle",
		src: newMemSource().add("a", dist{version: "1.0", requires: []string{"b"}}).
			add("b", dist{version: "1.0", requires: []string{"a>=1"}}),
		roots: []string{"a"},
		want:  map[string]string{"a": "1.0", "b": "1.0"},
	}, {
		name: "constraints",
		src: newMemSource().add("a", dist{version: "1.0", requires: []string{"b"}}).
			add("b", dist{version: "1.0"}, dist{version: "2.0"}).add("c", dist{version: "1.0"}),
		req:   Request{Constraints: reqs(t, "b<2", "c==1.0")},
		roots: []string{"a"},
		want:  map[string]string{"a": "1.0", "b": "1.0"},
	}, {
		name: "wheel compatibility",
		src: newMemSource().add("a", dist{version: "1.0"},
			dist{version: "2.0", tags: []string{"cp311-cp311-win_amd64", "cp312-cp312-manylinux_2_17_x86_64"}}),
		roots: []string{"a"},
		want:  map[string]string{"a": "1.0"},
	}, {
		name:    "no wheel and sdists not allowed",
		src:     newMemSource().add("a", dist{version: "1.0", tags: []string{}, sdist: true}),
		roots:   []string{"a"},
		wantErr: "Because a is unusable (only an sdist is published and sdists are not allowed) and root depends on a, version solving failed.",
	}, {
		name:  "sdist allowed",
		src:   newMemSource().add("a", dist{version: "1.0", tags: []string{}, sdist: true}),
		req:   Request{AllowSdist: true},
		roots: []string{"a"},
		want:  map[string]string{"a": "1.0"},
	}, {
		name: "named conflict",
		src: newMemSource().add("fastapi", dist{version: "0.95", requires: []string{"pydantic<2"}}).
			add("pydantic", dist{version: "1.10"}, dist{version: "2.0"}),
		req:   Request{Name: "payments"},
		roots: []string{"fastapi==0.95", "pydantic>=2"},
		wantErr: "Because fastapi depends on pydantic<2 and payments depends on fastapi==0.95, payments requires pydantic<2.\n" +
			"And because payments depends on pydantic>=2, version solving failed.",
	}, {
		// Exclusions read as the requirement wrote them, not as interval
		// bounds (">=1.8.post0.dev0, <1.8.1 || …").
		name: "explanation keeps != clauses",
		src: newMemSource().add("fastapi", dist{version: "0.95.2", requires: []string{"pydantic!=1.7,!=1.7.1,!=1.8,!=1.8.1,<2.0.0,>=1.6.2"}}).
			add("pydantic", dist{version: "1.8"}, dist{version: "1.8.1"}, dist{version: "1.10"}),
		roots:   []string{"fastapi", "pydantic>=1.8,<1.9"},
		wantErr: "Because fastapi depends on pydantic>=1.6.2, !=1.7, !=1.7.1, !=1.8, !=1.8.1, <2.0.0 and there is no version of pydantic>1.8, !=1.8.1, <1.9,",
	}, {
		name:    "missing package",
		src:     newMemSource(),
		roots:   []string{"nope>=1"},
		wantErr: "Because there is no version of nope>=1 and root depends on nope>=1, version solving failed.",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := tc.req
			req.Target = testTarget(t)
			req.Requirements = reqs(t, tc.roots...)
			res, err := Resolve(context.Background(), req, Options{Source: tc.src})
			if tc.wantErr != "" {
				var nse *NoSolutionError
				assert.Assert(t, errors.As(err, &nse), "got %v (%v)", err, pins(res))
				assert.Assert(t, strings.Contains(nse.Explanation, tc.wantErr),
					"explanation:\n%s\nwant substring:\n%s", nse.Explanation, tc.wantErr)
				return
			}
			assert.NilError(t, err)
			assert.DeepEqual(t, pins(res), tc.want)
		})
	}
}
