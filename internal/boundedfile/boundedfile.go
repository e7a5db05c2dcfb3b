package boundedfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// NotRegularError is returned by Open and ReadFile for a path that is not a
// regular file.
type NotRegularError struct {
	// Path is the file as given.
	Path string
	// Mode is the file's type bits (fs.ModeNamedPipe, fs.ModeDevice, …).
	Mode fs.FileMode
}

// Error names the file and what it is instead of a regular file, e.g.
// "pyproject.toml: not a regular file (a named pipe)".
func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s: not a regular file (%s)", e.Path, describe(e.Mode))
}

func describe(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	default:
		return "mode " + m.Type().String()
	}
}

// TooLargeError is returned by ReadFile for a file of more than Limit bytes.
type TooLargeError struct {
	// Path is the file as given.
	Path string
	// Limit is the most bytes the reader accepts.
	Limit int64
	// Size is the size found: the file's size when it was opened, or
	// Limit+1 when the file grew past the limit while it was read.
	Size int64
	// Grew reports a file that was within the limit when opened and grew
	// past it while it was read: Size is then a lower bound.
	Grew bool
	// What names the kind of file in the message ("a pyproject.toml").
	What string
}

// Error names the file, its size and the limit, e.g. "pyproject.toml: the
// file is 2097152 bytes, more than the 1048576 a pyproject.toml may have"
// ("at least 1048577 bytes" when the file grew while it was read).
func (e *TooLargeError) Error() string {
	what := e.What
	if what == "" {
		what = "this reader accepts"
	} else {
		what += " may have"
	}
	size := fmt.Sprintf("%d bytes", e.Size)
	if e.Grew {
		size = "at least " + size
	}
	return fmt.Sprintf("%s: the file is %s, more than the %d %s", e.Path, size, e.Limit, what)
}

// Open opens path for reading if it is a regular file (following
// symbolic links). The file is opened non-blocking, so a named pipe with
// no writer does not block the open; anything but a regular file is closed
// again and refused with a *NotRegularError.
func Open(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{Path: path, Mode: st.Mode().Type()}
	}
	return f, st, nil
}

// ReadFile reads the regular file at path, refusing one of more than limit
// bytes with a *TooLargeError that names it as what ("a pyproject.toml").
// The read itself is bounded: a file that grows past limit while it is
// read is refused too, after limit+1 bytes.
func ReadFile(path string, limit int64, what string) ([]byte, error) {
	f, st, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, &TooLargeError{Path: path, Limit: limit, Size: st.Size(), What: what}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, Limit: limit, Size: limit + 1, Grew: true, What: what}
	}
	return data, nil
}
