package testcluster

import (
	"time"

	"go.uber.org/goleak"
)

// VerifyNoLeaks reports the goroutines still running after the control
// plane stopped, ignoring only what kube-apiserver leaves behind by design:
// healthz' process-wide klog flush loop (wait.Forever, started once on the
// first health check). It keeps looking for up to 10 seconds, since a
// consistent read from the watch cache leaves a timer goroutine that ends
// after its 3-second block timeout. Main calls it after the last test.
func VerifyNoLeaks() error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := goleak.Find(goleak.IgnoreAnyFunction("k8s.io/apimachinery/pkg/util/wait.Forever"))
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
