package resolve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/pubgrub"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

// rootID names the root in the solver; it cannot clash with a normalized
// project name.
const rootID = "<root>"

// provider adapts the index to pubgrub.EnvProvider. Packages are
// normalized names; "name[extra]" is a virtual package that depends on
// name at the same version plus the extra's requirements. The environments
// a fork covers are a *forkEnv of the resolution's space.
type provider struct {
	src         Source
	prefetch    int
	policy      *policy
	req         *Request
	sp          *space
	pythonFloor pep440.Version // single target: lower bound of Request.RequiresPython

	projects memo[*project]
	metadata memo[*releaseDeps]
	parsed   memo[*parsedReq] // Requires-Dist strings, parsed once: releases repeat them

	constraints []pep508.Requirement
	explicitPre map[string]bool
	upgrade     map[string]bool
	roots       []pep508.Requirement
	direct      map[string]bool

	mu          sync.Mutex
	allowYank   map[string]bool // "name==version" pinned exactly somewhere
	warnings    map[string]bool
	edges       map[string][]edge           // "pkg==version" -> its dependencies
	forkPrefs   map[string][]pep440.Version // versions solved forks chose
	strict      map[string]bool             // packages whose files every target of a fork must have
	prefetched  map[string]bool
	waiting     map[string]int // project pages being fetched
	prefetchCtx context.Context
	sem         chan struct{}
	wg          sync.WaitGroup
}

// edge is one dependency of a package version: the solver package it
// needs, under which marker (for the dependencies of extra).
type edge struct {
	to     string
	marker pep508.Marker
	extra  string
}

// releaseDeps is the parsed Requires-Dist of a release.
type releaseDeps struct {
	reqs           []pep508.Requirement
	requiresPython string
	extras         map[string]bool
	invalid        string // reason the metadata cannot be used
	warnings       []string
}

func splitExtra(pkg string) (base, extra string) {
	if i := strings.IndexByte(pkg, '['); i > 0 && strings.HasSuffix(pkg, "]") {
		return pkg[:i], pkg[i+1 : len(pkg)-1]
	}
	return pkg, ""
}

func (pr *provider) warn(msg string) {
	pr.mu.Lock()
	pr.warnings[msg] = true
	pr.mu.Unlock()
}

// Versions implements pubgrub.Provider for the whole space.
func (pr *provider) Versions(ctx context.Context, pkg string) ([]pep440.Version, error) {
	return pr.VersionsIn(ctx, pr.sp.root(), pkg)
}

// Dependencies implements pubgrub.Provider for the whole space.
func (pr *provider) Dependencies(ctx context.Context, pkg string, v pep440.Version) (pubgrub.Dependencies, error) {
	return pr.DependenciesIn(ctx, pr.sp.root(), noState{}, pkg, v)
}

type noState struct{}

func (noState) Decisions() []pubgrub.Decision { return nil }

// VersionsIn implements pubgrub.EnvProvider: the releases newest first, the
// preferred (locked) version moved to the front, then the versions forks
// solved earlier chose (newest first, as uv prefers them), pre-releases
// dropped unless the policy admits them for this package.
func (pr *provider) VersionsIn(ctx context.Context, _ any, pkg string) ([]pep440.Version, error) {
	base, _ := splitExtra(pkg)
	proj, err := pr.loadProject(ctx, base)
	if err != nil {
		return nil, err
	}
	out := pr.candidates(base, proj)
	pr.mu.Lock()
	prefs := slices.Clone(pr.forkPrefs[base])
	pr.mu.Unlock()
	slices.SortFunc(prefs, func(a, b pep440.Version) int { return b.Compare(a) })
	for _, pref := range slices.Backward(prefs) {
		out = moveFirst(out, pref)
	}
	if pref, ok := pr.req.Preferences[base]; ok && !pr.req.Upgrade && !pr.upgrade[base] {
		out = moveFirst(out, pref)
	}
	return out, nil
}

// moveFirst moves v to the front of vs when present.
func moveFirst(vs []pep440.Version, v pep440.Version) []pep440.Version {
	i := slices.IndexFunc(vs, func(c pep440.Version) bool { return c.String() == v.String() })
	if i > 0 {
		c := vs[i]
		copy(vs[1:i+1], vs[:i])
		vs[0] = c
	}
	return vs
}

func (pr *provider) candidates(name string, proj *project) []pep440.Version {
	allowPre := pr.req.Prereleases == PrereleasesAllow ||
		(pr.req.Prereleases == PrereleasesIfNecessaryOrExplicit && (pr.explicitPre[name] || !proj.hasFinal))
	out := make([]pep440.Version, 0, len(proj.releases))
	for _, r := range proj.releases {
		if r.version.IsPrerelease() && !allowPre {
			continue
		}
		out = append(out, r.version)
	}
	return out
}

