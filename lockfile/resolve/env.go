package resolve

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// space is the set of environments a resolution is for: a list of targets
// (one for a plain resolution), where every question is answered by
// evaluating on each target, or a symbolic universe described by markers.
type space struct {
	targets []wheel.Target
	points  []point
	all     uint64   // bit i: target i
	same    []uint64 // by target: the targets with its marker environment

	symbolic bool
	uni      mset // symbolic: requires-python (below 4) and the environments
}

// forkEnv is what one fork of a resolution covers.
type forkEnv struct {
	// sym is the markers that split the fork off, universe not included;
	// it describes the fork in the lock and in messages.
	sym mset
	// pts are the targets of the fork (target spaces).
	pts uint64
	// eff is uni ∧ sym (symbolic spaces).
	eff mset
	// py is the Python versions of the fork.
	py pep440.Range
}

func newTargetSpace(targets []wheel.Target) (*space, error) {
	if len(targets) > 64 {
		return nil, fmt.Errorf("resolve: %d targets; a universal resolution takes at most 64", len(targets))
	}
	sp := &space{targets: targets}
	group := map[string]uint64{}
	var keys []string
	for i, t := range targets {
		env := t.Environment()
		py, err := pep440.Parse(env.PythonFullVersion)
		if err != nil {
			return nil, fmt.Errorf("resolve: target %s: python version %q: %w", t, env.PythonFullVersion, err)
		}
		for _, o := range targets[:i] {
			if o.String() == t.String() {
				return nil, fmt.Errorf("resolve: target %s is listed twice", t)
			}
		}
		key := fmt.Sprintf("%+v", env)
		group[key] |= 1 << i
		keys = append(keys, key)
		sp.points = append(sp.points, point{env: env, py: py})
		sp.all |= 1 << i
	}
	// Targets no marker tells apart (glibc and musl on one architecture)
	// must get the same versions: they split only together.
	for i, k := range keys {
		sp.same = append(sp.same, group[k])
		_ = i
	}
	return sp, nil
}

// whole keeps of pts the targets whose every twin (same marker
// environment) is in pts too.
func (sp *space) whole(pts uint64) uint64 {
	out := pts
	for i, g := range sp.same {
		if pts&(1<<i) != 0 && pts&g != g {
			out &^= 1 << i
		}
	}
	return out
}

func newSymbolicSpace(requiresPython pep440.Specifiers, envs []pep508.Marker) *space {
	uni := msetTrue().withPython(requiresPython.Range().Intersect(pep440.LessThan(pep440.MustParse("4.dev0"))))
	if len(envs) > 0 {
		any := msetFalse()
		for _, m := range envs {
			any = any.or(fromMarker(m, ""))
		}
		uni = uni.and(any)
	}
	return &space{symbolic: true, uni: uni}
}

func (sp *space) universe() universe {
	if sp.symbolic {
		return symbolicUniverse{u: sp.uni}
	}
	return pointUniverse(sp.points)
}

// root is the fork that covers the whole space.
func (sp *space) root() *forkEnv {
	e := &forkEnv{sym: msetTrue(), pts: sp.all, eff: sp.uni}
	e.py = sp.python(e)
	return e
}

func (sp *space) python(e *forkEnv) pep440.Range {
	if sp.symbolic {
		return e.eff.pythonRange()
	}
	r := pep440.EmptyRange()
	for i := range sp.points {
		if e.pts&(1<<i) != 0 {
			r = r.Union(pep440.ExactRange(sp.points[i].py))
		}
	}
	return r
}

// holds reports the targets of e where m holds for the dependencies of the
// given extra ("" for the base dependencies).
func (sp *space) holds(e *forkEnv, m pep508.Marker, extra string) uint64 {
	var out uint64
	for i := range sp.points {
		bit := uint64(1) << i
		if e.pts&bit != 0 && (m == nil || m.Evaluate(sp.points[i].env.WithExtra(extra))) {
			out |= bit
		}
	}
	return out
}

// includes reports whether m holds somewhere in e.
func (sp *space) includes(e *forkEnv, m pep508.Marker, extra string) bool {
	if m == nil {
		return true
	}
	if sp.symbolic {
		return !e.eff.disjoint(fromMarker(m, extra))
	}
	return sp.holds(e, m, extra) != 0
}

