package resolve

import (
	"context"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pubgrub"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

// coverageRetry reports packages a fork's solution installs on a target
// they have no file for (their need there showed only after their
// version was chosen); Resolve solves again with them checked on every
// target of a fork.
type coverageRetry struct{ names map[string]bool }

func (e *coverageRetry) Error() string {
	return fmt.Sprintf("packages %q are needed on targets they have no file for", slices.Sorted(maps.Keys(e.names)))
}

// entry is one (name, version) of the result, merged over the forks.
type entry struct {
	name    string
	version pep440.Version
	rel     *release
	set     mset   // where it applies, universe not included
	pts     uint64 // target spaces: the targets that install it
	extras  map[string]bool
	deps    map[string]PackageRef
}

// resolution assembles the result from the forks' decisions: one entry per
// (name, version), applying where some fork reaches it, with the files its
// targets (or, in a symbolic space, the platforms it applies to) need.
func (pr *provider) resolution(ctx context.Context, sols []pubgrub.Solution) (*Resolution, error) {
	res := &Resolution{}
	entries := map[string]*entry{}
	installs := make([][]Pin, len(pr.sp.points))
	missing := map[string]bool{}
	uni := pr.sp.universe()
	for _, sol := range sols {
		e := sol.Env.(*forkEnv)
		if len(sols) > 1 {
			res.Forks = append(res.Forks, markerString(simplify(e.sym, uni)))
		}
		chosen := map[string]pep440.Version{rootID: pep440.MustParse("0")}
		for _, d := range sol.Decisions {
			chosen[d.Package] = d.Version
		}
		sets, pts := pr.reach(e, chosen)
		ids := slices.Sorted(maps.Keys(chosen))
		for _, id := range ids {
			if id == rootID {
				continue
			}
			if _, ok := pts[id]; !ok {
				continue
			}
			base, extra := splitExtra(id)
			v := chosen[id]
			key := base + "==" + v.String()
			en := entries[key]
			if en == nil {
				proj, err := pr.loadProject(ctx, base)
				if err != nil {
					return nil, fmt.Errorf("resolve: %w", err)
				}
				en = &entry{name: base, version: v, rel: proj.byKey[v.String()], set: msetFalse(), extras: map[string]bool{}, deps: map[string]PackageRef{}}
				entries[key] = en
			}
			if extra != "" {
				en.extras[extra] = true
			} else {
				if !pr.single() {
					en.set = en.set.or(e.sym.and(sets[id]))
				}
				en.pts |= pts[id]
			}
			for _, ed := range pr.edgesOf(id, v) {
				to, _ := splitExtra(ed.to)
				if to == base {
					continue
				}
				if tv, ok := chosen[to]; ok && pr.contributes(e, pts[id], sets[id], ed) {
					en.deps[to+"=="+tv.String()] = PackageRef{Name: to, Version: tv}
				}
			}
		}
		for i := range pr.sp.points {
			if e.pts&(1<<i) == 0 {
				continue
			}
			for _, id := range ids {
				base, extra := splitExtra(id)
				if id == rootID || extra != "" || pts[id]&(1<<i) == 0 {
					continue
				}
				v := chosen[id]
				ch := entries[base+"=="+v.String()].rel.choose(i)
				if ch.chosen == nil {
					missing[base] = true
					continue
				}
				installs[i] = append(installs[i], Pin{Name: base, Version: v, File: fileOf(ch.chosen)})
			}
		}
	}
	if len(missing) > 0 {
		return nil, &coverageRetry{names: missing}
	}
	for _, en := range entries {
		p, err := pr.packageOf(ctx, en, uni)
		if err != nil {
			return nil, err
		}
		res.Packages = append(res.Packages, p)
	}
	slices.SortFunc(res.Packages, func(a, b Package) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := a.Version.Compare(b.Version); c != 0 {
			return c
		}
		return strings.Compare(a.Marker, b.Marker)
	})
	for i, t := range pr.sp.targets {
		slices.SortFunc(installs[i], func(a, b Pin) int { return strings.Compare(a.Name, b.Name) })
		res.Installs = append(res.Installs, TargetInstall{Target: t, Packages: installs[i]})
	}
	for w := range pr.warnings {
		res.Warnings = append(res.Warnings, w)
	}
	slices.Sort(res.Warnings)
	return res, nil
}

// single reports a resolution for one target, where every package applies
// everywhere and no marker sets are needed.
func (pr *provider) single() bool { return !pr.sp.symbolic && bits.OnesCount64(pr.sp.all) == 1 }

