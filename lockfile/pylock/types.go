package pylock

import (
	"strings"
	"time"
)

// SupportedVersion is the lock-version this package writes. Files with any
// 1.x version are read; a newer minor version's unknown keys are ignored
// with a warning, as PEP 751 asks.
const SupportedVersion = "1.0"

// Lock is one pylock.toml file. Field order follows the top-level table of
// the specification, which is also the order Marshal writes.
//
// Optional string fields are empty when absent. Extras, DependencyGroups and
// DefaultGroups are always written (as [] when empty) and read back as nil
// when empty.
type Lock struct {
	// LockVersion is the format version, "1.0" for files this package writes.
	LockVersion string
	// Environments are marker expressions; an installer must refuse a lock
	// none of whose environments matches.
	Environments []string
	// RequiresPython is a specifier set every installing interpreter must
	// satisfy (">=3.12").
	RequiresPython string
	// Extras are the extras the lock supports (normalized names).
	Extras []string
	// DependencyGroups are the dependency groups the lock supports.
	DependencyGroups []string
	// DefaultGroups are the synthetic groups installed when no extras or
	// groups are requested.
	DefaultGroups []string
	// CreatedBy names the tool that wrote the lock.
	CreatedBy string
	// Packages are the locked packages; Marshal sorts them by name, then
	// version, then marker.
	Packages []Package
	// Tool is the disposable [tool] table, keyed by tool name. Values use the
	// types go-toml/v2 decodes into: string, int64, float64, bool,
	// time.Time, toml.LocalDate/LocalTime/LocalDateTime, []any and
	// map[string]any (int, []string and []map[string]any are also accepted
	// by Marshal).
	Tool map[string]any
}

// Package is one [[packages]] entry.
type Package struct {
	// Name is the normalized project name.
	Name string
	// Version is the PEP 440 version; it must be empty for VCS and
	// directory sources.
	Version string
	// Marker limits the environments the entry applies to; it may use the
	// lock-file set variables extras and dependency_groups.
	Marker string
	// RequiresPython is the package's own Python requirement.
	RequiresPython string
	// Dependencies identify the entries this one depends on, for auditing.
	Dependencies []Dependency
	// VCS, Directory and Archive are the mutually exclusive source-tree and
	// archive sources; none of them may be combined with Sdist or Wheels.
	VCS       *VCS
	Directory *Directory
	Archive   *Archive
	// Index is the base URL of the Simple API the files came from.
	Index string
	// Sdist is the source distribution, if any.
	Sdist *File
	// Wheels are the binary distributions; Marshal sorts them by file name.
	Wheels []File
	// AttestationIdentities are PEP 740 publisher identities; each has a
	// "kind" key.
	AttestationIdentities []map[string]any
	// Tool is the disposable [packages.tool] table.
	Tool map[string]any
}

// Dependency identifies another [[packages]] entry: its name and, where the
// name alone is ambiguous, its version or marker. Keys written by other
// tools are kept in Other.
type Dependency struct {
	Name    string
	Version string
	Marker  string
	// Other holds any further identifying keys, by TOML key.
	Other map[string]any
}

// File is an sdist or a wheel: [packages.sdist] or one [[packages.wheels]].
type File struct {
	// Name is the file name; when empty it is the last component of Path or
	// URL (see FileName).
	Name string
	// UploadTime is when the index received the file (zero when unknown);
	// written in UTC.
	UploadTime time.Time
	// URL or Path locates the file; at least one is required. Path is
	// relative to the lock file.
	URL  string
	Path string
	// Size is the file size in bytes, nil when unknown.
	Size *int64
	// Hashes maps lower-case algorithm names to lower-case hex digests;
	// at least one entry is required.
	Hashes map[string]string
}

// FileName returns the file's name: Name, else the last component of Path,
// else the last path component of URL.
func (f *File) FileName() string {
	if f.Name != "" {
		return f.Name
	}
	if f.Path != "" {
		p := f.Path
		if i := strings.LastIndexAny(p, `/\`); i >= 0 {
			p = p[i+1:]
		}
		return p
	}
	return urlFileName(f.URL)
}

// urlFileName returns the last component of a URL's path, ignoring query and
// fragment.
func urlFileName(u string) string {
	if u == "" {
		return ""
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexByte(u, '/'); j >= 0 {
			u = u[j:]
		} else {
			return ""
		}
	}
	return u[strings.LastIndexByte(u, '/')+1:]
}

// VCS is a [packages.vcs] source: a commit of a version-control repository.
type VCS struct {
	Type              string
	URL               string
	Path              string
	RequestedRevision string
	CommitID          string
	Subdirectory      string
}

// Directory is a [packages.directory] source: a local source tree.
type Directory struct {
	Path         string
	Editable     bool
	Subdirectory string
}

// Archive is a [packages.archive] source: a direct URL or path to an archive.
type Archive struct {
	URL          string
	Path         string
	Size         *int64
	UploadTime   time.Time
	Hashes       map[string]string
	Subdirectory string
}
