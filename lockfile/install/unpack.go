package install

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

// layout is where the schemes of the binary distribution format land in
// the environment, as slash paths relative to its root.
type layout struct {
	site    string // purelib and platlib: lib/python3.12/site-packages
	scripts string // bin
	include string // headers: include/site/python3.12 (+ /<name>)
	// python is the interpreter path written into launchers and scripts.
	python       string
	major, minor int
}

func (lay layout) scheme(key, project string) (string, bool) {
	switch key {
	case "purelib", "platlib":
		return lay.site, true
	case "scripts":
		return lay.scripts, true
	case "headers":
		return lay.include + "/" + project, true
	case "data":
		return "", true
	}
	return "", false
}

// member is one file a wheel installs.
type member struct {
	zf     *zip.File
	src    string // archive name, as RECORD lists it
	dest   string // slash path relative to the environment root
	exec   bool
	script bool // .data/scripts: #!python is rewritten
	record RecordEntry
}

// wheelPlan is a verified-to-be-safe wheel ready to be written.
type wheelPlan struct {
	pkg, version, file string
	local              *simpleapi.LocalFile
	f                  *os.File
	zr                 *zip.Reader
	infoDir            string // e.g. "idna-3.4.dist-info"
	members            []member
	record             []RecordEntry // the wheel's RECORD, in order
	launchers          []launcher
}

func (w *wheelPlan) close() {
	if w.f != nil {
		w.f.Close()
		w.f, w.zr = nil, nil
	}
}

// reopen opens the wheel again for writing (plans close their files, so
// that a lock of thousands of packages does not hold thousands open) and
// points the members at the new reader's entries.
func (w *wheelPlan) reopen() error {
	f, err := w.local.Open()
	if err != nil {
		return fmt.Errorf("install: wheel %s: %w", w.file, err)
	}
	zr, err := zip.NewReader(f, w.local.Size)
	if err != nil {
		f.Close()
		return fmt.Errorf("install: wheel %s is not a valid zip archive: %w", w.file, err)
	}
	byName := make(map[string]*zip.File, len(zr.File))
	for _, zf := range zr.File {
		byName[zf.Name] = zf
	}
	for i := range w.members {
		zf, ok := byName[w.members[i].src]
		if !ok {
			f.Close()
			return fmt.Errorf("install: wheel %s changed on disk: %s is gone", w.file, w.members[i].src)
		}
		w.members[i].zf = zf
	}
	w.f, w.zr = f, zr
	return nil
}

// planWheel opens a downloaded (hash-verified) wheel and checks it
// without writing anything: one .dist-info matching the package, a
// supported Wheel-Version, names that stay inside their scheme, no
// duplicates, every member listed in RECORD, entry points that make
// valid launchers.
func planWheel(lf *simpleapi.LocalFile, pkg, version, file string, lay layout) (_ *wheelPlan, err error) {
	f, err := lf.Open()
	if err != nil {
		return nil, err
	}
	w := &wheelPlan{pkg: pkg, version: version, file: file, f: f, local: lf}
	defer w.close()
	if w.zr, err = zip.NewReader(f, lf.Size); err != nil {
		return nil, fmt.Errorf("install: wheel %s is not a valid zip archive: %w", file, err)
	}
	if err := w.findInfoDir(); err != nil {
		return nil, err
	}
	if err := w.checkWheelFile(); err != nil {
		return nil, err
	}
	if err := w.readRecord(); err != nil {
		return nil, err
	}
	if err := w.planMembers(lay); err != nil {
		return nil, err
	}
	if err := w.planLaunchers(lay); err != nil {
		return nil, err
	}
	return w, nil
}

