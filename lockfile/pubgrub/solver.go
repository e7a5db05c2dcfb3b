package pubgrub

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

// NoSolutionError reports that no set of versions satisfies the root's
// requirements. Incompatibility is the terminal incompatibility: the root of
// the derivation tree that Explain renders.
type NoSolutionError struct {
	Root            string
	Incompatibility *Incompatibility
	// Env is the environments of the fork that failed (SolveForks); nil
	// otherwise.
	Env any
}

// Error renders the explanation with the default format.
func (e *NoSolutionError) Error() string {
	return "no solution: " + Explain(e.Incompatibility, Format{Root: e.Root})
}

type assignment struct {
	term     Term
	level    int
	cause    *Incompatibility // nil for a decision
	decision bool
}

type pkgState struct {
	name      string
	idx       []int // indices into solver.assignments, ascending
	acc       Term  // intersection of the assigned terms; valid when len(idx) > 0
	decided   bool
	version   pep440.Version
	incompats []*Incompatibility
	versions  []pep440.Version // provider's answer, preferred first
	ascending []pep440.Version
	loaded    bool
}

type solver struct {
	p           Provider
	ep          EnvProvider // nil for a plain resolution
	env         any
	prio        Prioritizer
	root        string
	rootVersion pep440.Version
	pkgs        map[string]*pkgState
	order       []*pkgState // first-seen order
	assignments []assignment
	level       int
	asked       map[string]bool // "pkg\x00version" whose dependencies were fetched

	// Conflict tracking (recordConflict): rejections counted per package
	// rejected and per culprit, and the packages moved early or late.
	affected, culprit map[string]int
	early, late       map[string]bool
}

// Solve finds versions for the root package's dependency graph. root is the
// name of the root package (it never reaches Provider.Versions; its only
// version is rootVersion) and the returned decisions exclude it, sorted by
// package name. Failure to find a solution is a *NoSolutionError; provider
// errors and context cancellation are returned wrapped.
func Solve(ctx context.Context, p Provider, root string, rootVersion pep440.Version) ([]Decision, error) {
	s := newSolver(p, root, rootVersion)
	sols, err := s.run(ctx)
	if err != nil {
		return nil, err
	}
	if len(sols) != 1 {
		return nil, fmt.Errorf("pubgrub: internal error: a plain resolution split into %d forks", len(sols))
	}
	return sols[0].Decisions, nil
}

// SolveForks is Solve for a universal resolution: it starts with the
// environments env and returns one Solution per fork the provider asked
// for (one when it never split), in the order they were solved. A fork
// without a solution fails the whole resolution with a *NoSolutionError
// whose Env is that fork's.
func SolveForks(ctx context.Context, p EnvProvider, root string, rootVersion pep440.Version, env any) ([]Solution, error) {
	s := newSolver(p, root, rootVersion)
	s.ep, s.env = p, env
	return s.run(ctx)
}

func newSolver(p Provider, root string, rootVersion pep440.Version) *solver {
	s := &solver{p: p, root: root, rootVersion: rootVersion, pkgs: map[string]*pkgState{}, asked: map[string]bool{},
		affected: map[string]int{}, culprit: map[string]int{}, early: map[string]bool{}, late: map[string]bool{}}
	s.prio, _ = p.(Prioritizer)
	s.addIncompat(&Incompatibility{Terms: []Term{Neg(root, pep440.ExactRange(rootVersion))}, Kind: KindRoot})
	return s
}

// task is a fork waiting to be solved from its state, propagating next
// first.
type task struct {
	s    *solver
	next string
}

// run solves the initial state and every fork split from it, depth first.
func (s *solver) run(ctx context.Context) ([]Solution, error) {
	stack := []task{{s, s.root}}
	var out []Solution
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if len(out) > 0 {
			// Solved forks may have changed the provider's preferences.
			t.s.reloadVersions()
		}
		sol, forks, err := t.s.solve(ctx, t.next)
		if err != nil {
			if nse, ok := errors.AsType[*NoSolutionError](err); ok {
				nse.Env = t.s.env
			}
			return nil, err
		}
		if forks != nil {
			for _, fork := range slices.Backward(forks) {
				stack = append(stack, fork)
			}
			continue
		}
		out = append(out, Solution{Env: t.s.env, Decisions: sol})
		if o, ok := s.p.(ForkObserver); ok && s.ep != nil {
			o.Solved(t.s.env, sol)
		}
	}
	return out, nil
}

