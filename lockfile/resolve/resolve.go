package resolve

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/pubgrub"
)

// envFor is the target as the provider sees it.
type envFor struct {
	base        pep508.Environment
	python      pep440.Version
	pythonFloor pep440.Version // lower bound of Request.RequiresPython; zero when none
}

// Resolve finds one version of every package the requirements need, for
// req.Target. An unsatisfiable request gives a *NoSolutionError; index
// failures are returned wrapped, never turned into a different answer.
func Resolve(ctx context.Context, req Request, opts Options) (*Resolution, error) {
	if opts.Source == nil {
		return nil, errors.New("resolve: options.Source is required")
	}
	if req.Target.Implementation == "" {
		return nil, errors.New("resolve: request.Target is required (which interpreter and platform to lock for)")
	}
	py := req.Target.Python
	pyVersion, err := pep440.Parse(strconv.Itoa(py.Major) + "." + strconv.Itoa(py.Minor) + "." + strconv.Itoa(py.Patch))
	if err != nil {
		return nil, fmt.Errorf("resolve: request.Target.Python %s: %w", py, err)
	}
	pr := &provider{
		src:         opts.Source,
		policy:      newPolicy(&req),
		req:         &req,
		env:         envFor{base: req.Target.Environment(), python: pyVersion, pythonFloor: lowerBound(req.RequiresPython)},
		constraints: map[string]pep440.Range{},
		explicitPre: map[string]bool{},
		upgrade:     map[string]bool{},
		direct:      map[string]bool{},
		allowYank:   map[string]bool{},
		warnings:    map[string]bool{},
		deps:        map[string][]pubgrub.Dependency{},
		prefetched:  map[string]bool{},
	}
	for _, n := range req.UpgradePackages {
		pr.upgrade[pep508.CanonicalName(n)] = true
	}
	for _, c := range req.Constraints {
		if c.Marker != nil && !c.Marker.Evaluate(pr.env.base) {
			continue
		}
		if c.URL != "" {
			return nil, fmt.Errorf("resolve: constraint %q: direct URL constraints are not supported", c.String())
		}
		name := c.CanonicalName()
		r := c.Specifiers.Range()
		if old, ok := pr.constraints[name]; ok {
			r = r.Intersect(old)
		}
		pr.constraints[name] = r
		pr.notePrereleases(name, c.Specifiers)
		pr.notePins(name, c.Specifiers)
	}
	var roots []pep508.Requirement
	for _, r := range req.Requirements {
		if r.URL != "" {
			return nil, fmt.Errorf("resolve: requirement %q: direct URL requirements are not supported", r.String())
		}
		if r.Marker != nil && !pep508.EvaluateExtras(r.Marker, pr.env.base, nil) {
			continue
		}
		roots = append(roots, r)
		pr.direct[r.CanonicalName()] = true
		pr.notePrereleases(r.CanonicalName(), r.Specifiers)
		pr.notePins(r.CanonicalName(), r.Specifiers)
	}
	sortRequirements(roots)
	pr.rootDeps, _ = pr.toDependencies(roots)
	pr.rootDeps = mergeDeps(pr.rootDeps)

	pctx, cancel := context.WithCancel(ctx)
	pr.prefetchCtx = pctx
	if opts.Prefetch >= 0 {
		n := opts.Prefetch
		if n == 0 {
			n = 8
		}
		pr.sem = make(chan struct{}, n)
	}
	decisions, err := pubgrub.Solve(ctx, pr, rootID, pep440.MustParse("0"))
	cancel()
	pr.wg.Wait()
	var nse *pubgrub.NoSolutionError
	if errors.As(err, &nse) {
		name := req.Name
		if name == "" {
			name = "root"
		}
		f := pubgrub.Format{Root: rootID, Display: func(p string) string {
			if p == rootID {
				return name
			}
			return p
		}}
		return nil, &NoSolutionError{Explanation: pubgrub.Explain(nse.Incompatibility, f), Tree: nse.Incompatibility}
	}
	if err != nil {
		return nil, fmt.Errorf("resolve: %w", err)
	}
	return pr.resolution(ctx, decisions)
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
		canon := r
		canon.Name = r.CanonicalName()
		tmp[i] = keyed{canon.Name + "\x00" + canon.String(), r}
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
				if ch := rel.files(); ch.unavailable == "" && !ch.yanked && ctx.Err() == nil {
					_, _ = pr.releaseMetadata(ctx, name, rel)
				}
				return
			}
		}(base, d.Range)
	}
}

// resolution assembles the result from the solver's decisions.
func (pr *provider) resolution(ctx context.Context, decisions []pubgrub.Decision) (*Resolution, error) {
	chosen := map[string]pep440.Version{}
	extras := map[string][]string{}
	for _, d := range decisions {
		base, extra := splitExtra(d.Package)
		if extra != "" {
			extras[base] = append(extras[base], extra)
			continue
		}
		chosen[d.Package] = d.Version
	}
	res := &Resolution{}
	for _, d := range decisions {
		if _, extra := splitExtra(d.Package); extra != "" {
			continue
		}
		proj, err := pr.loadProject(ctx, d.Package)
		if err != nil {
			return nil, fmt.Errorf("resolve: %w", err)
		}
		rel := proj.byKey[d.Version.String()]
		p := Package{Name: d.Package, Version: d.Version, Direct: pr.direct[d.Package], RequiresPython: rel.files().requiresPython}
		p.Extras = slices.Sorted(slices.Values(extras[d.Package]))
		f := rel.files().chosen
		p.Files = []File{{Filename: f.Filename, URL: f.URL, Hashes: f.Hashes, Size: f.Size, UploadTime: f.UploadTime, Index: f.Index, Wheel: f.Wheel()}}
		needs := map[string]bool{}
		pr.mu.Lock()
		for _, id := range append([]string{d.Package}, extraIDs(d.Package, p.Extras)...) {
			for _, dep := range pr.deps[id+"=="+d.Version.String()] {
				base, _ := splitExtra(dep.Package)
				if _, ok := chosen[base]; ok && base != d.Package {
					needs[base] = true
				}
			}
		}
		pr.mu.Unlock()
		p.Dependencies = slices.Sorted(maps.Keys(needs))
		res.Packages = append(res.Packages, p)
	}
	sort.Slice(res.Packages, func(i, j int) bool { return res.Packages[i].Name < res.Packages[j].Name })
	for w := range pr.warnings {
		res.Warnings = append(res.Warnings, w)
	}
	slices.Sort(res.Warnings)
	return res, nil
}

func extraIDs(name string, extras []string) []string {
	out := make([]string, len(extras))
	for i, e := range extras {
		out[i] = name + "[" + e + "]"
	}
	return out
}
