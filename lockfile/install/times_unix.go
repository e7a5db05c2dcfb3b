//go:build unix

package install

import (
	"time"

	"golang.org/x/sys/unix"
)

// setTimes sets the access and modification times of p, of the link
// itself for a symbolic link.
func setTimes(p string, t time.Time) error {
	ts := unix.NsecToTimespec(t.UnixNano())
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW)
}
