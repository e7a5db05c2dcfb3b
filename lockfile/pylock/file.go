package pylock

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/pydeploy/pydeploy/internal/atomicfile"
	"github.com/pydeploy/pydeploy/internal/boundedfile"
)

// DefaultFileName is the name of an unnamed lock file.
const DefaultFileName = "pylock.toml"

var fileNameRE = regexp.MustCompile(`^pylock\.([^.]+)\.toml$`)

// FileName returns the lock file name for a service: "pylock.toml" for ""
// and "pylock.<service>.toml" otherwise. It does not check service; use
// ParseFileName on the result to do so.
func FileName(service string) string {
	if service == "" {
		return DefaultFileName
	}
	return "pylock." + service + ".toml"
}

// ParseFileName checks a lock file name (the last path element only) and
// returns its service name: "" for "pylock.toml", "web" for
// "pylock.web.toml". Any other name is an error.
func ParseFileName(name string) (service string, err error) {
	if name == DefaultFileName {
		return "", nil
	}
	if m := fileNameRE.FindStringSubmatch(name); m != nil {
		return m[1], nil
	}
	return "", fmt.Errorf("invalid lock file name %q: expected pylock.toml or pylock.<name>.toml with no dot in <name>", name)
}

// Hash returns "sha256:<hex>" of data: the content hash of a lock file that
// manifest.Stamp records, so a pod template changes when its lock does.
// Hash the bytes Marshal returns (or the file as written).
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ReadFile reads and validates a lock file; errors name the file. A file of
// more than MaxFileSize bytes is refused without reading past the limit,
// and anything but a regular file (a named pipe, a device) without
// blocking on it.
func ReadFile(path string) (*Lock, error) {
	data, err := boundedfile.ReadFile(path, MaxFileSize, "a lock file")
	if err != nil {
		return nil, err
	}
	l, err := Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// WriteFile marshals l and writes it to path atomically: a temporary file in
// the same directory is written, synced and renamed over path, so readers see
// either the old lock or the complete new one. On any error nothing is left
// behind and an existing file at path is untouched. The base name of path
// must be a valid lock file name (see ParseFileName).
func WriteFile(path string, l *Lock) error {
	if _, err := ParseFileName(filepath.Base(path)); err != nil {
		return err
	}
	data, err := Marshal(l)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o644)
}
