package install

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// Installer is what Install writes into every .dist-info/INSTALLER.
const Installer = "pydeploy"

// Python is the interpreter an environment runs on.
type Python struct {
	// Executable is the interpreter's absolute path where the environment
	// is used ("/usr/local/bin/python3.12" in a python:3.12 image):
	// bin/<its base name> links to it and pyvenv.cfg's home is its
	// directory. "" means /usr/local/bin/python<X.Y> of the target.
	Executable string
	// Version is its full version ("3.12.7"): pyvenv.cfg's version and the
	// python_full_version of markers. "" means the target's X.Y, which
	// markers comparing python_full_version see as X.Y.0.
	Version string
}

// Options configure Install. Client is required for files given by URL;
// the zero value of every other field is useful.
type Options struct {
	// Client downloads the files (verified, through its cache). Its
	// Options.CacheDir must be set.
	Client *simpleapi.Client
	// Target is the environment to install for; the zero value means the
	// one target the lock records (see Targets).
	Target wheel.Target
	// Python is the interpreter of the environment.
	Python Python
	// Prefix is the environment's absolute path where it is used ("/opt/venv"
	// in an image): launchers' shebangs name Prefix/bin/python. "" means
	// the directory Install writes.
	Prefix string
	// Extras and DependencyGroups select the lock's optional parts; with
	// neither, the lock's default-groups apply.
	Extras, DependencyGroups []string
	// LockDir resolves the relative paths of files given by path rather
	// than URL; "" means the current directory.
	LockDir string
	// ModTime is the modification time of every file, link and directory;
	// the zero value means $SOURCE_DATE_EPOCH when set, else
	// DefaultModTime.
	ModTime time.Time
	// Parallel bounds how many wheels are unpacked at once; 0 means
	// GOMAXPROCS. Downloads are bounded by the client's MaxParallel.
	Parallel int
	// Replace allows replacing a non-empty target directory (it is swapped
	// atomically for the new environment). Without it such a directory is
	// an error wrapping ErrTargetExists.
	Replace bool
}

// DefaultModTime is the timestamp of installed files when neither
// Options.ModTime nor SOURCE_DATE_EPOCH is set: the earliest time a zip
// archive can record, a fixed value so that trees are reproducible.
var DefaultModTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Result describes an installed environment.
type Result struct {
	// Dir is the directory written; Prefix is where the environment
	// expects to live (equal to Dir unless Options.Prefix says otherwise).
	Dir, Prefix string
	Target      wheel.Target
	// SitePackages is the site-packages directory relative to Dir
	// ("lib/python3.12/site-packages").
	SitePackages string
	// Packages are the installed packages, sorted by name.
	Packages []Package
}

// Package is one installed distribution.
type Package struct {
	Name, Version string
	// File is the wheel's file name; SHA256 its verified digest.
	File, SHA256 string
	// Cached reports that the wheel came from the cache, not the network.
	Cached bool
}

// Install installs the packages a lock selects for one target into dir,
// as a virtual environment for Python: bin/ (interpreter links and entry
// point launchers), lib/pythonX.Y/site-packages, include/, lib64 -> lib,
// pyvenv.cfg. Every wheel is downloaded through the client's cache, its
// size and hashes checked against the lock before it is opened, and
// installed as the binary distribution format says and pip 23 does:
// .data/ directories go to their schemes, "#!python" scripts get the
// environment's interpreter, console and GUI scripts get launchers,
// .dist-info gets INSTALLER ("pydeploy"), REQUESTED and a rewritten RECORD.
//
// Refused before anything is written: sdists (ErrSdist), VCS and
// directory sources (ErrUnsupportedSource), archive members that would
// leave their directory (*UnsafeArchiveError), members RECORD does not
// list or hashes it contradicts (*RecordError), and two packages writing
// different content to one path (*ConflictError). Problems of several
// packages are reported together.
//
// The environment is built in a temporary sibling of dir and renamed into
// place, so dir holds either nothing new or a complete environment. The
// result is deterministic: the same lock, target and options give the
// same tree, contents, modes (0644, 0755 for executables and directories)
// and timestamps (Options.ModTime). No bytecode is compiled: that needs
// the target interpreter, and Python writes __pycache__ on first import.
func Install(ctx context.Context, l *pylock.Lock, dir string, opts Options) (*Result, error) {
	plan, err := newPlan(l, dir, opts)
	if err != nil {
		return nil, err
	}
	defer plan.close()
	if err := plan.fetch(ctx); err != nil {
		return nil, err
	}
	if err := plan.claimPaths(); err != nil {
		return nil, err
	}
	if err := plan.write(ctx); err != nil {
		return nil, err
	}
	return plan.result(), nil
}

