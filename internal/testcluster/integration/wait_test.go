package integration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/pydeploy/pydeploy/internal/testcluster"
	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/status"
)

// deadline is the Timeout of every wait that is expected to end early:
// failures must be reported long before it, and before the Deployment's
// own progressDeadlineSeconds (600s).
const deadline = 2 * time.Minute

// early is how soon a doomed rollout must be reported.
const early = 20 * time.Second

// recorder keeps the events of a wait and runs an action once, on the
// first event that matches.
type recorder struct {
	mu     sync.Mutex
	events []rollout.Event
	on     func(rollout.Event) bool
	action func()
	once   sync.Once
	done   chan struct{}
}

func newRecorder(on func(rollout.Event) bool, action func()) *recorder {
	return &recorder{on: on, action: action, done: make(chan struct{})}
}

func (r *recorder) progress(e rollout.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	if r.on != nil && r.on(e) {
		// Progress runs on the waiting goroutine; act beside it.
		r.once.Do(func() {
			go func() {
				defer close(r.done)
				r.action()
			}()
		})
	}
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = e.String()
	}
	return out
}

func TestWaitHappyPath(t *testing.T) {
	t.Parallel()
	c, ns := cluster(t)
	objs := apply(t, c.Config(), deployment(ns, "payments-api", "example.com/payments:1", 3))
	assert.Check(t, objs[0].GetGeneration() >= 1)

	rec := newRecorder(nil, nil)
	rep, err := waiter(t, c.Config(), rollout.Options{Timeout: deadline, Progress: rec.progress}).
		Wait(testCtx(t), objs)
	assert.NilError(t, err)
	t.Log(strings.Join(rec.lines(), "\n"))
	assert.Equal(t, rep.Objects[0].State, status.Current)
	assert.Equal(t, rep.Objects[0].Message, `deployment "payments-api" successfully rolled out`)
	last := rec.lines()
	assert.Check(t, is.Contains(last[len(last)-1], "all 1 object is ready"))

	d, err := c.Client().AppsV1().Deployments(ns).Get(context.Background(), "payments-api", metav1.GetOptions{})
	assert.NilError(t, err)
	assert.Equal(t, d.Status.AvailableReplicas, int32(3))
	noLeaks(t)
}

func TestWaitProgressDeadlineExceeded(t *testing.T) {
	t.Parallel()
	c, ns := cluster(t)
	d := deployment(ns, "payments-api", "example.com/payments:readinessfail", 1)
	d.Spec.ProgressDeadlineSeconds = ptr.To[int32](1)
	objs := apply(t, c.Config(), d)
	// A long readiness grace leaves the verdict to the controller.
	_, err := waiter(t, c.Config(), rollout.Options{Timeout: deadline, Tolerance: status.Tolerance{ReadinessGrace: time.Hour}}).
		Wait(testCtx(t), objs)
	var pd *rollout.ProgressDeadlineError
	assert.Assert(t, errors.As(err, &pd), "got %v", err)
	assert.Check(t, is.Contains(err.Error(), `deployment "payments-api" exceeded its progress deadline`))
	assert.Check(t, pd.Elapsed < early)
	noLeaks(t)
}

// TestWaitIgnoresOldReplicaSet rolls out a good image over a crash-looping
// one: the old ReplicaSet's pods keep failing while the new ones come up,
// and must not fail the wait.
func TestWaitIgnoresOldReplicaSet(t *testing.T) {
	t.Parallel()
	c, ns := cluster(t)
	w := waiter(t, c.Config(), rollout.Options{Timeout: deadline})
	objs := apply(t, c.Config(), deployment(ns, "payments-api", "example.com/payments:crashloop", 3))
	_, err := w.Wait(testCtx(t), objs)
	assert.Equal(t, rollout.ClassOf(err), rollout.PodFailure, "got %v", err)
	assert.Equal(t, rollout.Problems(err)[0].Pods[0].Reason, status.PodCrashLooping)

	rec := newRecorder(nil, nil)
	objs = apply(t, c.Config(), deployment(ns, "payments-api", "example.com/payments:slow", 3))
	_, err = waiter(t, c.Config(), rollout.Options{Timeout: deadline, Progress: rec.progress}).Wait(testCtx(t), objs)
	assert.NilError(t, err)
	t.Log(strings.Join(rec.lines(), "\n"))
	assert.Check(t, is.Contains(strings.Join(rec.lines(), "\n"), "old replicas are pending termination"))
	noLeaks(t)
}

