package pubgrub

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

// decide picks the next package and version. It returns the package whose
// incompatibilities to propagate next, or done when every package with a
// positive derivation has a decision.
func (s *solver) decide(ctx context.Context) (string, bool, []task, error) {
	var pick *pkgState
	best, bestClass := 0, 0
	for _, st := range s.order {
		if st.decided || len(st.idx) == 0 || !st.acc.Positive {
			continue
		}
		prio := 0
		if s.prio != nil && st.name != s.root {
			prio = s.prio.Priority(st.name, st.acc.Range)
		}
		class := s.conflictClass(st.name)
		if pick == nil || prio < best || (prio == best && class < bestClass) {
			pick, best, bestClass = st, prio, class
		}
	}
	if pick == nil {
		return "", true, nil, nil
	}
	if err := s.loadVersions(ctx, pick); err != nil {
		return "", false, nil, err
	}
	allowed := pick.acc.Range
	var v pep440.Version
	found := false
	for _, c := range pick.versions {
		if allowed.Contains(c) {
			v, found = c, true
			break
		}
	}
	if !found {
		s.addIncompat(&Incompatibility{Terms: []Term{Pos(pick.name, allowed)}, Kind: KindNoVersions})
		return pick.name, false, nil, nil
	}
	if !s.asked[pick.name+"\x00"+v.String()] {
		deps, err := s.dependencies(ctx, pick.name, v)
		if err != nil {
			return "", false, nil, err
		}
		if len(deps.Forks) > 0 {
			return "", false, s.fork(pick, v, deps.Forks), nil
		}
		if s.apply(pick, v, deps.Requires, deps.Unavailable) {
			return pick.name, false, nil, nil
		}
	}
	s.decideVersion(pick, v)
	return pick.name, false, nil, nil
}

// apply records the answer for pick==v; it reports true when v turned out
// unavailable.
func (s *solver) apply(pick *pkgState, v pep440.Version, requires []Dependency, unavailable string) bool {
	if unavailable != "" {
		s.addUnavailable(pick, v, unavailable)
		return true
	}
	for _, d := range requires {
		s.addDependency(pick, v, d)
	}
	return false
}

// decideVersion decides pick==v unless that satisfies an incompatibility
// at once (propagation then rules v out instead, and the conflict is
// counted, see recordConflict).
func (s *solver) decideVersion(pick *pkgState, v pep440.Version) {
	if ic := s.conflictsWith(pick, v); ic != nil {
		s.recordConflict(pick.name, ic)
		return
	}
	s.level++
	s.assign(assignment{term: Pos(pick.name, pep440.ExactRange(v)), level: s.level, decision: true})
	pick.version = v
}

// conflictThreshold is how many times a package must be rejected because
// of another (uv's CONFLICT_THRESHOLD) before their decision order swaps.
const conflictThreshold = 5

// Conflict classes: packages often rejected are decided early, those often
// the cause late, both before the rest (uv's ConflictEarly/ConflictLate).
const (
	classEarly = iota
	classLate
	classNone
)

func (s *solver) conflictClass(pkg string) int {
	switch {
	case s.early[pkg]:
		return classEarly
	case s.late[pkg]:
		return classLate
	}
	return classNone
}

// recordConflict applies uv's conflict tracking: when a package's versions
// keep being rejected because of the same decided package (the culprit),
// the decision order is wrong for them — the culprit was decided first and
// the rejected package walks back through its versions one by one, maybe
// down to a very old one that no longer conflicts (packse's
// wrong-backtracking scenarios). After conflictThreshold rejections the
// rejected package is decided earlier, the culprit later, and the culprit's
// decision is undone. Like everything else the counting depends only on
// the solver's own steps, so it is deterministic.
func (s *solver) recordConflict(affected string, ic *Incompatibility) {
	base := baseName(affected)
	real := false
	for _, t := range ic.Terms {
		if t.Package == affected || baseName(t.Package) == base {
			continue
		}
		real = true
		s.culprit[t.Package]++
		if s.culprit[t.Package] == conflictThreshold && !s.late[t.Package] {
			s.late[t.Package] = true
			if st := s.pkgs[t.Package]; st != nil && st.decided {
				for _, ai := range st.idx {
					if a := s.assignments[ai]; a.decision {
						s.backtrack(a.level - 1)
						break
					}
				}
			}
		}
	}
	if real {
		s.affected[affected]++
		if s.affected[affected] == conflictThreshold {
			s.early[affected] = true
		}
	}
}

// baseName strips a virtual package's extra ("a[x]" -> "a").
func baseName(pkg string) string {
	if i := strings.IndexByte(pkg, '['); i > 0 && strings.HasSuffix(pkg, "]") {
		return pkg[:i]
	}
	return pkg
}

// fork splits the state: each fork gets a copy with its own environments
// and its own answer for pick==v, then decides v where it can.
func (s *solver) fork(pick *pkgState, v pep440.Version, forks []Fork) []task {
	out := make([]task, 0, len(forks))
	for _, f := range forks {
		c := s.clone()
		c.env = f.Env
		st := c.pkgs[pick.name]
		if !c.apply(st, v, f.Requires, f.Unavailable) {
			c.decideVersion(st, v)
		}
		out = append(out, task{s: c, next: pick.name})
	}
	return out
}

