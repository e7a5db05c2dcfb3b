package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// bundle is a service with every kind Render ranks, plus a few it does not.
func bundle() []runtime.Object {
	objs := service("web", "shop", "ghcr.io/acme/web:1.0")
	objs = append(objs,
		&autoscalingv2.HorizontalPodAutoscaler{
			TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
			Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
				ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
				MinReplicas:    new(int32(2)), MaxReplicas: 5,
			},
		},
		&rbacv1.Role{
			TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		},
		&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "example.com/v1", "kind": "Alpha",
			"metadata": map[string]any{"name": "a", "namespace": "shop"},
			"spec":     map[string]any{"big": int64(9007199254740993)},
		}},
		&corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
			StringData: map[string]string{"TOKEN": "yes"},
		},
		&corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
			Data:       map[string]string{"WORKERS": "4", "DEBUG": "no"},
		},
		&corev1.ServiceAccount{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		},
		&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
			"metadata": map[string]any{"name": "alphas.example.com"},
		}},
		namespace("shop"),
	)
	return objs
}

func kinds(t *testing.T, y []byte) []string {
	t.Helper()
	var out []string
	for line := range strings.SplitSeq(string(y), "\n") {
		if k, ok := strings.CutPrefix(line, "kind: "); ok {
			out = append(out, k)
		}
	}
	return out
}

func TestRenderGoldenAndOrder(t *testing.T) {
	got, err := RenderBytes(bundle()...)
	assert.NilError(t, err)
	golden.Assert(t, string(got), "render/bundle.yaml")
	want := []string{"Namespace", "CustomResourceDefinition", "ServiceAccount", "Role", "ConfigMap", "Secret",
		"Service", "Deployment", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Alpha"}
	assert.DeepEqual(t, kinds(t, got), want)
	assert.Assert(t, bytes.Contains(got, []byte("big: 9007199254740993")), "large integers must survive exactly")
}

func TestRenderIsDeterministic(t *testing.T) {
	want, err := RenderBytes(bundle()...)
	assert.NilError(t, err)
	for _, perm := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}} {
		objs := bundle()
		// Rotate and reverse the input in different ways; output must not move.
		var shuffled []runtime.Object
		for _, p := range perm {
			for i := p; i < len(objs); i += 3 {
				shuffled = append(shuffled, objs[i])
			}
		}
		for range 3 {
			got, err := RenderBytes(shuffled...)
			assert.NilError(t, err)
			assert.Equal(t, string(got), string(want))
		}
	}
}

func TestRenderDropsServerFields(t *testing.T) {
	d := service("web", "shop", "ghcr.io/acme/web:1.0")[0].(*appsv1.Deployment)
	d.CreationTimestamp = metav1.Now()
	d.ResourceVersion = "42"
	d.UID = types.UID("0b5e")
	d.Generation = 7
	d.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	d.Annotations = map[string]string{
		"kubectl.kubernetes.io/last-applied-configuration": "{}",
		"deployment.kubernetes.io/revision":                "3",
		"team":                                             "payments",
	}
	d.Status = appsv1.DeploymentStatus{Replicas: 2, ReadyReplicas: 2}
	sts := &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop"},
		Spec: appsv1.StatefulSetSpec{VolumeClaimTemplates: []corev1.PersistentVolumeClaim{
			{ObjectMeta: metav1.ObjectMeta{Name: "data"}},
		}},
	}
	before := d.DeepCopy()
	got, err := RenderBytes(d, sts)
	assert.NilError(t, err)
	for _, noise := range []string{"status:", "creationTimestamp", "resourceVersion", "uid:", "generation",
		"managedFields", "last-applied", "deployment.kubernetes.io/revision"} {
		assert.Assert(t, !bytes.Contains(got, []byte(noise)), "output contains %q:\n%s", noise, got)
	}
	assert.Assert(t, bytes.Contains(got, []byte("team: payments")))
	assert.DeepEqual(t, d, before) // Render does not touch its input
}