// findInfoDir applies pip's rule: exactly one top-level *.dist-info, named
// for the package, whose version is the locked one.
func (w *wheelPlan) findInfoDir() error {
	seen := map[string]bool{}
	var dirs []string
	for _, zf := range w.zr.File {
		top, _, _ := strings.Cut(zf.Name, "/")
		if strings.HasSuffix(top, ".dist-info") && !seen[top] {
			seen[top] = true
			dirs = append(dirs, top)
		}
	}
	if len(dirs) != 1 {
		return fmt.Errorf("install: wheel %s has %d .dist-info directories (%s), want exactly one", w.file, len(dirs), strings.Join(dirs, ", "))
	}
	w.infoDir = dirs[0]
	name, ver, _ := strings.Cut(strings.TrimSuffix(w.infoDir, ".dist-info"), "-")
	if pep508.CanonicalName(name) != w.pkg {
		return fmt.Errorf("install: wheel %s: .dist-info directory %s is for project %q, not %q", w.file, w.infoDir, name, w.pkg)
	}
	got, err1 := pep440.Parse(ver)
	want, err2 := pep440.Parse(w.version)
	if err1 != nil || err2 != nil || !got.Equal(want) {
		return fmt.Errorf("install: wheel %s: .dist-info directory %s is for version %q, but the lock pins %s", w.file, w.infoDir, ver, w.version)
	}
	return nil
}

// checkWheelFile checks .dist-info/WHEEL's Wheel-Version. Its
// Root-Is-Purelib does not matter here: purelib and platlib are the same
// site-packages directory in a virtual environment.
func (w *wheelPlan) checkWheelFile() error {
	data, err := w.read(w.infoDir + "/WHEEL")
	if err != nil {
		return err
	}
	fields := map[string]string{}
	for line := range strings.SplitSeq(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	major, _, _ := strings.Cut(fields["wheel-version"], ".")
	if major != "1" {
		return fmt.Errorf("install: wheel %s: Wheel-Version %q is not supported (want 1.x)", w.file, fields["wheel-version"])
	}
	return nil
}

func (w *wheelPlan) readRecord() error {
	data, err := w.read(w.infoDir + "/RECORD")
	if err != nil {
		return err
	}
	if w.record, err = ParseRecord(data); err != nil {
		return fmt.Errorf("install: wheel %s: %w", w.file, err)
	}
	return nil
}

// generated reports a member Install writes itself (RECORD is rewritten,
// INSTALLER and REQUESTED are replaced, as pip replaces them).
func (w *wheelPlan) generated(src string) bool {
	switch src {
	case w.infoDir + "/RECORD", w.infoDir + "/INSTALLER", w.infoDir + "/REQUESTED":
		return true
	}
	return false
}

// read returns a small member (metadata files), bounded in size.
func (w *wheelPlan) read(name string) ([]byte, error) {
	for _, zf := range w.zr.File {
		if zf.Name != name {
			continue
		}
		if zf.UncompressedSize64 > maxRecordSize {
			return nil, fmt.Errorf("install: wheel %s: %s is %d bytes, more than the %d allowed", w.file, name, zf.UncompressedSize64, maxRecordSize)
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("install: wheel %s: %s: %w", w.file, name, err)
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, maxRecordSize+1))
		if err != nil {
			return nil, fmt.Errorf("install: wheel %s: %s: %w", w.file, name, err)
		}
		return data, nil
	}
	return nil, fmt.Errorf("install: wheel %s has no %s", w.file, name)
}

// planMembers maps every file of the archive to its place, refusing
// anything that would leave its scheme directory, as pip does.
func (w *wheelPlan) planMembers(lay layout) error {
	root := lay.site
	inRecord := map[string]RecordEntry{}
	for _, e := range w.record {
		inRecord[e.Path] = e
	}
	seen := map[string]bool{}
	for _, zf := range w.zr.File {
		name := zf.Name
		if strings.HasSuffix(name, "/") {
			continue // directories are created for the files in them
		}
		unsafe := func(reason string) error { return &UnsafeArchiveError{Wheel: w.file, Entry: name, Reason: reason} }
		if strings.ContainsRune(name, 0) || strings.HasPrefix(name, "/") {
			return unsafe("absolute path or NUL byte")
		}
		clean := path.Clean(name)
		if seen[clean] {
			return unsafe("the archive holds this path twice")
		}
		seen[clean] = true
		m := member{zf: zf, src: name, exec: zipExecutable(zf)}
		top, rest, _ := strings.Cut(clean, "/")
		if strings.HasSuffix(top, ".data") && top != "." {
			key, sub, ok := strings.Cut(rest, "/")
			dir, known := lay.scheme(key, w.pkg)
			if !ok || !known {
				return unsafe("files in .data must be under purelib/, platlib/, scripts/, headers/ or data/")
			}
			if !within(sub) {
				return unsafe("path leaves the " + key + " directory")
			}
			m.dest, m.script = join(dir, path.Clean(sub)), key == "scripts"
		} else {
			if !within(clean) {
				return unsafe("path leaves site-packages")
			}
			m.dest = join(root, clean)
		}
		if zf.Mode()&fs.ModeSymlink != 0 {
			if err := w.checkLink(zf, m.dest); err != nil {
				return err
			}
		}
		rec, listed := inRecord[name]
		switch {
		case listed:
			m.record = rec
		case name == w.infoDir+"/RECORD" || name == w.infoDir+"/RECORD.jws" || name == w.infoDir+"/RECORD.p7s":
		default:
			return &RecordError{Wheel: w.file, Path: name, Reason: "not listed in RECORD"}
		}
		w.members = append(w.members, m)
	}
	return nil
}

