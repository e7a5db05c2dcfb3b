package resolve

import (
	"slices"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

// This file is the marker algebra a universal resolution needs: sets of
// environments described by markers, with intersection, union, complement
// and an emptiness test, and the way back to a readable marker.
//
// A set is a union of cubes; a cube constrains each variable on its own:
// python_full_version to a pep440.Range (python_version comparisons are
// rewritten onto it, as uv does), each string variable to a finite set of
// values or to "anything but" one, and any other comparison to an opaque
// atom that must hold or must not. The algebra is exact for what it
// models; correlated variables (sys_platform "win32" and platform_system
// "Windows") are tied by a table of known pairs, and opaque atoms are
// independent. Where the environments are a list of targets, every
// question is answered exactly by evaluating on them instead.

// strVars are the string variables a cube constrains directly.
var strVars = [...]pep508.Variable{
	pep508.VarImplementationName,
	pep508.VarOSName,
	pep508.VarPlatformMachine,
	pep508.VarPlatformPythonImplementation,
	pep508.VarPlatformSystem,
	pep508.VarSysPlatform,
}

const nStr = len(strVars)

func strIndex(v pep508.Variable) int {
	for i, s := range strVars {
		if s == v {
			return i
		}
	}
	return -1
}

// strSet constrains a string variable: free, one of vals, or none of vals.
type strSet struct {
	set  bool     // constrained at all
	neg  bool     // vals are the excluded values
	vals []string // sorted, unique
}

func (s strSet) contains(v string) bool {
	if !s.set {
		return true
	}
	_, found := slices.BinarySearch(s.vals, v)
	return found != s.neg
}

func (s strSet) empty() bool { return s.set && !s.neg && len(s.vals) == 0 }

func (s strSet) intersect(o strSet) strSet {
	switch {
	case !s.set:
		return o
	case !o.set:
		return s
	case !s.neg && !o.neg:
		return strSet{set: true, vals: filter(s.vals, func(v string) bool { return slices.Contains(o.vals, v) })}
	case !s.neg:
		return strSet{set: true, vals: filter(s.vals, func(v string) bool { return !slices.Contains(o.vals, v) })}
	case !o.neg:
		return o.intersect(s)
	}
	vals := slices.Concat(s.vals, o.vals)
	slices.Sort(vals)
	return strSet{set: true, neg: true, vals: slices.Compact(vals)}
}

func (s strSet) complement() strSet {
	if !s.set {
		return strSet{set: true}
	}
	return strSet{set: true, neg: !s.neg, vals: s.vals}
}

// subsetOf reports whether every value s admits, o admits.
func (s strSet) subsetOf(o strSet) bool {
	switch {
	case !o.set:
		return true
	case !s.set:
		return o.neg && len(o.vals) == 0
	case !s.neg && !o.neg:
		return !slices.ContainsFunc(s.vals, func(v string) bool { return !slices.Contains(o.vals, v) })
	case !s.neg:
		return !slices.ContainsFunc(s.vals, func(v string) bool { return slices.Contains(o.vals, v) })
	case !o.neg:
		return false
	}
	return !slices.ContainsFunc(o.vals, func(v string) bool { return !slices.Contains(s.vals, v) })
}

func filter(vs []string, keep func(string) bool) []string {
	var out []string
	for _, v := range vs {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// atom is an opaque comparison that must (want) or must not hold.
type atom struct {
	c    *pep508.Compare
	key  string
	want bool
}

// cube is a conjunction of per-variable constraints.
type cube struct {
	py    pep440.Range // python_full_version
	str   [nStr]strSet
	atoms []atom // sorted by key, one per key
}

func fullCube() cube { return cube{py: pep440.FullRange()} }

func (c cube) intersect(o cube) (cube, bool) {
	out := cube{py: c.py.Intersect(o.py)}
	if out.py.IsEmpty() {
		return out, false
	}
	for i := range out.str {
		out.str[i] = c.str[i].intersect(o.str[i])
		if out.str[i].empty() {
			return out, false
		}
	}
	out.atoms = slices.Clone(c.atoms)
	for _, a := range o.atoms {
		i, found := slices.BinarySearchFunc(out.atoms, a.key, func(x atom, k string) int { return strings.Compare(x.key, k) })
		if found {
			if out.atoms[i].want != a.want {
				return out, false
			}
			continue
		}
		out.atoms = slices.Insert(out.atoms, i, a)
	}
	return out, consistent(&out)
}

// subsetOf reports whether every environment c admits, o admits (per
// variable; correlations are not used).
func (c cube) subsetOf(o cube) bool {
	if !c.py.IsSubset(o.py) {
		return false
	}
	for i := range c.str {
		if !c.str[i].subsetOf(o.str[i]) {
			return false
		}
	}
	for _, a := range o.atoms {
		i, found := slices.BinarySearchFunc(c.atoms, a.key, func(x atom, k string) int { return strings.Compare(x.key, k) })
		if !found || c.atoms[i].want != a.want {
			return false
		}
	}
	return true
}

// complement returns cubes whose union is everything c does not admit.
func (c cube) complement() []cube {
	var out []cube
	if !c.py.IsFull() {
		n := fullCube()
		n.py = c.py.Complement()
		out = append(out, n)
	}
	for i, s := range c.str {
		if s.set {
			n := fullCube()
			n.str[i] = s.complement()
			out = append(out, n)
		}
	}
	for _, a := range c.atoms {
		n := fullCube()
		n.atoms = []atom{{c: a.c, key: a.key, want: !a.want}}
		out = append(out, n)
	}
	return out
}

// eval reports whether the environment (with python_full_version py) is in
// the cube.
func (c cube) eval(env pep508.Environment, py pep440.Version) bool {
	if !c.py.Contains(py) {
		return false
	}
	for i, s := range c.str {
		v, _ := env.Value(strVars[i])
		if !s.contains(v) {
			return false
		}
	}
	for _, a := range c.atoms {
		if a.c.Evaluate(env) != a.want {
			return false
		}
	}
	return true
}

// exclusions are the pairs of os_name, sys_platform and platform_system
// values that never occur together, uv's list (uv-pep508 marker algebra):
// os_name "nt" with sys_platform "linux", "darwin" or "ios", "posix" with
// "win32", and the BSDs, SunOS, iOS and iPadOS platform_system values with
// every sys_platform but their own. Like uv, nothing else is assumed:
// sys_platform "linux" with an os_name other than "posix" stays possible.
var exclusions = func() [][4]string {
	var out [][4]string
	pair := func(va, a, vb, b string) { out = append(out, [4]string{va, a, vb, b}) }
	for _, p := range []string{"linux", "darwin", "ios"} {
		pair("os_name", "nt", "sys_platform", p)
	}
	pair("os_name", "posix", "sys_platform", "win32")
	for _, ps := range []string{"FreeBSD", "NetBSD", "OpenBSD", "SunOS", "iOS", "iPadOS"} {
		for _, sp := range []string{"aix", "android", "emscripten", "ios", "linux", "darwin", "win32", "cygwin", "wasi"} {
			if sp == "ios" && (ps == "iOS" || ps == "iPadOS") {
				continue
			}
			pair("platform_system", ps, "sys_platform", sp)
		}
	}
	return out
}()

// platformSystemAlias maps the platform_system values uv rewrites to the
// sys_platform value they always go with.
var platformSystemAlias = map[string]string{
	"Windows": "win32", "Darwin": "darwin", "Linux": "linux", "AIX": "aix", "Emscripten": "emscripten", "Android": "android",
}

// consistent reports whether some assignment of os_name, sys_platform and
// platform_system the cube admits avoids every excluded pair.
func consistent(c *cube) bool {
	vars := [3]pep508.Variable{pep508.VarOSName, pep508.VarSysPlatform, pep508.VarPlatformSystem}
	constrained := 0
	for _, v := range vars {
		if c.str[strIndex(v)].set {
			constrained++
		}
	}
	if constrained < 2 {
		return true
	}
	var choices [3][]string
	for i, v := range vars {
		s := c.str[strIndex(v)]
		if s.set && !s.neg {
			choices[i] = s.vals
			continue
		}
		// Any value: those the exclusions name that s admits, and one
		// they do not name.
		seen := map[string]bool{}
		for _, e := range exclusions {
			for _, k := range []int{0, 2} {
				if e[k] == string(v) && !seen[e[k+1]] && s.contains(e[k+1]) {
					seen[e[k+1]] = true
					choices[i] = append(choices[i], e[k+1])
				}
			}
		}
		choices[i] = append(choices[i], "\x00other")
	}
	for _, os := range choices[0] {
		for _, sp := range choices[1] {
			for _, ps := range choices[2] {
				if !excluded(os, sp, ps) {
					return true
				}
			}
		}
	}
	return false
}

func excluded(os, sp, ps string) bool {
	vals := map[string]string{"os_name": os, "sys_platform": sp, "platform_system": ps}
	for _, e := range exclusions {
		if vals[e[0]] == e[1] && vals[e[2]] == e[3] {
			return true
		}
	}
	return false
}

// mset is a set of environments: the union of its cubes. No cubes is the
// empty set; one unconstrained cube is every environment.
type mset struct {
	cubes []cube
}

func msetTrue() mset  { return mset{cubes: []cube{fullCube()}} }
func msetFalse() mset { return mset{} }

func (m mset) isEmpty() bool { return len(m.cubes) == 0 }

func (m mset) isTrue() bool {
	for _, c := range m.cubes {
		if fullCube().subsetOf(c) {
			return true
		}
	}
	return false
}

func (m mset) and(o mset) mset {
	var out []cube
	for _, a := range m.cubes {
		for _, b := range o.cubes {
			if c, ok := a.intersect(b); ok {
				out = append(out, c)
			}
		}
	}
	return mset{cubes: reduce(out)}
}

func (m mset) or(o mset) mset { return mset{cubes: reduce(slices.Concat(m.cubes, o.cubes))} }

func (m mset) not() mset {
	out := msetTrue()
	for _, c := range m.cubes {
		out = out.and(mset{cubes: c.complement()})
		if out.isEmpty() {
			break
		}
	}
	return out
}

// subsetOf reports m ⊆ o.
func (m mset) subsetOf(o mset) bool { return m.and(o.not()).isEmpty() }

func (m mset) disjoint(o mset) bool { return m.and(o).isEmpty() }

func (m mset) eval(env pep508.Environment, py pep440.Version) bool {
	for _, c := range m.cubes {
		if c.eval(env, py) {
			return true
		}
	}
	return false
}

// reduce drops cubes another cube of the list contains.
func reduce(cs []cube) []cube {
	out := cs[:0:0]
	for i, c := range cs {
		covered := false
		for j, o := range cs {
			if i != j && c.subsetOf(o) && (!o.subsetOf(c) || j < i) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, c)
		}
	}
	return out
}

// pythonRange is the python_full_version projection of m.
func (m mset) pythonRange() pep440.Range {
	r := pep440.EmptyRange()
	for _, c := range m.cubes {
		r = r.Union(c.py)
	}
	return r
}

// withPython restricts m to python_full_version in r.
func (m mset) withPython(r pep440.Range) mset {
	c := fullCube()
	c.py = r
	return m.and(mset{cubes: []cube{c}})
}

// fromMarker converts a marker for the dependencies of a package's extra
// (extra "" for its base dependencies): comparisons on extra are decided by
// it, the lock-file set variables are empty, python_version and
// python_full_version become ranges, string variables value sets, anything
// else an opaque atom.
func fromMarker(m pep508.Marker, extra string) mset {
	switch m := m.(type) {
	case nil:
		return msetTrue()
	case *pep508.And:
		out := msetTrue()
		for _, x := range m.Markers {
			out = out.and(fromMarker(x, extra))
		}
		return out
	case *pep508.Or:
		out := msetFalse()
		for _, x := range m.Markers {
			out = out.or(fromMarker(x, extra))
		}
		return out
	case *pep508.Compare:
		return fromCompare(m, extra)
	}
	return msetTrue()
}

func constant(b bool) mset {
	if b {
		return msetTrue()
	}
	return msetFalse()
}

// flipped is the operator that reads the same with its operands swapped.
var flipped = map[pep508.Op]pep508.Op{
	pep508.OpLess: pep508.OpGreater, pep508.OpLessEqual: pep508.OpGreaterEqual,
	pep508.OpGreater: pep508.OpLess, pep508.OpGreaterEqual: pep508.OpLessEqual,
	pep508.OpEqual: pep508.OpEqual, pep508.OpNotEqual: pep508.OpNotEqual,
	pep508.OpCompatible: pep508.OpCompatible, pep508.OpArbitrary: pep508.OpArbitrary,
}

// negated is the operator that holds exactly when op does not, where one
// exists in the marker language.
var negated = map[pep508.Op]pep508.Op{
	pep508.OpEqual: pep508.OpNotEqual, pep508.OpNotEqual: pep508.OpEqual,
	pep508.OpLess: pep508.OpGreaterEqual, pep508.OpGreaterEqual: pep508.OpLess,
	pep508.OpGreater: pep508.OpLessEqual, pep508.OpLessEqual: pep508.OpGreater,
	pep508.OpIn: pep508.OpNotIn, pep508.OpNotIn: pep508.OpIn,
}

func fromCompare(c *pep508.Compare, extra string) mset {
	v, lit, op := c.Left.Variable, c.Right.Value, c.Op
	if !c.Left.IsVariable() {
		v, lit = c.Right.Variable, c.Left.Value
		if c.Right.IsVariable() && op != pep508.OpIn && op != pep508.OpNotIn {
			f, ok := flipped[op]
			if !ok {
				return opaque(c)
			}
			op = f
		}
	}
	switch {
	case c.Left.IsVariable() == c.Right.IsVariable():
		return constant(c.Evaluate(pep508.Environment{}))
	case v == pep508.VarExtra:
		return constant(c.Evaluate(pep508.Environment{Extra: extra}))
	case v.IsSet():
		return constant(c.Evaluate(pep508.Environment{}))
	case op == pep508.OpIn || op == pep508.OpNotIn:
		return opaque(c)
	case v == pep508.VarPythonFullVersion || v == pep508.VarPythonVersion:
		if r, ok := pythonRangeOf(v, op, lit); ok {
			cb := fullCube()
			cb.py = r
			return mset{cubes: []cube{cb}}
		}
		return opaque(c)
	}
	if alias, ok := platformSystemAlias[lit]; ok && v == pep508.VarPlatformSystem {
		// uv reads platform_system == "Linux" as sys_platform == "linux".
		v, lit = pep508.VarSysPlatform, alias
	}
	i := strIndex(v)
	if i < 0 {
		return opaque(c)
	}
	cb := fullCube()
	switch op {
	case pep508.OpEqual, pep508.OpLessEqual, pep508.OpGreaterEqual:
		// On strings ">=" and "<=" mean "==" (dependency specifiers).
		cb.str[i] = strSet{set: true, vals: []string{lit}}
	case pep508.OpNotEqual:
		cb.str[i] = strSet{set: true, neg: true, vals: []string{lit}}
	default:
		// "<" and ">" are false on strings; "~=" and "===" undefined.
		return msetFalse()
	}
	return mset{cubes: []cube{cb}}
}

// opaque makes an atom of a comparison the algebra does not model. One
// whose negation the marker language cannot write is taken as always
// possibly true (a dependency is kept, never forked on).
func opaque(c *pep508.Compare) mset {
	neg, ok := negated[c.Op]
	if !ok {
		return msetTrue()
	}
	want := true
	switch c.Op {
	case pep508.OpNotEqual, pep508.OpNotIn, pep508.OpGreaterEqual, pep508.OpLessEqual:
		// One atom per pair: "x not in v" is "x in v" wanted false.
		n := *c
		n.Op = neg
		c, want = &n, false
	}
	cb := fullCube()
	cb.atoms = []atom{{c: c, key: c.String(), want: want}}
	return mset{cubes: []cube{cb}}
}

// pythonRangeOf maps a comparison on python_full_version, or on
// python_version with a one- or two-component final version, onto the
// python_full_version versions for which it holds. python_version is the
// full version's major.minor: "== 3.12" holds for [3.12.dev0, 3.13.dev0).
func pythonRangeOf(v pep508.Variable, op pep508.Op, lit string) (pep440.Range, bool) {
	spec, err := pep440.ParseSpecifier(string(op) + lit)
	if err != nil || op == pep508.OpArbitrary {
		return pep440.Range{}, false
	}
	if v == pep508.VarPythonFullVersion {
		return spec.Range(), true
	}
	ver, err := pep440.Parse(lit)
	if err != nil || strings.HasSuffix(lit, ".*") {
		if strings.HasSuffix(lit, ".*") && (op == pep508.OpEqual || op == pep508.OpNotEqual) {
			return spec.Range(), true
		}
		return pep440.Range{}, false
	}
	rel := ver.Release()
	if ver.IsPrerelease() || ver.IsPostrelease() || ver.Local() != "" || ver.Epoch() != 0 || len(rel) > 2 {
		return pep440.Range{}, false
	}
	x, y := rel[0], 0
	if len(rel) == 2 {
		y = rel[1]
	}
	class := func(x, y int) pep440.Version { return pep440.MustParse(itoa(x) + "." + itoa(y) + ".dev0") }
	this, next := class(x, y), class(x, y+1)
	switch op {
	case pep508.OpEqual:
		return pep440.AtLeast(this).Intersect(pep440.LessThan(next)), true
	case pep508.OpNotEqual:
		return pep440.AtLeast(this).Intersect(pep440.LessThan(next)).Complement(), true
	case pep508.OpLess:
		return pep440.LessThan(this), true
	case pep508.OpLessEqual:
		return pep440.LessThan(next), true
	case pep508.OpGreater:
		return pep440.AtLeast(next), true
	case pep508.OpGreaterEqual:
		return pep440.AtLeast(this), true
	case pep508.OpCompatible:
		return pep440.AtLeast(this).Intersect(pep440.LessThan(class(x+1, 0))), true
	}
	return pep440.Range{}, false
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
