package install

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pydeploy/pydeploy/internal/boundedfile"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

// skeletonPaths are the paths of the environment itself (not of any
// package), relative to its root.
func (p *plan) skeletonPaths() []string {
	exe := path.Base(p.python.Executable)
	out := []string{"pyvenv.cfg", "lib64", "bin/" + exe}
	for _, n := range p.pythonLinks() {
		out = append(out, "bin/"+n)
	}
	return out
}

// pythonLinks are the names python -m venv links to the interpreter's own
// link: python, python3 and python3.Y, except the interpreter's base name.
func (p *plan) pythonLinks() []string {
	exe := path.Base(p.python.Executable)
	var out []string
	for _, n := range []string{"python", fmt.Sprintf("python%d", p.lay.major), fmt.Sprintf("python%d.%d", p.lay.major, p.lay.minor)} {
		if n != exe {
			out = append(out, n)
		}
	}
	return out
}

// write builds the environment in a temporary sibling of p.dir and moves
// it into place.
func (p *plan) write(ctx context.Context) (err error) {
	if err := p.checkTarget(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.dir), 0o755); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	stage, err := os.MkdirTemp(filepath.Dir(p.dir), "."+filepath.Base(p.dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(stage)
		}
	}()
	if err := p.writeSkeleton(stage); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	limit := p.opts.Parallel
	if limit <= 0 {
		limit = runtime.GOMAXPROCS(0)
	}
	g.SetLimit(limit)
	for i, w := range p.wheels {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return p.writeWheel(stage, i, w)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := finish(stage, p.modTime); err != nil {
		return err
	}
	return p.moveIntoPlace(stage)
}

// checkTarget refuses a non-empty target directory unless Replace is set.
func (p *plan) checkTarget() error {
	entries, err := os.ReadDir(p.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("install: target directory: %w", err)
	case len(entries) > 0 && !p.opts.Replace:
		return fmt.Errorf("install: %s: %w; remove it or set Options.Replace", p.dir, ErrTargetExists)
	}
	return nil
}

// moveIntoPlace renames stage to p.dir, swapping out an old environment.
func (p *plan) moveIntoPlace(stage string) error {
	old := ""
	if _, err := os.Lstat(p.dir); err == nil {
		old = stage + ".old"
		if err := os.Rename(p.dir, old); err != nil {
			return fmt.Errorf("install: moving the old environment aside: %w", err)
		}
	}
	if err := os.Rename(stage, p.dir); err != nil {
		if old != "" {
			_ = os.Rename(old, p.dir)
		}
		return fmt.Errorf("install: %w", err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("install: removing the old environment: %w", err)
		}
	}
	return nil
}

// writeSkeleton writes what python -m venv --without-pip creates, minus
// the activate scripts.
func (p *plan) writeSkeleton(root string) error {
	for _, d := range []string{"bin", p.lay.site, fmt.Sprintf("include/python%d.%d", p.lay.major, p.lay.minor)} {
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(d)), 0o755); err != nil {
			return fmt.Errorf("install: %w", err)
		}
	}
	exe := path.Base(p.python.Executable)
	links := map[string]string{"lib64": "lib", "bin/" + exe: p.python.Executable}
	for _, n := range p.pythonLinks() {
		links["bin/"+n] = exe
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))); err != nil {
			return fmt.Errorf("install: %w", err)
		}
	}
	version := p.python.Version
	if version == "" {
		version = fmt.Sprintf("%d.%d", p.lay.major, p.lay.minor)
	}
	cfg := "home = " + path.Dir(p.python.Executable) + "\ninclude-system-site-packages = false\nversion = " + version +
		"\nexecutable = " + p.python.Executable + "\n"
	return writeFile(root, "pyvenv.cfg", []byte(cfg), 0o644)
}