// A quota that can never fit the Deployment (1 pod for 3 replicas) is a
// failure, with the controller's FailedCreate as evidence.
func TestWaitReplicaFailureQuota(t *testing.T) {
	t.Parallel()
	c, ns := cluster(t)
	quota := &corev1.ResourceQuota{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ResourceQuota"},
		ObjectMeta: metav1.ObjectMeta{Name: "pods", Namespace: ns},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1")}},
	}
	applyQuota(t, c, quota)
	objs := apply(t, c.Config(), deployment(ns, "payments-api", "example.com/payments:1", 3))
	// The quota admits one pod of three and nothing will free it: after the
	// grace with no progress, the ReplicaFailure stands.
	opts := rollout.Options{Timeout: deadline, Tolerance: status.Tolerance{ReplicaFailureGrace: 2 * time.Second}}
	_, err := waiter(t, c.Config(), opts).Wait(testCtx(t), objs)
	var fe *rollout.FailedError
	assert.Assert(t, errors.As(err, &fe), "got %v", err)
	assert.Equal(t, rollout.ClassOf(err), rollout.PodFailure)
	assert.Equal(t, fe.Reason, status.ReplicaFailure)
	assert.Check(t, is.Contains(err.Error(), "FailedCreate"))
	assert.Check(t, is.Contains(err.Error(), "quota"))
	t.Logf("verdict after %s", fe.Elapsed)
	noLeaks(t)
}

func TestWaitPaused(t *testing.T) {
	t.Parallel()
	paused := func(ns string) *appsv1.Deployment {
		d := deployment(ns, "payments-api", "example.com/payments:1", 2)
		d.Spec.Paused = true
		return d
	}
	t.Run("fail", func(t *testing.T) {
		t.Parallel()
		c, ns := cluster(t)
		objs := apply(t, c.Config(), paused(ns))
		_, err := waiter(t, c.Config(), rollout.Options{Timeout: deadline}).Wait(testCtx(t), objs)
		var pe *rollout.PausedError
		assert.Assert(t, errors.As(err, &pe), "got %v", err)
		assert.Check(t, is.Contains(err.Error(), "kubectl rollout resume deployment/payments-api"))
		noLeaks(t)
	})
	t.Run("ready", func(t *testing.T) {
		t.Parallel()
		c, ns := cluster(t)
		objs := apply(t, c.Config(), paused(ns))
		rep, err := waiter(t, c.Config(), rollout.Options{Timeout: deadline, Paused: status.PausedReady}).Wait(testCtx(t), objs)
		assert.NilError(t, err)
		assert.Equal(t, rep.Objects[0].Reason, status.Paused)
		noLeaks(t)
	})
	t.Run("wait", func(t *testing.T) {
		t.Parallel()
		c, ns := cluster(t)
		objs := apply(t, c.Config(), paused(ns))
		rec := newRecorder(isPaused, func() { resume(t, c.Client(), ns, "payments-api") })
		rep, err := waiter(t, c.Config(), rollout.Options{Timeout: deadline, Paused: status.PausedWait, Progress: rec.progress}).
			Wait(testCtx(t), objs)
		assert.NilError(t, err)
		<-rec.done
		assert.Equal(t, rep.Objects[0].Reason, status.Ready)
		noLeaks(t)
	})
}

func isPaused(e rollout.Event) bool { return e.Reason == status.Paused }

func resume(t *testing.T, client kubernetes.Interface, ns, name string) {
	patch := []byte(`{"spec":{"paused":false}}`)
	if _, err := client.AppsV1().Deployments(ns).Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Errorf("resuming deployment %s/%s: %v", ns, name, err)
	}
}