// always reports whether m holds everywhere in e.
func (sp *space) always(e *forkEnv, m pep508.Marker, extra string) bool {
	if m == nil {
		return true
	}
	if sp.symbolic {
		return e.eff.subsetOf(fromMarker(m, extra))
	}
	return sp.holds(e, m, extra) == e.pts
}

// split divides e by the marker m: where it holds and where it does not;
// nil for an empty side.
func (sp *space) split(e *forkEnv, m pep508.Marker, extra string) (in, out *forkEnv) {
	set := fromMarker(m, extra)
	if sp.symbolic {
		in = sp.narrow(e, set, 0)
		out = sp.narrow(e, set.not(), 0)
		return in, out
	}
	yes := sp.holds(e, m, extra)
	return sp.narrow(e, set, yes), sp.narrow(e, set.not(), e.pts&^yes)
}

// narrow is e ∧ set (targets: with the targets pts); nil when empty.
func (sp *space) narrow(e *forkEnv, set mset, pts uint64) *forkEnv {
	n := &forkEnv{sym: e.sym.and(set)}
	if sp.symbolic {
		n.eff = e.eff.and(set)
		if n.eff.isEmpty() {
			return nil
		}
	} else {
		n.pts = pts
		if pts == 0 {
			return nil
		}
	}
	n.py = sp.python(n)
	return n
}

// splitTargets divides e into the targets in ok and the rest, for a
// package version installable on some targets only; the markers describe
// the targets by their environments.
func (sp *space) splitTargets(e *forkEnv, ok uint64) (in, out *forkEnv) {
	return sp.narrow(e, sp.pointsSet(e.pts&ok), e.pts&ok), sp.narrow(e, sp.pointsSet(e.pts&^ok), e.pts&^ok)
}

// pointsSet is the marker set of exactly the given targets.
func (sp *space) pointsSet(pts uint64) mset {
	out := msetFalse()
	for i := range sp.points {
		if pts&(1<<i) == 0 {
			continue
		}
		c := fullCube()
		c.py = sp.pythonOf(i)
		for j, v := range strVars {
			val, _ := sp.points[i].env.Value(v)
			c.str[j] = strSet{set: true, vals: []string{val}}
		}
		out = out.or(mset{cubes: []cube{c}})
	}
	return out
}

// pythonOf describes target i's Python for markers: its minor release
// (every 3.11.x for cp311, as the image's Python may be any patch) unless
// another target runs another patch of the same minor release, then its
// exact version.
func (sp *space) pythonOf(i int) pep440.Range {
	minor := func(v pep440.Version) pep440.Range {
		r := v.Release()
		lo := pep440.MustParse(itoa(r[0]) + "." + itoa(r[1]) + ".dev0")
		return pep440.AtLeast(lo).Intersect(pep440.LessThan(nextMinor(lo)))
	}
	mine := minor(sp.points[i].py)
	for j := range sp.points {
		if mine.Contains(sp.points[j].py) && !sp.points[j].py.Equal(sp.points[i].py) {
			return pep440.ExactRange(sp.points[i].py)
		}
	}
	return mine
}

// splitPython divides e into the Python versions in r and the rest.
func (sp *space) splitPython(e *forkEnv, r pep440.Range) (in, out *forkEnv) {
	if !sp.symbolic {
		var ok uint64
		for i := range sp.points {
			if r.Contains(sp.points[i].py) {
				ok |= 1 << i
			}
		}
		return sp.splitTargets(e, ok)
	}
	set := msetTrue().withPython(r)
	return sp.narrow(e, set, 0), sp.narrow(e, set.not(), 0)
}

// describe writes e for messages: its marker, or its targets.
func (sp *space) describe(e *forkEnv) string {
	if !sp.symbolic {
		var names []string
		for i, t := range sp.targets {
			if e.pts&(1<<i) != 0 {
				names = append(names, t.String())
			}
		}
		if bits.OnesCount64(e.pts) == len(sp.targets) {
			return ""
		}
		return strings.Join(names, ", ")
	}
	return markerString(simplify(e.sym, sp.universe()))
}

// pyLower is the lowest Python of e, for ordering forks.
func (e *forkEnv) pyLower() pep440.Version {
	v, _ := e.py.LowerBound()
	return v
}
