package resolve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/pubgrub"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

// rootID names the root in the solver; it cannot clash with a normalized
// project name.
const rootID = "<root>"

// provider adapts the index to pubgrub.Provider. Packages are normalized
// names; "name[extra]" is a virtual package that depends on name at the
// same version plus the extra's requirements.
type provider struct {
	src    Source
	policy *policy
	req    *Request
	env    envFor

	projects memo[*project]
	metadata memo[*releaseDeps]

	constraints map[string]pep440.Range
	explicitPre map[string]bool
	upgrade     map[string]bool
	rootDeps    []pubgrub.Dependency
	direct      map[string]bool

	mu          sync.Mutex
	allowYank   map[string]bool // "name==version" pinned exactly somewhere
	warnings    map[string]bool
	deps        map[string][]pubgrub.Dependency // "pkg==version" -> answer given
	prefetched  map[string]bool
	prefetchCtx context.Context
	sem         chan struct{}
	wg          sync.WaitGroup
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

// Versions implements pubgrub.Provider: the releases newest first, the
// preferred (locked) version moved to the front, pre-releases dropped unless
// the policy admits them for this package.
func (pr *provider) Versions(ctx context.Context, pkg string) ([]pep440.Version, error) {
	base, _ := splitExtra(pkg)
	proj, err := pr.loadProject(ctx, base)
	if err != nil {
		return nil, err
	}
	return pr.candidates(base, proj), nil
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
	if pref, ok := pr.req.Preferences[name]; ok && !pr.req.Upgrade && !pr.upgrade[name] {
		if i := slices.IndexFunc(out, func(v pep440.Version) bool { return v.String() == pref.String() }); i > 0 {
			v := out[i]
			copy(out[1:i+1], out[:i])
			out[0] = v
		}
	}
	return out
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

// Dependencies implements pubgrub.Provider.
func (pr *provider) Dependencies(ctx context.Context, pkg string, v pep440.Version) (pubgrub.Dependencies, error) {
	if pkg == rootID {
		pr.prefetchDeps(pr.rootDeps)
		return pubgrub.Dependencies{Requires: pr.rootDeps}, nil
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
	if reason := pr.releaseUnavailable(base, rel); reason != "" {
		return pubgrub.Dependencies{Unavailable: reason}, nil
	}
	rd, err := pr.releaseMetadata(ctx, base, rel)
	if err != nil {
		return pubgrub.Dependencies{}, err
	}
	if rd.invalid != "" {
		return pubgrub.Dependencies{Unavailable: rd.invalid}, nil
	}
	if reason := pr.pythonUnavailable(rd.requiresPython); reason != "" {
		return pubgrub.Dependencies{Unavailable: reason}, nil
	}
	for _, w := range rd.warnings {
		pr.warn(w)
	}
	var deps []pubgrub.Dependency
	env := pr.env.base
	if extra != "" {
		if !rd.extras[extra] {
			pr.warn(fmt.Sprintf("%s==%s does not provide the extra %q", base, v, extra))
		}
		deps = append(deps, pubgrub.Dependency{Package: base, Range: pep440.ExactRange(v)})
		env = env.WithExtra(extra)
	}
	var reqs []pep508.Requirement
	for _, r := range rd.reqs {
		mentionsExtra := r.Marker != nil && pep508.Mentions(r.Marker, pep508.VarExtra)
		if (extra != "") != mentionsExtra {
			continue
		}
		if r.Marker == nil || r.Marker.Evaluate(env) {
			reqs = append(reqs, r)
		}
	}
	more, reason := pr.toDependencies(reqs)
	if reason != "" {
		return pubgrub.Dependencies{Unavailable: reason}, nil
	}
	deps = mergeDeps(append(deps, more...))
	pr.mu.Lock()
	pr.deps[pkg+"=="+v.String()] = deps
	pr.mu.Unlock()
	pr.prefetchDeps(deps)
	return pubgrub.Dependencies{Requires: deps}, nil
}

// releaseUnavailable applies the file-level rules: no usable file, yanked
// without an exact pin, Requires-Python.
func (pr *provider) releaseUnavailable(name string, rel *release) string {
	ch := rel.files()
	if ch.unavailable != "" {
		return ch.unavailable
	}
	if ch.yanked {
		pr.mu.Lock()
		ok := pr.allowYank[name+"=="+rel.version.Key()]
		pr.mu.Unlock()
		if !ok {
			if ch.yankedReason != "" {
				return fmt.Sprintf("was yanked (reason: %s)", ch.yankedReason)
			}
			return "was yanked"
		}
	}
	return pr.pythonUnavailable(ch.requiresPython)
}

// pythonUnavailable checks a Requires-Python against the target Python and
// the lower bound of the project's requires-python. The whole specifier
// counts for the target, upper bounds included: an installer (pip,
// packaging's pylock select(), pylock.Select) refuses a package whose
// Requires-Python excludes the running interpreter, so a lock must never
// pin one (uv ignores upper bounds; pip does not). Against the project's
// floor only lower bounds count, so that the lock keeps working on the
// oldest Python the project supports without rejecting every release that
// caps the Python versions it knows.
func (pr *provider) pythonUnavailable(rp string) string {
	if strings.TrimSpace(rp) == "" {
		return ""
	}
	spec, err := pep440.ParseSpecifiers(rp)
	if err != nil {
		pr.warn(fmt.Sprintf("ignoring invalid Requires-Python %q: %v", rp, err))
		return ""
	}
	if !spec.ContainsWith(pr.env.python, ptr(true), false) {
		return "requires Python" + spec.String()
	}
	if !pr.env.pythonFloor.IsZero() && !admitsLowerBounds(spec, pr.env.pythonFloor) {
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
			if !pep440.NewSpecifiers(c).ContainsWith(v, ptr(true), false) {
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

func ptr[T any](v T) *T { return &v }

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
		return parseMetadata(name, rel.version, md), nil
	})
}

func parseMetadata(name string, v pep440.Version, md *simpleapi.Metadata) *releaseDeps {
	rd := &releaseDeps{requiresPython: md.RequiresPython, extras: map[string]bool{}}
	for _, e := range md.ProvidesExtra {
		rd.extras[pep508.CanonicalName(e)] = true
	}
	for _, s := range md.RequiresDist {
		r, notes, err := pep508.ParseLenient(s)
		if err != nil {
			rd.invalid = fmt.Sprintf("has an invalid Requires-Dist %q", s)
			return rd
		}
		if len(notes) > 0 {
			rd.warnings = append(rd.warnings, fmt.Sprintf("%s==%s: repaired Requires-Dist %q: %s", name, v, s, strings.Join(notes, "; ")))
		}
		rd.reqs = append(rd.reqs, r)
	}
	return rd
}

// toDependencies turns requirements into solver dependencies, applying
// constraints and noting exact pins (which make yanked releases eligible).
func (pr *provider) toDependencies(reqs []pep508.Requirement) ([]pubgrub.Dependency, string) {
	var out []pubgrub.Dependency
	for _, r := range reqs {
		if r.URL != "" {
			return nil, fmt.Sprintf("depends on %s through a direct URL, which is not supported", r.CanonicalName())
		}
		name := r.CanonicalName()
		rng := r.Specifiers.Range()
		if c, ok := pr.constraints[name]; ok {
			rng = rng.Intersect(c)
		}
		out = append(out, pubgrub.Dependency{Package: name, Range: rng})
		for _, e := range r.Extras {
			out = append(out, pubgrub.Dependency{Package: name + "[" + e + "]", Range: rng})
		}
	}
	return out, ""
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
