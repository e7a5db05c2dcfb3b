package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/status"
)

func statefulSet(ns, name, image string, replicas int32) *appsv1.StatefulSet {
	labels := map[string]string{"app.kubernetes.io/name": name}
	return &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    new(replicas),
			ServiceName: name,
			Selector:    &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{appContainer(image)}},
			},
		},
	}
}

func daemonSet(ns, name, image string) *appsv1.DaemonSet {
	labels := map[string]string{"app.kubernetes.io/name": name}
	return &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{appContainer(image)}},
			},
		},
	}
}

// StatefulSet and DaemonSet rollouts on the real controllers: a good
// revision completes; a crash-looping one fails on its new pods.
func TestScenarioStatefulSetAndDaemonSet(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"StatefulSet", "DaemonSet"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c, ns := cluster(t)
			revision := func(image string) []*unstructured.Unstructured {
				if kind == "StatefulSet" {
					return apply(t, c.Config(), statefulSet(ns, "cache", image, 2))
				}
				return apply(t, c.Config(), daemonSet(ns, "cache", image))
			}
			rep, err := verdict(t, c, revision("example.com/cache:1"), rollout.Options{})
			assert.NilError(t, err)
			assert.Equal(t, rep.Objects[0].State, status.Current)

			_, err = verdict(t, c, revision("example.com/cache:2"), rollout.Options{})
			assert.NilError(t, err)

			_, err = verdict(t, c, revision("example.com/cache:crashloop"), rollout.Options{LogLines: 5})
			pf := failure(t, err, status.PodCrashLooping)
			crashEvidence(t, pf, "app", 1, "KeyError: 'DATABASE_URL'")
			pod, err := c.Client().CoreV1().Pods(ns).Get(context.Background(), pf.Pod, metav1.GetOptions{})
			assert.NilError(t, err)
			assert.Equal(t, pod.Spec.Containers[0].Image, "example.com/cache:crashloop", "the failure is on a pod of the new revision")
		})
	}
}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// crd is a CustomResourceDefinition of kind in group.
func crd(group, plural, kind string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": plural + "." + group},
		"spec": map[string]any{
			"group": group, "scope": "Namespaced",
			"names": map[string]any{"plural": plural, "singular": strings.ToLower(kind), "kind": kind, "listKind": kind + "List"},
			"versions": []any{map[string]any{
				"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
			}},
		},
	}}
}

// A CustomResourceDefinition is ready once Established, as kstatus says;
// one whose names are refused never is.
func TestScenarioCRD(t *testing.T) {
	t.Parallel()
	c, ns := cluster(t)
	group := ns + ".example.com"
	objs := apply(t, c.Config(), crd(group, "widgets", "Widget"))
	rep, err := verdict(t, c, objs, rollout.Options{})
	assert.NilError(t, err)
	assert.Equal(t, rep.Objects[0].State, status.Current)
	dyn, err := dynamic.NewForConfig(c.Config())
	assert.NilError(t, err)
	live, err := dyn.Resource(crdResource).Get(context.Background(), "widgets."+group, metav1.GetOptions{})
	assert.NilError(t, err)
	assert.Equal(t, crdCondition(live, "Established"), "True")
	t.Cleanup(func() {
		_ = dyn.Resource(crdResource).Delete(context.Background(), "widgets."+group, metav1.DeleteOptions{})
	})

	// Kind Widget is taken in this group: NamesAccepted=False, never
	// Established.
	objs = apply(t, c.Config(), crd(group, "gadgets", "Widget"))
	t.Cleanup(func() {
		_ = dyn.Resource(crdResource).Delete(context.Background(), "gadgets."+group, metav1.DeleteOptions{})
	})
	_, err = verdict(t, c, objs, rollout.Options{})
	assert.Assert(t, err != nil, "a CRD whose names are refused was reported ready")
	// Its controller (the API server's) refused it: the object failed.
	assert.Equal(t, rollout.ClassOf(err), rollout.ObjectFailed, "%v", err)
	live, err = dyn.Resource(crdResource).Get(context.Background(), "gadgets."+group, metav1.GetOptions{})
	assert.NilError(t, err)
	assert.Equal(t, crdCondition(live, "NamesAccepted"), "False", fmt.Sprint(live.Object["status"]))
}

func crdCondition(u *unstructured.Unstructured, typ string) string {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == typ {
			s, _ := m["status"].(string)
			return s
		}
	}
	return ""
}
