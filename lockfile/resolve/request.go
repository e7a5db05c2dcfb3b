package resolve

import (
	"context"
	"io"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/pubgrub"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// Source is what the resolver needs from a package index; *simpleapi.Client
// satisfies it, and tests can serve an in-memory index.
type Source interface {
	// Project lists the files of a project; a *simpleapi.NotFoundError
	// means the index has no such project.
	Project(ctx context.Context, name string) (*simpleapi.Project, error)
	// Metadata returns the core metadata of one file.
	Metadata(ctx context.Context, f *simpleapi.File) (*simpleapi.Metadata, error)
}

// Downloader is an optional Source extension: with it, the metadata of a
// release published only as an sdist without a PEP 658 metadata file is read
// from the sdist's PKG-INFO (no build is run).
type Downloader interface {
	Download(ctx context.Context, f *simpleapi.File, w io.Writer) error
}

// Prereleases is the pre-release policy.
type Prereleases int

const (
	// PrereleasesIfNecessaryOrExplicit (the default, as uv) admits
	// pre-releases of a package when a root requirement or constraint on it
	// names a pre-release (">=2.0b1"), or when the package has no final
	// release at all.
	PrereleasesIfNecessaryOrExplicit Prereleases = iota
	// PrereleasesAllow admits pre-releases of every package.
	PrereleasesAllow
	// PrereleasesDisallow never selects a pre-release.
	PrereleasesDisallow
)

// Request is what to resolve and for which environment.
type Request struct {
	// Name is how the project being locked is called in explanations;
	// "" means "root".
	Name string
	// Requirements are the root requirements. Markers are evaluated against
	// the target; extras select optional dependencies. Direct URL
	// requirements are not supported.
	Requirements []pep508.Requirement
	// Constraints restrict the versions of packages that end up in the
	// resolution without adding packages (pip's -c).
	Constraints []pep508.Requirement
	// RequiresPython is the project's requires-python. For a single
	// Target, a release whose Requires-Python excludes its lower bound is
	// not selected, so the lock also works on the oldest Python the
	// project supports; a Universal resolution is for the Python versions
	// it admits.
	RequiresPython pep440.Specifiers
	// Target is the environment the lock is for: it decides which wheels
	// fit, how markers evaluate and which Python releases must support.
	Target wheel.Target
	// Targets, when set, asks for a universal resolution instead: one set
	// of pins that holds on every target at once, forking where the
	// targets need different versions (see Universal resolution in the
	// package documentation). Target is ignored then. Targets must differ
	// in their marker environments (two manylinux levels of one platform
	// cannot be told apart by a marker) and there may be at most 64.
	Targets []wheel.Target
	// Universal, without Targets, asks for a universal resolution over
	// every environment RequiresPython admits (below Python 4), narrowed
	// to the environments of Environments when set ("sys_platform ==
	// 'linux'"), as uv lock resolves. Files are then locked for every
	// platform a package may be installed on, and no platform needs a
	// wheel except those of RequiredEnvironments.
	Universal            bool
	Environments         []pep508.Marker
	RequiredEnvironments []pep508.Marker
	// Preferences are the versions of an existing lock, by package name;
	// they are kept when still allowed, unless upgraded.
	Preferences map[string]pep440.Version
	// Upgrade ignores every preference; UpgradePackages ignores those of
	// the named packages.
	Upgrade         bool
	UpgradePackages []string
	// ExcludeNewer, when not zero, ignores files uploaded after it; files
	// without an upload time are ignored too.
	ExcludeNewer time.Time
	// Prereleases is the pre-release policy.
	Prereleases Prereleases
	// AllowSdist lets a release without a compatible wheel be selected
	// through its sdist. NoBinary lists packages whose wheels must not be
	// used (implies AllowSdist for them); NoBuild lists packages whose
	// sdists must not be used.
	AllowSdist bool
	NoBinary   []string
	NoBuild    []string
}

// Options tune how Resolve works, not what it finds.
type Options struct {
	// Source is the package index; required.
	Source Source
	// Prefetch bounds the metadata requests made in the background while
	// the solver works; 0 means 8, a negative value disables prefetching.
	Prefetch int
}

// Resolution is a successful resolution.
type Resolution struct {
	// Packages sorted by name, then version. In a universal resolution a
	// name may appear more than once, each entry with a Marker saying
	// where it applies; the markers of one name never overlap.
	Packages []Package
	// Warnings about questionable input the resolver worked around, sorted
	// (e.g. Requires-Dist strings repaired by pep508.ParseLenient).
	Warnings []string
	// Forks are the markers of the parts a universal resolution split
	// into, in the order they were solved; empty when it did not split.
	Forks []string
	// Installs lists, for each target (Request.Target, or each of
	// Request.Targets in order), the packages and files an installer must
	// install there: what pylock.Select on the lock has to give. Empty for
	// a symbolic universal resolution (Universal without Targets).
	Installs []TargetInstall
}

// TargetInstall is what one target installs.
type TargetInstall struct {
	Target   wheel.Target
	Packages []Pin
}

// Pin is one package of an install: name, version and the file for the
// target.
type Pin struct {
	Name    string
	Version pep440.Version
	File    File
}

// Package is one pinned package.
type Package struct {
	// Name is the PEP 503 normalized name.
	Name    string
	Version pep440.Version
	// Marker, in a universal resolution, limits the environments this
	// entry applies to (normalized marker text); "" means everywhere the
	// resolution is for.
	Marker string
	// Files holds the files to install: for each target, the best wheel,
	// or the sdist when no wheel fits and sdists are allowed (one file for
	// a single target); in a symbolic universal resolution every wheel
	// that may fit where the package applies, and the sdist when allowed.
	Files []File
	// Dependencies are the names of the resolved packages this one needs
	// (including for the extras requested), sorted.
	Dependencies []string
	// DependsOn identifies those packages by name and version, for names
	// with more than one entry; same order as Dependencies (a name may
	// repeat with different versions).
	DependsOn []PackageRef
	// Direct says a root requirement names the package.
	Direct bool
	// Extras are the extras requested of it anywhere in the graph, sorted.
	Extras []string
	// RequiresPython is the release's Requires-Python, "" when none.
	RequiresPython string
}

// PackageRef names one entry of Resolution.Packages.
type PackageRef struct {
	Name    string
	Version pep440.Version
}

// File is a distribution file of a resolved package.
type File struct {
	Filename   string
	URL        string
	Hashes     map[string]string
	Size       int64 // -1 when unknown
	UploadTime time.Time
	// Index is the name of the index that served it.
	Index string
	// Wheel says the file is a wheel rather than an sdist.
	Wheel bool
}

// NoSolutionError reports requirements that cannot be satisfied together.
// Explanation is the derivation (see the package documentation).
type NoSolutionError struct {
	Explanation string
	// Tree is the terminal incompatibility, the root of the derivation.
	Tree *pubgrub.Incompatibility
}

// Error returns the explanation behind a one-line summary.
func (e *NoSolutionError) Error() string {
	return "no solution for the requirements:\n" + e.Explanation
}
