package resolve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// release is one version of a project with the file chosen for the target.
type release struct {
	version pep440.Version
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
	target     wheel.Target
	matcher    *wheel.Matcher
	req        *Request
	noBinary   map[string]bool
	noBuild    map[string]bool
	targetDesc string
}

func newPolicy(req *Request) *policy {
	p := &policy{target: req.Target, matcher: req.Target.Matcher(), req: req,
		noBinary: map[string]bool{}, noBuild: map[string]bool{}, targetDesc: req.Target.String()}
	for _, n := range req.NoBinary {
		p.noBinary[pep508.CanonicalName(n)] = true
	}
	for _, n := range req.NoBuild {
		p.noBuild[pep508.CanonicalName(n)] = true
	}
	return p
}

// buildProject groups a project page's files into releases and picks the
// file each release would be installed from.
func (p *policy) buildProject(name string, page *simpleapi.Project) *project {
	type group struct {
		version pep440.Version
		files   []*simpleapi.File
	}
	groups := map[string]*group{}
	var keys []string
	for i := range page.Files {
		f := &page.Files[i]
		var v pep440.Version
		if strings.HasSuffix(f.Filename, ".whl") {
			fn, err := wheel.ParseFilename(f.Filename)
			if err != nil || fn.Name != name {
				continue
			}
			v = fn.Version
		} else {
			sn, err := wheel.ParseSdistFilename(f.Filename)
			if err != nil || pep508.CanonicalName(sn.Name) != name {
				continue
			}
			v = sn.Version
		}
		if !p.req.ExcludeNewer.IsZero() && !f.UploadedBy(p.req.ExcludeNewer) {
			continue
		}
		// Release keys keep local labels apart: 1.0 and 1.0+cpu differ.
		k := v.String()
		g := groups[k]
		if g == nil {
			g = &group{version: v}
			groups[k] = g
			keys = append(keys, k)
		}
		g.files = append(g.files, f)
	}
	proj := &project{name: name, byKey: map[string]*release{}}
	for _, k := range keys {
		r := p.buildRelease(name, groups[k].version, groups[k].files)
		proj.releases = append(proj.releases, r)
		proj.byKey[k] = r
		if !r.version.IsPrerelease() {
			proj.hasFinal = true
		}
	}
	slices.SortStableFunc(proj.releases, func(a, b *release) int { return b.version.Compare(a.version) })
	return proj
}

func (p *policy) buildRelease(name string, v pep440.Version, files []*simpleapi.File) *release {
	r := &release{version: v}
	live := make([]*simpleapi.File, 0, len(files))
	for _, f := range files {
		if !f.Yanked {
			live = append(live, f)
		}
	}
	if len(live) == 0 {
		// Every file is yanked: the release is usable only through an
		// exact pin, from all its files.
		r.yanked, r.yankedReason = true, files[0].YankedReason
		live = files
	}
	var best, anyWheel, sdist *simpleapi.File
	bestPrio := 0
	for _, f := range live {
		if !strings.HasSuffix(f.Filename, ".whl") {
			if sdist == nil {
				sdist = f
			}
			continue
		}
		if anyWheel == nil || (!anyWheel.CoreMetadata && f.CoreMetadata) {
			anyWheel = f
		}
		fn, err := wheel.ParseFilename(f.Filename)
		if err != nil {
			continue
		}
		if prio, ok := p.matcher.Supports(fn); ok && (best == nil || prio < bestPrio) {
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
		r.unavailable = "has no wheel for " + p.targetDesc + " (and its sdist is not allowed)"
	default:
		r.unavailable = "has no wheel for " + p.targetDesc
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

// loadProject fetches and indexes a project page; a project the index does
// not have has no releases.
func (pr *provider) loadProject(ctx context.Context, name string) (*project, error) {
	return pr.projects.get(name, func() (*project, error) {
		page, err := pr.src.Project(ctx, name)
		var nf *simpleapi.NotFoundError
		if errors.As(err, &nf) {
			return &project{name: name, byKey: map[string]*release{}}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list files of %s: %w", name, err)
		}
		return pr.policy.buildProject(name, page), nil
	})
}
