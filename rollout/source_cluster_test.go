package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/rollouttest"
)

var (
	deploymentsGVR = appsv1.SchemeGroupVersion.WithResource("deployments")
	replicaSetsGVR = appsv1.SchemeGroupVersion.WithResource("replicasets")
	podsGVR        = corev1.SchemeGroupVersion.WithResource("pods")
	eventsGVR      = corev1.SchemeGroupVersion.WithResource("events")
	slicesGVR      = discoveryv1.SchemeGroupVersion.WithResource("endpointslices")
)

func fakeMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper(nil)
	for _, gvk := range []schema.GroupVersionKind{
		appsv1.SchemeGroupVersion.WithKind("Deployment"), appsv1.SchemeGroupVersion.WithKind("ReplicaSet"),
		corev1.SchemeGroupVersion.WithKind("Pod"), corev1.SchemeGroupVersion.WithKind("Event"),
		discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice"),
	} {
		m.Add(gvk, meta.RESTScopeNamespace)
	}
	m.Add(corev1.SchemeGroupVersion.WithKind("Namespace"), meta.RESTScopeRoot)
	return m
}

func fakeDynamic(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	// An empty scheme keeps the objects unstructured, as the real client does.
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		deploymentsGVR: "DeploymentList", replicaSetsGVR: "ReplicaSetList", podsGVR: "PodList",
		eventsGVR: "EventList", slicesGVR: "EndpointSliceList",
	}, objs...)
}

func unstructuredOf(t testing.TB, doc string) *unstructured.Unstructured {
	t.Helper()
	objs, err := rolloutParse(doc)
	assert.NilError(t, err)
	return objs[0]
}

// TestClusterSource waits through informers on a fake dynamic client: the
// Deployment rolls out while the wait runs, and nothing is left behind
// whichever way the wait ends.
func TestClusterSource(t *testing.T) {
	for _, tc := range []struct {
		name  string
		final string
		opts  rollout.Options
		ctx   func() (context.Context, context.CancelFunc)
		check func(t *testing.T, err error)
	}{
		{
			name:  "succeeds",
			final: rolled.yaml(),
			check: func(t *testing.T, err error) { assert.NilError(t, err) },
		},
		{
			name: "fails",
			final: dep{gen: 2, observed: 2, rev: "2", spec: 3, replicas: 4, updated: 1, available: 3,
				conditions: "  - {type: Progressing, status: \"False\", reason: ProgressDeadlineExceeded}\n"}.yaml(),
			check: func(t *testing.T, err error) {
				var pd *rollout.ProgressDeadlineError
				assert.Assert(t, errors.As(err, &pd), "got %v", err)
			},
		},
		{
			name: "times out",
			opts: rollout.Options{Timeout: 50 * time.Millisecond},
			check: func(t *testing.T, err error) {
				var te *rollout.TimeoutError
				assert.Assert(t, errors.As(err, &te), "got %v", err)
			},
		},
		{
			name: "is cancelled",
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			},
			check: func(t *testing.T, err error) {
				var te *rollout.TimeoutError
				assert.Assert(t, errors.As(err, &te), "got %v", err)
				assert.Check(t, errors.Is(err, context.DeadlineExceeded))
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			dyn := fakeDynamic(unstructuredOf(t, rolling.yaml()))
			ctx, cancel := context.WithCancel(context.Background())
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()
			opts := tc.opts
			updated := false
			opts.Progress = func(e rollout.Event) {
				// Change the cluster once the wait has seen the first state.
				if tc.final != "" && !updated && e.Type == rollout.Progress {
					updated = true
					_, err := dyn.Resource(deploymentsGVR).Namespace("shop").Update(ctx, unstructuredOf(t, tc.final), metav1UpdateOptions)
					assert.NilError(t, err)
				}
			}
			w := rollout.NewWaiter(rollout.NewSource(dyn, kubefake.NewClientset(), fakeMapper()), opts)
			_, err := w.Wait(ctx, []*unstructured.Unstructured{unstructuredOf(t, applied("web", 2))})
			tc.check(t, err)
		})
	}
}

// The kind waited for itself may not be listed: the wait ends at once,
// with the Forbidden class and the resource named.
func TestClusterSourceForbidden(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dyn := fakeDynamic()
	dyn.PrependReactor("list", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "", errors.New("RBAC says no"))
	})
	w := rollout.NewWaiter(rollout.NewSource(dyn, nil, fakeMapper()), rollout.Options{Timeout: time.Minute})
	_, err := w.Wait(context.Background(), []*unstructured.Unstructured{unstructuredOf(t, applied("web", 2))})
	assert.ErrorContains(t, err, `rollout: not allowed to list and watch apps/v1, Kind=Deployment in "shop"`)
	assert.Check(t, apierrors.IsForbidden(err))
	assert.Equal(t, rollout.ClassOf(err), rollout.Forbidden)
	var fe *rollout.ForbiddenError
	assert.Assert(t, errors.As(err, &fe))
	assert.Equal(t, fe.Scope.GVK.Kind, "Deployment")
}