// Solved implements pubgrub.ForkObserver: the versions a fork chose are
// preferred in the forks still to solve, so forks agree where they can.
func (pr *provider) Solved(_ any, decisions []pubgrub.Decision) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	for _, d := range decisions {
		base, _ := splitExtra(d.Package)
		if !slices.ContainsFunc(pr.forkPrefs[base], func(v pep440.Version) bool { return v.String() == d.Version.String() }) {
			pr.forkPrefs[base] = append(pr.forkPrefs[base], d.Version)
		}
	}
}

// Priority implements pubgrub.Prioritizer: packages pinned to one version
// (== pins) are decided first, the rest in the order they were first seen.
// It looks only at the range, never at what prefetching has loaded so far,
// so the decision order cannot depend on timing.
func (pr *provider) Priority(_ string, allowed pep440.Range) int {
	if allowed.IsPin() {
		return 0
	}
	return 1
}

// DependenciesIn implements pubgrub.EnvProvider.
func (pr *provider) DependenciesIn(ctx context.Context, envAny any, state pubgrub.State, pkg string, v pep440.Version) (pubgrub.Dependencies, error) {
	e := envAny.(*forkEnv)
	if pkg == rootID {
		pr.recordEdges(rootID, v, pr.roots, "")
		deps := pr.forkDeps(e, pr.roots, "", nil)
		pr.prefetchAll(deps)
		return deps, nil
	}
	base, extra := splitExtra(pkg)
	proj, err := pr.loadProject(ctx, base)
	if err != nil {
		return pubgrub.Dependencies{}, err
	}
	rel := proj.byKey[v.String()]
	if rel == nil {
		return pubgrub.Dependencies{}, fmt.Errorf("internal error: %s has no release %s", base, v)
	}
	// The files decide first, so a release no target can install never
	// costs a metadata request.
	ok, reason := pr.usable(e, rel, "")
	if ok.empty {
		return pubgrub.Dependencies{Unavailable: reason}, nil
	}
	if reason := pr.yanked(base, rel); reason != "" {
		return pubgrub.Dependencies{Unavailable: reason}, nil
	}
	rd, err := pr.releaseMetadata(ctx, base, rel)
	if err != nil {
		return pubgrub.Dependencies{}, err
	}
	if rd.invalid != "" {
		return pubgrub.Dependencies{Unavailable: rd.invalid}, nil
	}
	for _, w := range rd.warnings {
		pr.warn(w)
	}
	var reqs []pep508.Requirement
	var self []pubgrub.Dependency
	if extra != "" {
		if !rd.extras[extra] {
			pr.warn(fmt.Sprintf("%s==%s does not provide the extra %q", base, v, extra))
		}
		self = []pubgrub.Dependency{{Package: base, Range: pep440.ExactRange(v)}}
	}
	for _, r := range rd.reqs {
		mentionsExtra := r.Marker != nil && pep508.Mentions(r.Marker, pep508.VarExtra)
		if (extra != "") == mentionsExtra {
			reqs = append(reqs, r)
		}
	}
	pr.recordEdges(pkg, v, reqs, extra)
	if rd.requiresPython != "" {
		ok, reason = pr.usable(e, rel, rd.requiresPython)
	}
	if ok.empty {
		return pubgrub.Dependencies{Unavailable: reason}, nil
	}
	deps := pr.forkDeps(e, reqs, extra, self)
	if !ok.all {
		deps = pr.coverageForks(e, state, base, ok, reason, reqs, extra, self, deps)
	} else if pr.sp.symbolic && len(pr.req.RequiredEnvironments) > 0 {
		deps = pr.requiredForks(e, state, base, rel, reqs, extra, self, deps)
	}
	pr.prefetchAll(deps)
	return deps, nil
}

func (pr *provider) prefetchAll(deps pubgrub.Dependencies) {
	pr.prefetchDeps(deps.Requires)
	for _, f := range deps.Forks {
		pr.prefetchDeps(f.Requires)
	}
}

// recordEdges keeps what pkg==v depends on, with markers, for the lock's
// markers and for finding out where a package is needed.
func (pr *provider) recordEdges(pkg string, v pep440.Version, reqs []pep508.Requirement, extra string) {
	key := pkg + "==" + v.String()
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if _, ok := pr.edges[key]; ok {
		return
	}
	var out []edge
	if base, x := splitExtra(pkg); x != "" {
		out = append(out, edge{to: base})
	}
	for _, r := range reqs {
		name := r.CanonicalName()
		out = append(out, edge{to: name, marker: r.Marker, extra: extra})
		for _, x := range r.Extras {
			out = append(out, edge{to: name + "[" + x + "]", marker: r.Marker, extra: extra})
		}
	}
	pr.edges[key] = out
}

