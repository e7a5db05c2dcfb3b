package pep440

import "strings"

// SpecifierString writes r the way a person writes a requirement, for
// messages: PEP 440 clauses joined by ", " ("!=1.8, !=1.8.1",
// ">=1.0, !=1.5.*, <2", "==1.4", "<=2.0"), and only where no single set of
// clauses fits, alternatives joined by " || " (each written the same way).
// "*" is every version and "∅" none. Gaps are exact ("!=V", "!=V.*"); a
// bound between two releases is written with the nearest clause (">2.0" for
// a range starting just past 2.0 and its local versions, "<3.0" for one
// ending just before 3.0), which may differ from the range in post- or
// pre-releases of that bound. String, by contrast, shows the raw interval
// bounds (">=1.8.post0.dev0, <1.8.1").
func (r Range) SpecifierString() string {
	if r.IsEmpty() {
		return "∅"
	}
	if r.IsFull() {
		return "*"
	}
	if s, ok := r.asSpecifierSet(); ok {
		return s
	}
	parts := make([]string, 0, len(r.ivs))
	for _, iv := range r.ivs {
		single := Range{ivs: []interval{iv}}
		if s, ok := single.asSpecifierSet(); ok {
			parts = append(parts, s)
		} else {
			parts = append(parts, iv.String())
		}
	}
	return strings.Join(parts, " || ")
}

// asSpecifierSet writes r as one specifier set: bounds of its hull plus a
// "!=" clause for every gap between its intervals, when each gap is exactly
// what "!=V" or "!=V.*" removes.
func (r Range) asSpecifierSet() (string, bool) {
	if len(r.ivs) == 1 {
		if s, ok := r.ivs[0].exactSpecifier(); ok {
			return s, true
		}
	}
	var clauses []string
	first, last := r.ivs[0], r.ivs[len(r.ivs)-1]
	if lo, ok := lowerClause(first); ok {
		if lo != "" {
			clauses = append(clauses, lo)
		}
	} else {
		return "", false
	}
	for i := 0; i+1 < len(r.ivs); i++ {
		gap := interval{lo: r.ivs[i].hi, loIncl: !r.ivs[i].hiIncl, hi: r.ivs[i+1].lo, hiIncl: !r.ivs[i+1].loIncl}
		s, ok := gap.exactSpecifier()
		if !ok {
			return "", false
		}
		clauses = append(clauses, "!"+strings.TrimPrefix(s, "="))
	}
	if hi, ok := upperClause(last); ok {
		if hi != "" {
			clauses = append(clauses, hi)
		}
	} else {
		return "", false
	}
	return strings.Join(clauses, ", "), true
}

// exactSpecifier writes iv as "==V" or "==V.*" when it is exactly the set
// that clause admits.
func (iv interval) exactSpecifier() (string, bool) {
	if iv.hiInf || iv.lo.after || !iv.loIncl {
		return "", false
	}
	v := iv.lo.v
	if !iv.hiIncl && cmpPoint(iv.hi, vpoint(afterLocals(v))) == 0 && v.flags&flagLocal == 0 {
		return "==" + v.String(), true
	}
	if iv.hiIncl && cmpPoint(iv.lo, iv.hi) == 0 {
		return "==" + v.String(), true
	}
	// "==R.*" is [R.dev0, next(R).dev0).
	if v.preKind == 0 && v.flags == flagDev && v.dev.isZero() && !iv.hiIncl && !iv.hi.after {
		n := int(v.nrel)
		if cmpPoint(iv.hi, vpoint(nextPrefixDev0(v, n))) == 0 {
			base := v.BaseVersion()
			return "==" + base.String() + ".*", true
		}
	}
	return "", false
}

// lowerClause writes the lower bound of iv as a clause ("" when there is
// none); ok is false when no PEP 440 clause starts exactly there.
func lowerClause(iv interval) (string, bool) {
	switch {
	case iv.loIncl && cmpPoint(iv.lo, minPoint) == 0:
		return "", true
	case iv.lo.after:
		if isFinalRelease(iv.lo.v) {
			return ">" + iv.lo.v.String(), true
		}
		return "", false
	case iv.loIncl && iv.lo.v.preKind == 0 && iv.lo.v.flags == flagPost|flagDev && iv.lo.v.post.isZero() && iv.lo.v.dev.isZero():
		// Starting just past R and R+local: read as ">R" (which would also
		// leave out R's post-releases; no clause says exactly this).
		return ">" + iv.lo.v.BaseVersion().String(), true
	case iv.loIncl:
		return ">=" + iv.lo.v.String(), true
	}
	return "", false
}

// upperClause writes the upper bound of iv as a clause ("" when there is
// none).
func upperClause(iv interval) (string, bool) {
	if iv.hiInf {
		return "", true
	}
	if iv.hi.after || iv.hiIncl {
		return "", false
	}
	v := iv.hi.v
	switch {
	case v.preKind == 0 && v.flags == flagDev && v.dev.isZero():
		// "<R" ends before R.dev0 (no pre-releases of R).
		return "<" + v.BaseVersion().String(), true
	case v.preKind == 0 && v.flags == flagPost|flagDev && v.post.isZero() && v.dev.isZero():
		// "<=R" ends before R.post0.dev0 (R and R+local included).
		return "<=" + v.BaseVersion().String(), true
	case v.IsPrerelease() || v.flags&flagLocal == 0:
		// "<V" for a pre-release V ends at V itself; for a final V the
		// clause would also leave out V's pre-releases, which a resolver's
		// range between two candidates does not, but reads the same.
		return "<" + v.String(), true
	}
	return "", false
}

func isFinalRelease(v Version) bool { return v.preKind == 0 && v.flags == 0 }
