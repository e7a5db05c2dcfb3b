package integration

import (
	"context"
	"errors"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/pydeploy/pydeploy/internal/testcluster"
	"github.com/pydeploy/pydeploy/manifest"
)

// applyService is a ConfigMap, Service and Deployment without a namespace,
// as a service's manifests are usually written.
func applyService(image string, replicas int32, logLevel string) []runtime.Object {
	labels := map[string]string{"app.kubernetes.io/name": "payments-api"}
	return []runtime.Object{
		&appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: "payments-api", Labels: labels},
			Spec: appsv1.DeploymentSpec{
				Replicas: &replicas,
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{
						Name: "app", Image: image,
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8000}},
					}}},
				},
			},
		},
		&corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Name: "payments-api", Labels: labels},
			Spec: corev1.ServiceSpec{
				Selector: labels,
				Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}},
			},
		},
		&corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: "payments-config"},
			Data:       map[string]string{"LOG_LEVEL": logLevel},
		},
	}
}

func applyActions(res *manifest.ApplyResult) string {
	return res.String()
}

func TestApplyCreatedUnchangedConfigured(t *testing.T) {
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	ctx := context.Background()
	opts := manifest.ApplyOptions{Namespace: ns}

	first, err := manifest.Apply(ctx, c.Config(), applyService("example.com/app:1", 2, "info"), opts)
	assert.NilError(t, err)
	assert.Equal(t, applyActions(first), "configmap/payments-config created\n"+
		"service/payments-api created\n"+
		"deployment.apps/payments-api created\n")
	dep := first.Objects[2].Object
	assert.Equal(t, dep.GetNamespace(), ns)
	assert.Equal(t, dep.GetGeneration(), int64(1))
	assert.Assert(t, dep.GetUID() != "")

	again, err := manifest.Apply(ctx, c.Config(), applyService("example.com/app:1", 2, "info"), opts)
	assert.NilError(t, err)
	assert.Equal(t, applyActions(again), "configmap/payments-config unchanged\n"+
		"service/payments-api unchanged\n"+
		"deployment.apps/payments-api unchanged\n")
	assert.Equal(t, again.Objects[2].Object.GetGeneration(), int64(1))

	changed, err := manifest.Apply(ctx, c.Config(), applyService("example.com/app:2", 2, "debug"), opts)
	assert.NilError(t, err)
	assert.Equal(t, applyActions(changed), "configmap/payments-config configured\n"+
		"service/payments-api unchanged\n"+
		"deployment.apps/payments-api configured\n")
	assert.Equal(t, changed.Objects[2].Object.GetGeneration(), int64(2))

	// Every field was sent by the pydeploy manager, and only fields the
	// manifest sets: no zero values of the Go structs (P6).
	live, err := c.Client().AppsV1().Deployments(ns).Get(ctx, "payments-api", metav1.GetOptions{})
	assert.NilError(t, err)
	var owned string
	for _, mf := range live.ManagedFields {
		if mf.Manager == manifest.DefaultFieldManager && mf.Operation == metav1.ManagedFieldsOperationApply {
			owned = mf.FieldsV1.GetRawString()
		}
	}
	assert.Assert(t, owned != "", "no apply entry for %q in %v", manifest.DefaultFieldManager, live.ManagedFields)
	for _, unset := range []string{"f:strategy", "f:resources", "f:status", "f:creationTimestamp", "f:progressDeadlineSeconds"} {
		assert.Assert(t, !strings.Contains(owned, `"`+unset+`"`), "pydeploy owns %s: %s", unset, owned)
	}
}

