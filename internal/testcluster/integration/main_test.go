// Package integration runs rollout.Wait (and manifest.Apply) against the
// in-process control plane of package testcluster.
package integration

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

// TestMain shares one control plane between the tests and, once it has
// stopped, checks that nothing at all was left running: no informer, watch
// or connection of any Wait.
func TestMain(m *testing.M) {
	code := testcluster.Main(m, testcluster.Options{})
	if code == 0 {
		if err := findLeaks(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left after the control plane stopped: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// leakOptions name what kube-apiserver leaves behind by design, not
// anything of a Wait (each test checks those precisely, by pprof label):
//   - healthz' log checker starts a process-wide klog flush loop with
//     wait.Forever on the first health check;
//   - a consistent read from the watch cache (what informers send) starts
//     a timer goroutine that ends after its 3s block timeout, so findLeaks
//     keeps looking for longer than that.
func findLeaks() error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := goleak.Find(goleak.IgnoreAnyFunction("k8s.io/apimachinery/pkg/util/wait.Forever"))
		if err == nil || time.Now().After(deadline) {
			return err
		}
	}
}