// writeWheel writes the members this wheel owns (verifying the others),
// its launchers and its .dist-info's INSTALLER, REQUESTED and RECORD.
func (p *plan) writeWheel(root string, i int, w *wheelPlan) error {
	if err := w.reopen(); err != nil {
		return err
	}
	defer w.close()
	installed := map[string]string{} // archive path -> installed RECORD path
	changed := map[string]recordRow{}
	for _, m := range w.members {
		if w.generated(m.src) {
			continue
		}
		owned := p.owner[m.dest] == i
		row, err := p.writeMember(root, w, m, owned)
		if err != nil {
			return err
		}
		rp := relPath(p.lay.site, m.dest)
		installed[m.src] = rp
		if row != nil {
			row.path = rp
			changed[rp] = *row
		}
	}
	var generated []recordRow
	gen := func(dest string, data []byte, mode os.FileMode) error {
		if p.owner[dest] == i {
			if err := writeFile(root, dest, data, mode); err != nil {
				return err
			}
		}
		generated = append(generated, newRow(relPath(p.lay.site, dest), data))
		return nil
	}
	for _, l := range w.launchers {
		if err := gen(p.lay.scripts+"/"+l.name, l.body, 0o755); err != nil {
			return err
		}
	}
	info := join(p.lay.site, w.infoDir)
	if err := gen(info+"/INSTALLER", []byte(Installer+"\n"), 0o644); err != nil {
		return err
	}
	if err := gen(info+"/REQUESTED", nil, 0o644); err != nil {
		return err
	}
	var rows []recordRow
	for _, e := range w.record {
		rp, ok := installed[e.Path]
		if !ok {
			rp = e.Path
		}
		if c, ok := changed[rp]; ok {
			rows = append(rows, c)
			continue
		}
		size := ""
		if e.Size >= 0 {
			size = strconv.FormatInt(e.Size, 10)
		}
		rows = append(rows, recordRow{rp, e.Hash, size})
	}
	rows = append(rows, generated...)
	return writeFile(root, info+"/RECORD", writeRecord(rows), 0o644)
}

func newRow(rp string, data []byte) recordRow {
	h, _ := RecordHash("sha256", data)
	return recordRow{rp, h, strconv.Itoa(len(data))}
}

// writeMember copies one archive member (or, when another package owns
// its path, only reads it) and checks it against RECORD. It returns a
// RECORD row when installing changed the content (a "#!python" script).
func (p *plan) writeMember(root string, w *wheelPlan, m member, owned bool) (*recordRow, error) {
	rc, err := m.zf.Open()
	if err != nil {
		return nil, fmt.Errorf("install: wheel %s: %s: %w", w.file, m.src, err)
	}
	defer rc.Close()
	alg := m.record.Algorithm()
	var h hash.Hash
	if alg != "" {
		h = recordHashes[alg]()
	} else {
		h = sha256.New()
	}
	mode := os.FileMode(0o644)
	if m.exec {
		mode = 0o755
	}
	if m.script {
		// Scripts are rewritten, so read them whole (they are small).
		data, err := io.ReadAll(io.TeeReader(io.LimitReader(rc, maxRecordSize+1), h))
		if err != nil {
			return nil, fmt.Errorf("install: wheel %s: %s: %w", w.file, m.src, err)
		}
		if err := checkMember(w, m, h.Sum(nil), int64(len(data))); err != nil {
			return nil, err
		}
		fixed, changed := fixScript(data, p.lay.python)
		if owned {
			if err := writeFile(root, m.dest, fixed, mode); err != nil {
				return nil, err
			}
		}
		if changed {
			row := newRow("", fixed)
			return &row, nil
		}
		return nil, nil
	}
	if !owned {
		n, err := io.Copy(h, rc)
		if err != nil {
			return nil, fmt.Errorf("install: wheel %s: %s: %w", w.file, m.src, err)
		}
		return nil, checkMember(w, m, h.Sum(nil), n)
	}
	dest := filepath.Join(root, filepath.FromSlash(m.dest))
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return nil, fmt.Errorf("install: wheel %s: %w", w.file, err)
	}
	n, err := io.Copy(io.MultiWriter(f, h), rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(dest, mode)
	}
	if err != nil {
		return nil, fmt.Errorf("install: wheel %s: %s: %w", w.file, m.src, err)
	}
	return nil, checkMember(w, m, h.Sum(nil), n)
}