func TestApplyDryRunCreatesNothing(t *testing.T) {
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	ctx := context.Background()
	objs := applyService("example.com/app:1", 2, "info")

	res, err := manifest.Apply(ctx, c.Config(), objs, manifest.ApplyOptions{Namespace: ns, DryRun: true, Diff: true})
	assert.NilError(t, err)
	assert.Equal(t, applyActions(res), "configmap/payments-config created (server dry run)\n"+
		"service/payments-api created (server dry run)\n"+
		"deployment.apps/payments-api created (server dry run)\n")
	// The server defaulted the dry-run object as it would a real one.
	assert.Equal(t, res.Objects[2].Object.GetGeneration(), int64(1))
	_, err = c.Client().AppsV1().Deployments(ns).Get(ctx, "payments-api", metav1.GetOptions{})
	assert.Assert(t, apierrors.IsNotFound(err), "dry run created the deployment: %v", err)
	_, err = c.Client().CoreV1().ConfigMaps(ns).Get(ctx, "payments-config", metav1.GetOptions{})
	assert.Assert(t, apierrors.IsNotFound(err), "dry run created the configmap: %v", err)

	_, err = manifest.Apply(ctx, c.Config(), objs, manifest.ApplyOptions{Namespace: ns})
	assert.NilError(t, err)
	res, err = manifest.Apply(ctx, c.Config(), applyService("example.com/app:2", 2, "info"),
		manifest.ApplyOptions{Namespace: ns, DryRun: true, Diff: true})
	assert.NilError(t, err)
	assert.Equal(t, applyActions(res), "configmap/payments-config unchanged (server dry run)\n"+
		"service/payments-api unchanged (server dry run)\n"+
		"deployment.apps/payments-api configured (server dry run)\n")
	live, err := c.Client().AppsV1().Deployments(ns).Get(ctx, "payments-api", metav1.GetOptions{})
	assert.NilError(t, err)
	assert.Equal(t, live.Spec.Template.Spec.Containers[0].Image, "example.com/app:1")
	assert.Equal(t, live.Generation, int64(1))
}

func TestApplyDiff(t *testing.T) {
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	ctx := context.Background()
	opts := manifest.ApplyOptions{Namespace: ns, Diff: true}

	res, err := manifest.Apply(ctx, c.Config(), applyService("example.com/app:1", 2, "info")[:1], opts)
	assert.NilError(t, err)
	d := res.Objects[0].Diff
	assert.Assert(t, strings.HasPrefix(d, "--- live deployment/payments-api\n+++ applied\n@@ -0,0 +1,"), d)
	// Server defaults show up in the created object.
	assert.Assert(t, is.Contains(d, "\n+  progressDeadlineSeconds: 600\n"))
	for _, noise := range []string{"managedFields", "resourceVersion", "uid:", "generation", "creationTimestamp", "status"} {
		assert.Assert(t, !strings.Contains(d, noise), "%s in diff:\n%s", noise, d)
	}

	preview := manifest.ApplyOptions{Namespace: ns, Diff: true, DryRun: true}
	res, err = manifest.Apply(ctx, c.Config(), applyService("example.com/app:2", 3, "info")[:1], preview)
	assert.NilError(t, err)
	d = res.Objects[0].Diff
	assert.Assert(t, strings.HasPrefix(d, "--- live deployment/payments-api\n+++ applied\n@@ "), d)
	assert.Assert(t, is.Contains(d, "\n-  replicas: 2\n+  replicas: 3\n"))
	assert.Assert(t, is.Contains(d, "\n-      - image: example.com/app:1\n+      - image: example.com/app:2\n"))
	assert.Equal(t, strings.Count(d, "\n-"), 2, d)
	assert.Equal(t, strings.Count(d, "\n+"), 3, d) // two changes and the "+++" line

	// The same preview gives the same bytes.
	again, err := manifest.Apply(ctx, c.Config(), applyService("example.com/app:2", 3, "info")[:1], preview)
	assert.NilError(t, err)
	assert.Equal(t, again.Objects[0].Diff, d)

	res, err = manifest.Apply(ctx, c.Config(), applyService("example.com/app:1", 2, "info")[:1], opts)
	assert.NilError(t, err)
	assert.Equal(t, res.Objects[0].Action, manifest.ActionUnchanged)
	assert.Equal(t, res.Objects[0].Diff, "")
}