func TestRenderErrors(t *testing.T) {
	noKind := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}}
	wrongKind := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: metav1.ObjectMeta{Name: "cfg"}}
	noName := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}}
	cm := func() runtime.Object {
		return &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "a"}}
	}
	tests := []struct {
		name string
		objs []runtime.Object
		want string
	}{
		{"nil", []runtime.Object{cm(), nil}, "object 2: object is nil"},
		{"no type meta", []runtime.Object{noKind},
			`object 1: *v1.ConfigMap "cfg" has no apiVersion/kind: set TypeMeta (for *v1.ConfigMap: apiVersion "v1", kind "ConfigMap"; SetTypeMeta fills it in)`},
		{"type meta disagrees with Go type", []runtime.Object{wrongKind},
			`object 1: Secret "cfg": TypeMeta says apiVersion "v1", kind "Secret", but the Go type *v1.ConfigMap is /v1, Kind=ConfigMap`},
		{"no name", []runtime.Object{noName}, `object 1: ConfigMap "<no name>" has no metadata.name`},
		{"duplicate", []runtime.Object{cm(), cm()}, `duplicate object ConfigMap "a/cfg" (apiVersion "v1" and "v1")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RenderBytes(tt.objs...)
			assert.Error(t, err, tt.want)
		})
	}
}

func TestSetTypeMeta(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}}
	assert.NilError(t, SetTypeMeta(cm, d))
	assert.Equal(t, cm.APIVersion+" "+cm.Kind, "v1 ConfigMap")
	assert.Equal(t, d.APIVersion+" "+d.Kind, "apps/v1 Deployment")
	_, err := RenderBytes(cm, d)
	assert.NilError(t, err)
	assert.ErrorContains(t, SetTypeMeta(cm, nil), "object 2 is nil")
}

func TestFilesAndWriteDir(t *testing.T) {
	objs := append(service("web", "shop", "ghcr.io/acme/web:1.0"), namespace("shop"))
	files, err := Files(objs...)
	assert.NilError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	assert.DeepEqual(t, names, []string{"namespace-shop.yaml", "service-web.yaml", "deployment-web.yaml",
		"poddisruptionbudget-web.yaml", "kustomization.yaml"})
	golden.Assert(t, string(files[len(files)-1].Data), "render/kustomization.yaml")

	dir := filepath.Join(t.TempDir(), "base")
	assert.NilError(t, WriteDir(dir, objs...))
	first, err := os.Stat(filepath.Join(dir, "deployment-web.yaml"))
	assert.NilError(t, err)
	// Writing the same objects again leaves identical files alone.
	assert.NilError(t, WriteDir(dir, objs...))
	second, err := os.Stat(filepath.Join(dir, "deployment-web.yaml"))
	assert.NilError(t, err)
	assert.Assert(t, os.SameFile(first, second), "an identical file was replaced")

	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	var onDisk []string
	for _, e := range entries {
		onDisk = append(onDisk, e.Name())
	}
	assert.DeepEqual(t, onDisk, []string{"deployment-web.yaml", "kustomization.yaml", "namespace-shop.yaml",
		"poddisruptionbudget-web.yaml", "service-web.yaml"}) // no temporary files left
	// Each file is exactly what Render writes for the object.
	for _, f := range files[:len(files)-1] {
		data, err := os.ReadFile(filepath.Join(dir, f.Name))
		assert.NilError(t, err)
		assert.Equal(t, string(data), string(f.Data))
	}
	whole, err := RenderBytes(objs...)
	assert.NilError(t, err)
	var joined []string
	for _, f := range files[:len(files)-1] {
		joined = append(joined, string(f.Data))
	}
	assert.Equal(t, strings.Join(joined, "---\n"), string(whole))
}

func TestFilesNameClash(t *testing.T) {
	a := service("web", "a", "ghcr.io/acme/web:1.0")[1]
	b := service("web", "b", "ghcr.io/acme/web:1.0")[1]
	_, err := Files(a, b)
	assert.Error(t, err, `Service "a/web" and Service "b/web" would both be written to "service-web.yaml"; write them to separate directories`)
}

func TestFileName(t *testing.T) {
	tests := map[string]string{
		"ClusterRole/system:auth-delegator": "clusterrole-system_auth-delegator.yaml",
		"Deployment/web.v2":                 "deployment-web.v2.yaml",
	}
	for in, want := range tests {
		kind, name, _ := strings.Cut(in, "/")
		if diff := cmp.Diff(want, fileName(kind, name)); diff != "" {
			t.Errorf("fileName(%q) (-want +got):\n%s", in, diff)
		}
	}
}

func TestRenderManyObjectsIsDeterministic(t *testing.T) {
	// Enough objects to render on several goroutines.
	var objs []runtime.Object
	for i := range 200 {
		objs = append(objs, service(strings.Repeat("s", 1+i%5)+string(rune('a'+i%26))+strings.Repeat("x", i/26), "ns", "ghcr.io/acme/web:1.0")...)
	}
	want, err := RenderBytes(objs...)
	assert.NilError(t, err)
	reversed := make([]runtime.Object, len(objs))
	for i, o := range objs {
		reversed[len(objs)-1-i] = o
	}
	got, err := RenderBytes(reversed...)
	assert.NilError(t, err)
	assert.Equal(t, string(got), string(want))

	// The error reported is the first failing object, however the work was split.
	bad := append(append([]runtime.Object{}, objs...), nil, &corev1.ConfigMap{})
	_, err = RenderBytes(bad...)
	assert.Error(t, err, "object 601: object is nil")
}
