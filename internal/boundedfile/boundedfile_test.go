package boundedfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"gotest.tools/v3/assert"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	assert.NilError(t, os.WriteFile(small, []byte("abc"), 0o644))
	data, err := ReadFile(small, 3, "a test file")
	assert.NilError(t, err)
	assert.Equal(t, string(data), "abc")

	_, err = ReadFile(small, 2, "a test file")
	assert.Error(t, err, small+": the file is 3 bytes, more than the 2 a test file may have")
	tl, ok := errors.AsType[*TooLargeError](err)
	assert.Assert(t, ok)
	assert.Equal(t, tl.Size, int64(3))

	_, err = ReadFile(dir, 10, "a test file")
	assert.Error(t, err, dir+": not a regular file (a directory)")

	_, err = ReadFile(filepath.Join(dir, "absent"), 10, "")
	assert.Assert(t, errors.Is(err, os.ErrNotExist))
}

// TestReadFileFIFO: a named pipe, with no writer and with a writer that
// never closes it, is refused at once instead of blocking the reader.
func TestReadFileFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := ReadFile(fifo, 10, "a test file")
	assert.Error(t, err, fifo+": not a regular file (a named pipe)")

	// A writer that holds the pipe open and has written part of a file.
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	assert.NilError(t, err)
	defer r.Close()
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	assert.NilError(t, err)
	defer w.Close()
	_, err = w.WriteString("name = 'x'\n")
	assert.NilError(t, err)
	_, err = ReadFile(fifo, 10, "a test file")
	_, ok := errors.AsType[*NotRegularError](err)
	assert.Assert(t, ok, "got %v", err)
}

func TestReadFileDevice(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := ReadFile("/dev/zero", 10, "a test file")
	assert.Error(t, err, "/dev/zero: not a regular file (a character device)")
}