// checkLink refuses a symlink member whose target leaves the environment.
// pip installs such members as regular files holding the link text, and
// so does Install; the check keeps a tool that would honour the link from
// being pointed outside.
func (w *wheelPlan) checkLink(zf *zip.File, dest string) error {
	if zf.UncompressedSize64 > 4096 {
		return &UnsafeArchiveError{Wheel: w.file, Entry: zf.Name, Reason: "symlink target longer than 4096 bytes"}
	}
	rc, err := zf.Open()
	if err != nil {
		return fmt.Errorf("install: wheel %s: %s: %w", w.file, zf.Name, err)
	}
	defer rc.Close()
	target, err := io.ReadAll(io.LimitReader(rc, 4097))
	if err != nil {
		return fmt.Errorf("install: wheel %s: %s: %w", w.file, zf.Name, err)
	}
	t := string(target)
	if strings.HasPrefix(t, "/") || !within(path.Join(path.Dir(dest), t)) {
		return &UnsafeArchiveError{Wheel: w.file, Entry: zf.Name, Reason: fmt.Sprintf("symlink to %q leaves the environment", t)}
	}
	return nil
}

// planLaunchers prepares the console and GUI scripts of entry_points.txt
// and drops .data/scripts files that are setuptools' own wrappers for
// them, as pip does.
func (w *wheelPlan) planLaunchers(lay layout) error {
	var console, gui []entryPoint
	if data, err := w.read(w.infoDir + "/entry_points.txt"); err == nil {
		console, gui = parseEntryPoints(data)
	}
	names := map[string]bool{}
	for _, ep := range append(append([]entryPoint(nil), console...), gui...) {
		names[ep.name] = true
	}
	kept := w.members[:0]
	for _, m := range w.members {
		if m.script && names[wrapperName(path.Base(m.dest))] {
			continue
		}
		kept = append(kept, m)
	}
	w.members = kept
	for _, ep := range append(consoleScriptSpecs(console, lay.major, lay.minor), gui...) {
		l, err := makeLauncher(ep, lay.python)
		if err != nil {
			return fmt.Errorf("install: wheel %s: %w", w.file, err)
		}
		w.launchers = append(w.launchers, l)
	}
	return nil
}

// wrapperName strips the suffixes of setuptools' script wrappers.
func wrapperName(name string) string {
	lower := strings.ToLower(name)
	for _, suffix := range []string{".exe", "-script.py", ".pya"} {
		if strings.HasSuffix(lower, suffix) {
			return name[:len(name)-len(suffix)]
		}
	}
	return name
}

// zipExecutable is pip's zip_item_is_executable: a regular file with any
// execute bit.
func zipExecutable(zf *zip.File) bool {
	mode := zf.ExternalAttrs >> 16
	return mode != 0 && mode&0o170000 == 0o100000 && mode&0o111 != 0
}

// within reports whether a cleaned relative slash path stays inside its
// base directory.
func within(p string) bool {
	p = path.Clean(p)
	return p != ".." && !strings.HasPrefix(p, "../") && !strings.HasPrefix(p, "/")
}

func join(dir, p string) string {
	if dir == "" {
		return p
	}
	return dir + "/" + p
}
