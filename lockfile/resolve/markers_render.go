package resolve

import (
	"slices"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

// universe answers set questions within the environments a lock is for.
type universe interface {
	// within reports whether, inside the universe, every environment a
	// admits b admits too.
	within(a, b mset) bool
}

// symbolicUniverse is a universe described by markers (a requires-python
// range and optional environment markers).
type symbolicUniverse struct{ u mset }

func (s symbolicUniverse) within(a, b mset) bool { return s.u.and(a).and(b.not()).isEmpty() }

// point is one concrete environment: a target.
type point struct {
	env pep508.Environment
	py  pep440.Version
}

// pointUniverse is a finite list of targets: every question is decided by
// evaluating on each.
type pointUniverse []point

func (p pointUniverse) within(a, b mset) bool {
	for _, pt := range p {
		if a.eval(pt.env, pt.py) && !b.eval(pt.env, pt.py) {
			return false
		}
	}
	return true
}

// simplify returns a set equal to m within u, with as few constraints as
// it can find: constraints the universe implies are dropped ("python_version
// >= '3.8'" in a lock for Python >= 3.12), bounds are widened where u has no
// environment beyond them, and cubes another one covers are dropped.
func simplify(m mset, u universe) mset {
	if u.within(msetTrue(), m) {
		return msetTrue()
	}
	cubes := slices.Clone(m.cubes)
	for i := range cubes {
		cubes[i] = relax(cubes[i], m, u)
	}
	for i := 0; i < len(cubes); i++ {
		rest := slices.Concat(cubes[:i], cubes[i+1:])
		if len(rest) > 0 && u.within(mset{cubes: []cube{cubes[i]}}, mset{cubes: rest}) {
			cubes = rest
			i--
		}
	}
	return mset{cubes: cubes}
}

// relax widens one cube as long as it stays inside m within u.
func relax(c cube, m mset, u universe) cube {
	try := func(n cube) bool {
		if u.within(mset{cubes: []cube{n}}, m) {
			c = n
			return true
		}
		return false
	}
	if !c.py.IsFull() {
		n := c
		n.py = pep440.FullRange()
		if !try(n) {
			for _, widened := range widenings(c.py) {
				n := c
				n.py = widened
				try(n)
			}
		}
	}
	for i := range c.str {
		if c.str[i].set {
			n := c
			n.str[i] = strSet{}
			try(n)
		}
	}
	for i := 0; i < len(c.atoms); i++ {
		n := c
		n.atoms = slices.Delete(slices.Clone(c.atoms), i, i+1)
		if try(n) {
			i--
		}
	}
	return c
}

// widenings are r without its lower bound and r without its upper bound.
func widenings(r pep440.Range) []pep440.Range {
	if len(r.Intervals()) != 1 {
		return nil
	}
	return []pep440.Range{r.WithoutLowerBound(), r.WithoutUpperBound()}
}

// markerString renders m as a normalized marker ("" for every
// environment).
func markerString(m mset) string {
	if m.isTrue() {
		return ""
	}
	var alts []string
	for _, c := range m.cubes {
		alts = append(alts, cubeStrings(c)...)
	}
	s := strings.Join(alts, " or ")
	if mk, err := pep508.ParseMarker(s); err == nil {
		return mk.String()
	}
	return s
}

// cubeStrings renders a cube as conjunctions, one per interval of its
// python range.
func cubeStrings(c cube) []string {
	var rest []string
	for i, s := range c.str {
		if !s.set {
			continue
		}
		v := string(strVars[i])
		var parts []string
		for _, val := range s.vals {
			if s.neg {
				parts = append(parts, v+" != "+quote(val))
			} else {
				parts = append(parts, v+" == "+quote(val))
			}
		}
		switch {
		case s.neg:
			rest = append(rest, parts...)
		case len(parts) == 1:
			rest = append(rest, parts[0])
		default:
			rest = append(rest, "("+strings.Join(parts, " or ")+")")
		}
	}
	for _, a := range c.atoms {
		if a.want {
			rest = append(rest, a.c.String())
			continue
		}
		n := *a.c
		n.Op = negated[a.c.Op]
		rest = append(rest, n.String())
	}
	if c.py.IsFull() {
		return []string{strings.Join(rest, " and ")}
	}
	var out []string
	for _, iv := range c.py.Intervals() {
		parts := slices.Concat(pythonClauses(iv), rest)
		out = append(out, strings.Join(parts, " and "))
	}
	return out
}

func quote(s string) string {
	if strings.ContainsRune(s, '"') {
		return "'" + s + "'"
	}
	return `"` + s + `"`
}

// pythonClauses writes one interval of python_full_version as marker
// comparisons, preferring python_version where a bound falls on a minor
// release (python_full_version < "3.13" is python_version < "3.13").
func pythonClauses(iv pep440.Range) []string {
	var out []string
	for clause := range strings.SplitSeq(iv.SpecifierString(), ", ") {
		op, ver := splitClause(clause)
		if base, ok := strings.CutSuffix(ver, ".*"); ok && twoComponents(base) {
			out = append(out, "python_version "+op+" "+quote(base))
			continue
		}
		if base, ok := strings.CutSuffix(ver, ".dev0"); ok && op == ">=" && twoComponents(base) {
			out = append(out, "python_version >= "+quote(base))
			continue
		}
		if op == "<" && twoComponents(ver) {
			out = append(out, "python_version < "+quote(ver))
			continue
		}
		out = append(out, "python_full_version "+op+" "+quote(ver))
	}
	return out
}

func splitClause(c string) (string, string) {
	i := strings.IndexFunc(c, func(r rune) bool { return !strings.ContainsRune("<>=!~", r) })
	if i < 0 {
		return c, ""
	}
	return c[:i], c[i:]
}

// twoComponents reports a final major.minor version such as "3.12".
func twoComponents(s string) bool {
	v, err := pep440.Parse(s)
	return err == nil && len(v.Release()) == 2 && !v.IsPrerelease() && !v.IsPostrelease() && v.Local() == "" && v.Epoch() == 0
}
