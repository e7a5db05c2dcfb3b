package resolve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/pubgrub"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// Resolve finds one version of every package the requirements need, for
// req.Target, or a universal set of pins for req.Targets or a Universal
// request. An unsatisfiable request gives a *NoSolutionError; index
// failures are returned wrapped, never turned into a different answer.
func Resolve(ctx context.Context, req Request, opts Options) (*Resolution, error) {
	if opts.Source == nil {
		return nil, errors.New("resolve: options.Source is required")
	}
	sp, targets, err := requestSpace(&req)
	if err != nil {
		return nil, err
	}
	strict := map[string]bool{}
	for {
		pr := newProvider(&req, opts, sp, targets, strict)
		res, err := pr.solve(ctx)
		if retry, ok := errors.AsType[*coverageRetry](err); ok {
			// A package turned out needed on a target it has no file
			// for: solve again, checking it on every target of a fork.
			grew := false
			for k := range retry.names {
				if !strict[k] {
					strict[k], grew = true, true
				}
			}
			if grew {
				continue
			}
			return nil, fmt.Errorf("resolve: %w", err)
		}
		return res, err
	}
}

// requestSpace builds the environments of the request.
func requestSpace(req *Request) (*space, []wheel.Target, error) {
	switch {
	case len(req.Targets) > 0:
		for i, t := range req.Targets {
			if t.Implementation == "" {
				return nil, nil, fmt.Errorf("resolve: request.Targets[%d] is empty", i)
			}
		}
		sp, err := newTargetSpace(req.Targets)
		return sp, req.Targets, err
	case req.Universal:
		if req.RequiresPython.Len() == 0 {
			return nil, nil, errors.New("resolve: a universal resolution without targets needs request.RequiresPython (the Python versions it is for)")
		}
		sp := newSymbolicSpace(req.RequiresPython, req.Environments)
		if sp.uni.isEmpty() {
			return nil, nil, fmt.Errorf("resolve: requires-python %s and the environments %v leave no environment to resolve for", req.RequiresPython, req.Environments)
		}
		return sp, nil, nil
	case req.Target.Implementation == "":
		return nil, nil, errors.New("resolve: request.Target is required (which interpreter and platform to lock for)")
	}
	sp, err := newTargetSpace([]wheel.Target{req.Target})
	return sp, []wheel.Target{req.Target}, err
}

func newProvider(req *Request, opts Options, sp *space, targets []wheel.Target, strict map[string]bool) *provider {
	pr := &provider{
		prefetch:    opts.Prefetch,
		src:         opts.Source,
		policy:      newPolicy(req, targets),
		req:         req,
		sp:          sp,
		explicitPre: map[string]bool{},
		upgrade:     map[string]bool{},
		direct:      map[string]bool{},
		allowYank:   map[string]bool{},
		warnings:    map[string]bool{},
		edges:       map[string][]edge{},
		forkPrefs:   map[string][]pep440.Version{},
		strict:      strict,
		prefetched:  map[string]bool{},
		waiting:     map[string]int{},
	}
	if len(req.Targets) == 0 && !req.Universal {
		pr.pythonFloor = lowerBound(req.RequiresPython)
	}
	for _, n := range req.UpgradePackages {
		pr.upgrade[pep508.CanonicalName(n)] = true
	}
	root := sp.root()
	for _, c := range req.Constraints {
		if !sp.includes(root, c.Marker, "") {
			continue
		}
		pr.constraints = append(pr.constraints, c)
		pr.notePrereleases(c.CanonicalName(), c.Specifiers)
		pr.notePins(c.CanonicalName(), c.Specifiers)
	}
	for _, r := range req.Requirements {
		if !sp.includes(root, r.Marker, "") {
			continue
		}
		pr.roots = append(pr.roots, r)
		pr.direct[r.CanonicalName()] = true
		pr.notePrereleases(r.CanonicalName(), r.Specifiers)
		pr.notePins(r.CanonicalName(), r.Specifiers)
	}
	sortRequirements(pr.roots)
	return pr
}