func checkMember(w *wheelPlan, m member, sum []byte, n int64) error {
	if m.record.Hash == "" {
		if m.record.Size >= 0 && m.record.Size != n {
			return &RecordError{Wheel: w.file, Path: m.src, Reason: fmt.Sprintf("RECORD says %d bytes, the archive holds %d", m.record.Size, n)}
		}
		return nil
	}
	if !m.record.Matches(m.record.Algorithm(), sum, n) {
		return &RecordError{Wheel: w.file, Path: m.src, Reason: fmt.Sprintf("content (%d bytes) does not match RECORD's %s (%d bytes)", n, m.record.Hash, m.record.Size)}
	}
	return nil
}

// writeFile writes data to root/rel with exactly mode (whatever the umask).
func writeFile(root, rel string, data []byte, mode os.FileMode) error {
	dest := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(dest, mode)
	}
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	return nil
}

// finish gives every directory mode 0755 and every entry the same
// modification time.
func finish(root string, t time.Time) error {
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if err := os.Chmod(p, 0o755); err != nil {
				return err
			}
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	// Children first: setting a time never touches the parent, but keep
	// the order obvious.
	for _, path := range slices.Backward(paths) {
		if err := setTimes(path, t); err != nil {
			return fmt.Errorf("install: setting the time of %s: %w", path, err)
		}
	}
	return nil
}

// relPath is the slash path from directory base to target, both relative
// to the same root ("lib/python3.12/site-packages" to "bin/x" gives
// "../../../bin/x").
func relPath(base, target string) string {
	b, t := strings.Split(base, "/"), strings.Split(target, "/")
	n := 0
	for n < len(b) && n < len(t)-1 && b[n] == t[n] {
		n++
	}
	return strings.Repeat("../", len(b)-n) + strings.Join(t[n:], "/")
}

// verifyPath checks a local file (a lock entry given by path) against its
// size and hashes, as DownloadFile does for URLs. Anything but a regular
// file is refused without blocking on it, and no more than one byte past
// the locked size is read.
func verifyPath(p string, f pylock.File) (*simpleapi.LocalFile, error) {
	file, _, err := boundedfile.Open(p)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	h256 := sha256.New()
	hs := map[string]hash.Hash{}
	ws := []io.Writer{h256}
	strong := false
	for alg, newHash := range map[string]func() hash.Hash{"sha256": sha256.New, "sha384": recordHashes["sha384"], "sha512": recordHashes["sha512"]} {
		if _, ok := f.Hashes[alg]; ok {
			strong = true
			if alg != "sha256" {
				hs[alg] = newHash()
				ws = append(ws, hs[alg])
			}
		}
	}
	if !strong {
		return nil, fmt.Errorf("file %s: %w", p, simpleapi.ErrNoHash)
	}
	r := io.Reader(file)
	if f.Size != nil && *f.Size >= 0 {
		r = io.LimitReader(file, *f.Size+1)
	}
	n, err := io.Copy(io.MultiWriter(ws...), r)
	if err != nil {
		return nil, err
	}
	sum := hex.EncodeToString(h256.Sum(nil))
	if f.Size != nil && *f.Size != n {
		return nil, fmt.Errorf("file %s has %d bytes, the lock says %d", p, n, *f.Size)
	}
	for alg, want := range f.Hashes {
		got := sum
		if h, ok := hs[alg]; ok {
			got = hex.EncodeToString(h.Sum(nil))
		} else if alg != "sha256" {
			continue
		}
		if !strings.EqualFold(got, want) {
			return nil, &simpleapi.HashMismatchError{File: p, Algorithm: alg, Want: strings.ToLower(want), Got: got}
		}
	}
	return &simpleapi.LocalFile{Path: p, Size: n, SHA256: sum, Cached: true}, nil
}
