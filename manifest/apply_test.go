package manifest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/meta/testrestmapper"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/applyconfigurations"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"
)

// newFakeApplier returns an Applier on a fake dynamic client whose tracker
// does server-side apply with field management (as fake.NewClientset does),
// and the fake for inspecting the requests.
func newFakeApplier(t *testing.T) (*Applier, *dynamicfake.FakeDynamicClient) {
	t.Helper()
	tracker := k8stesting.NewFieldManagedObjectTracker(scheme.Scheme, scheme.Codecs.UniversalDecoder(),
		applyconfigurations.NewTypeConverter(scheme.Scheme))
	client := dynamicfake.NewSimpleDynamicClient(scheme.Scheme)
	react := k8stesting.ObjectReaction(tracker)
	client.PrependReactor("*", "*", func(action k8stesting.Action) (bool, runtime.Object, error) {
		handled, obj, err := react(action)
		if err != nil || obj == nil {
			return handled, obj, err
		}
		// The tracker keeps typed objects; the dynamic client returns
		// unstructured ones.
		if _, ok := obj.(runtime.Unstructured); ok {
			return handled, obj, nil
		}
		gvks, _, err := scheme.Scheme.ObjectKinds(obj)
		if err != nil {
			return true, nil, err
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return true, nil, err
		}
		u := &unstructured.Unstructured{Object: m}
		u.SetGroupVersionKind(gvks[0])
		return true, u, nil
	})
	return &Applier{Client: client, Mapper: testrestmapper.TestOnlyStaticRESTMapper(scheme.Scheme)}, client
}

// applyApp is a small service: Deployment, Service, ConfigMap, Namespace.
func applyApp(namespace string, replicas int32) []runtime.Object {
	labels := map[string]string{"app.kubernetes.io/name": "payments-api"}
	return []runtime.Object{
		&appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: "payments-api", Namespace: namespace, Labels: labels},
			Spec: appsv1.DeploymentSpec{
				Replicas: &replicas,
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{
						Name: "app", Image: "ghcr.io/acme/payments:1.4.2",
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8000}},
					}}},
				},
			},
		},
		&corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Name: "payments-api", Namespace: namespace, Labels: labels},
			Spec: corev1.ServiceSpec{
				Selector: labels,
				Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}},
			},
		},
		&corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: "payments-config", Namespace: namespace},
			Data:       map[string]string{"LOG_LEVEL": "info"},
		},
	}
}

// applyNamespace is the Namespace "shop" the apply tests deploy into.
func applyNamespace() *corev1.Namespace {
	return &corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: "shop"},
	}
}

// patches returns the apply patches the fake received, in order.
func patches(client *dynamicfake.FakeDynamicClient) []k8stesting.PatchActionImpl {
	var out []k8stesting.PatchActionImpl
	for _, a := range client.Actions() {
		if p, ok := a.(k8stesting.PatchActionImpl); ok {
			out = append(out, p)
		}
	}
	return out
}

func TestApplyCreatesInOrderWithDefaultNamespace(t *testing.T) {
	t.Parallel()
	a, client := newFakeApplier(t)
	objs := append(applyApp("", 2), applyNamespace())
	res, err := a.Apply(context.Background(), objs, ApplyOptions{Namespace: "shop"})
	assert.NilError(t, err)

	assert.Equal(t, res.String(), "namespace/shop created\n"+
		"configmap/payments-config created\n"+
		"service/payments-api created\n"+
		"deployment.apps/payments-api created\n")
	for _, o := range res.Objects[1:] {
		assert.Equal(t, o.Object.GetNamespace(), "shop", o.String())
	}
	assert.Equal(t, res.Objects[0].Object.GetNamespace(), "")

	type sent struct {
		Resource, Namespace, Name string
		PatchType                 types.PatchType
		Options                   metav1.PatchOptions
	}
	var got []sent
	for _, p := range patches(client) {
		got = append(got, sent{p.Resource.Resource, p.Namespace, p.Name, p.PatchType, p.PatchOptions})
	}
	opts := metav1.PatchOptions{FieldManager: "pydeploy", Force: new(false)}
	assert.DeepEqual(t, got, []sent{
		{"namespaces", "", "shop", types.ApplyPatchType, opts},
		{"configmaps", "shop", "payments-config", types.ApplyPatchType, opts},
		{"services", "shop", "payments-api", types.ApplyPatchType, opts},
		{"deployments", "shop", "payments-api", types.ApplyPatchType, opts},
	})
	// The objects passed in are not modified.
	assert.Equal(t, objs[0].(*appsv1.Deployment).Namespace, "")
}

