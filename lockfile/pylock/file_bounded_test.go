package pylock

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"gotest.tools/v3/assert"
)

// TestReadFileBounded: ReadFile refuses a file over MaxFileSize from its
// size, without reading it, naming the file, its size and the limit, and a
// named pipe at once instead of blocking on it.
func TestReadFileBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "pylock.toml")
	f, err := os.Create(big)
	assert.NilError(t, err)
	assert.NilError(t, f.Truncate(MaxFileSize+1)) // sparse: no 64 MiB written
	assert.NilError(t, f.Close())
	_, err = ReadFile(big)
	assert.Error(t, err, big+": the file is 67108865 bytes, more than the 67108864 a lock file may have")

	fifo := filepath.Join(dir, "pylock.fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err = ReadFile(fifo)
	assert.Error(t, err, fifo+": not a regular file (a named pipe)")
}