func (pr *provider) edgesOf(pkg string, v pep440.Version) []edge {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.edges[pkg+"=="+v.String()]
}

// coverage is where a release can be installed within a fork.
type coverage struct {
	all, empty bool
	pts        uint64       // target spaces
	py         pep440.Range // symbolic spaces: the Python versions it supports
}

// yanked applies the rule for yanked releases: usable only through an
// exact pin.
func (pr *provider) yanked(name string, rel *release) string {
	ch := rel.choose(0)
	if !ch.yanked {
		return ""
	}
	pr.mu.Lock()
	ok := pr.allowYank[name+"=="+rel.version.Key()]
	pr.mu.Unlock()
	if ok {
		return ""
	}
	if ch.yankedReason != "" {
		return fmt.Sprintf("was yanked (reason: %s)", ch.yankedReason)
	}
	return "was yanked"
}

// usable finds where in e the release can be installed: a file fits
// (wheel, or sdist when allowed) and its Requires-Python and the
// metadata's admit the Python version. reason explains the first place
// it cannot.
func (pr *provider) usable(e *forkEnv, rel *release, metaRP string) (coverage, string) {
	if pr.sp.symbolic {
		ch := rel.choose(0)
		if ch.unavailable != "" {
			return coverage{empty: true}, ch.unavailable
		}
		r := pr.pythonRange(ch.requiresPython, metaRP)
		switch {
		case e.py.IsSubset(r):
			return coverage{all: true}, ""
		case e.py.IsDisjoint(r):
			return coverage{empty: true}, pr.pythonReason(ch.requiresPython, metaRP)
		}
		return coverage{py: r}, pr.pythonReason(ch.requiresPython, metaRP)
	}
	var ok uint64
	reason := ""
	for i := range pr.sp.points {
		bit := uint64(1) << i
		if e.pts&bit == 0 {
			continue
		}
		ch := rel.choose(i)
		why := ch.unavailable
		if why == "" {
			why = pr.pythonUnavailable(ch.requiresPython, pr.sp.points[i].py)
		}
		if why == "" {
			why = pr.pythonUnavailable(metaRP, pr.sp.points[i].py)
		}
		if why == "" {
			ok |= bit
		} else if reason == "" {
			reason = why
		}
	}
	if whole := pr.sp.whole(ok); whole != ok {
		ok = whole
		if reason == "" {
			reason = "has no file for every target sharing its markers"
		}
	}
	return coverage{all: ok == e.pts, empty: ok == 0, pts: ok}, reason
}

// pythonRange is the versions every Requires-Python string admits; an
// invalid one is ignored with a warning, as pythonUnavailable does.
func (pr *provider) pythonRange(specs ...string) pep440.Range {
	r := pep440.FullRange()
	for _, s := range specs {
		if strings.TrimSpace(s) == "" {
			continue
		}
		spec, err := pep440.ParseSpecifiers(s)
		if err != nil {
			pr.warn(fmt.Sprintf("ignoring invalid Requires-Python %q: %v", s, err))
			continue
		}
		r = r.Intersect(spec.Range())
	}
	return r
}

func (pr *provider) pythonReason(specs ...string) string {
	for _, s := range specs {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if spec, err := pep440.ParseSpecifiers(s); err == nil {
			return "requires Python" + spec.String()
		}
	}
	return ""
}

// pythonUnavailable checks a Requires-Python against a target's Python and
// the lower bound of the project's requires-python. The whole specifier
// counts for the target, upper bounds included: an installer (pip,
// packaging's pylock select(), pylock.Select) refuses a package whose
// Requires-Python excludes the running interpreter, so a lock must never
// pin one (uv ignores upper bounds; pip does not). Against the project's
// floor only lower bounds count, so that the lock keeps working on the
// oldest Python the project supports without rejecting every release that
// caps the Python versions it knows.
func (pr *provider) pythonUnavailable(rp string, python pep440.Version) string {
	if strings.TrimSpace(rp) == "" {
		return ""
	}
	spec, err := pep440.ParseSpecifiers(rp)
	if err != nil {
		pr.warn(fmt.Sprintf("ignoring invalid Requires-Python %q: %v", rp, err))
		return ""
	}
	if !spec.ContainsWith(python, new(true), false) {
		return "requires Python" + spec.String()
	}
	if !pr.pythonFloor.IsZero() && !admitsLowerBounds(spec, pr.pythonFloor) {
		return "requires Python" + spec.String() + " (the project supports Python" + pr.req.RequiresPython.String() + ")"
	}
	return ""
}