// contributes reports whether the edge carries the package's reach on.
func (pr *provider) contributes(e *forkEnv, pts uint64, set mset, ed edge) bool {
	if !pr.sp.symbolic {
		return pts&pr.sp.holds(e, ed.marker, ed.extra) != 0
	}
	return !e.eff.and(set).disjoint(fromMarker(ed.marker, ed.extra))
}

// reach finds, within a fork, where each decided package is needed:
// the root everywhere, and each dependency where its parent is needed and
// the dependency's marker holds. sets are marker sets (the fork's own
// markers not included), pts the targets (target spaces); a package the
// fork decided but needs nowhere has no entry.
func (pr *provider) reach(e *forkEnv, chosen map[string]pep440.Version) (map[string]mset, map[string]uint64) {
	sets := map[string]mset{rootID: msetTrue()}
	pts := map[string]uint64{rootID: e.pts}
	single := pr.single()
	ids := slices.Sorted(maps.Keys(chosen))
	for round := 0; round <= len(ids); round++ {
		changed := false
		for _, id := range ids {
			from, ok := pts[id]
			if !ok {
				continue
			}
			for _, ed := range pr.edgesOf(id, chosen[id]) {
				if _, decided := chosen[ed.to]; !decided {
					continue
				}
				var add mset
				addPts := from
				if pr.sp.symbolic {
					add = sets[id].and(fromMarker(ed.marker, ed.extra))
					if e.eff.disjoint(add) {
						continue
					}
				} else {
					addPts &= pr.sp.holds(e, ed.marker, ed.extra)
					if addPts == 0 {
						continue
					}
					if !single {
						add = sets[id].and(fromMarker(ed.marker, ed.extra))
					}
				}
				old, seen := pts[ed.to]
				if !seen {
					sets[ed.to] = msetFalse()
				}
				switch {
				case pr.sp.symbolic:
					if seen && add.subsetOf(sets[ed.to]) {
						continue
					}
				case seen && old|addPts == old:
					continue
				}
				pts[ed.to] = old | addPts
				if !single {
					sets[ed.to] = sets[ed.to].or(add)
				}
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	if single {
		for id := range pts {
			sets[id] = msetTrue()
		}
	}
	return sets, pts
}

// packageOf builds the result entry: its marker within the universe, its
// files, dependencies and extras.
func (pr *provider) packageOf(ctx context.Context, en *entry, uni universe) (Package, error) {
	p := Package{Name: en.name, Version: en.version, Direct: pr.direct[en.name]}
	if !pr.single() {
		p.Marker = markerString(simplify(en.set, uni))
	}
	p.Extras = slices.Sorted(maps.Keys(en.extras))
	for _, k := range slices.Sorted(maps.Keys(en.deps)) {
		d := en.deps[k]
		p.DependsOn = append(p.DependsOn, d)
		if !slices.Contains(p.Dependencies, d.Name) {
			p.Dependencies = append(p.Dependencies, d.Name)
		}
	}
	slices.Sort(p.Dependencies)
	rd, err := pr.releaseMetadata(ctx, en.name, en.rel)
	if err != nil {
		return p, err
	}
	p.RequiresPython = rd.requiresPython
	seen := map[string]bool{}
	add := func(f *simpleapi.File) {
		if f != nil && !seen[f.Filename] {
			seen[f.Filename] = true
			p.Files = append(p.Files, fileOf(f))
		}
	}
	if !pr.sp.symbolic {
		for i := range pr.sp.points {
			if en.pts&(1<<i) != 0 {
				ch := en.rel.choose(i)
				add(ch.chosen)
				if p.RequiresPython == "" {
					p.RequiresPython = ch.requiresPython
				}
			}
		}
	} else {
		where := en.set
		if u, ok := uni.(symbolicUniverse); ok {
			where = where.and(u.u)
		}
		rf := en.rel.allFiles()
		ch := en.rel.choose(0)
		for i, f := range rf.files {
			if f.Yanked && !ch.yanked {
				continue
			}
			if f.Wheel() {
				if !wheelSet(*rf.wheels[i]).disjoint(where) && !pr.policy.noBinary[en.name] {
					add(f)
				}
			} else if pr.sdistAllowed(en.name) {
				add(f)
			}
		}
		if p.RequiresPython == "" {
			p.RequiresPython = ch.requiresPython
		}
	}
	slices.SortFunc(p.Files, func(a, b File) int { return strings.Compare(a.Filename, b.Filename) })
	if len(p.Files) == 0 {
		return p, fmt.Errorf("resolve: %s %s: no file fits where it applies (%s)", en.name, en.version, p.Marker)
	}
	return p, nil
}

func fileOf(f *simpleapi.File) File {
	return File{Filename: f.Filename, URL: f.URL, Hashes: f.Hashes, Size: f.Size, UploadTime: f.UploadTime, Index: f.Index, Wheel: f.Wheel()}
}
