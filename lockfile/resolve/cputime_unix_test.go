//go:build unix

package resolve

import (
	"syscall"
	"time"
)

// processCPU is the user+system CPU time of the test process so far; the
// benchmarks report it per resolve because on a shared machine it is far
// steadier than wall time.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
