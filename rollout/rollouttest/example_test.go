package rollouttest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/rollouttest"
	"github.com/pydeploy/pydeploy/rollout/status"
)

// deploy is the CI helper under test: it waits for the rollout and, when a
// container of the new revision crash-loops, says so and shows its log.
func deploy(ctx context.Context, w *rollout.Waiter, applied []*unstructured.Unstructured) (string, error) {
	_, err := w.Wait(ctx, applied)
	if rollout.ClassOf(err) != rollout.PodFailure {
		return "", err
	}
	pf := rollout.Problems(err)[0].Pods[0]
	if pf.Reason == status.PodCrashLooping {
		return fmt.Sprintf("rollback needed: %s crashed %d times; last log line: %q",
			pf.Container, pf.RestartCount+1, pf.Logs[len(pf.Logs)-1]), err
	}
	return "", err
}

// applied is the Deployment as Apply returned it: generation 2 is our write.
const applied = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: payments-api, namespace: shop, generation: 2, uid: d-1}
`

// Unit-test a CI helper's reaction to a crash loop, without a cluster: the
// script plays the controller's and kubelet's part on a fake clock.
func Example() {
	script := rollouttest.New().
		At(0, deployment(1, 3, 3, 3, "1")).
		At(2*time.Second, deployment(2, 4, 1, 3, "2"), replicaSet("payments-api-6f7b", "1", 3), replicaSet("payments-api-7d9c", "2", 1),
			crashingPod("payments-api-7d9c-abcde", "payments-api-7d9c", 1, "10s", "00:00:04")).
		At(15*time.Second, crashingPod("payments-api-7d9c-abcde", "payments-api-7d9c", 2, "20s", "00:00:15")).
		Logs("shop", "payments-api-7d9c-abcde", "app", "booting", "KeyError: 'DATABASE_URL'")

	w := script.Waiter(rollout.Options{
		Timeout:  10 * time.Minute,
		LogLines: 5,
		Progress: func(e rollout.Event) { fmt.Println(e) },
	})
	objs, err := rollouttest.Parse(applied)
	if err != nil {
		fmt.Println(err)
		return
	}
	verdict, err := deploy(context.Background(), w, objs)
	fmt.Println(verdict)
	var failed *rollout.FailedError
	fmt.Println(errors.As(err, &failed), failed.Reason, failed.Elapsed)
	// Output:
	// Waiting for generation 2 of deployment "payments-api" to be observed (observed generation 1) (0s)
	// deployment "payments-api": 1 out of 3 new replicas have been updated (2s)
	// deployment "payments-api" cannot become ready: pod payments-api-7d9c-abcde container "app" is crash-looping (CrashLoopBackOff, 2 restarts; last exit code 1 at 2026-01-01T00:00:15Z): back-off 20s restarting failed container=app pod=payments-api-7d9c-abcde (15s)
	// wait failed: deployment "payments-api" cannot become ready: pod payments-api-7d9c-abcde container "app" is crash-looping (CrashLoopBackOff, 2 restarts; last exit code 1 at 2026-01-01T00:00:15Z): back-off 20s restarting failed container=app pod=payments-api-7d9c-abcde (15s)
	// rollback needed: app crashed 3 times; last log line: "KeyError: 'DATABASE_URL'"
	// true PodCrashLooping 15s
}

func deployment(observed, replicas, updated, available int, revision string) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments-api
  namespace: shop
  uid: d-1
  generation: 2
  annotations: {deployment.kubernetes.io/revision: "%s"}
spec:
  replicas: 3
  selector: {matchLabels: {app: payments-api}}
  template:
    metadata: {labels: {app: payments-api}}
    spec: {containers: [{name: app, image: "payments:%s"}]}
status:
  observedGeneration: %d
  replicas: %d
  updatedReplicas: %d
  availableReplicas: %d
`, revision, revision, observed, replicas, updated, available)
}

func replicaSet(name, revision string, replicas int) string {
	hash := name[len("payments-api-"):]
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: %s
  namespace: shop
  uid: rs-%s
  creationTimestamp: "2026-01-01T00:00:0%sZ"
  labels: {app: payments-api, pod-template-hash: %s}
  annotations: {deployment.kubernetes.io/revision: "%s"}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: payments-api, uid: d-1, controller: true}]
spec:
  replicas: %d
  selector: {matchLabels: {app: payments-api, pod-template-hash: %s}}
  template:
    metadata: {labels: {app: payments-api, pod-template-hash: %s}}
    spec: {containers: [{name: app, image: "payments:%s"}]}
`, name, hash, revision, hash, revision, replicas, hash, hash, revision)
}

// crashingPod is a pod whose container waits in back-off after exiting
// restarts+1 times, the last at finished: kubelet's account of it.
func crashingPod(name, rs string, restarts int, backoff, finished string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: shop
  uid: pod-%s
  labels: {app: payments-api, pod-template-hash: %s}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: %s, uid: rs-%s, controller: true}]
spec: {containers: [{name: app, image: "payments:2"}]}
status:
  phase: Running
  startTime: "2026-01-01T00:00:02Z"
  containerStatuses:
  - name: app
    image: "payments:2"
    imageID: ""
    ready: false
    restartCount: %d
    state: {waiting: {reason: CrashLoopBackOff, message: "back-off %s restarting failed container=app pod=%s"}}
    lastState: {terminated: {exitCode: 1, reason: Error, finishedAt: "2026-01-01T%s"}}
`, name, name, rs[len("payments-api-"):], rs, rs[len("payments-api-"):], restarts, backoff, name, finished+"Z")
}
