package pylock

import (
	"errors"
	"fmt"
	"slices"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// Errors of the installation algorithm; Select wraps them with the package
// and value, so test with errors.Is.
var (
	// ErrRequiresPython: the interpreter does not satisfy the lock's or a
	// package's requires-python.
	ErrRequiresPython = errors.New("python version not allowed")
	// ErrNoEnvironment: none of the lock's environments matches.
	ErrNoEnvironment = errors.New("no environment of the lock matches")
	// ErrAmbiguous: more than one entry of one package applies.
	ErrAmbiguous = errors.New("ambiguous package entries")
	// ErrNoFile: no wheel fits the target and there is no sdist.
	ErrNoFile = errors.New("no installable file")
)

// SourceKind says which kind of source Select picked for a package.
type SourceKind string

// The source kinds of a Selection.
const (
	SourceWheel     SourceKind = "wheel"
	SourceSdist     SourceKind = "sdist"
	SourceArchive   SourceKind = "archive"
	SourceVCS       SourceKind = "vcs"
	SourceDirectory SourceKind = "directory"
)

// Selection is what an installer would install for one package.
type Selection struct {
	// Package is the chosen entry (a pointer into the lock's Packages).
	Package *Package
	// Kind is the source kind.
	Kind SourceKind
	// File is the chosen wheel or sdist; nil for archive, vcs and directory
	// sources.
	File *File
}

// Select runs the specification's installation algorithm offline for one
// environment: it checks requires-python and environments, skips packages
// whose marker is false, refuses ambiguous entries and unmet package
// requires-python, and picks for each package the best wheel for target by
// file name (else the sdist). env gives the marker values and the selected
// extras and dependency groups; when it selects neither, the lock's
// default-groups apply. The result is sorted by package name.
func (l *Lock) Select(env pep508.Environment, target wheel.Target) ([]Selection, error) {
	py := env.PythonFullVersion
	if py == "" {
		py = env.PythonVersion
	}
	pyVersion, err := pep440.Parse(py)
	if err != nil {
		return nil, fmt.Errorf("select: environment python version %q: %w", py, err)
	}
	if err := checkPython("requires-python", l.RequiresPython, pyVersion); err != nil {
		return nil, fmt.Errorf("select: %w", err)
	}
	if len(l.Environments) > 0 && !l.anyEnvironment(env) {
		return nil, fmt.Errorf("select: %w: python %s on %s/%s matches none of %q", ErrNoEnvironment, py, env.SysPlatform, env.PlatformMachine, l.Environments)
	}
	if env.Extras == nil && env.DependencyGroups == nil {
		env.DependencyGroups = l.DefaultGroups
	}
	matcher := target.Matcher()
	chosen := map[string]int{}
	var out []Selection
	for i := range l.Packages {
		pkg := &l.Packages[i]
		path := index("packages", i)
		if pkg.Marker != "" {
			m, err := pep508.ParseMarker(pkg.Marker)
			if err != nil {
				return nil, fmt.Errorf("select: %s.marker: %w", path, err)
			}
			if !m.Evaluate(env) {
				continue
			}
		}
		if prev, dup := chosen[pkg.Name]; dup {
			return nil, fmt.Errorf("select: %w: %s and %s both apply to package %q", ErrAmbiguous, index("packages", prev), path, pkg.Name)
		}
		chosen[pkg.Name] = i
		if err := checkPython(path+".requires-python", pkg.RequiresPython, pyVersion); err != nil {
			return nil, fmt.Errorf("select: package %q: %w", pkg.Name, err)
		}
		sel, err := pick(pkg, matcher)
		if err != nil {
			return nil, fmt.Errorf("select: %s: package %q: %w", path, pkg.Name, err)
		}
		out = append(out, sel)
	}
	slices.SortFunc(out, func(a, b Selection) int { return comparePackages(*a.Package, *b.Package) })
	return out, nil
}

func (l *Lock) anyEnvironment(env pep508.Environment) bool {
	for _, s := range l.Environments {
		m, err := pep508.ParseMarker(s)
		if err == nil && m.Evaluate(env) {
			return true
		}
	}
	return false
}

func checkPython(path, spec string, v pep440.Version) error {
	if spec == "" {
		return nil
	}
	s, err := pep440.ParseSpecifiers(spec)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !s.ContainsWith(v, new(true), false) {
		return fmt.Errorf("%s: %w: python %s is not in %q", path, ErrRequiresPython, v, spec)
	}
	return nil
}

// pick chooses the source of one package entry.
func pick(pkg *Package, m *wheel.Matcher) (Selection, error) {
	switch {
	case pkg.Archive != nil:
		return Selection{Package: pkg, Kind: SourceArchive}, nil
	case pkg.VCS != nil:
		return Selection{Package: pkg, Kind: SourceVCS}, nil
	case pkg.Directory != nil:
		return Selection{Package: pkg, Kind: SourceDirectory}, nil
	}
	best, bestPrio := -1, 0
	for i := range pkg.Wheels {
		fn, err := wheel.ParseFilename(pkg.Wheels[i].FileName())
		if err != nil {
			continue
		}
		prio, ok := m.Supports(fn)
		if !ok {
			continue
		}
		if best < 0 || prio < bestPrio || (prio == bestPrio && pkg.Wheels[i].FileName() < pkg.Wheels[best].FileName()) {
			best, bestPrio = i, prio
		}
	}
	if best >= 0 {
		return Selection{Package: pkg, Kind: SourceWheel, File: &pkg.Wheels[best]}, nil
	}
	if pkg.Sdist != nil {
		return Selection{Package: pkg, Kind: SourceSdist, File: pkg.Sdist}, nil
	}
	return Selection{}, fmt.Errorf("%w: none of %d wheels fits the target and there is no sdist", ErrNoFile, len(pkg.Wheels))
}
