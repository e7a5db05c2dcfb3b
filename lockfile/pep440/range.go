package pep440

import (
	"slices"
	"strings"
)

// Range is a set of versions: a union of disjoint intervals of the PEP 440
// order. It is pure set algebra over all versions, pre-releases included;
// PEP 440's pre-release policy is applied on top of it, by
// Specifiers.Contains and Specifiers.Filter or by the caller (a resolver
// decides pre-release admission on its own). A Range is immutable; the zero
// Range is empty.
//
// PEP 440's irregular operators are modelled exactly: "<2.0" ends before
// 2.0.dev0 (no pre-releases of 2.0), "==1.0" and "<=1.0" include every
// 1.0+local, ">1.0" starts past every 1.0.postN and 1.0+local (a point
// between versions, since no smallest version follows them), "==1.*" is
// [1.dev0, 2.dev0).
//
// "===" clauses are not order-based; FromSpecifiers models "===V" as the
// versions equal to V when V is a PEP 440 version (a superset: "===1.0" does
// not admit a version spelled "1.0.0") and as the empty set otherwise.
type Range struct {
	ivs []interval // sorted, disjoint, non-empty, not touching
}

// point is a place on the version line: a version, or (after) the point just
// above every version whose epoch and release equal v's (1.0, 1.0.post7,
// 1.0+x, ...) and below every later release.
type point struct {
	v     Version
	after bool
}

type interval struct {
	lo, hi         point
	loIncl, hiIncl bool
	hiInf          bool // no upper bound; hi unused
}

func cmpPoint(a, b point) int {
	switch {
	case a.after && b.after:
		return compareRelease(a.v, b.v)
	case a.after:
		if c := compareRelease(a.v, b.v); c != 0 {
			return c
		}
		return 1
	case b.after:
		return -cmpPoint(b, a)
	}
	return a.v.Compare(b.v)
}

// cmpVersion compares point p with version w.
func (p point) cmpVersion(w Version) int {
	if p.after {
		if c := compareRelease(p.v, w); c != 0 {
			return c
		}
		return 1
	}
	return p.v.Compare(w)
}

func vpoint(v Version) point { return point{v: v} }

func (iv interval) contains(v Version) bool {
	c := iv.lo.cmpVersion(v)
	if c > 0 || (c == 0 && !iv.loIncl) {
		return false
	}
	if iv.hiInf {
		return true
	}
	c = iv.hi.cmpVersion(v)
	return c > 0 || (c == 0 && iv.hiIncl)
}

func (iv interval) empty() bool {
	if iv.hiInf {
		return false
	}
	c := cmpPoint(iv.lo, iv.hi)
	return c > 0 || (c == 0 && (!iv.loIncl || !iv.hiIncl))
}

// norm gives "after" points exclusive bounds (no version sits on them) so
// that equal sets have one representation.
func (iv interval) norm() interval {
	if iv.lo.after {
		iv.loIncl = false
	}
	if iv.hi.after {
		iv.hiIncl = false
	}
	return iv
}

// cmpLower orders lower bounds: at the same point an inclusive bound starts
// first.
func cmpLower(a, b interval) int {
	if c := cmpPoint(a.lo, b.lo); c != 0 {
		return c
	}
	return cmpBool(b.loIncl, a.loIncl)
}

// cmpUpper orders upper bounds: at the same point an exclusive bound ends
// first; no bound ends last.
func cmpUpper(a, b interval) int {
	switch {
	case a.hiInf && b.hiInf:
		return 0
	case a.hiInf:
		return 1
	case b.hiInf:
		return -1
	}
	if c := cmpPoint(a.hi, b.hi); c != 0 {
		return c
	}
	return cmpBool(a.hiIncl, b.hiIncl)
}

func newRange(ivs ...interval) Range {
	var clean []interval
	for _, iv := range ivs {
		iv = iv.norm()
		if !iv.empty() {
			clean = append(clean, iv)
		}
	}
	slices.SortFunc(clean, cmpLower)
	var out []interval
	for _, iv := range clean {
		if n := len(out); n > 0 && touches(out[n-1], iv) {
			if cmpUpper(iv, out[n-1]) > 0 {
				out[n-1].hi, out[n-1].hiIncl, out[n-1].hiInf = iv.hi, iv.hiIncl, iv.hiInf
			}
			continue
		}
		out = append(out, iv)
	}
	return Range{ivs: out}
}

