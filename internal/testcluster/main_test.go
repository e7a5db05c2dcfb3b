package testcluster_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

func TestMain(m *testing.M) {
	code := testcluster.Main(m, testcluster.Options{})
	if code == 0 {
		if err := noLeaks(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left after the control plane stopped: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// noLeaks waits up to 10s for the goroutines of the stopped control plane
// to end: some end on their own shortly after Stop (the API server's watch
// cache wakes waiters up to 3s later).
func noLeaks() error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := goleak.Find(leakIgnores()...)
		if err == nil || time.Now().After(deadline) {
			return err
		}
	}
}

// leakIgnores are goroutines that Kubernetes and etcd packages start once
// per process, in package init or on first use, and never stop: they are
// not the harness's.
func leakIgnores() []goleak.Option {
	return []goleak.Option{
		// wait.Forever loops run for the life of the process by design;
		// the API server starts one (its klog flush health check) once.
		goleak.IgnoreAnyFunction("k8s.io/apimachinery/pkg/util/wait.Forever"),
	}
}