// solve runs one state until it has a solution or splits into forks.
func (s *solver) solve(ctx context.Context, next string) ([]Decision, []task, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("resolution cancelled: %w", err)
		}
		if err := s.propagate(next); err != nil {
			return nil, nil, err
		}
		var done bool
		var forks []task
		var err error
		next, done, forks, err = s.decide(ctx)
		if err != nil {
			return nil, nil, err
		}
		if forks != nil {
			return nil, forks, nil
		}
		if done {
			return s.solution(), nil, nil
		}
	}
}

// clone copies the state for a fork; incompatibilities and version lists
// are immutable and shared.
func (s *solver) clone() *solver {
	c := *s
	c.assignments = slices.Clone(s.assignments)
	c.asked = maps.Clone(s.asked)
	c.affected, c.culprit = maps.Clone(s.affected), maps.Clone(s.culprit)
	c.early, c.late = maps.Clone(s.early), maps.Clone(s.late)
	c.pkgs = make(map[string]*pkgState, len(s.pkgs))
	c.order = make([]*pkgState, len(s.order))
	for i, st := range s.order {
		n := *st
		n.idx = slices.Clone(st.idx)
		n.incompats = slices.Clone(st.incompats)
		c.pkgs[st.name] = &n
		c.order[i] = &n
	}
	return &c
}

// reloadVersions forgets the candidate lists so the provider is asked
// again.
func (s *solver) reloadVersions() {
	for _, st := range s.order {
		st.loaded = false
	}
}

// Decisions implements State.
func (s *solver) Decisions() []Decision {
	var out []Decision
	for _, a := range s.assignments {
		if a.decision && a.term.Package != s.root {
			out = append(out, Decision{Package: a.term.Package, Version: s.pkgs[a.term.Package].version})
		}
	}
	return out
}

func (s *solver) state(pkg string) *pkgState {
	st := s.pkgs[pkg]
	if st == nil {
		st = &pkgState{name: pkg}
		s.pkgs[pkg] = st
		s.order = append(s.order, st)
	}
	return st
}

func (s *solver) addIncompat(ic *Incompatibility) {
	for _, t := range ic.Terms {
		st := s.state(t.Package)
		st.incompats = append(st.incompats, ic)
	}
}

func (s *solver) replaceIncompat(old, ic *Incompatibility) {
	for _, t := range ic.Terms {
		st := s.state(t.Package)
		if i := slices.Index(st.incompats, old); i >= 0 {
			st.incompats[i] = ic
		} else {
			st.incompats = append(st.incompats, ic)
		}
	}
}

func (s *solver) assign(a assignment) {
	st := s.state(a.term.Package)
	s.assignments = append(s.assignments, a)
	if len(st.idx) == 0 {
		st.acc = a.term
	} else {
		st.acc = st.acc.intersect(a.term)
	}
	st.idx = append(st.idx, len(s.assignments)-1)
	if a.decision {
		st.decided = true
	}
}

type relation int

const (
	relSatisfied relation = iota
	relContradicted
	relAlmost
	relInconclusive
)

// relation reports how the partial solution relates to ic; for relAlmost it
// also returns the one term not yet satisfied.
func (s *solver) relation(ic *Incompatibility) (relation, int) {
	unsatisfied := -1
	for i, t := range ic.Terms {
		acc := anyTerm(t.Package)
		if st := s.pkgs[t.Package]; st != nil && len(st.idx) > 0 {
			acc = st.acc
		}
		if acc.disjoint(t) {
			return relContradicted, -1
		}
		if !acc.subsetOf(t) {
			if unsatisfied >= 0 {
				return relInconclusive, -1
			}
			unsatisfied = i
		}
	}
	if unsatisfied < 0 {
		return relSatisfied, -1
	}
	return relAlmost, unsatisfied
}