// touches reports whether b (starting at or after a) overlaps or adjoins a
// with no version between them.
func touches(a, b interval) bool {
	if a.hiInf {
		return true
	}
	c := cmpPoint(a.hi, b.lo)
	return c > 0 || (c == 0 && (a.hiIncl || b.loIncl || a.hi.after))
}

var minPoint = point{v: minVersion}

// FullRange returns the set of all versions.
func FullRange() Range { return Range{ivs: []interval{{lo: minPoint, loIncl: true, hiInf: true}}} }

// EmptyRange returns the empty set.
func EmptyRange() Range { return Range{} }

// ExactRange returns the versions equal to v (in PEP 440 terms: "1.0" and
// "1.0.0" are one version; "1.0+local" is another).
func ExactRange(v Version) Range {
	return newRange(interval{lo: vpoint(v), hi: vpoint(v), loIncl: true, hiIncl: true})
}

// AtLeast returns the versions >= v (plain order, no PEP 440 exclusions).
func AtLeast(v Version) Range {
	return newRange(interval{lo: vpoint(v), loIncl: true, hiInf: true})
}

// LessThan returns the versions < v (plain order: "LessThan(2.0)" contains
// 2.0rc1, unlike the specifier "<2.0").
func LessThan(v Version) Range {
	return newRange(interval{lo: minPoint, loIncl: true, hi: vpoint(v)})
}

// IsEmpty reports whether no version is in r.
func (r Range) IsEmpty() bool { return len(r.ivs) == 0 }

// IsFull reports whether every version is in r.
func (r Range) IsFull() bool {
	return len(r.ivs) == 1 && r.ivs[0].hiInf && r.ivs[0].loIncl && cmpPoint(r.ivs[0].lo, minPoint) == 0
}

// Contains reports whether v is in r.
func (r Range) Contains(v Version) bool {
	// Binary search for the last interval starting at or below v.
	i, j := 0, len(r.ivs)
	for i < j {
		h := int(uint(i+j) >> 1)
		if r.ivs[h].lo.cmpVersion(v) <= 0 {
			i = h + 1
		} else {
			j = h
		}
	}
	return i > 0 && r.ivs[i-1].contains(v)
}

// Intersect returns the versions in both r and o.
func (r Range) Intersect(o Range) Range {
	switch {
	case r.IsFull():
		return o
	case o.IsFull():
		return r
	case len(r.ivs) == 1 && len(o.ivs) == 1:
		// The common case in a resolver: one interval each, no sorting
		// or merging to do.
		iv := overlap(r.ivs[0], o.ivs[0]).norm()
		if iv.empty() {
			return Range{}
		}
		return Range{ivs: []interval{iv}}
	}
	var out []interval
	i, j := 0, 0
	for i < len(r.ivs) && j < len(o.ivs) {
		a, b := r.ivs[i], o.ivs[j]
		iv := overlap(a, b)
		if !iv.empty() {
			out = append(out, iv)
		}
		if cmpUpper(a, b) < 0 {
			i++
		} else {
			j++
		}
	}
	return newRange(out...)
}

// Union returns the versions in r or o.
func (r Range) Union(o Range) Range { return newRange(slices.Concat(r.ivs, o.ivs)...) }

// Complement returns the versions not in r.
func (r Range) Complement() Range {
	var out []interval
	cur, curIncl := minPoint, true
	for _, iv := range r.ivs {
		out = append(out, interval{lo: cur, loIncl: curIncl, hi: iv.lo, hiIncl: !iv.loIncl})
		if iv.hiInf {
			return newRange(out...)
		}
		cur, curIncl = iv.hi, !iv.hiIncl
	}
	out = append(out, interval{lo: cur, loIncl: curIncl, hiInf: true})
	return newRange(out...)
}

// Difference returns the versions in r and not in o.
func (r Range) Difference(o Range) Range { return r.Intersect(o.Complement()) }

