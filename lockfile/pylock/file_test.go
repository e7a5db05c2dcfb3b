package pylock

import (
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "pylock.web.toml")
	assert.NilError(t, WriteFile(path, fullLock()))
	data, err := os.ReadFile(path)
	assert.NilError(t, err)
	want, _ := Marshal(fullLock())
	assert.Equal(t, string(data), string(want))
	got, err := ReadFile(path)
	assert.NilError(t, err)
	assert.DeepEqual(t, got, fullLock().sorted())
	assert.DeepEqual(t, dirNames(t, dir), []string{"pylock.web.toml"})

	// An invalid lock leaves the previous file untouched and no temp file.
	bad := fullLock()
	bad.Packages[0].Wheels[0].Hashes = nil
	assert.ErrorContains(t, WriteFile(path, bad), "packages[0].wheels[0].hashes")
	after, err := os.ReadFile(path)
	assert.NilError(t, err)
	assert.Equal(t, string(after), string(data))
	assert.DeepEqual(t, dirNames(t, dir), []string{"pylock.web.toml"})
}

func TestWriteFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	assert.ErrorContains(t, WriteFile(filepath.Join(dir, "lock.toml"), fullLock()), `invalid lock file name "lock.toml"`)
	assert.ErrorContains(t, WriteFile(filepath.Join(dir, "missing", "pylock.toml"), fullLock()), "write ")

	// The rename fails when the target is a non-empty directory: the temp
	// file must be removed.
	target := filepath.Join(dir, "pylock.toml")
	assert.NilError(t, os.MkdirAll(filepath.Join(target, "x"), 0o755))
	err := WriteFile(target, fullLock())
	assert.ErrorContains(t, err, "write "+target)
	assert.DeepEqual(t, dirNames(t, dir), []string{"pylock.toml"})

	_, err = ReadFile(filepath.Join(dir, "nope", "pylock.toml"))
	assert.Assert(t, os.IsNotExist(err))
	bad := filepath.Join(dir, "pylock.bad.toml")
	assert.NilError(t, os.WriteFile(bad, []byte("lock-version = '9'\n"), 0o644))
	_, err = ReadFile(bad)
	assert.ErrorContains(t, err, bad+`: lock-version: pylock version "9" is not supported`)
}