// TestWaitSurvivesAPIServerRestart restarts kube-apiserver in the middle of
// a wait, before the rollout can proceed: every transition Wait reports
// happens after the restart, through reconnected watches.
func TestWaitSurvivesAPIServerRestart(t *testing.T) {
	// Not parallel: the restart cuts every other test's connections too.
	c, ns := cluster(t)
	d := deployment(ns, "payments-api", "example.com/payments:1", 3)
	d.Spec.Paused = true
	objs := apply(t, c.Config(), d)
	var restartErr error
	rec := newRecorder(isPaused, func() {
		restartErr = c.RestartAPIServer(context.Background())
		resume(t, c.Client(), ns, "payments-api")
	})
	rep, err := waiter(t, c.Config(), rollout.Options{Timeout: deadline, Paused: status.PausedWait, Progress: rec.progress}).
		Wait(testCtx(t), objs)
	<-rec.done
	assert.NilError(t, restartErr)
	assert.NilError(t, err)
	assert.Equal(t, rep.Objects[0].State, status.Current)
	t.Log(strings.Join(rec.lines(), "\n"))
	noLeaks(t)
	recovers(t, c)
}

// TestWaitSurvivesExpiredWatches expires every watch (410 Gone on resume)
// in the middle of a wait; the informers relist and the wait goes on.
func TestWaitSurvivesExpiredWatches(t *testing.T) {
	c, ns := cluster(t)
	d := deployment(ns, "payments-api", "example.com/payments:1", 3)
	d.Spec.Paused = true
	objs := apply(t, c.Config(), d)
	var cut int
	var expireErr error
	rec := newRecorder(isPaused, func() {
		cut, expireErr = c.ExpireWatches(context.Background())
		resume(t, c.Client(), ns, "payments-api")
	})
	rep, err := waiter(t, c.Config(), rollout.Options{Timeout: deadline, Paused: status.PausedWait, Progress: rec.progress}).
		Wait(testCtx(t), objs)
	<-rec.done
	assert.NilError(t, expireErr)
	assert.Check(t, cut >= 3, "only %d watches were cut", cut)
	assert.NilError(t, err)
	t.Log(strings.Join(rec.lines(), "\n"))
	assert.Equal(t, rep.Objects[0].State, status.Current)
	noLeaks(t)
	recovers(t, c)
}

// recovers waits until a new pod is scheduled and ready again, after a
// test cut every watch: kube-scheduler's and the kubelets' informers back
// off before they watch again (client-go: 0.8s doubling to 30s), as on a
// real cluster, and the scenario tests that follow time their verdicts.
func recovers(t *testing.T, c *testcluster.Cluster) {
	t.Helper()
	ns := c.NewNamespace(t)
	start := time.Now()
	objs := apply(t, c.Config(), deployment(ns, "probe", "example.com/probe:1", 1))
	_, err := waiter(t, c.Config(), rollout.Options{Timeout: 2 * time.Minute}).Wait(testCtx(t), objs)
	assert.NilError(t, err)
	t.Logf("kube-scheduler and the nodes recovered in %s", time.Since(start).Round(100*time.Millisecond))
}

// TestWaitSuperseded changes the pod template while our rollout is under
// way: the wait reports that a newer revision replaced ours.
func TestWaitSuperseded(t *testing.T) {
	t.Parallel()
	c, ns := cluster(t)
	objs := apply(t, c.Config(), deployment(ns, "payments-api", "example.com/payments:slow", 2))
	rec := newRecorder(func(e rollout.Event) bool {
		return e.Reason == status.LessUpdated || e.Reason == status.LessAvailable
	}, func() {
		apply(t, c.Config(), deployment(ns, "payments-api", "example.com/payments:2-slow", 2))
	})
	_, err := waiter(t, c.Config(), rollout.Options{Timeout: deadline, Progress: rec.progress}).Wait(testCtx(t), objs)
	<-rec.done
	var se *rollout.SupersededError
	assert.Assert(t, errors.As(err, &se), "got %v", err)
	assert.Check(t, is.Contains(err.Error(), `deployment "payments-api" was superseded by a newer rollout`))
	assert.Check(t, is.Contains(err.Error(), "replaced our revision 1"))
	noLeaks(t)
}

