package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// entries lists dir, so tests can check that no temporary file is left.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	assert.NilError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		old  []byte // nil: no file before
		data []byte
		perm fs.FileMode
	}{
		{name: "new file", data: []byte("a = 1\n"), perm: 0o644},
		{name: "replaces a longer file", old: []byte(strings.Repeat("x", 10000)), data: []byte("short\n"), perm: 0o644},
		{name: "empty content", old: []byte("something"), data: []byte{}, perm: 0o600},
		// 0o666 and 0o444 are not what the usual umask 022 leaves.
		{name: "exact permissions despite the umask", data: []byte("w"), perm: 0o666},
		{name: "read-only result", old: []byte("old"), data: []byte("r"), perm: 0o444},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := filepath.Join(dir, "pylock.toml")
			if tc.old != nil {
				assert.NilError(t, os.WriteFile(p, tc.old, 0o644))
			}
			assert.NilError(t, Write(p, tc.data, tc.perm))
			got, err := os.ReadFile(p)
			assert.NilError(t, err)
			assert.Check(t, bytes.Equal(got, tc.data), "content %q, want %q", got, tc.data)
			st, err := os.Stat(p)
			assert.NilError(t, err)
			assert.Check(t, is.Equal(st.Mode().Perm(), tc.perm))
			assert.Check(t, is.DeepEqual(entries(t, dir), []string{"pylock.toml"}))
		})
	}
}

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	t.Run("missing directory", func(t *testing.T) {
		t.Parallel()
		p := filepath.Join(t.TempDir(), "no-such-dir", "f.yaml")
		err := Write(p, []byte("x"), 0o644)
		assert.Assert(t, errors.Is(err, fs.ErrNotExist), "%v", err)
		assert.ErrorContains(t, err, "write "+p+": ")
	})
	t.Run("target is a directory", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		p := filepath.Join(dir, "target")
		assert.NilError(t, os.MkdirAll(filepath.Join(p, "inside"), 0o755))
		err := Write(p, []byte("x"), 0o644)
		assert.ErrorContains(t, err, "write "+p+": ")
		// The directory is untouched and no temporary file is left.
		assert.Check(t, is.DeepEqual(entries(t, p), []string{"inside"}))
		assert.Check(t, is.DeepEqual(entries(t, dir), []string{"target"}))
	})
}

func TestAbortLeavesTheTargetAlone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "cache.entry")
	assert.NilError(t, os.WriteFile(p, []byte("old"), 0o644))
	f, err := Create(p, 0o644)
	assert.NilError(t, err)
	_, err = f.WriteString("half of the new cont")
	assert.NilError(t, err)
	f.Abort()
	f.Abort() // twice is harmless
	got, err := os.ReadFile(p)
	assert.NilError(t, err)
	assert.Equal(t, string(got), "old")
	assert.Check(t, is.DeepEqual(entries(t, dir), []string{"cache.entry"}))
	assert.ErrorContains(t, f.Commit(), "already committed or aborted")
}

func TestCommitOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "a.whl")
	f, err := Create(p, 0o444)
	assert.NilError(t, err)
	f.NoSync = true
	_, err = f.WriteString("wheel")
	assert.NilError(t, err)
	assert.NilError(t, f.Commit())
	f.Abort() // after Commit: must not remove the committed file
	got, err := os.ReadFile(p)
	assert.NilError(t, err)
	assert.Equal(t, string(got), "wheel")
	assert.ErrorContains(t, f.Commit(), "write "+p+": already committed or aborted")
	assert.Check(t, is.DeepEqual(entries(t, dir), []string{"a.whl"}))
}

// TestReadersSeeOldOrNew replaces a file over and over while readers read
// it: every read must be one whole version. A plain os.WriteFile fails this
// (readers see it truncated or half written).
func TestReadersSeeOldOrNew(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "lock")
	a, b := bytes.Repeat([]byte("a"), 64<<10), bytes.Repeat([]byte("b"), 16<<10)
	assert.NilError(t, Write(p, a, 0o644))
	done := make(chan struct{})
	var wg sync.WaitGroup
	bad := make(chan string, 4)
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				got, err := os.ReadFile(p)
				if err != nil || (!bytes.Equal(got, a) && !bytes.Equal(got, b)) {
					bad <- fmt.Sprintf("a reader got %d bytes, err %v: neither whole version", len(got), err)
					return
				}
			}
		})
	}
	for i := range 200 {
		data := a
		if i%2 == 0 {
			data = b
		}
		f, err := Create(p, 0o644)
		assert.NilError(t, err)
		f.NoSync = true // the property holds without fsync; keeps the test fast
		_, err = f.Write(data)
		assert.NilError(t, err)
		assert.NilError(t, f.Commit())
	}
	close(done)
	wg.Wait()
	close(bad)
	for msg := range bad {
		t.Error(msg)
	}
}