func (s *solver) propagate(start string) error {
	changed := []string{start}
	inChanged := map[string]bool{start: true}
	for len(changed) > 0 {
		pkg := changed[0]
		changed = changed[1:]
		delete(inChanged, pkg)
		ics := s.state(pkg).incompats
		for i := len(ics) - 1; i >= 0; i-- {
			ic := ics[i]
			rel, ti := s.relation(ic)
			switch rel {
			case relSatisfied:
				cause, err := s.resolveConflict(ic)
				if err != nil {
					return err
				}
				// After backjumping cause is almost satisfied; derive the
				// negation of its remaining term.
				r, ti := s.relation(cause)
				if r != relAlmost {
					return fmt.Errorf("pubgrub: internal error: learned incompatibility is not almost satisfied after backjumping")
				}
				t := cause.Terms[ti]
				s.assign(assignment{term: t.Negate(), level: s.level, cause: cause})
				changed = changed[:0]
				clear(inChanged)
				changed = append(changed, t.Package)
				inChanged[t.Package] = true
				i = -1 // restart with the new changed set
			case relAlmost:
				t := ic.Terms[ti]
				s.assign(assignment{term: t.Negate(), level: s.level, cause: ic})
				if !inChanged[t.Package] {
					inChanged[t.Package] = true
					changed = append(changed, t.Package)
				}
			}
			if rel == relSatisfied {
				break
			}
		}
	}
	return nil
}

func (s *solver) terminal(ic *Incompatibility) bool {
	return len(ic.Terms) == 0 || (len(ic.Terms) == 1 && ic.Terms[0].Positive && ic.Terms[0].Package == s.root)
}

func (s *solver) resolveConflict(ic *Incompatibility) (*Incompatibility, error) {
	original := ic
	for {
		if s.terminal(ic) {
			return nil, &NoSolutionError{Root: s.root, Incompatibility: ic}
		}
		sat, satTerm, prevLevel := s.satisfier(ic)
		a := s.assignments[sat]
		if a.decision || prevLevel != a.level {
			if ic != original {
				s.addIncompat(ic)
			}
			s.backtrack(prevLevel)
			return ic, nil
		}
		ic = priorCause(ic, a.cause, satTerm.Package)
	}
}

// satisfier finds the earliest assignment after which ic is satisfied, the
// term of ic it satisfies, and the decision level to backjump to.
func (s *solver) satisfier(ic *Incompatibility) (int, Term, int) {
	sat, satTerm := -1, Term{}
	found := make([]int, len(ic.Terms))
	for i, t := range ic.Terms {
		st := s.pkgs[t.Package]
		var acc Term
		found[i] = -1
		for k, ai := range st.idx {
			if k == 0 {
				acc = s.assignments[ai].term
			} else {
				acc = acc.intersect(s.assignments[ai].term)
			}
			if acc.subsetOf(t) {
				found[i] = ai
				break
			}
		}
		if found[i] > sat {
			sat, satTerm = found[i], t
		}
	}
	prev := 1
	for i := range ic.Terms {
		if found[i] != sat && s.assignments[found[i]].level > prev {
			prev = s.assignments[found[i]].level
		}
	}
	satAssign := s.assignments[sat].term
	if !satAssign.subsetOf(satTerm) {
		st := s.pkgs[satTerm.Package]
		var acc Term
		for k, ai := range st.idx {
			if ai >= sat {
				break
			}
			if k == 0 {
				acc = s.assignments[ai].term
			} else {
				acc = acc.intersect(s.assignments[ai].term)
			}
			if acc.intersect(satAssign).subsetOf(satTerm) {
				if l := s.assignments[ai].level; l > prev {
					prev = l
				}
				break
			}
		}
	}
	return sat, satTerm, prev
}

func (s *solver) backtrack(level int) {
	cut := len(s.assignments)
	for cut > 0 && s.assignments[cut-1].level > level {
		cut--
	}
	touched := map[string]bool{}
	for _, a := range s.assignments[cut:] {
		touched[a.term.Package] = true
	}
	s.assignments = s.assignments[:cut]
	s.level = level
	for pkg := range touched {
		st := s.pkgs[pkg]
		for len(st.idx) > 0 && st.idx[len(st.idx)-1] >= cut {
			st.idx = st.idx[:len(st.idx)-1]
		}
		st.decided = false
		for k, ai := range st.idx {
			a := s.assignments[ai]
			if k == 0 {
				st.acc = a.term
			} else {
				st.acc = st.acc.intersect(a.term)
			}
			if a.decision {
				st.decided = true
			}
		}
	}
}

func (s *solver) solution() []Decision {
	var out []Decision
	for _, a := range s.assignments {
		if a.decision && a.term.Package != s.root {
			out = append(out, Decision{Package: a.term.Package, Version: s.pkgs[a.term.Package].version})
		}
	}
	slices.SortFunc(out, func(a, b Decision) int { return strings.Compare(a.Package, b.Package) })
	return out
}