func TestWaitJob(t *testing.T) {
	t.Parallel()
	// The real Job controller runs: kubelet ends a Job's pod Succeeded
	// (its container exits 0) or Failed (a "crashloop" image exits 1 under
	// restartPolicy Never), and the controller writes the Job's conditions.
	for _, tc := range []struct {
		name, image string
		failed      bool
	}{
		{name: "complete", image: "example.com/migrate:1"},
		{name: "failed", image: "example.com/migrate:crashloop", failed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, ns := cluster(t)
			objs := apply(t, c.Config(), job(ns, "migrate", tc.image))
			rep, err := waiter(t, c.Config(), rollout.Options{Timeout: deadline}).Wait(testCtx(t), objs)
			if tc.failed {
				var fe *rollout.FailedError
				assert.Assert(t, errors.As(err, &fe), "got %v", err)
				assert.Equal(t, fe.Reason, status.JobFailed)
				assert.Check(t, is.Contains(err.Error(), `job "migrate" failed: BackoffLimitExceeded`))
			} else {
				assert.NilError(t, err)
				assert.Equal(t, rep.Objects[0].Reason, status.JobComplete)
			}
			noLeaks(t)
		})
	}
}

func TestWaitServiceEndpoints(t *testing.T) {
	t.Parallel()
	c, ns := cluster(t)
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: "payments-api", Namespace: ns},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app.kubernetes.io/name": "payments-api"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80}},
		},
	}
	// The Service first has no endpoint; the real EndpointSlice controller
	// adds the Deployment's pods as they become ready.
	objs := apply(t, c.Config(), svc)
	rec := newRecorder(func(e rollout.Event) bool { return e.Reason == status.NoReadyEndpoints },
		func() { apply(t, c.Config(), deployment(ns, "payments-api", "example.com/payments:1", 2)) })
	rep, err := waiter(t, c.Config(), rollout.Options{Timeout: deadline, Progress: rec.progress}).Wait(testCtx(t), objs)
	<-rec.done
	assert.NilError(t, err)
	assert.Equal(t, rep.Objects[0].State, status.Current)
	noLeaks(t)
}

func TestWaitTimeoutAndCancel(t *testing.T) {
	t.Parallel()
	c, ns := cluster(t)
	objs := apply(t, c.Config(), deployment(ns, "payments-api", "example.com/payments:readinessfail", 1))
	slow := status.Tolerance{ReadinessGrace: time.Hour}

	_, err := waiter(t, c.Config(), rollout.Options{Timeout: 2 * time.Second, Tolerance: slow}).Wait(testCtx(t), objs)
	var te *rollout.TimeoutError
	assert.Assert(t, errors.As(err, &te), "got %v", err)
	assert.Equal(t, len(te.Pending), 1)
	// Within 2s the controller may not even have created the pod, or (on
	// a loaded machine) observed the Deployment's generation.
	assert.Check(t, is.Contains(err.Error(), `deployment "payments-api": Waiting for deployment `))
	noLeaks(t)

	ctx, cancel := context.WithCancel(testCtx(t))
	rec := newRecorder(func(e rollout.Event) bool { return e.Type == rollout.Progress }, cancel)
	_, err = waiter(t, c.Config(), rollout.Options{Tolerance: slow, Progress: rec.progress}).Wait(ctx, objs)
	<-rec.done
	var ce *rollout.CanceledError
	assert.Assert(t, errors.As(err, &ce), "got %v", err)
	assert.Check(t, errors.Is(err, context.Canceled))
	noLeaks(t)
}

// TestWait200 waits for 200 Deployments at once: one watch per kind, so the
// API requests do not grow with the number of objects.
func TestWait200(t *testing.T) {
	t.Parallel()
	c, ns := cluster(t)
	objs := applyMany(t, c, ns, 200)
	var n counter
	rep, err := waiter(t, n.wrap(c.Config()), rollout.Options{Timeout: 5 * time.Minute}).Wait(testCtx(t), objs)
	assert.NilError(t, err)
	assert.Equal(t, len(rep.Objects), 200)
	t.Logf("200 deployments ready after %s with %d API requests", rep.Elapsed, n.n.Load())
	// discovery (a handful) + a list and a watch for each of 4 kinds.
	assert.Check(t, n.n.Load() < 40, "%d requests", n.n.Load())
	noLeaks(t)
}

func applyMany(t testing.TB, c *testcluster.Cluster, ns string, n int) []*unstructured.Unstructured {
	t.Helper()
	objs := make([]runtime.Object, n)
	for i := range objs {
		objs[i] = bare(deployment(ns, fmt.Sprintf("svc-%03d", i), "example.com/svc:1", 1))
	}
	return apply(t, c.Config(), objs...)
}