func TestApplyConflictAndForce(t *testing.T) {
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	ctx := context.Background()
	objs := applyService("example.com/app:1", 2, "info")[:1]
	_, err := manifest.Apply(ctx, c.Config(), objs, manifest.ApplyOptions{Namespace: ns})
	assert.NilError(t, err)

	// A second manager (an autoscaler, a person with another tool) wants
	// other replicas.
	scaled := applyService("example.com/app:1", 5, "info")[:1]
	other := manifest.ApplyOptions{Namespace: ns, FieldManager: "ci-bot"}
	_, err = manifest.Apply(ctx, c.Config(), scaled, other)
	var ae *manifest.ApplyError
	assert.Assert(t, errors.As(err, &ae), "%v", err)
	assert.DeepEqual(t, ae.Conflicts, []manifest.FieldConflict{{
		Field: ".spec.replicas", Manager: "pydeploy", Message: `conflict with "pydeploy"`,
	}})
	assert.Error(t, err, `apply deployment "payments-api" in namespace "`+ns+`": conflict: 1 field is owned by other field managers: `+
		`.spec.replicas (manager "pydeploy"); set ApplyOptions.Force to take them over (the other managers lose them), `+
		`or remove them from the manifest to leave them where they are`)
	assert.Assert(t, apierrors.IsConflict(err))

	other.Force = true
	res, err := manifest.Apply(ctx, c.Config(), scaled, other)
	assert.NilError(t, err)
	assert.Equal(t, res.Objects[0].Action, manifest.ActionConfigured)
	live, err := c.Client().AppsV1().Deployments(ns).Get(ctx, "payments-api", metav1.GetOptions{})
	assert.NilError(t, err)
	assert.Equal(t, *live.Spec.Replicas, int32(5))
}

func TestApplyNamespaces(t *testing.T) {
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	ctx := context.Background()
	extra := ns + "-extra"
	t.Cleanup(func() {
		_ = c.Client().CoreV1().Namespaces().Delete(context.Background(), extra, metav1.DeleteOptions{})
		_ = c.Client().CoreV1().ConfigMaps(metav1.NamespaceDefault).Delete(context.Background(), ns, metav1.DeleteOptions{})
	})

	// A cluster-scoped Namespace gets no namespace even with a default,
	// and is applied before the ConfigMap that lives in it.
	objs := []runtime.Object{
		&corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: extra},
		},
		&corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: extra},
		},
	}
	res, err := manifest.Apply(ctx, c.Config(), objs, manifest.ApplyOptions{Namespace: ns})
	assert.NilError(t, err)
	assert.Equal(t, applyActions(res), "namespace/"+extra+" created\nconfigmap/settings created\n")
	assert.Equal(t, res.Objects[0].Object.GetNamespace(), "")
	assert.Equal(t, res.Objects[1].Object.GetNamespace(), extra)

	// Without a default, namespaced objects go to "default".
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: ns},
	}
	res, err = manifest.Apply(ctx, c.Config(), []runtime.Object{cm}, manifest.ApplyOptions{})
	assert.NilError(t, err)
	assert.Equal(t, res.Objects[0].Object.GetNamespace(), metav1.NamespaceDefault)
	_, err = c.Client().CoreV1().ConfigMaps(metav1.NamespaceDefault).Get(ctx, ns, metav1.GetOptions{})
	assert.NilError(t, err)
}

func TestApplyErrorsNameTheObject(t *testing.T) {
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	ctx := context.Background()

	bad := applyService("example.com/app:1", 2, "info")
	dep := bad[0].(*appsv1.Deployment)
	dep.Name = "bad"
	dep.Spec.Template.Labels = map[string]string{"app.kubernetes.io/name": "something-else"}
	res, err := manifest.Apply(ctx, c.Config(), bad, manifest.ApplyOptions{Namespace: ns})
	assert.ErrorContains(t, err, `apply deployment "bad" in namespace "`+ns+`": Deployment.apps "bad" is invalid: `)
	assert.ErrorContains(t, err, "`selector` does not match template `labels`")
	assert.Assert(t, apierrors.IsInvalid(err))
	// The ConfigMap and Service before it were applied.
	assert.Equal(t, len(res.Objects), 2)

	ns2 := &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-x", Namespace: ns},
	}
	_, err = manifest.Apply(ctx, c.Config(), []runtime.Object{ns2}, manifest.ApplyOptions{})
	assert.Error(t, err, `apply namespace "`+ns+`-x": Namespace is cluster-scoped but metadata.namespace is "`+ns+`"; remove the namespace`)

	widget := applyService("example.com/app:1", 2, "info")[2].(*corev1.ConfigMap)
	widget.APIVersion = "example.com/v1"
	widget.Kind = "Widget"
	_, err = manifest.Apply(ctx, c.Config(), []runtime.Object{applyUnstructured(t, widget)}, manifest.ApplyOptions{Namespace: ns})
	assert.ErrorContains(t, err, `apply widget "payments-config": the cluster does not serve apiVersion "example.com/v1" kind "Widget"`)
}

func applyUnstructured(t *testing.T, obj runtime.Object) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	assert.NilError(t, err)
	return &unstructured.Unstructured{Object: m}
}