// solve runs the solver and assembles the result.
func (pr *provider) solve(ctx context.Context) (*Resolution, error) {
	for _, c := range pr.constraints {
		if c.URL != "" {
			return nil, fmt.Errorf("resolve: constraint %q: direct references (name @ URL) are not supported as constraints", c.String())
		}
	}
	for _, r := range pr.roots {
		if r.URL != "" {
			return nil, fmt.Errorf("resolve: requirement %q: direct references (name @ URL) are not supported: a lock resolves packages from indexes; publish %s to an index", r.String(), r.CanonicalName())
		}
	}
	pctx, cancel := context.WithCancel(ctx)
	pr.prefetchCtx = pctx
	if n := pr.prefetchLimit(); n > 0 {
		pr.sem = make(chan struct{}, n)
	}
	sols, err := pubgrub.SolveForks(ctx, pr, rootID, pep440.MustParse("0"), pr.sp.root())
	waiting := pr.waitingFor()
	cancel()
	pr.wg.Wait()
	if err != nil && ctx.Err() != nil && len(waiting) > 0 {
		return nil, fmt.Errorf("resolve: stopped while waiting for the index to list %s: %w", strings.Join(quoteAll(waiting), ", "), err)
	}
	if nse, ok := errors.AsType[*pubgrub.NoSolutionError](err); ok {
		return nil, pr.noSolution(nse)
	}
	if err != nil {
		return nil, fmt.Errorf("resolve: %w", err)
	}
	return pr.resolution(ctx, sols)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func (pr *provider) prefetchLimit() int {
	switch n := pr.prefetch; {
	case n < 0:
		return 0
	case n == 0:
		return 8
	default:
		return n
	}
}

// noSolution explains a failed resolution, naming the fork that failed.
func (pr *provider) noSolution(nse *pubgrub.NoSolutionError) error {
	name := pr.req.Name
	if name == "" {
		name = "root"
	}
	f := pubgrub.Format{Root: rootID, Display: func(p string) string {
		if p == rootID {
			return name
		}
		return p
	}}
	exp := pubgrub.Explain(nse.Incompatibility, f)
	if e, ok := nse.Env.(*forkEnv); ok {
		if where := pr.sp.describe(e); where != "" {
			if pr.sp.symbolic {
				exp = "In the environments where " + where + ":\n" + exp
			} else {
				exp = "On " + where + ":\n" + exp
			}
		}
	}
	return &NoSolutionError{Explanation: exp, Tree: nse.Incompatibility}
}

// sortRequirements puts requirements in a canonical order: by normalized
// name, then by their normalized text.
//
// PubGrub leaves the decision order to a heuristic (pubgrub-rs's
// DependencyProvider::prioritize; dart pub decides the package with the
// fewest versions first). uv decides == pins first and breaks ties by the
// order in which packages were first seen, which makes its answer depend on
// the order of the declared requirements: [pydantic-core, pydantic] and
// [pydantic, pydantic-core] can lock different pydantic majors. Sorting the
// roots makes "first seen" a function of the requirement set and of the
// index alone, so reordering pyproject.toml never changes the lock.
func sortRequirements(reqs []pep508.Requirement) {
	type keyed struct {
		key string
		r   pep508.Requirement
	}
	tmp := make([]keyed, len(reqs))
	for i, r := range reqs {
		tmp[i] = keyed{r.CanonicalName() + "\x00" + r.Normalized().String(), r}
	}
	slices.SortStableFunc(tmp, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	for i := range tmp {
		reqs[i] = tmp[i].r
	}
}

// notePrereleases records a first-party requirement that names a
// pre-release, which admits pre-releases of that package.
func (pr *provider) notePrereleases(name string, s pep440.Specifiers) {
	if p := s.Prereleases(); p != nil && *p {
		pr.explicitPre[name] = true
	}
}

// lowerBound returns the smallest version a requires-python admits by its
// ">=", ">", "~=", "==" and "===" clauses, or the zero Version.
func lowerBound(s pep440.Specifiers) pep440.Version {
	var lo pep440.Version
	for _, c := range s.All() {
		switch c.Operator() {
		case pep440.OpGreaterEqual, pep440.OpGreater, pep440.OpCompatible, pep440.OpEqual, pep440.OpArbitraryEqual:
			if v, ok := c.Parsed(); ok && (lo.IsZero() || lo.Less(v)) {
				lo = v
			}
		}
	}
	return lo
}

// prefetchDeps loads, in the background, the project pages of new
// dependencies and the metadata of the release the solver will most likely
// try first, so that the solver rarely waits on the network.
func (pr *provider) prefetchDeps(deps []pubgrub.Dependency) {
	if pr.sem == nil {
		return
	}
	for _, d := range deps {
		base, _ := splitExtra(d.Package)
		pr.mu.Lock()
		seen := pr.prefetched[base]
		pr.prefetched[base] = true
		pr.mu.Unlock()
		if seen {
			continue
		}
		pr.wg.Add(1)
		go func(name string, allowed pep440.Range) {
			defer pr.wg.Done()
			ctx := pr.prefetchCtx
			select {
			case pr.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-pr.sem }()
			proj, err := pr.loadProject(ctx, name)
			if err != nil {
				return
			}
			for _, v := range pr.candidates(name, proj) {
				if !allowed.Contains(v) {
					continue
				}
				rel := proj.byKey[v.String()]
				if ch := rel.choose(0); ch.unavailable == "" && !ch.yanked && ctx.Err() == nil {
					_, _ = pr.releaseMetadata(ctx, name, rel)
				}
				return
			}
		}(base, d.Range)
	}
}
