package pubgrub

import "github.com/pydeploy/pydeploy/lockfile/pep440"

// Kind says where an incompatibility comes from.
type Kind int

// The kinds of incompatibility. All but KindDerived are external facts
// (leaves of a derivation tree); KindDerived ones were learned by the solver
// from two others.
const (
	// KindRoot: the root package must be selected.
	KindRoot Kind = iota
	// KindNoVersions: no candidate version of the package lies in the range.
	KindNoVersions
	// KindDependency: the first term's versions depend on the second term's
	// package (the negated term holds the required range).
	KindDependency
	// KindUnavailable: the versions cannot be used, for Reason.
	KindUnavailable
	// KindDerived: derived from Cause1 and Cause2 by resolution.
	KindDerived
)

// Incompatibility is a set of terms that must not all hold at once. The
// terminal incompatibility of a failed solve is the root of a derivation tree
// whose leaves are external facts (dependencies, missing versions, unavailable
// versions) and whose inner nodes are KindDerived.
type Incompatibility struct {
	// Terms in a stable order: for a dependency, the dependent then the
	// dependency.
	Terms []Term
	Kind  Kind
	// Reason is the provider's reason for KindUnavailable, phrased to follow
	// the term ("requires Python>=3.12", "is yanked").
	Reason string
	// Cause1 and Cause2 are set for KindDerived.
	Cause1, Cause2 *Incompatibility
}

func (ic *Incompatibility) term(pkg string) (Term, bool) {
	for _, t := range ic.Terms {
		if t.Package == pkg {
			return t, true
		}
	}
	return Term{}, false
}

// derived reports whether ic was learned rather than given.
func (ic *Incompatibility) derived() bool { return ic.Kind == KindDerived }

// priorCause applies the resolution rule: ic and cause both mention pkg;
// the result holds the terms of both, with pkg's terms united (dropped when
// the union admits every state) and other shared packages' terms intersected.
func priorCause(ic, cause *Incompatibility, pkg string) *Incompatibility {
	out := &Incompatibility{Kind: KindDerived, Cause1: ic, Cause2: cause}
	terms := make([]Term, 0, len(ic.Terms)+len(cause.Terms))
	var t1, t2 Term
	for _, t := range ic.Terms {
		if t.Package == pkg {
			t1 = t
			continue
		}
		terms = append(terms, t)
	}
	for _, t := range cause.Terms {
		if t.Package == pkg {
			t2 = t
			continue
		}
		merged := false
		for i := range terms {
			if terms[i].Package == t.Package {
				terms[i] = terms[i].intersect(t)
				merged = true
				break
			}
		}
		if !merged {
			terms = append(terms, t)
		}
	}
	if u := t1.union(t2); !u.isAny() {
		terms = append(terms, u)
	}
	out.Terms = terms
	return out
}

// dependency builds "pkg in r depends on dep in depRange".
func dependency(pkg string, r pep440.Range, dep string, depRange pep440.Range) *Incompatibility {
	return &Incompatibility{Terms: []Term{Pos(pkg, r), Neg(dep, depRange)}, Kind: KindDependency}
}
