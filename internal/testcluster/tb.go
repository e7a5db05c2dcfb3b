package testcluster

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// runner is the ktesting.TB that the Kubernetes test server is started
// with, so that the control plane can run outside a test too (the examples'
// embedded default). Logs go to the cluster's log sink; Fatal and FailNow
// end the calling goroutine, which start reports as an error.
type runner struct {
	name string
	logf func(format string, args ...any)

	mu       sync.Mutex
	errs     []string
	cleanups []func()
}

func (r *runner) Attr(key, value string) {}
func (r *runner) Chdir(dir string)       { r.fail("Chdir is not supported by testcluster") }
func (r *runner) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}
func (r *runner) Error(args ...any)                 { r.fail(fmt.Sprint(args...)) }
func (r *runner) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }
func (r *runner) Fail()                             { r.fail("failed") }
func (r *runner) FailNow()                          { r.fail("failed"); runtime.Goexit() }
func (r *runner) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errs) > 0
}
func (r *runner) Fatal(args ...any) { r.fail(fmt.Sprint(args...)); runtime.Goexit() }
func (r *runner) Fatalf(format string, args ...any) {
	r.fail(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *runner) Helper()                         {}
func (r *runner) Log(args ...any)                 { r.logf("%s", fmt.Sprint(args...)) }
func (r *runner) Logf(format string, args ...any) { r.logf(format, args...) }
func (r *runner) Name() string                    { return r.name }
func (r *runner) Setenv(key, value string)        { r.fail("Setenv is not supported by testcluster") }
func (r *runner) Skip(args ...any)                { r.fail("skipped: " + fmt.Sprint(args...)); runtime.Goexit() }
func (r *runner) Skipf(format string, args ...any) {
	r.fail("skipped: " + fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *runner) SkipNow()      { r.fail("skipped"); runtime.Goexit() }
func (r *runner) Skipped() bool { return false }

// TempDir returns a new directory removed by cleanup.
func (r *runner) TempDir() string {
	dir, err := os.MkdirTemp("", "testcluster-")
	if err != nil {
		r.Fatalf("create temp dir: %v", err)
	}
	r.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func (r *runner) fail(msg string) {
	r.logf("%s", msg)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, msg)
}

// err returns the failures reported so far, or nil.
func (r *runner) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s", r.name, strings.Join(r.errs, "; "))
}

// cleanup runs the registered cleanups, last first.
func (r *runner) cleanup() {
	r.mu.Lock()
	fs := r.cleanups
	r.cleanups = nil
	r.mu.Unlock()
	for _, f := range slices.Backward(fs) {
		f()
	}
}
