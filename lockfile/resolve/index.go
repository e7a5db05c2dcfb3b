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
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// release is one version of a project. Which file it would be installed
// from is worked out per target only when the solver (or a prefetcher)
// looks at the release, since most versions of a project are never
// considered.
type release struct {
	version pep440.Version

	once  sync.Once
	load  func() releaseFiles // validates the files; nil after use
	files releaseFiles

	mu      sync.Mutex
	choices []*choice // by target index; built on first use
	pol     *policy
	name    string
}

// releaseFiles are the valid files of a release, with the parsed name of
// each wheel (nil for an sdist).
type releaseFiles struct {
	files  []*simpleapi.File
	wheels []*wheel.Filename
}

// choose returns the file choice of the release for target t (0 for the
// only target, or for "any platform" in a symbolic universal resolution),
// building it on first use.
func (r *release) choose(t int) *choice {
	r.once.Do(func() {
		r.files = r.load()
		r.load = nil
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.choices == nil {
		r.choices = make([]*choice, max(len(r.pol.matchers), 1))
	}
	if r.choices[t] == nil {
		var m *wheel.Matcher
		desc := "any platform"
		if len(r.pol.matchers) > 0 {
			m, desc = r.pol.matchers[t], r.pol.targetDescs[t]
		}
		r.choices[t] = r.pol.buildRelease(r.name, r.files.files, r.files.wheels, m, desc)
	}
	return r.choices[t]
}

// allFiles returns the valid files of the release.
func (r *release) allFiles() releaseFiles {
	r.choose(0)
	return r.files
}

// choice is the file a release would be installed from on one target.
type choice struct {
	// chosen is the file to install: the best compatible wheel, else the
	// sdist when allowed; nil when unavailable says why there is none.
	chosen      *simpleapi.File
	unavailable string
	// metaFile is the file whose metadata stands for the release: all
	// files of a version are assumed to share one Requires-Dist.
	metaFile       *simpleapi.File
	yanked         bool
	yankedReason   string
	requiresPython string
}

// project is the releases of one project, newest first.
type project struct {
	name     string
	releases []*release
	byKey    map[string]*release
	hasFinal bool
}

// policy holds the per-request settings the index layer needs.
type policy struct {
	targets     []wheel.Target
	matchers    []*wheel.Matcher // by target; none in a symbolic universal resolution
	targetDescs []string
	req         *Request
	noBinary    map[string]bool
	noBuild     map[string]bool
}

func newPolicy(req *Request, targets []wheel.Target) *policy {
	p := &policy{targets: targets, req: req, noBinary: map[string]bool{}, noBuild: map[string]bool{}}
	for _, t := range targets {
		p.matchers = append(p.matchers, t.Matcher())
		p.targetDescs = append(p.targetDescs, t.String())
	}
	for _, n := range req.NoBinary {
		p.noBinary[pep508.CanonicalName(n)] = true
	}
	for _, n := range req.NoBuild {
		p.noBuild[pep508.CanonicalName(n)] = true
	}
	return p
}

// buildProject groups a project page's files into releases; the file
// each release would be installed from is picked lazily (release.files).
//
// Grouping reads only the name and version of each file name; a wheel's
// tags are validated for one file per version (the first valid one, which
// fixes the version's place among equal versions) and for the rest when
// the release is built, so a file that wheel.ParseFilename rejects is
// ignored exactly as if every name had been parsed up front.
func (p *policy) buildProject(name string, page *simpleapi.Project) *project {
	type group struct {
		key     string
		version pep440.Version
		files   []*simpleapi.File // the files of the version, page order
		at      []int             // page index of each file
		first   int               // page index of the first valid file; -1 when none
		valid   []bool            // files[i] was fully validated and is valid
		wheels  []*wheel.Filename // parsed names of validated wheels, by files index
	}
	type parsedVersion struct {
		v   pep440.Version
		key string
		ok  bool
	}
	versions := map[string]parsedVersion{}
	parseVersion := func(raw string) parsedVersion {
		pv, seen := versions[raw]
		if !seen {
			v, err := pep440.Parse(raw)
			pv = parsedVersion{v: v, ok: err == nil}
			if pv.ok {
				// Release keys keep local labels apart: 1.0 and 1.0+cpu differ.
				pv.key = v.String()
			}
			versions[raw] = pv
		}
		return pv
	}
	names := map[string]string{}
	canonical := func(raw string) string {
		n, seen := names[raw]
		if !seen {
			n = pep508.CanonicalName(raw)
			names[raw] = n
		}
		return n
	}
	groups := map[string]*group{}
	var order []*group
	for i := range page.Files {
		f := &page.Files[i]
		var pv parsedVersion
		sdist := false
		if stem, ok := strings.CutSuffix(f.Filename, ".whl"); ok {
			// {name}-{version}(-{build})?-{python}-{abi}-{platform}: the
			// name and version are the first two of 5 or 6 parts.
			if d := strings.Count(stem, "-"); d != 4 && d != 5 {
				continue
			}
			rawName, rest, _ := strings.Cut(stem, "-")
			rawVersion, _, _ := strings.Cut(rest, "-")
			if canonical(rawName) != name {
				continue
			}
			if pv = parseVersion(rawVersion); !pv.ok {
				continue
			}
		} else {
			sn, err := wheel.ParseSdistFilename(f.Filename)
			if err != nil || pep508.CanonicalName(sn.Name) != name {
				continue
			}
			pv, sdist = parsedVersion{v: sn.Version, key: sn.Version.String(), ok: true}, true
		}
		if !p.req.ExcludeNewer.IsZero() && !f.UploadedBy(p.req.ExcludeNewer) {
			continue
		}
		g := groups[pv.key]
		if g == nil {
			g = &group{key: pv.key, version: pv.v, first: -1}
			groups[pv.key] = g
			order = append(order, g)
		}
		g.files, g.at = append(g.files, f), append(g.at, i)
		g.valid = append(g.valid, sdist)
		g.wheels = append(g.wheels, nil)
	}
	// validate fully parses files[j] of g when it is a wheel.
	validate := func(g *group, j int) bool {
		if g.valid[j] {
			return true
		}
		fn, err := wheel.ParseFilename(g.files[j].Filename)
		if err != nil || fn.Name != name {
			return false
		}
		g.valid[j], g.wheels[j] = true, &fn
		return true
	}
	kept := order[:0]
	for _, g := range order {
		for j := range g.files {
			if validate(g, j) {
				g.first = g.at[j]
				g.files, g.valid, g.wheels = g.files[j:], g.valid[j:], g.wheels[j:]
				break
			}
		}
		if g.first >= 0 {
			kept = append(kept, g)
		}
	}
	// Versions in the order their first valid file appears, as if every
	// file had been parsed in page order.
	slices.SortStableFunc(kept, func(a, b *group) int { return a.first - b.first })
	proj := &project{name: name, byKey: make(map[string]*release, len(kept))}
	for _, g := range kept {
		r := &release{version: g.version, pol: p, name: name}
		r.load = func() releaseFiles {
			var rf releaseFiles
			for j := range g.files {
				if validate(g, j) {
					rf.files = append(rf.files, g.files[j])
					rf.wheels = append(rf.wheels, g.wheels[j])
				}
			}
			return rf
		}
		proj.releases = append(proj.releases, r)
		proj.byKey[g.key] = r
		if !r.version.IsPrerelease() {
			proj.hasFinal = true
		}
	}
	slices.SortStableFunc(proj.releases, func(a, b *release) int { return b.version.Compare(a.version) })
	return proj
}

// buildRelease picks the file a release is installed from on the target
// matcher m describes (nil: any platform, the first wheel in page order).
// wheels holds the parsed name of each wheel in files (nil for
// an sdist).
func (p *policy) buildRelease(name string, files []*simpleapi.File, wheels []*wheel.Filename, m *wheel.Matcher, targetDesc string) *choice {
	r := &choice{}
	live := make([]int, 0, len(files))
	for i, f := range files {
		if !f.Yanked {
			live = append(live, i)
		}
	}
	if len(live) == 0 {
		// Every file is yanked: the release is usable only through an
		// exact pin, from all its files.
		r.yanked, r.yankedReason = true, files[0].YankedReason
		for i := range files {
			live = append(live, i)
		}
	}
	var best, anyWheel, sdist *simpleapi.File
	bestPrio := 0
	for _, i := range live {
		f := files[i]
		if !strings.HasSuffix(f.Filename, ".whl") {
			if sdist == nil {
				sdist = f
			}
			continue
		}
		if anyWheel == nil || (!anyWheel.CoreMetadata && f.CoreMetadata) {
			anyWheel = f
		}
		if m == nil {
			if best == nil {
				best = f
			}
			continue
		}
		if prio, ok := m.Supports(*wheels[i]); ok && (best == nil || prio < bestPrio) {
			best, bestPrio = f, prio
		}
	}
	sdistAllowed := (p.req.AllowSdist || p.noBinary[name]) && !p.noBuild[name]
	switch {
	case best != nil && !p.noBinary[name]:
		r.chosen = best
	case sdist != nil && sdistAllowed:
		r.chosen = sdist
	case p.noBinary[name] && sdist == nil:
		r.unavailable = "is unusable (no sdist is published and wheels of " + name + " are disabled)"
	case p.noBinary[name] || (anyWheel == nil && sdist != nil && p.noBuild[name]):
		r.unavailable = "is unusable (only an sdist is published and building " + name + " is disabled)"
	case anyWheel == nil && sdist != nil:
		r.unavailable = "is unusable (only an sdist is published and sdists are not allowed)"
	case anyWheel == nil:
		r.unavailable = "has no installable files"
	case sdist != nil:
		r.unavailable = "has no wheel for " + targetDesc + " (and its sdist is not allowed)"
	default:
		r.unavailable = "has no wheel for " + targetDesc
	}
	switch {
	case best != nil:
		r.metaFile = best
	case anyWheel != nil:
		r.metaFile = anyWheel
	default:
		r.metaFile = sdist
	}
	if r.chosen != nil {
		r.requiresPython = r.chosen.RequiresPython
	} else if r.metaFile != nil {
		r.requiresPython = r.metaFile.RequiresPython
	}
	return r
}

// waitingFor lists the projects whose pages are being fetched, for an
// error that says what a cancelled resolution was waiting on.
func (pr *provider) waitingFor() []string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	var out []string
	for n, c := range pr.waiting {
		if c > 0 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// loadProject fetches and indexes a project page; a project the index does
// not have has no releases.
func (pr *provider) loadProject(ctx context.Context, name string) (*project, error) {
	return pr.projects.get(name, func() (*project, error) {
		pr.mu.Lock()
		pr.waiting[name]++
		pr.mu.Unlock()
		defer func() {
			pr.mu.Lock()
			pr.waiting[name]--
			pr.mu.Unlock()
		}()
		page, err := pr.src.Project(ctx, name)
		if _, ok := errors.AsType[*simpleapi.NotFoundError](err); ok {
			return &project{name: name, byKey: map[string]*release{}}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list files of %s: %w", name, err)
		}
		return pr.policy.buildProject(name, page), nil
	})
}