// plan is one Install in progress.
type plan struct {
	opts    Options
	dir     string // absolute
	prefix  string
	target  wheel.Target
	python  Python
	lay     layout
	modTime time.Time
	sel     []pylock.Selection
	wheels  []*wheelPlan // in sel order (by name)
	files   []*simpleapi.LocalFile
	owner   map[string]int // dest path -> index in wheels that writes it
}

func newPlan(l *pylock.Lock, dir string, opts Options) (*plan, error) {
	p := &plan{opts: opts}
	var err error
	if p.target, err = chooseTarget(l, opts.Target); err != nil {
		return nil, err
	}
	if p.target.Implementation != wheel.CPython || p.target.Platform.OS == wheel.Windows {
		return nil, fmt.Errorf("install: target %s: only CPython on Linux or macOS is supported (a POSIX virtual environment)", p.target)
	}
	if dir == "" {
		return nil, errors.New("install: no target directory")
	}
	if p.dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("install: target directory %q: %w", dir, err)
	}
	p.prefix = filepath.ToSlash(p.dir)
	if opts.Prefix != "" {
		if !path.IsAbs(opts.Prefix) {
			return nil, fmt.Errorf("install: Options.Prefix %q is not an absolute path", opts.Prefix)
		}
		p.prefix = path.Clean(opts.Prefix)
	}
	if p.python, err = defaultPython(opts.Python, p.target); err != nil {
		return nil, err
	}
	if p.modTime, err = modTime(opts.ModTime); err != nil {
		return nil, err
	}
	env, err := environment(p.target, p.python, opts.Extras, opts.DependencyGroups)
	if err != nil {
		return nil, err
	}
	if p.sel, err = selectPackages(l, p.target, env); err != nil {
		return nil, err
	}
	if err := checkSources(p.sel, p.target); err != nil {
		return nil, err
	}
	p.lay = newLayout(p.target, p.prefix)
	return p, nil
}

func defaultPython(py Python, t wheel.Target) (Python, error) {
	if py.Executable == "" {
		py.Executable = fmt.Sprintf("/usr/local/bin/python%d.%d", t.Python.Major, t.Python.Minor)
	}
	if !path.IsAbs(py.Executable) || strings.ContainsAny(py.Executable, "\n\x00") {
		return py, fmt.Errorf("install: Python.Executable %q is not an absolute path", py.Executable)
	}
	return py, nil
}

