package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File is a temporary file that replaces its target on Commit. Write to it
// like an *os.File; call Abort (typically deferred) to give up, which
// removes the temporary file. Nothing appears at the target until Commit
// succeeds.
type File struct {
	*os.File
	// NoSync skips the fsync of the file and of its directory in Commit. A
	// crash may then lose the new file or leave it short, but never shows a
	// partial file while the system runs: only for data its readers verify
	// (caches), where the saved fsyncs matter more than surviving a crash.
	NoSync bool

	path string
	perm fs.FileMode
	done bool
}

// Create starts a replacement of path. The target's directory must exist;
// the file gets exactly perm, whatever the umask.
func Create(path string, perm fs.FileMode) (*File, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &File{File: tmp, path: path, perm: perm}, nil
}

// Commit gives the file its permissions, syncs it (unless NoSync), closes
// it and renames it over the target; then it syncs the directory so that
// the rename survives a crash. A directory some file systems cannot sync is
// not an error: the rename has happened. On error the temporary file is
// removed and the target is untouched.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("write %s: already committed or aborted", f.path)
	}
	err := f.Chmod(f.perm)
	if err == nil && !f.NoSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	if err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	f.done = true
	if !f.NoSync {
		syncDir(filepath.Dir(f.path))
	}
	return nil
}

// Abort removes the temporary file. It does nothing after Commit or a
// previous Abort, so it can be deferred unconditionally.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	_ = f.Close() // already closed when Commit failed late; nothing to report
	_ = os.Remove(f.Name())
}

// Write writes data to path atomically with permissions perm, syncing the
// file and its directory.
func Write(path string, data []byte, perm fs.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync() // best effort: see Commit
	_ = d.Close()
}
