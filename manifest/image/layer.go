package image

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// layerEntry is one path of a layer, read from disk.
type layerEntry struct {
	name string // in the image, without leading "/", dirs end in "/"
	src  string // on disk; "" for a directory the layer adds as a parent
	mode fs.FileMode
	link string
	size int64
}

// writeLayer writes entries (sorted by name, so parents come first) as a
// reproducible tar: owner root, the given modification time, no access or
// change times, no user or group names.
func writeLayer(dst string, entries []layerEntry, mtime time.Time) error {
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	err = func() error {
		for _, e := range entries {
			h := &tar.Header{Name: e.name, ModTime: mtime, Mode: int64(e.mode.Perm())}
			if e.mode&fs.ModeSticky != 0 {
				h.Mode |= 0o1000
			}
			switch {
			case e.mode.IsDir():
				h.Typeflag = tar.TypeDir
			case e.mode&fs.ModeSymlink != 0:
				h.Typeflag, h.Linkname = tar.TypeSymlink, e.link
			default:
				h.Typeflag, h.Size = tar.TypeReg, e.size
			}
			if err := tw.WriteHeader(h); err != nil {
				return fmt.Errorf("%s: %w", e.name, err)
			}
			if h.Typeflag == tar.TypeReg {
				if err := copyFile(tw, e.src, e.size); err != nil {
					return fmt.Errorf("%s: %w", e.name, err)
				}
			}
		}
		return tw.Close()
	}()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyFile copies exactly size bytes of a file that must not change while
// the layer is written.
func copyFile(w io.Writer, src string, size int64) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size+1))
	if err == nil && n != size {
		err = fmt.Errorf("file changed size while the layer was written (%d bytes, then %d)", size, n)
	}
	return err
}

// parents returns directory entries for every parent of dir ("opt/venv/"
// gives "opt/").
func parents(dir string) []layerEntry {
	var out []layerEntry
	for p := path.Dir(strings.TrimSuffix(dir, "/")); p != "." && p != "/"; p = path.Dir(p) {
		out = append(out, layerEntry{name: p + "/", mode: fs.ModeDir | 0o755})
	}
	return out
}

// treeEntries lists the installed environment at root for the image path
// mount: everything as it is on disk (Install made modes and times
// deterministic).
func treeEntries(root, mount string) ([]layerEntry, error) {
	mount = strings.Trim(mount, "/")
	entries := parents(mount + "/")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		e, err := entryFor(p, path.Join(mount, filepath.ToSlash(rel)))
		if err != nil {
			return err
		}
		entries = append(entries, e)
		return nil
	})
	return entries, err
}

func entryFor(p, name string) (layerEntry, error) {
	info, err := os.Lstat(p)
	if err != nil {
		return layerEntry{}, err
	}
	e := layerEntry{name: name, src: p, mode: info.Mode()}
	switch {
	case info.IsDir():
		e.name += "/"
	case info.Mode()&fs.ModeSymlink != 0:
		if e.link, err = os.Readlink(p); err != nil {
			return e, err
		}
	case info.Mode().IsRegular():
		e.size = info.Size()
	default:
		return e, fmt.Errorf("image: %s is a %s, which a layer cannot hold", p, info.Mode().Type())
	}
	return e, nil
}

// sourceEntries lists the application directory for the image path
// mount, without excluded paths. Files get mode 0644 (0755 when any
// execute bit is set) and directories 0755, so the checkout's umask does
// not change the image; a symbolic link must stay inside the directory.
func sourceEntries(root, mount string, m *matcher) ([]layerEntry, error) {
	mount = strings.Trim(mount, "/")
	entries := append(parents(mount+"/"), layerEntry{name: mount + "/", mode: fs.ModeDir | 0o755})
	dirs := map[string]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if m.excluded(rel) {
			if d.IsDir() && !m.negation {
				return filepath.SkipDir
			}
			return nil
		}
		e, err := entryFor(p, path.Join(mount, rel))
		if err != nil {
			return err
		}
		switch {
		case e.mode.IsDir():
			e.mode = fs.ModeDir | 0o755
		case e.mode&fs.ModeSymlink != 0:
			if path.IsAbs(e.link) || !withinRoot(path.Join(path.Dir(rel), e.link)) {
				return fmt.Errorf("image: %s is a symbolic link to %q, outside the source directory", p, e.link)
			}
			e.mode = fs.ModeSymlink | 0o777
		case e.mode&0o111 != 0:
			e.mode = 0o755
		default:
			e.mode = 0o644
		}
		for dir := path.Dir(rel); dir != "."; dir = path.Dir(dir) {
			dirs[dir] = true
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Parents of files a negation re-included inside an excluded directory.
	have := map[string]bool{}
	for _, e := range entries {
		have[e.name] = true
	}
	for dir := range dirs {
		if name := path.Join(mount, dir) + "/"; !have[name] {
			entries = append(entries, layerEntry{name: name, mode: fs.ModeDir | 0o755})
		}
	}
	return entries, nil
}

func withinRoot(p string) bool {
	p = path.Clean(p)
	return p != ".." && !strings.HasPrefix(p, "../")
}

// fileLayer is a layer whose uncompressed tar is a file; ggcr compresses
// it (gzip, deterministic for a given library version) and hashes it.
func fileLayer(p string, mt types.MediaType) (v1.Layer, error) {
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return os.Open(p) },
		tarball.WithMediaType(mt), tarball.WithCompressedCaching)
}