// modTime resolves the timestamp of the tree.
func modTime(t time.Time) (time.Time, error) {
	if !t.IsZero() {
		return t.UTC(), nil
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("install: SOURCE_DATE_EPOCH=%q is not a count of seconds", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	return DefaultModTime, nil
}

func newLayout(t wheel.Target, prefix string) layout {
	py := fmt.Sprintf("python%d.%d", t.Python.Major, t.Python.Minor)
	if t.FreeThreaded {
		py += "t"
	}
	return layout{
		site:    "lib/" + py + "/site-packages",
		scripts: "bin",
		include: "include/site/" + py,
		python:  strings.TrimSuffix(prefix, "/") + "/bin/python",
		major:   t.Python.Major,
		minor:   t.Python.Minor,
	}
}

// checkSources refuses what cannot be installed from a wheel, naming every
// such package at once.
func checkSources(sel []pylock.Selection, t wheel.Target) error {
	var errs []error
	for _, s := range sel {
		id := fmt.Sprintf("package %q", s.Package.Name)
		if s.Package.Version != "" {
			id += " " + s.Package.Version
		}
		switch s.Kind {
		case pylock.SourceWheel:
		case pylock.SourceSdist:
			errs = append(errs, fmt.Errorf("install: %s: %w (%s fits %s; lock wheels only, or build a wheel and lock it)", id, ErrSdist, s.File.FileName(), t))
		case pylock.SourceArchive:
			if !strings.HasSuffix(archiveName(s.Package.Archive), ".whl") {
				errs = append(errs, fmt.Errorf("install: %s: archive %s: %w", id, archiveName(s.Package.Archive), ErrSdist))
			}
		default:
			errs = append(errs, fmt.Errorf("install: %s: %w (%s source)", id, ErrUnsupportedSource, s.Kind))
		}
	}
	return errors.Join(errs...)
}

func archiveName(a *pylock.Archive) string {
	f := pylock.File{URL: a.URL, Path: a.Path}
	return f.FileName()
}

// fetch downloads and plans every wheel concurrently.
func (p *plan) fetch(ctx context.Context) error {
	p.wheels = make([]*wheelPlan, len(p.sel))
	p.files = make([]*simpleapi.LocalFile, len(p.sel))
	errs := make([]error, len(p.sel))
	g, gctx := errgroup.WithContext(ctx)
	for i, s := range p.sel {
		g.Go(func() error {
			f := wheelFile(s)
			lf, err := p.download(gctx, f)
			if err != nil {
				errs[i] = fmt.Errorf("install: package %q %s: %w", s.Package.Name, s.Package.Version, err)
				return nil
			}
			p.files[i] = lf
			w, err := planWheel(lf, s.Package.Name, s.Package.Version, f.FileName(), p.lay)
			if err != nil {
				errs[i] = err
				return nil
			}
			p.wheels[i] = w
			return nil
		})
	}
	_ = g.Wait()
	return errors.Join(errs...)
}

// wheelFile is the file to install for a selection: the chosen wheel, or
// an archive source that is a wheel.
func wheelFile(s pylock.Selection) pylock.File {
	if s.File != nil {
		return *s.File
	}
	a := s.Package.Archive
	return pylock.File{URL: a.URL, Path: a.Path, Size: a.Size, Hashes: a.Hashes}
}

// download returns the verified local copy of f: from the client's cache
// for a URL, or checked in place for a path relative to the lock.
func (p *plan) download(ctx context.Context, f pylock.File) (*simpleapi.LocalFile, error) {
	if f.URL == "" {
		return verifyPath(filepath.Join(p.opts.LockDir, filepath.FromSlash(f.Path)), f)
	}
	if p.opts.Client == nil {
		return nil, errors.New("Options.Client is nil; it downloads and verifies the wheels")
	}
	size := int64(-1)
	if f.Size != nil {
		size = *f.Size
	}
	return p.opts.Client.DownloadFile(ctx, &simpleapi.File{Filename: f.FileName(), URL: f.URL, Hashes: f.Hashes, Size: size})
}

// claimPaths decides which package writes each path: two packages may
// install the same path only with the same content (namespace package
// files); the first by name writes it.
func (p *plan) claimPaths() error {
	type claim struct {
		pkg int
		key string
	}
	claims := map[string]claim{}
	var errs []error
	const env = -1
	for _, dest := range p.skeletonPaths() {
		claims[dest] = claim{env, "environment"}
	}
	name := func(i int) string {
		if i == env {
			return "(the environment itself)"
		}
		return p.wheels[i].pkg
	}
	add := func(i int, dest, key string) {
		c, taken := claims[dest]
		switch {
		case !taken:
			claims[dest] = claim{i, key}
		case c.key != key || c.pkg == env:
			pair := [2]string{name(c.pkg), name(i)}
			slices.Sort(pair[:])
			errs = append(errs, &ConflictError{Path: dest, Packages: pair})
		}
	}
	for i, w := range p.wheels {
		for _, m := range w.members {
			if w.generated(m.src) {
				continue
			}
			key := fmt.Sprintf("member %s exec=%t script=%t", m.record.Hash, m.exec, m.script)
			if m.record.Hash == "" {
				key = "unhashed " + w.pkg + " " + m.src
			}
			add(i, m.dest, key)
		}
		for _, l := range w.launchers {
			add(i, p.lay.scripts+"/"+l.name, "launcher "+string(l.body))
		}
		for _, gen := range []string{"INSTALLER", "REQUESTED", "RECORD"} {
			add(i, join(p.lay.site, w.infoDir+"/"+gen), "generated "+w.pkg)
		}
	}
	for dest := range claims {
		for dir := path.Dir(dest); dir != "."; dir = path.Dir(dir) {
			if c, ok := claims[dir]; ok {
				errs = append(errs, fmt.Errorf("install: %s installs a file at %s, where %s needs a directory", name(c.pkg), dir, name(claims[dest].pkg)))
			}
		}
	}
	p.owner = map[string]int{}
	for dest, c := range claims {
		p.owner[dest] = c.pkg
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

func (p *plan) close() {
	for _, w := range p.wheels {
		if w != nil {
			w.close()
		}
	}
}

func (p *plan) result() *Result {
	r := &Result{Dir: p.dir, Prefix: p.prefix, Target: p.target, SitePackages: p.lay.site}
	for i, w := range p.wheels {
		r.Packages = append(r.Packages, Package{Name: w.pkg, Version: w.version, File: w.file, SHA256: p.files[i].SHA256, Cached: p.files[i].Cached})
	}
	return r
}
