package testcluster

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apiserver/pkg/storage/storagebackend"
	kubeapiservertesting "k8s.io/kubernetes/cmd/kube-apiserver/app/testing"
	"k8s.io/kubernetes/test/utils/ktesting"
)

// apiServer is one running kube-apiserver and the ktesting.TB it runs under.
type apiServer struct {
	ts *kubeapiservertesting.TestServer
	tb *runner
}

// startAPIServer starts kube-apiserver in-process (the Kubernetes test
// server: its own serving certificates, loopback token and a free port)
// against etcd, and waits until /healthz is ok and
// the default namespace exists.
func startAPIServer(storage *storagebackend.Config, flags []string, logs *logSink) (*apiServer, error) {
	tb := &runner{name: "testcluster-kube-apiserver", logf: func(format string, args ...any) {
		fmt.Fprintf(logs, "kube-apiserver test server: "+format+"\n", args...)
	}}
	type result struct {
		ts  kubeapiservertesting.TestServer
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		returned := false
		defer func() {
			if !returned { // Fatalf ended this goroutine
				r.err = errors.Join(errors.New("kube-apiserver test server gave up"), tb.err())
			}
			ch <- r
		}()
		// The server lives until TearDownFn cancels it, not as long as
		// the caller's context.
		tCtx := ktesting.InitCtx(context.Background(), tb)
		r.ts, r.err = kubeapiservertesting.StartTestServer(tCtx, &kubeapiservertesting.TestServerInstanceOptions{
			DisableInvariantChecks: true,
		}, flags, storage)
		returned = true
	}()
	r := <-ch
	if r.err == nil {
		r.err = tb.err()
	}
	if r.err != nil {
		if r.ts.TearDownFn != nil {
			r.ts.TearDownFn()
		}
		tb.cleanup()
		return nil, fmt.Errorf("start kube-apiserver: %w", r.err)
	}
	return &apiServer{ts: &r.ts, tb: tb}, nil
}

// stop shuts the server down and waits until it has.
func (a *apiServer) stop() error {
	a.ts.TearDownFn()
	a.tb.cleanup()
	return a.tb.err()
}
