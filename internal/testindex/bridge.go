package testindex

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

// bridgeVersions fills the PyPI fixture's gap 1: projects whose newer
// releases are missing (they were built with backends the source could not
// evaluate), so that the newest release of some dependent asks for a version
// the fixture does not have — jupyter's ipykernel needs jupyter-core>=4.12,
// and the newest jupyter-core recorded is 4.10.0. For every requirement of
// every project's newest release (outside extras) that no recorded version
// satisfies, it adds
// one version that does, with the requirements, extras, Python bound and
// wheel shape of the project's newest recorded release: the most faithful
// stand-in the data allows. The added versions are returned as
// "name==version", sorted; a specifier no candidate satisfies is an error.
func bridgeVersions(ix *Index, uploadAt func(int) time.Time) ([]string, error) {
	var added []string
	for _, dep := range ix.Names() {
		newest := newestVersion(ix.projects[dep])
		if newest == nil {
			continue
		}
		for _, rs := range newest.RequiresDist {
			req, _, err := pep508.ParseLenient(rs)
			if err != nil {
				return nil, fmt.Errorf("testindex: %s %s requirement %q: %w", dep, newest.Version, rs, err)
			}
			if req.Marker != nil && pep508.Mentions(req.Marker, pep508.VarExtra) {
				continue // only needed when the extra is asked for
			}
			target := ix.projects[pep508.CanonicalName(req.Name)]
			if target == nil || req.Specifiers.Len() == 0 || anySatisfies(target, req.Specifiers) {
				continue
			}
			v, err := bridgeCandidate(target, req.Specifiers)
			if err != nil {
				return nil, fmt.Errorf("testindex: bridging %s for %s %s: %w", req.Name, dep, newest.Version, err)
			}
			top := newestVersion(target)
			nv := &Version{Version: v, Sdist: true}
			if top != nil {
				nv.RequiresDist = append([]string(nil), top.RequiresDist...)
				nv.ProvidesExtra = append([]string(nil), top.ProvidesExtra...)
				nv.RequiresPython = top.RequiresPython
				nv.WheelTags = append([]string(nil), top.WheelTags...)
				for _, f := range top.WheelFiles {
					nv.WheelFiles = append(nv.WheelFiles, strings.Replace(f, "-"+top.Version+"-", "-"+v+"-", 1))
				}
				if len(nv.WheelTags) == 0 && len(nv.WheelFiles) == 0 {
					nv.WheelTags = []string{"py3-none-any"}
				}
			}
			nv.UploadTime = uploadAt(len(added))
			target.Versions = append(target.Versions, nv)
			added = append(added, pep508.CanonicalName(target.Name)+"=="+v)
		}
	}
	sort.Strings(added)
	return added, nil
}

// newestVersion is p's newest final release, or nil when it has none.
func newestVersion(p *Project) *Version {
	var best *Version
	var bestV pep440.Version
	for _, v := range p.Versions {
		pv, err := pep440.Parse(v.Version)
		if err != nil || pv.IsPrerelease() {
			continue
		}
		if best == nil || pv.Compare(bestV) > 0 {
			best, bestV = v, pv
		}
	}
	return best
}

func anySatisfies(p *Project, s pep440.Specifiers) bool {
	for _, v := range p.Versions {
		if pv, err := pep440.Parse(v.Version); err == nil && s.Contains(pv) {
			return true
		}
	}
	return false
}

// bridgeCandidate picks the lowest final version built from the specifier's
// own bounds (each bound, and each bound bumped at every position) that
// satisfies it: the release closest to what the dependent asked for.
func bridgeCandidate(p *Project, s pep440.Specifiers) (string, error) {
	var cands []pep440.Version
	for _, c := range s.All() {
		text := strings.TrimSuffix(c.Version(), ".*")
		base, err := pep440.Parse(text)
		if err != nil {
			continue
		}
		rel := base.Release()
		cands = append(cands, base)
		for i := range rel {
			bumped := append([]int(nil), rel[:i+1]...)
			bumped[i]++
			parts := make([]string, len(bumped))
			for j, n := range bumped {
				parts[j] = strconv.Itoa(n)
			}
			if v, err := pep440.Parse(strings.Join(parts, ".")); err == nil {
				cands = append(cands, v)
			}
		}
	}
	var best *pep440.Version
	for i := range cands {
		c := cands[i]
		if c.IsPrerelease() || !s.Contains(c) || p.Version(c.String()) != nil {
			continue
		}
		if best == nil || c.Compare(*best) < 0 {
			best = &c
		}
	}
	if best == nil {
		return "", fmt.Errorf("no candidate version satisfies %q", s.String())
	}
	return best.String(), nil
}
