package resolve

import (
	"slices"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/pubgrub"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// forkPart is one fork being built: its environments and the requirements
// that hold there.
type forkPart struct {
	env  *forkEnv
	reqs []pep508.Requirement
}

// forkDeps answers for requirements within e, splitting e where they
// conflict, as uv's universal resolver does (resolver/mod.rs,
// ForkedDependencies::fork): requirements are taken name by name; a name
// with one requirement, or several with the same marker, never splits, and
// is kept in every fork its marker reaches; otherwise each requirement with
// a marker splits every fork it reaches into the part where its marker
// holds (which gets it) and the part where it does not. Requirements
// whose marker holds nowhere in a fork are dropped from it. self is
// prepended to every fork's dependencies.
func (pr *provider) forkDeps(e *forkEnv, reqs []pep508.Requirement, extra string, self []pubgrub.Dependency) pubgrub.Dependencies {
	var names []string
	byName := map[string][]pep508.Requirement{}
	for _, r := range reqs {
		n := r.CanonicalName()
		if _, ok := byName[n]; !ok {
			names = append(names, n)
		}
		byName[n] = append(byName[n], r)
	}
	slices.Sort(names)
	forks := []*forkPart{{env: e}}
	for _, n := range names {
		rs := byName[n]
		if len(rs) == 1 || sameMarkers(rs) {
			for _, f := range forks {
				for _, r := range rs {
					if pr.sp.includes(f.env, r.Marker, extra) {
						f.reqs = append(f.reqs, r)
					}
				}
			}
			continue
		}
		for _, r := range rs {
			if !pr.sp.includes(e, r.Marker, extra) {
				continue
			}
			if pr.sp.always(e, r.Marker, extra) {
				for _, f := range forks {
					f.reqs = append(f.reqs, r)
				}
				continue
			}
			var next []*forkPart
			for _, f := range forks {
				if !pr.sp.includes(f.env, r.Marker, extra) {
					next = append(next, f)
					continue
				}
				in, out := pr.sp.split(f.env, r.Marker, extra)
				if out != nil {
					next = append(next, pr.narrowPart(f, out, extra))
				}
				if in != nil {
					p := pr.narrowPart(f, in, extra)
					p.reqs = append(p.reqs, r)
					next = append(next, p)
				}
			}
			forks = next
		}
	}
	if len(forks) == 1 {
		return pubgrub.Dependencies{Requires: mergeDeps(append(slices.Clone(self), pr.toDependencies(e, forks[0].reqs)...))}
	}
	out := pubgrub.Dependencies{}
	for _, f := range orderForks(forks) {
		out.Forks = append(out.Forks, pubgrub.Fork{Env: f.env, Requires: mergeDeps(append(slices.Clone(self), pr.toDependencies(f.env, f.reqs)...))})
	}
	return out
}

// narrowPart is f in the narrower env, keeping the requirements that still
// hold somewhere there.
func (pr *provider) narrowPart(f *forkPart, env *forkEnv, extra string) *forkPart {
	p := &forkPart{env: env}
	for _, r := range f.reqs {
		if pr.sp.includes(env, r.Marker, extra) {
			p.reqs = append(p.reqs, r)
		}
	}
	return p
}

func sameMarkers(rs []pep508.Requirement) bool {
	for _, r := range rs[1:] {
		if !pep508.Equal(r.Marker, rs[0].Marker) {
			return false
		}
	}
	return true
}

// orderForks returns the forks in the order uv solves them: higher Python
// first (the newest versions for the newest interpreters), then forks with
// more upper-bounded requirements (their solution is likelier to suit the
// others, which prefer it), ties in reverse order of creation.
func orderForks(forks []*forkPart) []*forkPart {
	out := slices.Clone(forks)
	slices.Reverse(out)
	upper := func(f *forkPart) int {
		n := 0
		for _, r := range f.reqs {
			if !r.Specifiers.Range().WithoutUpperBound().Equal(r.Specifiers.Range()) {
				n++
			}
		}
		return n
	}
	slices.SortStableFunc(out, func(a, b *forkPart) int {
		if c := b.env.pyLower().Compare(a.env.pyLower()); c != 0 {
			return c
		}
		return upper(b) - upper(a)
	})
	return out
}

// coverageForks handles a release that can be installed in part of e only
// (missing wheels for some targets, or a Requires-Python that excludes some
// Python versions). When the package is needed only where it fits (as far
// as the fork's decisions tell) the release is used as is; otherwise e
// splits into where it fits, which gets deps, and the rest, where this
// version is unavailable and an older or newer one must be found.
func (pr *provider) coverageForks(e *forkEnv, state pubgrub.State, base string, ok coverage, reason string, reqs []pep508.Requirement, extra string, self []pubgrub.Dependency, deps pubgrub.Dependencies) pubgrub.Dependencies {
	var in, out *forkEnv
	if pr.sp.symbolic {
		in, out = pr.sp.splitPython(e, ok.py)
	} else {
		pr.mu.Lock()
		strict := pr.strict[base]
		pr.mu.Unlock()
		if !strict && pr.neededTargets(e, state, base)&^ok.pts == 0 {
			return deps
		}
		in, out = pr.sp.splitTargets(e, ok.pts)
	}
	if in == nil {
		return pubgrub.Dependencies{Unavailable: reason}
	}
	if out == nil {
		return deps
	}
	inDeps := pr.forkDeps(in, reqs, extra, self)
	var forks []pubgrub.Fork
	if len(inDeps.Forks) > 0 {
		forks = inDeps.Forks
	} else {
		forks = []pubgrub.Fork{{Env: in, Requires: inDeps.Requires}}
	}
	forks = append(forks, pubgrub.Fork{Env: out, Unavailable: reason})
	slices.SortStableFunc(forks, func(a, b pubgrub.Fork) int {
		return b.Env.(*forkEnv).pyLower().Compare(a.Env.(*forkEnv).pyLower())
	})
	return pubgrub.Dependencies{Forks: forks}
}

// requiredForks checks, in a symbolic space, that a release has a file for
// every required environment where the package is needed; where one has
// none, the environment is split off and the version is unavailable there
// (uv's required-environments).
func (pr *provider) requiredForks(e *forkEnv, state pubgrub.State, base string, rel *release, reqs []pep508.Requirement, extra string, self []pubgrub.Dependency, deps pubgrub.Dependencies) pubgrub.Dependencies {
	for _, m := range pr.req.RequiredEnvironments {
		req := fromMarker(m, "")
		if e.eff.disjoint(req) || releaseCovers(rel, req, pr.sdistAllowed(base)) {
			continue
		}
		if pr.neededSet(e, state, base).disjoint(req) {
			continue
		}
		in := pr.sp.narrow(e, req.not(), 0)
		out := pr.sp.narrow(e, req, 0)
		reason := "has no wheel for " + m.String()
		if in == nil {
			return pubgrub.Dependencies{Unavailable: reason}
		}
		inDeps := pr.forkDeps(in, reqs, extra, self)
		forks := inDeps.Forks
		if len(forks) == 0 {
			forks = []pubgrub.Fork{{Env: in, Requires: inDeps.Requires}}
		}
		return pubgrub.Dependencies{Forks: append(forks, pubgrub.Fork{Env: out, Unavailable: reason})}
	}
	return deps
}

func (pr *provider) sdistAllowed(name string) bool {
	return (pr.req.AllowSdist || pr.policy.noBinary[name]) && !pr.policy.noBuild[name]
}

// releaseCovers reports whether some file of the release may be installed
// somewhere in set: an sdist (when allowed) anywhere, a wheel where its
// tags say.
func releaseCovers(rel *release, set mset, sdistOK bool) bool {
	rf := rel.allFiles()
	for i, f := range rf.files {
		if rf.wheels[i] == nil || rf.wheels[i].Name == "" {
			if sdistOK && !f.Wheel() {
				return true
			}
			continue
		}
		if !wheelSet(*rf.wheels[i]).disjoint(set) {
			return true
		}
	}
	return false
}

// neededTargets finds the targets of e where base is needed given the
// fork's decisions: root reaches every target; a decided package passes
// its reach on to each dependency where the dependency's marker holds.
func (pr *provider) neededTargets(e *forkEnv, state pubgrub.State, base string) uint64 {
	reach := map[string]uint64{rootID: e.pts}
	nodes := append([]pubgrub.Decision{{Package: rootID, Version: pep440.MustParse("0")}}, state.Decisions()...)
	for changed := true; changed; {
		changed = false
		for _, d := range nodes {
			from := reach[d.Package]
			if from == 0 {
				continue
			}
			for _, ed := range pr.edgesOf(d.Package, d.Version) {
				m := from & pr.sp.holds(e, ed.marker, ed.extra)
				if reach[ed.to]|m != reach[ed.to] {
					reach[ed.to] |= m
					changed = true
				}
			}
		}
	}
	var need uint64
	for id, m := range reach {
		if b, _ := splitExtra(id); b == base {
			need |= m
		}
	}
	return need
}

// neededSet is neededTargets for a symbolic space.
func (pr *provider) neededSet(e *forkEnv, state pubgrub.State, base string) mset {
	reach := map[string]mset{rootID: e.eff}
	nodes := append([]pubgrub.Decision{{Package: rootID, Version: pep440.MustParse("0")}}, state.Decisions()...)
	for round := 0; round < len(nodes)+1; round++ {
		changed := false
		for _, d := range nodes {
			from, ok := reach[d.Package]
			if !ok || from.isEmpty() {
				continue
			}
			for _, ed := range pr.edgesOf(d.Package, d.Version) {
				add := from.and(fromMarker(ed.marker, ed.extra))
				old, seen := reach[ed.to]
				if !seen {
					old = msetFalse()
				}
				if add.subsetOf(old) {
					continue
				}
				reach[ed.to] = old.or(add)
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	need := msetFalse()
	for id, m := range reach {
		if b, _ := splitExtra(id); b == base {
			need = need.or(m)
		}
	}
	return need
}

// wheelSet is where a wheel may be installed, read from its tags: the
// platform tag gives sys_platform and platform_machine, the Python tag the
// implementation and (for an interpreter-specific ABI) the Python minor
// version. Platforms it does not know are left open.
func wheelSet(fn wheel.Filename) mset {
	out := msetFalse()
	for _, t := range fn.Tags {
		out = out.or(tagSet(t))
	}
	return out
}

func tagSet(t wheel.Tag) mset {
	c := fullCube()
	set := func(v pep508.Variable, vals ...string) {
		slices.Sort(vals)
		c.str[strIndex(v)] = strSet{set: true, vals: vals}
	}
	plat := t.Platform
	switch {
	case plat == "any":
	case hasPrefix(plat, "manylinux", "musllinux", "linux"):
		set(pep508.VarSysPlatform, "linux")
		if arch := archOf(plat); arch != "" {
			set(pep508.VarPlatformMachine, arch)
		}
	case hasPrefix(plat, "macosx"):
		set(pep508.VarSysPlatform, "darwin")
		switch arch := archOf(plat); arch {
		case "universal2", "universal", "intel", "fat", "fat3", "fat64":
		case "":
		default:
			set(pep508.VarPlatformMachine, arch)
		}
	case plat == "win32":
		set(pep508.VarSysPlatform, "win32")
		set(pep508.VarPlatformMachine, "x86")
	case plat == "win_amd64":
		set(pep508.VarSysPlatform, "win32")
		set(pep508.VarPlatformMachine, "AMD64")
	case plat == "win_arm64":
		set(pep508.VarSysPlatform, "win32")
		set(pep508.VarPlatformMachine, "ARM64")
	default:
		// Another OS ("freebsd_13_x86_64"): its sys_platform carries a
		// version, but the architecture is plain.
		if arch := archOf(plat); arch != "" {
			set(pep508.VarPlatformMachine, arch)
		}
	}
	interp, abi := t.Interpreter, t.ABI
	switch {
	case len(interp) > 2 && interp[:2] == "cp":
		set(pep508.VarImplementationName, "cpython")
		if v, ok := tagPython(interp[2:]); ok {
			if abi == "abi3" {
				c.py = pep440.AtLeast(v)
			} else if abi != "none" {
				c.py = pep440.AtLeast(v).Intersect(pep440.LessThan(nextMinor(v)))
			}
		}
	case len(interp) > 2 && interp[:2] == "pp":
		set(pep508.VarImplementationName, "pypy")
	}
	return mset{cubes: []cube{c}}
}

func hasPrefix(s string, ps ...string) bool {
	for _, p := range ps {
		if len(s) >= len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}

// archOf reads the architecture at the end of a platform tag
// ("manylinux_2_17_x86_64" -> "x86_64", "macosx_11_0_arm64" -> "arm64").
func archOf(plat string) string {
	for _, a := range []string{"x86_64", "aarch64", "i686", "armv7l", "ppc64le", "s390x", "riscv64", "arm64", "universal2", "intel", "x86"} {
		if len(plat) > len(a) && plat[len(plat)-len(a)-1:] == "_"+a {
			return a
		}
	}
	return ""
}

// tagPython reads "312" as 3.12.dev0 (the first 3.12 version).
func tagPython(s string) (pep440.Version, bool) {
	if len(s) < 2 {
		return pep440.Version{}, false
	}
	v, err := pep440.Parse(s[:1] + "." + s[1:] + ".dev0")
	return v, err == nil
}

func nextMinor(v pep440.Version) pep440.Version {
	r := v.Release()
	return pep440.MustParse(itoa(r[0]) + "." + itoa(r[1]+1) + ".dev0")
}
