//go:build !unix

package install

import (
	"os"
	"time"
)

// setTimes sets the times of p; links keep theirs where the platform
// cannot set them.
func setTimes(p string, t time.Time) error {
	if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil
	}
	return os.Chtimes(p, t, t)
}