// IsSubset reports whether every version in r is in o. Like IsDisjoint it
// walks both interval lists without allocating: a resolver asks it for
// every term it compares.
func (r Range) IsSubset(o Range) bool {
	j := 0
	for _, a := range r.ivs {
		// lo/loIncl is where the part of a not yet covered by o starts.
		lo, loIncl := a.lo, a.loIncl
		for {
			// Skip the intervals of o that end before the uncovered part.
			for j < len(o.ivs) && !o.ivs[j].hiInf && (interval{lo: lo, loIncl: loIncl, hi: o.ivs[j].hi, hiIncl: o.ivs[j].hiIncl}).norm().empty() {
				j++
			}
			rest := interval{lo: lo, loIncl: loIncl, hi: a.hi, hiIncl: a.hiIncl, hiInf: a.hiInf}
			if j == len(o.ivs) {
				if !rest.norm().empty() {
					return false
				}
				break
			}
			b := o.ivs[j]
			gap := interval{lo: lo, loIncl: loIncl, hi: b.lo, hiIncl: !b.loIncl}
			if cmpUpper(gap, a) > 0 {
				gap.hi, gap.hiIncl, gap.hiInf = a.hi, a.hiIncl, a.hiInf
			}
			if !gap.norm().empty() {
				return false
			}
			if cmpUpper(a, b) <= 0 {
				break
			}
			lo, loIncl = b.hi, !b.hiIncl
			j++
		}
	}
	return true
}

// overlap is the part of a that b covers too: possibly empty, not
// normalized.
func overlap(a, b interval) interval {
	iv := a
	if cmpLower(b, a) > 0 {
		iv.lo, iv.loIncl = b.lo, b.loIncl
	}
	if cmpUpper(b, a) < 0 {
		iv.hi, iv.hiIncl, iv.hiInf = b.hi, b.hiIncl, b.hiInf
	}
	return iv
}

// IsDisjoint reports whether no version is in both r and o.
func (r Range) IsDisjoint(o Range) bool {
	i, j := 0, 0
	for i < len(r.ivs) && j < len(o.ivs) {
		a, b := r.ivs[i], o.ivs[j]
		iv := overlap(a, b)
		if !iv.norm().empty() {
			return false
		}
		if cmpUpper(a, b) < 0 {
			i++
		} else {
			j++
		}
	}
	return true
}

// Intervals returns the connected parts of r, lowest first.
func (r Range) Intervals() []Range {
	out := make([]Range, len(r.ivs))
	for i, iv := range r.ivs {
		out[i] = Range{ivs: []interval{iv}}
	}
	return out
}

// LowerBound returns the version r's lowest part starts at, and false when
// r is empty; the smallest version (0.dev0) when r is unbounded below.
func (r Range) LowerBound() (Version, bool) {
	if r.IsEmpty() {
		return Version{}, false
	}
	return r.ivs[0].lo.v, true
}

// WithoutLowerBound returns r with its lowest part extended down to the
// smallest version, or r itself when r is empty.
func (r Range) WithoutLowerBound() Range {
	if r.IsEmpty() {
		return r
	}
	ivs := slices.Clone(r.ivs)
	ivs[0].lo, ivs[0].loIncl = minPoint, true
	return newRange(ivs...)
}

// WithoutUpperBound returns r with its highest part extended past every
// version, or r itself when r is empty.
func (r Range) WithoutUpperBound() Range {
	if r.IsEmpty() {
		return r
	}
	ivs := slices.Clone(r.ivs)
	last := &ivs[len(ivs)-1]
	last.hi, last.hiIncl, last.hiInf = point{}, false, true
	return newRange(ivs...)
}

// IsPin reports whether r holds exactly one version, or exactly what one
// "==V" clause admits (V and V+local); a resolver decides such packages
// first. It does not allocate for a final V.
func (r Range) IsPin() bool {
	if len(r.ivs) != 1 {
		return false
	}
	iv := r.ivs[0]
	if iv.hiInf || iv.lo.after || iv.hi.after || !iv.loIncl {
		return false
	}
	lo, hi := iv.lo.v, iv.hi.v
	if iv.hiIncl {
		return lo.Compare(hi) == 0
	}
	if lo.flags&flagLocal != 0 {
		return false
	}
	if lo.preKind == 0 && lo.flags == 0 {
		return hi.epoch == lo.epoch && hi.rel == lo.rel && hi.preKind == 0 && hi.flags == flagPost|flagDev && hi.post.isZero() && hi.dev.isZero()
	}
	return hi.Compare(afterLocals(lo)) == 0
}

// Equal reports whether r and o hold the same versions.
func (r Range) Equal(o Range) bool {
	return slices.EqualFunc(r.ivs, o.ivs, func(a, b interval) bool {
		return cmpLower(a, b) == 0 && cmpUpper(a, b) == 0
	})
}

