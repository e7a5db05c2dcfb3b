package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/rollouttest"
	"github.com/pydeploy/pydeploy/rollout/status"
)

// Wait for a Deployment while the cluster (here a script on a fake clock)
// rolls it out; the progress lines are what a CI log shows.
func ExampleWaiter_Wait() {
	script := rollouttest.New().
		At(0, dep{gen: 2, observed: 1, rev: "1", spec: 3, replicas: 3, updated: 3, available: 3}.yaml()).
		At(2*time.Second, dep{gen: 2, observed: 2, rev: "2", spec: 3, replicas: 4, updated: 1, available: 3}.yaml()).
		At(9*time.Second, dep{gen: 2, observed: 2, rev: "2", spec: 3, replicas: 3, updated: 3, available: 1}.yaml()).
		At(12*time.Second, dep{gen: 2, observed: 2, rev: "2", spec: 3, replicas: 3, updated: 3, available: 3}.yaml())
	w := script.Waiter(rollout.Options{
		Timeout:  5 * time.Minute,
		Progress: func(e rollout.Event) { fmt.Println(e) },
	})
	objs, _ := rollouttest.Parse(applied("web", 2))
	rep, err := w.Wait(context.Background(), objs)
	fmt.Println(err, rep.Elapsed)
	// Output:
	// Waiting for generation 2 of deployment "web" to be observed (observed generation 1) (0s)
	// deployment "web": 1 out of 3 new replicas have been updated (2s)
	// deployment "web": 1 of 3 updated replicas are available (9s)
	// deployment "web" successfully rolled out (12s)
	// all 1 object is ready (12s)
	// <nil> 12s
}

// Branch on why a wait failed.
func ExampleFailedError() {
	script := rollouttest.New().
		At(0, dep{gen: 2, observed: 2, rev: "2", spec: 3, replicas: 4, updated: 1, available: 3}.yaml(),
			rs("6f7b", "1", "web:1", 0), rs("7d9c", "2", "web:2", 1),
			pod("web-7d9c-x1", "7d9c", unschedulable(0)))
	objs, _ := rollouttest.Parse(applied("web", 2))
	_, err := script.Waiter(rollout.Options{}).Wait(context.Background(), objs)

	if failed, ok := errors.AsType[*rollout.FailedError](err); ok {
		fmt.Println(failed.Reason, "after", failed.Elapsed)
		fmt.Print(failed.Details())
	}
	// The scheduler's condition is timed in whole seconds, so the 15 s
	// grace counts from the end of that second.
	// Output:
	// Unschedulable after 16s
	// deployment "web" cannot become ready: pod web-7d9c-x1 cannot be scheduled (Unschedulable): 0/1 nodes are available: 1 Insufficient cpu.
	// pod web-7d9c-x1 cannot be scheduled (Unschedulable): 0/1 nodes are available: 1 Insufficient cpu.
}

// Read the events from a channel instead of a callback.
func ExampleWaiter_Watch() {
	script := rollouttest.New().
		At(0, dep{gen: 2, observed: 2, rev: "2", spec: 1, replicas: 1, updated: 1, available: 0}.yaml()).
		At(3*time.Second, dep{gen: 2, observed: 2, rev: "2", spec: 1, replicas: 1, updated: 1, available: 1}.yaml())
	objs, _ := rollouttest.Parse(applied("web", 2))
	for e := range script.Waiter(rollout.Options{}).Watch(context.Background(), objs) {
		fmt.Printf("%-8s %d/%d %s\n", e.Type, e.Done, e.Total, e)
	}
	// Output:
	// Progress 0/1 deployment "web": 0 of 1 updated replicas are available (0s)
	// Ready    1/1 deployment "web" successfully rolled out (3s)
	// Finished 1/1 all 1 object is ready (3s)
}

// The paused policy decides what a paused Deployment means.
func ExampleOptions_paused() {
	script := rollouttest.New().
		At(0, dep{gen: 2, observed: 2, rev: "1", spec: 3, replicas: 3, updated: 0, available: 3, paused: true}.yaml())
	objs, _ := rollouttest.Parse(applied("web", 2))
	for _, p := range []status.PausedPolicy{status.PausedFail, status.PausedReady} {
		_, err := script.Waiter(rollout.Options{Paused: p}).Wait(context.Background(), objs)
		fmt.Println(err)
	}
	// Output:
	// deployment "web" is paused and its rollout cannot finish; resume it with `kubectl rollout resume deployment/web`
	// <nil>
}