func TestApplySendsRenderedContent(t *testing.T) {
	t.Parallel()
	a, client := newFakeApplier(t)
	dep := applyApp("shop", 2)[0].(*appsv1.Deployment)
	dep.Status.Replicas = 7
	dep.ResourceVersion = "42"
	dep.Annotations = map[string]string{"deployment.kubernetes.io/revision": "3"}
	_, err := a.Apply(context.Background(), []runtime.Object{dep}, ApplyOptions{})
	assert.NilError(t, err)

	ps := patches(client)
	assert.Equal(t, len(ps), 1)
	var body map[string]any
	assert.NilError(t, json.Unmarshal(ps[0].Patch, &body))
	want, err := RenderBytes(dep)
	assert.NilError(t, err)
	var wantBody map[string]any
	assert.NilError(t, yamlToMap(want, &wantBody))
	// Render keeps the empty objects of zero Go structs; Apply must not
	// send them, or pydeploy would own fields nobody set.
	spec := wantBody["spec"].(map[string]any)
	assert.DeepEqual(t, spec["strategy"], map[string]any{})
	delete(spec, "strategy")
	container := spec["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	assert.DeepEqual(t, container["resources"], map[string]any{})
	delete(container, "resources")
	assert.DeepEqual(t, body, wantBody)
	assert.Assert(t, !strings.Contains(string(ps[0].Patch), `"status"`), string(ps[0].Patch))
	assert.Assert(t, !strings.Contains(string(ps[0].Patch), `creationTimestamp`), string(ps[0].Patch))
	assert.Assert(t, !strings.Contains(string(ps[0].Patch), `resourceVersion`), string(ps[0].Patch))
}

func TestApplyOptionsReachTheServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts ApplyOptions
		want metav1.PatchOptions
	}{
		{"defaults", ApplyOptions{}, metav1.PatchOptions{FieldManager: "pydeploy", Force: new(false)}},
		{"manager and force", ApplyOptions{FieldManager: "ci", Force: true},
			metav1.PatchOptions{FieldManager: "ci", Force: new(true)}},
		{"dry run", ApplyOptions{DryRun: true},
			metav1.PatchOptions{FieldManager: "pydeploy", Force: new(false), DryRun: []string{"All"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, client := newFakeApplier(t)
			_, err := a.Apply(context.Background(), []runtime.Object{applyNamespace()}, tc.opts)
			assert.NilError(t, err)
			ps := patches(client)
			assert.Equal(t, len(ps), 1)
			assert.DeepEqual(t, ps[0].PatchOptions, tc.want)
		})
	}
}

func TestApplyActionsAndDiff(t *testing.T) {
	t.Parallel()
	a, _ := newFakeApplier(t)
	ctx := context.Background()
	opts := ApplyOptions{Namespace: "shop", Diff: true}

	first, err := a.Apply(ctx, applyApp("", 2)[:1], opts)
	assert.NilError(t, err)
	assert.Equal(t, first.Objects[0].Action, ActionCreated)
	assert.Assert(t, strings.HasPrefix(first.Objects[0].Diff, "--- live deployment/payments-api\n+++ applied\n@@ -0,0 +1,"),
		first.Objects[0].Diff)
	for _, line := range strings.Split(strings.TrimSuffix(first.Objects[0].Diff, "\n"), "\n")[3:] {
		assert.Assert(t, strings.HasPrefix(line, "+"), line)
	}

	second, err := a.Apply(ctx, applyApp("", 3)[:1], opts)
	assert.NilError(t, err)
	assert.Equal(t, second.Objects[0].Action, ActionConfigured)
	assert.Equal(t, second.Objects[0].Object.GetNamespace(), "shop")
	assert.Assert(t, is.Contains(second.Objects[0].Diff, "-  replicas: 2\n+  replicas: 3\n"))
	assert.Assert(t, strings.HasPrefix(second.Objects[0].Diff, "--- live deployment/payments-api\n+++ applied\n@@ "))
	assert.Assert(t, !strings.Contains(second.Objects[0].Diff, "managedFields"), second.Objects[0].Diff)
	assert.Assert(t, !strings.Contains(second.Objects[0].Diff, "resourceVersion"), second.Objects[0].Diff)
	assert.Equal(t, second.Diff(), second.Objects[0].Diff)

	third, err := a.Apply(ctx, applyApp("", 3)[:1], opts)
	assert.NilError(t, err)
	assert.Equal(t, third.Objects[0].Action, ActionUnchanged)
	assert.Equal(t, third.Objects[0].Diff, "")
}

