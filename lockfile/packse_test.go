package lockfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"

	"github.com/pydeploy/pydeploy/internal/shareddata"
	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/resolve"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// universalCase is one universal packse scenario with uv's expected
// installs (testdata/packse-universal.txt).
type universalCase struct {
	name           string
	requiresPython string
	satisfiable    bool
	envs           []universalEnv
}

type universalEnv struct {
	line     string
	env      pep508.Environment
	installs map[string]string
}

func readUniversalCases(t *testing.T) []universalCase {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "packse-universal.txt"))
	assert.NilError(t, err)
	defer f.Close()
	var out []universalCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "scenario "):
			var c universalCase
			var sat string
			_, err := fmt.Sscanf(line, "scenario %s requires-python %s %s", &c.name, &c.requiresPython, &sat)
			assert.NilError(t, err, line)
			c.satisfiable = sat == "satisfiable"
			out = append(out, c)
		case strings.HasPrefix(line, "env "):
			head, tail, _ := strings.Cut(line, ":")
			f := strings.Fields(head)
			assert.Equal(t, len(f), 8, line)
			v := pep440.MustParse(f[1])
			rel := v.Release()
			env := pep508.Environment{
				PythonFullVersion: f[1], PythonVersion: fmt.Sprintf("%d.%d", rel[0], rel[1]), ImplementationVersion: f[1],
				SysPlatform: f[2], OSName: f[3], PlatformSystem: f[4], ImplementationName: f[5],
				PlatformPythonImplementation: f[6], PlatformMachine: f[7],
			}
			var installs map[string]string
			if strings.TrimSpace(tail) != "?" {
				installs = map[string]string{}
				for pin := range strings.FieldsSeq(tail) {
					n, ver, _ := strings.Cut(pin, "==")
					installs[n] = ver
				}
			}
			c := &out[len(out)-1]
			c.envs = append(c.envs, universalEnv{line: line, env: env, installs: installs})
		}
	}
	assert.NilError(t, sc.Err())
	return out
}

// targetFor is a wheel target for picking files in env: its platform, or
// Linux for a platform no wheel tag names.
func targetFor(t *testing.T, env pep508.Environment) wheel.Target {
	t.Helper()
	plat := "manylinux_2_28_x86_64"
	switch env.SysPlatform {
	case "linux":
		if slices.Contains([]string{"aarch64", "i686", "armv7l", "ppc64le", "s390x"}, env.PlatformMachine) {
			plat = "manylinux_2_28_" + env.PlatformMachine
		}
	case "darwin":
		plat = "macosx_14_0_x86_64"
		if env.PlatformMachine == "arm64" || env.PlatformMachine == "aarch64" {
			plat = "macosx_14_0_arm64"
		}
	case "win32":
		plat = "win_amd64"
		if env.PlatformMachine == "ARM64" || env.PlatformMachine == "aarch64" {
			plat = "win_arm64"
		}
	}
	tg, err := wheel.ParseTarget("python" + env.PythonFullVersion + "-" + plat)
	assert.NilError(t, err)
	return tg
}

// uvDeviations are universal scenarios where the expectation is not uv's
// lock: the packse scenario documents a different answer, and this
// resolver gives that one.
var uvDeviations = map[string]struct {
	why      string
	installs map[string]string
}{
	"wrong-backtracking-indirect": {
		why: "uv locks a==2.0.0 with b-inner==1.0.0 and too-old (astral-sh/uv#12060, noted in the scenario); " +
			"the scenario's intended answer, which conflict tracking finds, is a==1.0.0, b-inner==2.0.9",
		installs: map[string]string{"a": "1.0.0", "b": "1.0.0", "b-inner": "2.0.9"},
	},
}

// packseSatisfiable are universal scenarios packse expects to fail that uv
// resolves (its snapshot shows "Resolved 6 packages", no lock): so does
// this resolver, and every environment's install is checked to be
// consistent with the scenario's metadata.
var packseSatisfiable = map[string]string{
	"preferences-dependent-forking-conflicting": "packse: unsatisfiable; uv 26a9dd4b: resolved; a lock that installs consistently everywhere exists",
}

