package rollout_test

import (
	"context"
	"errors"
	"fmt"
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
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/rollouttest"
	"github.com/pydeploy/pydeploy/rollout/status"
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

func TestClusterSourceForbidden(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dyn := fakeDynamic()
	dyn.PrependReactor("list", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("RBAC says no"))
	})
	w := rollout.NewWaiter(rollout.NewSource(dyn, nil, fakeMapper()), rollout.Options{Timeout: time.Minute})
	_, err := w.Wait(context.Background(), []*unstructured.Unstructured{unstructuredOf(t, applied("web", 2))})
	assert.ErrorContains(t, err, `rollout: cannot list and watch /v1, Kind=Pod in "shop"`)
	assert.Check(t, apierrors.IsForbidden(err))
}

func TestClusterSourceUnknownKind(t *testing.T) {
	w := rollout.NewWaiter(rollout.NewSource(fakeDynamic(), nil, fakeMapper()), rollout.Options{})
	u := unstructuredOf(t, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\n")
	_, err := w.Wait(context.Background(), []*unstructured.Unstructured{u})
	assert.ErrorContains(t, err, `rollout: cannot watch example.com/v1, Kind=Widget in "shop"`)

	u = unstructuredOf(t, applied("web", 2))
	u.SetNamespace("")
	_, err = w.Wait(context.Background(), []*unstructured.Unstructured{u})
	assert.ErrorContains(t, err, "the kind is namespaced and the object has no metadata.namespace")
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
	var pf status.PodFailure
	assert.Assert(t, errors.As(err, &pf), "got %v", err)
	assert.DeepEqual(t, pf.Logs, []string{"fake logs"})
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