func (s *solver) loadVersions(ctx context.Context, st *pkgState) error {
	if st.loaded {
		return nil
	}
	switch {
	case st.name == s.root:
		st.versions = []pep440.Version{s.rootVersion}
	case s.ep != nil:
		vs, err := s.ep.VersionsIn(ctx, s.env, st.name)
		if err != nil {
			return fmt.Errorf("versions of %s: %w", st.name, err)
		}
		st.versions = vs
	default:
		vs, err := s.p.Versions(ctx, st.name)
		if err != nil {
			return fmt.Errorf("versions of %s: %w", st.name, err)
		}
		st.versions = vs
	}
	st.ascending = slices.Clone(st.versions)
	slices.SortFunc(st.ascending, pep440.Version.Compare)
	st.loaded = true
	return nil
}

// conflictsWith returns the incompatibility of st that deciding st==v
// would satisfy at once (its other terms already hold), or nil;
// propagation then rules v out instead.
func (s *solver) conflictsWith(st *pkgState, v pep440.Version) *Incompatibility {
	decision := Pos(st.name, pep440.ExactRange(v))
	for _, ic := range st.incompats {
		t, _ := ic.term(st.name)
		if !decision.subsetOf(t) {
			continue
		}
		satisfied := true
		for _, o := range ic.Terms {
			if o.Package == st.name {
				continue
			}
			ost := s.pkgs[o.Package]
			if ost == nil || len(ost.idx) == 0 || !ost.acc.subsetOf(o) {
				satisfied = false
				break
			}
		}
		if satisfied {
			return ic
		}
	}
	return nil
}

func (s *solver) dependencies(ctx context.Context, pkg string, v pep440.Version) (Dependencies, error) {
	key := pkg + "\x00" + v.String()
	if s.asked[key] {
		return Dependencies{}, fmt.Errorf("pubgrub: internal error: dependencies of %s==%s requested twice", pkg, v)
	}
	s.asked[key] = true
	var deps Dependencies
	var err error
	if s.ep != nil {
		deps, err = s.ep.DependenciesIn(ctx, s.env, s, pkg, v)
	} else {
		deps, err = s.p.Dependencies(ctx, pkg, v)
	}
	if err != nil {
		return Dependencies{}, fmt.Errorf("dependencies of %s==%s: %w", pkg, v, err)
	}
	return deps, nil
}

// addDependency records "pkg==v depends on d", merging it into an existing
// incompatibility of pkg on the same dependency range so that explanations
// and backjumps cover runs of versions at once. It returns the incompatibility
// in force, or nil when the dependency says nothing (a self-dependency that
// v satisfies).
func (s *solver) addDependency(st *pkgState, v pep440.Version, d Dependency) {
	exact := pep440.ExactRange(v)
	if d.Package == st.name {
		if !d.Range.Contains(v) {
			s.addIncompat(&Incompatibility{Terms: []Term{Pos(st.name, exact)}, Kind: KindDependency})
		}
		return
	}
	for _, old := range st.incompats {
		if old.Kind != KindDependency || len(old.Terms) != 2 || old.Terms[0].Package != st.name ||
			old.Terms[1].Package != d.Package || !old.Terms[1].Range.Equal(d.Range) {
			continue
		}
		merged := dependency(st.name, s.fillGaps(st, old.Terms[0].Range.Union(exact)), d.Package, d.Range)
		s.replaceIncompat(old, merged)
		return
	}
	s.addIncompat(dependency(st.name, s.fillGaps(st, exact), d.Package, d.Range))
}

// addUnavailable records that st==v cannot be used, merged with the same
// reason given for neighbouring versions.
func (s *solver) addUnavailable(st *pkgState, v pep440.Version, reason string) {
	exact := pep440.ExactRange(v)
	for _, old := range st.incompats {
		if old.Kind == KindUnavailable && old.Reason == reason {
			merged := &Incompatibility{Terms: []Term{Pos(st.name, s.fillGaps(st, old.Terms[0].Range.Union(exact)))}, Kind: KindUnavailable, Reason: reason}
			s.replaceIncompat(old, merged)
			return
		}
	}
	s.addIncompat(&Incompatibility{Terms: []Term{Pos(st.name, s.fillGaps(st, exact))}, Kind: KindUnavailable, Reason: reason})
}

// fillGaps widens r to the hull of its candidate versions when no other
// candidate lies inside that hull: with candidates 0.9, 1.0, 1.1 and 1.2,
// "a==1.0 || ==1.1" becomes "a>=1.0, <1.2", and the hull is open-ended where
// no candidate lies beyond it ("a>=1.0" when 1.1 is the newest). Versions that are not candidates can never be
// selected, so the wider range says nothing false; it lets one fact cover a
// run of versions, which shortens both backjumping and explanations.
func (s *solver) fillGaps(st *pkgState, r pep440.Range) pep440.Range {
	first, last := -1, -1
	for i, c := range st.ascending {
		if r.Contains(c) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return r
	}
	hull := pep440.FullRange()
	if first > 0 {
		hull = pep440.AtLeast(st.ascending[first])
	}
	if last < len(st.ascending)-1 {
		hull = hull.Intersect(pep440.LessThan(st.ascending[last+1]))
	}
	for _, c := range st.ascending {
		if hull.Contains(c) && !r.Contains(c) {
			return r
		}
	}
	return hull.Union(r)
}
