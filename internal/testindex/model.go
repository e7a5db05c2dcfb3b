package testindex

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

// Index is an in-memory package index: projects, their versions and the
// files of each version. Build one with New and Add, or with FromPackse,
// FromPyPI or Generated, then serve it with Start. An Index must not be
// changed once it is being served.
type Index struct {
	projects map[string]*Project
	// Synthesized lists the normalized names of projects that a builder
	// invented to fill a gap in its source data (see FromPyPI), sorted.
	Synthesized []string
	// Bridged lists the versions ("name==version", sorted) that a builder
	// added to projects whose newer releases its source data lacks (see
	// FromPyPI).
	Bridged []string
}

// Project is one project of an Index.
type Project struct {
	// Name is the display name (as written in METADATA); the index serves it
	// under its normalized form.
	Name string
	// Versions in the order they were added; pages list them in this order.
	Versions []*Version
}

// Version is one release of a project. Its files are generated from these
// fields: one wheel per entry of WheelTags (or per entry of WheelFiles) and
// an sdist when Sdist is set.
type Version struct {
	Version        string
	RequiresPython string
	RequiresDist   []string
	ProvidesExtra  []string
	// Yanked marks every file of the version as yanked (PEP 592), with an
	// optional YankedReason.
	Yanked       bool
	YankedReason string
	// UploadTime is served as PEP 700 upload-time; the zero time omits it.
	UploadTime time.Time
	// WheelTags are compressed tag triples such as "py3-none-any" or
	// "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64".
	WheelTags []string
	// WheelFiles are complete wheel file names to publish verbatim (real
	// PyPI names); their tags are taken from the name.
	WheelFiles []string
	// Sdist publishes a .tar.gz source distribution with PKG-INFO.
	Sdist bool
	// EntryPoints, when set, is written to every wheel as
	// .dist-info/entry_points.txt ("[console_scripts]\nname = mod:func\n").
	EntryPoints string
	// WheelExtras are further entries of every wheel, listed in its RECORD:
	// modules an entry point names, or files of the binary distribution
	// format's "<name>-<version>.data/<scheme>/…" directories.
	WheelExtras []WheelEntry

	once  sync.Once
	files []*File
	err   error
}

// WheelEntry is one extra file of a generated wheel.
type WheelEntry struct {
	// Name is the path inside the wheel ("pkg/cli.py").
	Name string
	Data []byte
	// Executable sets the entry's mode to 0755 (else 0644).
	Executable bool
}

// File is one generated distribution file. Body is a valid wheel (zip with
// METADATA, WHEEL, RECORD and a module) or sdist (.tar.gz with PKG-INFO).
type File struct {
	Filename string
	// Project is the normalized project name; the file is served at
	// /files/<Project>/<Filename>.
	Project string
	Version *Version
	Body    []byte
	// SHA256 is the lower-case hex digest of Body.
	SHA256 string
	// Metadata is the core metadata (the wheel's METADATA); empty for sdists,
	// which get no .metadata file.
	Metadata       []byte
	MetadataSHA256 string
}

// Wheel reports whether the file is a wheel.
func (f *File) Wheel() bool { return strings.HasSuffix(f.Filename, ".whl") }

// URLPath is the path the server serves the file at.
func (f *File) URLPath() string { return "/files/" + f.Project + "/" + f.Filename }

// New returns an empty index.
func New() *Index { return &Index{projects: map[string]*Project{}} }

// Add adds versions to the project name, creating it when needed, and
// returns the project. A version already present is an error, reported by
// Check and Start.
func (ix *Index) Add(name string, versions ...*Version) *Project {
	n := pep508.CanonicalName(name)
	p, ok := ix.projects[n]
	if !ok {
		p = &Project{Name: name}
		ix.projects[n] = p
	}
	p.Versions = append(p.Versions, versions...)
	return p
}

// Pure returns a version with a py3-none-any wheel and an sdist, the shape
// of most pure-Python releases.
func Pure(version string, requiresDist ...string) *Version {
	return &Version{Version: version, RequiresDist: requiresDist, WheelTags: []string{"py3-none-any"}, Sdist: true}
}

// Project returns the project with the given name (any spelling) or nil.
func (ix *Index) Project(name string) *Project { return ix.projects[pep508.CanonicalName(name)] }

// Names returns the normalized project names, sorted.
func (ix *Index) Names() []string {
	names := make([]string, 0, len(ix.projects))
	for n := range ix.projects {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Version returns the version v of the project, or nil.
func (p *Project) Version(v string) *Version {
	for _, ver := range p.Versions {
		if ver.Version == v {
			return ver
		}
	}
	return nil
}

// Check validates the index: names, unique versions, well-formed wheel tags
// and file names. Start calls it.
func (ix *Index) Check() error {
	for _, n := range ix.Names() {
		p := ix.projects[n]
		seen := map[string]bool{}
		for _, v := range p.Versions {
			if v.Version == "" || strings.ContainsAny(v.Version, " -/\\") {
				return fmt.Errorf("testindex: project %q: invalid version %q", p.Name, v.Version)
			}
			if seen[v.Version] {
				return fmt.Errorf("testindex: project %q: version %q added twice", p.Name, v.Version)
			}
			seen[v.Version] = true
			if _, err := planFiles(p.Name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// Files returns the generated files of the version of project name,
// generating them on first use (bodies are deterministic).
func (v *Version) Files(name string) ([]*File, error) {
	v.once.Do(func() { v.files, v.err = generateFiles(name, v) })
	return v.files, v.err
}

// File finds a file by project and file name.
func (ix *Index) File(project, filename string) (*File, error) {
	p := ix.Project(project)
	if p == nil {
		return nil, fmt.Errorf("testindex: no project %q", project)
	}
	for _, v := range p.Versions {
		files, err := v.Files(p.Name)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if f.Filename == filename {
				return f, nil
			}
		}
	}
	return nil, fmt.Errorf("testindex: project %q has no file %q", project, filename)
}