func TestApplyErrorsNameTheObject(t *testing.T) {
	t.Parallel()
	widget := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w", "namespace": "shop"},
	}}
	nsWithNamespace := applyNamespace()
	nsWithNamespace.Namespace = "other"
	noKind := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}}

	tests := []struct {
		name string
		objs []runtime.Object
		want string
	}{
		{"unknown kind", []runtime.Object{widget},
			`apply widget "w" in namespace "shop": the cluster does not serve apiVersion "example.com/v1" kind "Widget"`},
		{"cluster-scoped with namespace", []runtime.Object{nsWithNamespace},
			`apply namespace "shop": Namespace is cluster-scoped but metadata.namespace is "other"; remove the namespace`},
		{"no type meta", []runtime.Object{noKind}, `object 1: *v1.ConfigMap "c" has no apiVersion/kind`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, _ := newFakeApplier(t)
			_, err := a.Apply(context.Background(), tc.objs, ApplyOptions{})
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestApplyWrapsServerErrors(t *testing.T) {
	t.Parallel()
	a, client := newFakeApplier(t)
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	client.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(gr, "payments-api", errors.New("no patch for you"))
	})
	objs := append(applyApp("shop", 2), applyNamespace())
	res, err := a.Apply(context.Background(), objs, ApplyOptions{})
	assert.Error(t, err, `apply deployment "payments-api" in namespace "shop": `+
		`deployments.apps "payments-api" is forbidden: no patch for you`)
	assert.Assert(t, apierrors.IsForbidden(err))
	var ae *ApplyError
	assert.Assert(t, errors.As(err, &ae))
	assert.DeepEqual(t, ae.GroupKind, schema.GroupKind{Group: "apps", Kind: "Deployment"})
	assert.Equal(t, len(ae.Conflicts), 0)
	// What was applied before the failure is reported.
	assert.Equal(t, len(res.Objects), 3)
}

// conflictStatus is the 409 the API server returns for an apply conflict.
func conflictStatus(causes ...metav1.StatusCause) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: 409, Reason: metav1.StatusReasonConflict,
		Message: "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: .spec.replicas",
		Details: &metav1.StatusDetails{Name: "payments-api", Group: "apps", Kind: "deployments", Causes: causes},
	}}
}