// TestPackseUniversal locks every universal packse scenario into one
// pylock.toml for all environments (uv lock's setting: requires-python
// ">=3.12" unless the scenario sets it, no targets) and checks it through
// pylock.Select, the installer's selection, in every environment the
// scenario's markers tell apart: the installs must be uv's (read from
// uv's own lock snapshots for these scenarios), and consistent — every
// selected package's requirements in that environment satisfied by the
// selection. Unsatisfiable scenarios must fail with an explanation.
func TestPackseUniversal(t *testing.T) {
	dir := shareddata.Dir(t, "packse/scenarios")
	paths, err := filepath.Glob(filepath.Join(dir, "*", "*.toml"))
	assert.NilError(t, err)
	byName := map[string]string{}
	for _, p := range paths {
		sc, _, err := testindex.FromPackse(p)
		assert.NilError(t, err)
		if sc.ResolverOptions.Universal {
			byName[sc.Name] = p
		}
	}
	cases := readUniversalCases(t)
	assert.Equal(t, len(cases), len(byName), "every universal scenario has uv's expectations")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path, ok := byName[c.name]
			assert.Assert(t, ok, "no scenario %s", c.name)
			sc, ix, err := testindex.FromPackse(path)
			assert.NilError(t, err)
			srv := testindex.StartT(t, ix, testindex.Options{})
			in := project.Inputs{
				RequiresPython:       c.requiresPython,
				IndexURLs:            []string{srv.SimpleURL()},
				RequiredEnvironments: sc.ResolverOptions.RequiredEnvironments,
				AllowSdist:           true,
			}
			for _, s := range sc.Root.Requires {
				r, err := pep508.Parse(s)
				assert.NilError(t, err)
				in.Requirements = append(in.Requirements, r)
			}
			client, err := simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.SimpleURL(), Name: srv.SimpleURL()}}, NoNetrc: true})
			assert.NilError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			l, err := Lock(ctx, in, Options{Source: client})
			goldenPath := filepath.Join("packse-universal", c.name+".txt")
			if !c.satisfiable {
				var nse *resolve.NoSolutionError
				assert.Assert(t, errors.As(err, &nse), "expected no solution, got %v", err)
				golden.Assert(t, nse.Explanation+"\n", goldenPath)
				return
			}
			assert.NilError(t, err, sc.Description)
			golden.Assert(t, lockSummary(l), goldenPath)
			if why, ok := packseSatisfiable[c.name]; ok {
				assert.Assert(t, !sc.Expected.Satisfiable, "%s: %s", c.name, why)
			}
			dev, deviates := uvDeviations[c.name]
			for _, e := range c.envs {
				got := selectNames(t, l, e)
				want := e.installs
				if deviates {
					want = dev.installs
				}
				if want != nil {
					assert.DeepEqual(t, got, want)
				}
				checkConsistent(t, sc, in.Requirements, e, got)
			}
		})
	}
}

// selectNames runs pylock.Select in the environment and returns the
// selected versions. A symbolic universal lock, like uv's, promises no
// file for every environment (only RequiredEnvironments must have one):
// in specific-architecture, c exists only as cp313 wheels for aarch64
// platforms, and an environment such as Python 3.12, or macOS reporting
// "aarch64", has none, in uv's lock as in this one. There Select's
// ErrNoFile is accepted and the packages are selected by marker alone.
func selectNames(t *testing.T, l *pylock.Lock, e universalEnv) map[string]string {
	t.Helper()
	got := map[string]string{}
	sel, err := l.Select(e.env, targetFor(t, e.env))
	if err == nil {
		for _, s := range sel {
			got[s.Package.Name] = s.Package.Version
		}
		return got
	}
	assert.Assert(t, errors.Is(err, pylock.ErrNoFile), "%s: %v", e.line, err)
	for _, p := range l.Packages {
		if p.Marker != "" {
			m, err := pep508.ParseMarker(p.Marker)
			assert.NilError(t, err)
			if !m.Evaluate(e.env) {
				continue
			}
		}
		_, dup := got[p.Name]
		assert.Assert(t, !dup, "%s: two entries of %s apply", e.line, p.Name)
		got[p.Name] = p.Version
	}
	return got
}

// lockSummary lists the packages of a lock with their markers and files.
func lockSummary(l *pylock.Lock) string {
	var b strings.Builder
	for _, p := range l.Packages {
		fmt.Fprintf(&b, "%s==%s", p.Name, p.Version)
		if p.Marker != "" {
			fmt.Fprintf(&b, " ; %s", p.Marker)
		}
		var files []string
		for _, w := range p.Wheels {
			files = append(files, w.FileName())
		}
		if p.Sdist != nil {
			files = append(files, p.Sdist.FileName())
		}
		fmt.Fprintf(&b, "\n    %s\n", strings.Join(files, " "))
	}
	return b.String()
}

// checkConsistent verifies an installation against the scenario's own
// metadata: the root requirements that apply are installed in range, and
// so is every requirement (with requested extras) of every installed
// package; nothing else is installed.
func checkConsistent(t *testing.T, sc *testindex.Scenario, roots []pep508.Requirement, e universalEnv, got map[string]string) {
	t.Helper()
	needed := map[string]bool{}
	type want struct {
		r     pep508.Requirement
		extra string
	}
	var queue []want
	for _, r := range roots {
		queue = append(queue, want{r: r})
	}
	done := map[string]bool{}
	for len(queue) > 0 {
		w := queue[0]
		queue = queue[1:]
		if w.r.Marker != nil && !w.r.Marker.Evaluate(e.env.WithExtra(w.extra)) {
			continue
		}
		name := w.r.CanonicalName()
		v, ok := got[name]
		assert.Assert(t, ok, "%s: %s needs %s, which is not installed", e.line, w.r, name)
		assert.Assert(t, w.r.Specifiers.ContainsWith(pep440.MustParse(v), new(true), false), "%s: %s installed at %s", e.line, w.r, v)
		needed[name] = true
		for _, x := range append([]string{""}, w.r.Extras...) {
			key := name + "[" + x + "]"
			if done[key] {
				continue
			}
			done[key] = true
			for pn, pkg := range sc.Packages {
				if pep508.CanonicalName(pn) != name {
					continue
				}
				for ver, pv := range pkg.Versions {
					if !pep440.MustParse(ver).Equal(pep440.MustParse(v)) {
						continue
					}
					reqs := pv.Requires
					if x != "" {
						reqs = pv.Extras[x]
					}
					for _, s := range reqs {
						r, err := pep508.Parse(s)
						assert.NilError(t, err)
						queue = append(queue, want{r: r, extra: x})
					}
				}
			}
		}
	}
	for n := range got {
		assert.Assert(t, needed[n], "%s: %s is installed but nothing needs it", e.line, n)
	}
}
