package pubgrub

import "github.com/pydeploy/pydeploy/lockfile/pep440"

// Term is a statement about one package: Positive says "the package is
// selected at a version in Range"; a negative term says "the package is not
// selected at a version in Range" (it may be absent altogether).
type Term struct {
	Package  string
	Positive bool
	Range    pep440.Range
}

// Pos returns the positive term "pkg is selected at a version in r".
func Pos(pkg string, r pep440.Range) Term { return Term{Package: pkg, Positive: true, Range: r} }

// Neg returns the negative term "pkg is not selected at a version in r".
func Neg(pkg string, r pep440.Range) Term { return Term{Package: pkg, Range: r} }

// Negate returns the term that holds exactly when t does not.
func (t Term) Negate() Term { return Term{Package: t.Package, Positive: !t.Positive, Range: t.Range} }

// any is the term every state of a package satisfies.
func anyTerm(pkg string) Term { return Term{Package: pkg, Range: pep440.EmptyRange()} }

// isAny reports whether every state of the package satisfies t.
func (t Term) isAny() bool { return !t.Positive && t.Range.IsEmpty() }

func (t Term) intersect(o Term) Term {
	switch {
	case t.Positive && o.Positive:
		return Pos(t.Package, t.Range.Intersect(o.Range))
	case t.Positive:
		return Pos(t.Package, t.Range.Difference(o.Range))
	case o.Positive:
		return Pos(t.Package, o.Range.Difference(t.Range))
	}
	return Neg(t.Package, t.Range.Union(o.Range))
}

func (t Term) union(o Term) Term { return t.Negate().intersect(o.Negate()).Negate() }

// subsetOf reports whether every state t admits is admitted by o.
func (t Term) subsetOf(o Term) bool {
	switch {
	case t.Positive && o.Positive:
		return t.Range.IsSubset(o.Range)
	case t.Positive:
		return t.Range.IsDisjoint(o.Range)
	case o.Positive:
		return false
	}
	return o.Range.IsSubset(t.Range)
}

// disjoint reports whether no state satisfies both t and o.
func (t Term) disjoint(o Term) bool {
	switch {
	case t.Positive && o.Positive:
		return t.Range.IsDisjoint(o.Range)
	case t.Positive:
		return t.Range.IsSubset(o.Range)
	case o.Positive:
		return o.Range.IsSubset(t.Range)
	}
	return false
}
