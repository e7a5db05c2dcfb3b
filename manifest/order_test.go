package manifest

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// requestOnly are the built-in kinds the API server accepts only as the
// body of a request (a review, a subresource, an action): they are never
// applied, so they have no place in the order and rank as unknown.
var requestOnly = []string{
	"Binding", "DeploymentRollback", "Eviction", "LocalSubjectAccessReview", "Scale",
	"SelfSubjectAccessReview", "SelfSubjectReview", "SelfSubjectRulesReview", "SubjectAccessReview",
	"TokenRequest", "TokenReview",
}

// builtinKinds enumerates the kinds of client-go's scheme that are objects
// (with metadata; no lists, options or meta types), one GroupKind each
// with a version.
func builtinKinds() []schema.GroupVersionKind {
	meta := []string{"APIGroup", "APIGroupList", "APIResourceList", "APIVersions", "Status", "WatchEvent"}
	byGK := map[schema.GroupKind]schema.GroupVersionKind{}
	for gvk := range scheme.Scheme.AllKnownTypes() {
		if strings.HasSuffix(gvk.Kind, "List") || strings.HasSuffix(gvk.Kind, "Options") ||
			slices.Contains(meta, gvk.Kind) || gvk.Version == runtime.APIVersionInternal {
			continue
		}
		if obj, err := scheme.Scheme.New(gvk); err != nil {
			continue
		} else if _, isObject := obj.(metav1.Object); !isObject {
			continue // SerializedReference and the like have no metadata
		}
		if prev, ok := byGK[gvk.GroupKind()]; !ok || gvk.Version < prev.Version {
			byGK[gvk.GroupKind()] = gvk
		}
	}
	out := make([]schema.GroupVersionKind, 0, len(byGK))
	for _, gvk := range byGK {
		out = append(out, gvk)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// TestOrderCoversEveryBuiltinKind: every built-in kind that can be applied
// has its own place in the order table, so a kind added to client-go
// fails here until it is placed deliberately.
func TestOrderCoversEveryBuiltinKind(t *testing.T) {
	t.Parallel()
	kinds := builtinKinds()
	assert.Assert(t, len(kinds) > 80, "the scheme should hold every built-in kind, got %d", len(kinds))
	for _, gvk := range kinds {
		_, placed := orderRank[gvk.Kind]
		only := slices.Contains(requestOnly, gvk.Kind)
		switch {
		case placed && only:
			t.Errorf("%s is request-only but has a place in the order", gvk)
		case !placed && !only:
			t.Errorf("%s has no place in the apply order: add it to orderGroups", gvk)
		}
	}
}

// TestOrderRendersEveryBuiltinKind renders one object of every built-in
// kind (and a pre-workload Job, a CRD and a custom resource) and checks the
// order the issue asks for, group by group.
func TestOrderRendersEveryBuiltinKind(t *testing.T) {
	t.Parallel()
	var objs []runtime.Object
	for _, gvk := range builtinKinds() {
		obj, err := scheme.Scheme.New(gvk)
		assert.NilError(t, err)
		obj.GetObjectKind().SetGroupVersionKind(gvk)
		obj.(metav1.Object).SetName("x")
		objs = append(objs, obj)
	}
	migrate := &batchv1.Job{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: "migrate", Annotations: map[string]string{PhaseAnnotation: PhasePreWorkload}}}
	crd := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": map[string]any{"name": "widgets.example.com"}}}
	widget := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": "w"}}}
	objs = append(objs, migrate, crd, widget)

	docs, err := renderDocs(objs)
	assert.NilError(t, err)
	pos := map[string]int{}
	for i, d := range docs {
		key := d.gvk.Kind
		if d.preWorkload {
			key = "Job (pre-workload)"
		}
		if _, seen := pos[key]; !seen {
			pos[key] = i
		}
	}
	last := func(kind string) int {
		n := -1
		for i, d := range docs {
			if d.gvk.Kind == kind && !d.preWorkload {
				n = i
			}
		}
		return n
	}
	// Each group must be entirely before the next (the list).
	groups := [][]string{
		{"Namespace"},
		{"CustomResourceDefinition"},
		{"ServiceAccount"},
		{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"},
		{"ResourceQuota", "LimitRange"},
		{"ConfigMap", "Secret"},
		{"PersistentVolumeClaim"},
		{"Service"},
		{"Job (pre-workload)"},
		{"DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "Job", "CronJob"},
		{"PodDisruptionBudget", "HorizontalPodAutoscaler"},
		{"Widget"},
		{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"},
	}
	for g := 1; g < len(groups); g++ {
		for _, before := range groups[g-1] {
			for _, after := range groups[g] {
				b, okB := pos[before]
				a, okA := pos[after]
				assert.Assert(t, okB && okA, "%s or %s not rendered", before, after)
				assert.Assert(t, last(before) < a || (before == "Job (pre-workload)" && b < a),
					"%s (at %d) must come before %s (at %d)", before, b, after, a)
			}
		}
	}
	// Admission configuration is the very end.
	for _, d := range docs[len(docs)-6:] {
		assert.Assert(t, strings.HasSuffix(d.gvk.Kind, "WebhookConfiguration") || strings.Contains(d.gvk.Kind, "AdmissionPolicy"),
			"%s among the last six", d.gvk.Kind)
	}
	assert.Equal(t, docs[0].gvk.Kind, "Namespace")
}

// TestOrderApplyMatchesRender: Apply sends objects in exactly Render's
// order, the migration Job before the Deployment.
func TestOrderApplyMatchesRender(t *testing.T) {
	t.Parallel()
	a, client := newFakeApplier(t)
	labels := map[string]string{"app": "web"}
	objs := []runtime.Object{
		&appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "x:1"}}}}}},
		&batchv1.Job{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"}, ObjectMeta: metav1.ObjectMeta{Name: "web-migrate",
			Annotations: map[string]string{PhaseAnnotation: PhasePreWorkload}},
			Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: "app", Image: "x:1"}}}}}},
		&batchv1.Job{TypeMeta: metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"}, ObjectMeta: metav1.ObjectMeta{Name: "a-report"},
			Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: "app", Image: "x:1"}}}}}},
		&corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80}}}},
		&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "web"}},
	}
	rendered, err := RenderBytes(objs...)
	assert.NilError(t, err)
	assert.DeepEqual(t, kinds(t, rendered), []string{"ConfigMap", "Service", "Job", "Deployment", "Job"})
	res, err := a.Apply(context.Background(), objs, ApplyOptions{Namespace: "shop"})
	assert.NilError(t, err)
	var got []string
	for _, p := range patches(client) {
		got = append(got, p.Resource.Resource+"/"+p.Name)
	}
	assert.DeepEqual(t, got, []string{"configmaps/web", "services/web", "jobs/web-migrate", "deployments/web", "jobs/a-report"})
	assert.Equal(t, len(res.Objects), 5)

	before, after := SplitPreWorkload(objs)
	names := func(os []runtime.Object) (out []string) {
		for _, o := range os {
			out = append(out, o.(metav1.Object).GetName())
		}
		return out
	}
	assert.DeepEqual(t, names(before), []string{"web-migrate", "web", "web"})
	assert.DeepEqual(t, names(after), []string{"web", "a-report"})
	before, after = SplitPreWorkload(objs[2:])
	assert.Assert(t, before == nil)
	assert.Equal(t, len(after), 3)
}

func TestOrderHelmHooksArePreWorkload(t *testing.T) {
	t.Parallel()
	assert.Assert(t, isPreWorkload(map[string]string{"helm.sh/hook": "pre-upgrade, pre-install"}))
	assert.Assert(t, !isPreWorkload(map[string]string{"helm.sh/hook": "post-install"}))
	assert.Assert(t, !isPreWorkload(nil))
	assert.Equal(t, rank("Job", true)[0] < rank("Deployment", false)[0], true)
	assert.Equal(t, rank("Job", false)[0], rank("Deployment", false)[0])
}