// HasFinal reports whether r holds at least one version that is not a
// pre-release (PEP 440 sense: no pre- or dev segment).
func (r Range) HasFinal() bool {
	for _, iv := range r.ivs {
		lo := iv.lo
		if lo.after || (!lo.v.IsPrerelease() && !iv.loIncl) {
			// Past every version of a release, or just above a final V:
			// V+local and later finals follow immediately.
			return true
		}
		f := lo.v
		if f.IsPrerelease() {
			f = smallestFinalAtOrAbove(f)
		}
		if iv.contains(f) {
			return true
		}
	}
	return false
}

// smallestFinalAtOrAbove returns the first non-pre-release version at or
// above the pre-release v: its release for an a/b/rc pre-release or a dev
// release of a final, the post-release for R.postN.devM.
func smallestFinalAtOrAbove(v Version) Version {
	if v.preKind == 0 && v.flags&flagPost != 0 {
		return v.with(0, numZero, flagPost, v.post, false, numZero)
	}
	return v.with(0, numZero, 0, numZero, false, numZero)
}

// String renders r readably with the plain order's operators (not PEP 440
// specifier semantics): ">=1.0, <2.0.dev0", "==1.2.3", intervals joined by
// " || ", "*" for every version and "∅" for none. A bound that lies past
// every version of a release R is written with a wildcard: ">1.0.*" starts
// above 1.0.post7 and 1.0+local; "<=1.0.*" ends there.
func (r Range) String() string {
	if r.IsEmpty() {
		return "∅"
	}
	if r.IsFull() {
		return "*"
	}
	parts := make([]string, 0, len(r.ivs))
	for _, iv := range r.ivs {
		parts = append(parts, iv.String())
	}
	return strings.Join(parts, " || ")
}

func (iv interval) String() string {
	if !iv.hiInf && iv.loIncl && iv.hiIncl && cmpPoint(iv.lo, iv.hi) == 0 {
		return "==" + iv.lo.v.String()
	}
	var parts []string
	if !iv.loIncl || cmpPoint(iv.lo, minPoint) != 0 {
		switch {
		case iv.lo.after:
			parts = append(parts, ">"+iv.lo.v.String()+".*")
		case iv.loIncl:
			parts = append(parts, ">="+iv.lo.v.String())
		default:
			parts = append(parts, ">"+iv.lo.v.String())
		}
	}
	if !iv.hiInf {
		switch {
		case iv.hi.after:
			parts = append(parts, "<="+iv.hi.v.String()+".*")
		case iv.hiIncl:
			parts = append(parts, "<="+iv.hi.v.String())
		default:
			parts = append(parts, "<"+iv.hi.v.String())
		}
	}
	return strings.Join(parts, ", ")
}

// Range returns the set of versions the clause admits, ignoring the
// pre-release policy.
func (s Specifier) Range() Range {
	v := s.v
	switch s.op {
	case OpArbitraryEqual:
		if v.IsZero() {
			return EmptyRange()
		}
		return ExactRange(v)
	case OpGreaterEqual:
		return AtLeast(v)
	case OpLessEqual:
		return LessThan(afterLocals(v))
	case OpLess:
		return LessThan(s.bound)
	case OpGreater:
		if s.bound.IsZero() {
			return newRange(interval{lo: point{v: v.BaseVersion(), after: true}, hiInf: true})
		}
		return AtLeast(s.bound)
	case OpCompatible:
		n := int(v.nrel) - 1
		return newRange(interval{lo: vpoint(v), loIncl: true, hi: vpoint(nextPrefixDev0(v, n))})
	}
	var eq Range
	switch {
	case s.wildcard:
		n := int(v.nrel)
		eq = newRange(interval{lo: vpoint(releaseDev0(v, n)), loIncl: true, hi: vpoint(nextPrefixDev0(v, n))})
	case v.flags&flagLocal != 0:
		eq = ExactRange(v)
	default:
		eq = newRange(interval{lo: vpoint(v), loIncl: true, hi: vpoint(afterLocals(v))})
	}
	if s.op == OpNotEqual {
		return eq.Complement()
	}
	return eq
}

// FromSpecifiers returns the set of versions every clause of s admits,
// ignoring the pre-release policy (see Range).
func FromSpecifiers(s Specifiers) Range {
	r := FullRange()
	for _, sp := range s.specs {
		r = r.Intersect(sp.Range())
		if r.IsEmpty() {
			break
		}
	}
	return r
}

// Range is FromSpecifiers(s).
func (s Specifiers) Range() Range { return FromSpecifiers(s) }