func TestApplyConflictNamesManagers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		causes []metav1.StatusCause
		want   []FieldConflict
		msg    string
	}{
		{
			name: "one",
			causes: []metav1.StatusCause{{Type: metav1.CauseTypeFieldManagerConflict,
				Message: `conflict with "kubectl-edit" using apps/v1`, Field: ".spec.replicas"}},
			want: []FieldConflict{{Field: ".spec.replicas", Manager: "kubectl-edit", Message: `conflict with "kubectl-edit" using apps/v1`}},
			msg: `apply deployment "payments-api" in namespace "shop": conflict: 1 field is owned by other field managers: ` +
				`.spec.replicas (manager "kubectl-edit"); set ApplyOptions.Force to take them over`,
		},
		{
			name: "two, one unparsable",
			causes: []metav1.StatusCause{
				{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "hpa" with subresource "scale" using apps/v1`, Field: ".spec.replicas"},
				{Type: metav1.CauseTypeFieldManagerConflict, Message: `odd`, Field: `.metadata.labels.team`},
			},
			want: []FieldConflict{
				{Field: ".spec.replicas", Manager: "hpa", Message: `conflict with "hpa" with subresource "scale" using apps/v1`},
				{Field: ".metadata.labels.team", Message: "odd"},
			},
			msg: `conflict: 2 fields are owned by other field managers: .spec.replicas (manager "hpa"), .metadata.labels.team (odd); set`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, client := newFakeApplier(t)
			client.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, conflictStatus(tc.causes...)
			})
			_, err := a.Apply(context.Background(), applyApp("shop", 2)[:1], ApplyOptions{})
			var ae *ApplyError
			assert.Assert(t, errors.As(err, &ae))
			assert.DeepEqual(t, ae.Conflicts, tc.want)
			assert.ErrorContains(t, err, tc.msg)
			assert.Assert(t, apierrors.IsConflict(err))
		})
	}
}

func TestApplyRejectsBadApplier(t *testing.T) {
	t.Parallel()
	_, err := (&Applier{}).Apply(context.Background(), nil, ApplyOptions{})
	assert.Error(t, err, "applier needs a dynamic client and a RESTMapper")
	_, err = NewApplier(nil)
	assert.Error(t, err, "rest config is nil")
}

func TestApplyStopsOnCancelledContext(t *testing.T) {
	t.Parallel()
	a, client := newFakeApplier(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := a.Apply(ctx, applyApp("shop", 2), ApplyOptions{})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, len(res.Objects), 0)
	assert.Equal(t, len(client.Actions()), 0)
}

func TestApplyResetsMapperForNewKinds(t *testing.T) {
	t.Parallel()
	a, _ := newFakeApplier(t)
	widgetGVK := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
	m := &resettableMapper{RESTMapper: a.Mapper, onReset: func(dm *meta.DefaultRESTMapper) {
		dm.Add(widgetGVK, meta.RESTScopeNamespace)
	}}
	a.Mapper = m
	widget := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w", "namespace": "shop"},
	}}
	mapping, err := a.mapping(widget.GroupVersionKind())
	assert.NilError(t, err)
	assert.Equal(t, m.resets, 1)
	assert.DeepEqual(t, mapping.Resource, schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"})
}

// resettableMapper learns extra kinds when reset, as a discovery-backed
// mapper does after a CustomResourceDefinition is established.
type resettableMapper struct {
	meta.RESTMapper
	onReset func(*meta.DefaultRESTMapper)
	resets  int
}

func (m *resettableMapper) Reset() {
	m.resets++
	dm := meta.NewDefaultRESTMapper(nil)
	m.onReset(dm)
	m.RESTMapper = meta.MultiRESTMapper{m.RESTMapper, dm}
}

func TestApplyResultDryRunString(t *testing.T) {
	t.Parallel()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apps/v1")
	u.SetKind("Deployment")
	u.SetName("web")
	r := &ApplyResult{DryRun: true, Objects: []Applied{{Object: u, Action: ActionUnchanged}}}
	assert.Equal(t, r.String(), "deployment.apps/web unchanged (server dry run)\n")
	assert.DeepEqual(t, r.RuntimeObjects(), []runtime.Object{u}, cmp.AllowUnexported(unstructured.Unstructured{}))
}

func yamlToMap(y []byte, out *map[string]any) error {
	js, err := yaml.YAMLToJSON(y)
	if err != nil {
		return err
	}
	return json.Unmarshal(js, out)
}

func TestWithoutZeroStructs(t *testing.T) {
	t.Parallel()
	replicas := int32(0)
	maxUnavailable := intstr.FromInt32(0)
	dep := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Strategy: appsv1.DeploymentStrategy{RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &maxUnavailable}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "app", Image: "x:1", SecurityContext: &corev1.SecurityContext{}}},
				Volumes:    []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			}},
		},
	}
	got, err := withoutZeroStructs(dep)
	assert.NilError(t, err)
	js, err := json.Marshal(got)
	assert.NilError(t, err)
	// Zero structs (status, pod template metadata, resources) are gone;
	// the pointers the author set stay, even when empty or zero.
	assert.Equal(t, string(js), `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},`+
		`"spec":{"replicas":0,"selector":null,"strategy":{"rollingUpdate":{"maxUnavailable":0}},`+
		`"template":{"spec":{"containers":[{"image":"x:1","name":"app","securityContext":{}}],`+
		`"volumes":[{"emptyDir":{},"name":"tmp"}]}}}}`)

	u := &unstructured.Unstructured{Object: map[string]any{"kind": "X", "spec": map[string]any{"a": map[string]any{}}}}
	same, err := withoutZeroStructs(u)
	assert.NilError(t, err)
	assert.Assert(t, same == runtime.Object(u))
}

func TestApplyResultUnstructured(t *testing.T) {
	a := &unstructured.Unstructured{}
	a.SetName("a")
	b := &unstructured.Unstructured{}
	b.SetName("b")
	r := &ApplyResult{Objects: []Applied{{Object: a}, {Object: b}}}
	got := r.Unstructured()
	assert.Equal(t, len(got), 2)
	assert.Equal(t, got[0], a)
	assert.Equal(t, got[1], b)
}