// admitsLowerBounds reports whether v satisfies every clause of s that
// bounds versions from below (>=, >, ~= and == taken as their lower bound).
func admitsLowerBounds(s pep440.Specifiers, v pep440.Version) bool {
	for _, c := range s.All() {
		switch c.Operator() {
		case pep440.OpGreaterEqual, pep440.OpGreater:
			if !pep440.NewSpecifiers(c).ContainsWith(v, new(true), false) {
				return false
			}
		case pep440.OpCompatible, pep440.OpEqual:
			if b, ok := c.Parsed(); ok && v.Compare(b.BaseVersion()) < 0 {
				return false
			}
		}
	}
	return true
}

// releaseMetadata fetches and parses the metadata of a release once.
func (pr *provider) releaseMetadata(ctx context.Context, name string, rel *release) (*releaseDeps, error) {
	return pr.metadata.get(name+"=="+rel.version.String(), func() (*releaseDeps, error) {
		md, err := pr.fetchMetadata(ctx, rel)
		if errors.Is(err, simpleapi.ErrNoMetadata) {
			return &releaseDeps{invalid: "has no metadata without building its sdist"}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("metadata of %s==%s: %w", name, rel.version, err)
		}
		return pr.parseMetadata(name, rel.version, md), nil
	})
}

// parsedReq is one Requires-Dist string parsed (leniently).
type parsedReq struct {
	r     pep508.Requirement
	notes []string
	err   error
}

func (pr *provider) parseMetadata(name string, v pep440.Version, md *simpleapi.Metadata) *releaseDeps {
	rd := &releaseDeps{requiresPython: md.RequiresPython, extras: map[string]bool{}}
	for _, e := range md.ProvidesExtra {
		rd.extras[pep508.CanonicalName(e)] = true
	}
	for _, s := range md.RequiresDist {
		p, _ := pr.parsed.get(s, func() (*parsedReq, error) {
			r, notes, err := pep508.ParseLenient(s)
			return &parsedReq{r: r, notes: notes, err: err}, nil
		})
		if p.err != nil {
			rd.invalid = fmt.Sprintf("has an invalid Requires-Dist %q", shorten(s))
			return rd
		}
		if len(p.notes) > 0 {
			rd.warnings = append(rd.warnings, fmt.Sprintf("%s==%s: repaired Requires-Dist %q: %s", name, v, s, strings.Join(p.notes, "; ")))
		}
		rd.reqs = append(rd.reqs, p.r)
	}
	return rd
}

// shorten cuts a string quoted in a message (hostile metadata can hold
// megabytes) to its first 100 bytes.
func shorten(s string) string {
	if len(s) <= 100 {
		return s
	}
	cut := 100
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…(%d bytes)", len(s))
}

// toDependencies turns requirements into solver dependencies within e,
// applying the constraints that hold there.
func (pr *provider) toDependencies(e *forkEnv, reqs []pep508.Requirement) []pubgrub.Dependency {
	var out []pubgrub.Dependency
	for _, r := range reqs {
		name := r.CanonicalName()
		rng := r.Specifiers.Range()
		for _, c := range pr.constraints {
			if c.CanonicalName() == name && pr.sp.includes(e, c.Marker, "") {
				rng = rng.Intersect(c.Specifiers.Range())
			}
		}
		out = append(out, pubgrub.Dependency{Package: name, Range: rng})
		for _, x := range r.Extras {
			out = append(out, pubgrub.Dependency{Package: name + "[" + x + "]", Range: rng})
		}
	}
	return out
}

func (pr *provider) notePins(name string, s pep440.Specifiers) {
	for _, c := range s.All() {
		if (c.Operator() == pep440.OpEqual || c.Operator() == pep440.OpArbitraryEqual) && !c.IsWildcard() {
			if v, ok := c.Parsed(); ok {
				pr.mu.Lock()
				pr.allowYank[name+"=="+v.Key()] = true
				pr.mu.Unlock()
			}
		}
	}
}

// mergeDeps drops repeated dependencies (same package and range), keeping
// first-seen order. Different ranges on one package stay separate so that an
// explanation can quote each requirement.
func mergeDeps(deps []pubgrub.Dependency) []pubgrub.Dependency {
	out := deps[:0:0]
	for _, d := range deps {
		if !slices.ContainsFunc(out, func(o pubgrub.Dependency) bool { return o.Package == d.Package && o.Range.Equal(d.Range) }) {
			out = append(out, d)
		}
	}
	return out
}
