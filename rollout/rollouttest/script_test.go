package rollouttest_test

import (
	"context"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"

	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/rollouttest"
	"github.com/pydeploy/pydeploy/rollout/status"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, docs, err string
		n               int
	}{
		{name: "several documents", docs: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n", n: 2},
		{name: "json", docs: `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}`, n: 1},
		{name: "no kind", docs: "apiVersion: v1\nmetadata: {name: a}\n", err: `document 0: object "a" has no apiVersion or kind`},
		{name: "no name", docs: "apiVersion: v1\nkind: ConfigMap\n", err: "document 0: ConfigMap has no metadata.name"},
		{name: "bad yaml", docs: "kind: [", err: "document 0: yaml: line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := rollouttest.Parse(tc.docs)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			assert.NilError(t, err)
			assert.Equal(t, len(objs), tc.n)
		})
	}
}

// Integers stay int64, so generation gates work on parsed objects.
func TestParseKeepsIntegers(t *testing.T) {
	objs, err := rollouttest.Parse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, generation: 7}\n")
	assert.NilError(t, err)
	assert.Equal(t, objs[0].GetGeneration(), int64(7))
}

func TestTypedObjects(t *testing.T) {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Generation: 1},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To[int32](1)},
		Status:     appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1},
	}
	s := rollouttest.New().At(0, d)
	rep, err := s.Waiter(rollout.Options{}).Wait(context.Background(), mustParse(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, generation: 1}\n"))
	assert.NilError(t, err)
	assert.Equal(t, rep.Objects[0].State, status.Current)
}

func TestScriptErrors(t *testing.T) {
	objs := mustParse(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop}\n")
	for _, tc := range []struct {
		name   string
		script *rollouttest.Script
		err    string
	}{
		{name: "unsupported value", script: rollouttest.New().At(time.Second, 42), err: "rollouttest: step at 1s, object 0: cannot script a int; expected a YAML string"},
		{name: "bad apiVersion", script: rollouttest.New().Delete(0, "a/b/c", "X", "ns", "n"), err: `rollouttest: delete at 0s: apiVersion "a/b/c"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.script.Waiter(rollout.Options{}).Wait(context.Background(), objs)
			assert.ErrorContains(t, err, tc.err)
		})
	}

	// A waiter with a real clock cannot be driven by a script.
	w := rollout.NewWaiter(rollouttest.New().Source(), rollout.Options{Clock: clock.RealClock{}})
	_, err := w.Wait(context.Background(), objs)
	assert.ErrorContains(t, err, "rollouttest: the waiter's clock is clock.RealClock, expected the *clocktesting.FakeClock")
}

func mustParse(t *testing.T, docs string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := rollouttest.Parse(docs)
	assert.NilError(t, err)
	return objs
}