// Pods and Events may not be listed: the wait goes on without them, says
// so with a Warning event, and judges the Deployment by its status.
func TestClusterSourceForbiddenChildrenDegrade(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	done := dep{gen: 2, observed: 2, rev: "2", spec: 2, replicas: 2, updated: 2, available: 2}
	dyn := fakeDynamic(unstructuredOf(t, done.yaml()))
	for _, res := range []string{"pods", "events"} {
		dyn.PrependReactor("list", res, func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: res}, "", errors.New("RBAC says no"))
		})
	}
	var warnings []string
	w := rollout.NewWaiter(rollout.NewSource(dyn, nil, fakeMapper()), rollout.Options{Timeout: time.Minute, Progress: func(e rollout.Event) {
		if e.Type == rollout.Warning {
			warnings = append(warnings, e.String())
		}
	}})
	rep, err := w.Wait(context.Background(), []*unstructured.Unstructured{unstructuredOf(t, applied("web", 2))})
	assert.NilError(t, err)
	assert.Equal(t, len(warnings), 2, "%q", warnings)
	assert.Check(t, is.Contains(warnings[0], `not allowed to list and watch /v1, Kind=`))
	assert.Equal(t, len(rep.Warnings), 2)
}

// After the caches filled, a re-watch answered 403 (RBAC revoked mid-wait)
// ends the wait at once, naming the resource, instead of a silent wait.
func TestClusterSourceForbiddenAfterSync(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	rolling := dep{gen: 2, observed: 2, rev: "2", spec: 2, replicas: 2, updated: 1, available: 1}
	dyn := fakeDynamic(unstructuredOf(t, rolling.yaml()))
	var pods atomic.Int32
	var first atomic.Pointer[watch.FakeWatcher]
	dyn.PrependWatchReactor("pods", func(k8stesting.Action) (bool, watch.Interface, error) {
		if pods.Add(1) == 1 {
			w := watch.NewFake()
			first.Store(w)
			return true, w, nil
		}
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("RBAC binding removed"))
	})
	var once bool
	start := time.Now()
	w := rollout.NewWaiter(rollout.NewSource(dyn, nil, fakeMapper()), rollout.Options{Timeout: time.Minute, Progress: func(e rollout.Event) {
		if w := first.Load(); e.Type == rollout.Progress && !once && w != nil {
			once = true
			w.Stop() // the server closes the watch; the reflector re-watches
		}
	}})
	_, err := w.Wait(context.Background(), []*unstructured.Unstructured{unstructuredOf(t, applied("web", 2))})
	assert.Equal(t, rollout.ClassOf(err), rollout.Forbidden, "got %v", err)
	assert.ErrorContains(t, err, `not allowed to list and watch /v1, Kind=Pod in "shop"`)
	assert.ErrorContains(t, err, "RBAC binding removed")
	assert.Check(t, time.Since(start) < 10*time.Second, "took %s", time.Since(start))
}

func TestClusterSourceUnknownKind(t *testing.T) {
	w := rollout.NewWaiter(rollout.NewSource(fakeDynamic(), nil, fakeMapper()), rollout.Options{})
	u := unstructuredOf(t, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\n")
	_, err := w.Wait(context.Background(), []*unstructured.Unstructured{u})
	assert.ErrorContains(t, err, `rollout: cannot list and watch example.com/v1, Kind=Widget in "shop": no matches for kind "Widget"`)
	assert.Equal(t, rollout.ClassOf(err), rollout.APIError)

	u = unstructuredOf(t, applied("web", 2))
	u.SetNamespace("")
	_, err = w.Wait(context.Background(), []*unstructured.Unstructured{u})
	assert.ErrorContains(t, err, "Deployment is namespaced and the object has no metadata.namespace")
	assert.Equal(t, rollout.ClassOf(err), rollout.InvalidInput)
}

// The failing container's log is read through the clientset, from the
// previous (crashed) instance.
func TestClusterSourceLogs(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var objs []runtime.Object
	for _, doc := range []string{rolling.yaml(), rs("aaa", "1", "web:1", 0), rs("bbb", "2", "web:2", 1), pod("web-bbb-1", "bbb", crashLooping(5))} {
		objs = append(objs, unstructuredOf(t, doc))
	}
	cs := kubefake.NewClientset()
	w := rollout.NewWaiter(rollout.NewSource(fakeDynamic(objs...), cs, fakeMapper()), rollout.Options{Timeout: time.Minute, LogLines: 3})
	_, err := w.Wait(context.Background(), []*unstructured.Unstructured{unstructuredOf(t, applied("web", 2))})
	var fe *rollout.FailedError
	assert.Assert(t, errors.As(err, &fe), "got %v", err)
	assert.Assert(t, len(fe.Pods) > 0)
	assert.DeepEqual(t, fe.Pods[0].Logs, []string{"fake logs"})
	var logReads []string
	for _, a := range cs.Actions() {
		if a.GetSubresource() == "log" {
			logReads = append(logReads, fmt.Sprintf("%s %s/%s", a.GetVerb(), a.GetNamespace(), a.GetResource().Resource))
		}
	}
	assert.Check(t, is.Len(logReads, 1))
}

var metav1UpdateOptions = metav1.UpdateOptions{}

func rolloutParse(doc string) ([]*unstructured.Unstructured, error) { return rollouttest.Parse(doc) }
