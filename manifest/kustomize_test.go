package manifest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// overlayFiles are the staging and production overlays of the web service,
// keyed by path relative to the application root.
func overlayFiles(t *testing.T) map[string]string {
	t.Helper()
	img, err := ParseImage("ghcr.io/acme/web:1.1@" + testDigest)
	assert.NilError(t, err)
	prodImages, err := yaml.Marshal([]types.Image{img.KustomizeImage("ghcr.io/acme/web")})
	assert.NilError(t, err)
	return map[string]string{
		"overlays/staging/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop-staging
resources:
- ../../base
patches:
- path: replicas.yaml
images:
- name: ghcr.io/acme/web
  newTag: "1.1"
`,
		"overlays/staging/replicas.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 1
`,
		"overlays/production/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop
resources:
- ../../base
patches:
- target: {kind: Deployment, name: web}
  patch: |
    - op: replace
      path: /spec/replicas
      value: 5
images:
` + string(prodImages),
	}
}

// inMemoryApp writes the base (from objects) and the overlays under /app.
func inMemoryApp(t *testing.T) filesys.FileSystem {
	t.Helper()
	fsys := filesys.MakeFsInMemory()
	assert.NilError(t, WriteFS(fsys, "/app/base", service("web", "shop", "ghcr.io/acme/web:1.0")...))
	for name, data := range overlayFiles(t) {
		p := filepath.Join("/app", name)
		assert.NilError(t, fsys.MkdirAll(filepath.Dir(p)))
		assert.NilError(t, fsys.WriteFile(p, []byte(data)))
	}
	return fsys
}

func TestKustomizeOverlays(t *testing.T) {
	fsys := inMemoryApp(t)
	for _, env := range []string{"staging", "production"} {
		t.Run(env, func(t *testing.T) {
			out, err := Kustomize(t.Context(), fsys, "/app/overlays/"+env)
			assert.NilError(t, err)
			golden.Assert(t, string(out), "kustomize/"+env+".yaml")
		})
	}
	objs, err := KustomizeObjects(t.Context(), fsys, "/app/overlays/production", ParseOptions{})
	assert.NilError(t, err)
	assert.Equal(t, len(objs), 3)
	d := objs[1].(*appsv1.Deployment)
	assert.Equal(t, d.Namespace, "shop")
	assert.Equal(t, *d.Spec.Replicas, int32(5))
	assert.Equal(t, d.Spec.Template.Spec.Containers[0].Image, "ghcr.io/acme/web:1.1@"+testDigest)
}

func TestKustomizeOnDisk(t *testing.T) {
	root := t.TempDir()
	assert.NilError(t, WriteDir(filepath.Join(root, "base"), service("web", "shop", "ghcr.io/acme/web:1.0")...))
	for name, data := range overlayFiles(t) {
		p := filepath.Join(root, name)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	onDisk, err := Kustomize(t.Context(), filesys.MakeFsOnDisk(), filepath.Join(root, "overlays", "staging"))
	assert.NilError(t, err)
	inMemory, err := Kustomize(t.Context(), inMemoryApp(t), "/app/overlays/staging")
	assert.NilError(t, err)
	assert.Equal(t, string(onDisk), string(inMemory))
}

func TestKustomizeRestrictions(t *testing.T) {
	tests := []struct {
		name, kustomization, want string
	}{
		{
			name:          "files outside the root are refused",
			kustomization: "resources:\n- ../../base\npatches:\n- path: ../../secret-patch.yaml\n",
			want:          "security; file '/app/secret-patch.yaml' is not in or below '/app/overlays/evil'",
		},
		{
			name:          "helm charts are disabled",
			kustomization: "helmCharts:\n- name: redis\n  repo: https://charts.example.com\n",
			want:          "must specify --enable-helm",
		},
		{
			name:          "exec and container plugins are disabled",
			kustomization: "generators:\n- gen.yaml\n",
			want:          "external plugins disabled",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := inMemoryApp(t)
			assert.NilError(t, fsys.WriteFile("/app/secret-patch.yaml", []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")))
			assert.NilError(t, fsys.MkdirAll("/app/overlays/evil"))
			assert.NilError(t, fsys.WriteFile("/app/overlays/evil/gen.yaml", []byte(
				"apiVersion: example.com/v1\nkind: Gen\nmetadata:\n  name: g\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: /bin/sh\n")))
			assert.NilError(t, fsys.WriteFile("/app/overlays/evil/kustomization.yaml", []byte(tt.kustomization)))
			_, err := Kustomize(t.Context(), fsys, "/app/overlays/evil")
			assert.ErrorContains(t, err, tt.want)
			assert.ErrorContains(t, err, `kustomize build "/app/overlays/evil"`)
		})
	}
}

func TestKustomizeConcurrent(t *testing.T) {
	want, err := Kustomize(t.Context(), inMemoryApp(t), "/app/overlays/production")
	assert.NilError(t, err)
	var wg sync.WaitGroup
	results := make([][]byte, 16)
	errs := make([]error, 16)
	for i := range 16 {
		wg.Go(func() {
			env := "production"
			if i%2 == 1 {
				env = "staging"
			}
			results[i], errs[i] = Kustomize(context.Background(), inMemoryApp(t), "/app/overlays/"+env)
		})
	}
	wg.Wait()
	for i := range 16 {
		assert.NilError(t, errs[i])
		if i%2 == 0 {
			assert.Equal(t, string(results[i]), string(want))
		}
	}
}

func TestKustomizeWaitRespectsContext(t *testing.T) {
	kustomizeSlot <- struct{}{} // another build holds the slot
	defer func() { <-kustomizeSlot }()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Kustomize(ctx, inMemoryApp(t), "/app/overlays/staging")
	assert.Assert(t, errors.Is(err, context.Canceled), "%v", err)
}

// A stamped base keeps a truthful stamp through an overlay's images: entry,
// and the version label that was the old tag follows the new one.
func TestKustomizeFollowsStampedImage(t *testing.T) {
	fsys := filesys.MakeFsInMemory()
	base := service("web", "shop", "ghcr.io/acme/web:1.0")
	d := base[0].(*appsv1.Deployment)
	// The selector keeps only the name; the object and template carry the version.
	d.Labels = map[string]string{"app.kubernetes.io/name": "web", LabelVersion: "1.0"}
	d.Spec.Template.Labels = map[string]string{"app.kubernetes.io/name": "web", LabelVersion: "1.0"}
	assert.NilError(t, StampObjects(base, Stamp{GitSHA: "abcdef0", Image: "ghcr.io/acme/web:1.0", Version: "v1.0.0"}))
	assert.NilError(t, WriteFS(fsys, "/app/base", base...))
	for name, data := range overlayFiles(t) {
		p := filepath.Join("/app", name)
		assert.NilError(t, fsys.MkdirAll(filepath.Dir(p)))
		assert.NilError(t, fsys.WriteFile(p, []byte(data)))
	}
	for env, want := range map[string]struct{ image, digest, version string }{
		"staging":    {"ghcr.io/acme/web:1.1", "", "1.1"},
		"production": {"ghcr.io/acme/web:1.1@" + testDigest, testDigest, "1.1"},
	} {
		objs, err := KustomizeObjects(t.Context(), fsys, "/app/overlays/"+env, ParseOptions{})
		assert.NilError(t, err)
		d := objs[1].(*appsv1.Deployment)
		assert.Equal(t, d.Spec.Template.Spec.Containers[0].Image, want.image)
		s, err := ReadStamp(d)
		assert.NilError(t, err)
		assert.Equal(t, s.Image, want.image, env)
		assert.Equal(t, s.ImageDigest, want.digest, env)
		assert.Equal(t, s.GitSHA, "abcdef0")
		assert.Equal(t, d.Annotations[AnnotationImage], want.image)
		assert.Equal(t, d.Labels[LabelVersion], want.version)
		assert.Equal(t, d.Spec.Template.Labels[LabelVersion], want.version)
		// the stamp still describes an image a container runs
		assert.NilError(t, StampObjects(objs, s))
	}
}

// An explicit version that is not the image tag is left alone.
func TestKustomizeKeepsExplicitVersion(t *testing.T) {
	fsys := filesys.MakeFsInMemory()
	base := service("web", "shop", "ghcr.io/acme/web:1.0")
	base[0].(*appsv1.Deployment).Labels = map[string]string{"app.kubernetes.io/name": "web", LabelVersion: "2026.12"}
	assert.NilError(t, StampObjects(base, Stamp{Image: "ghcr.io/acme/web:1.0", Version: "v1.0.0"}))
	assert.NilError(t, WriteFS(fsys, "/app/base", base...))
	assert.NilError(t, fsys.MkdirAll("/app/overlay"))
	assert.NilError(t, fsys.WriteFile("/app/overlay/kustomization.yaml", []byte("resources: [../base]\nimages: [{name: ghcr.io/acme/web, newTag: '1.1'}]\n")))
	objs, err := KustomizeObjects(t.Context(), fsys, "/app/overlay", ParseOptions{})
	assert.NilError(t, err)
	d := objs[1].(*appsv1.Deployment)
	assert.Equal(t, d.Labels[LabelVersion], "2026.12")
	assert.Equal(t, d.Spec.Template.Annotations[AnnotationImage], "ghcr.io/acme/web:1.1")
}

// An overlay that changes a spec-named Job's template renames it.
func TestKustomizeRenamesSpecNamedJob(t *testing.T) {
	fsys := filesys.MakeFsInMemory()
	j := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: "web-migrate", Annotations: map[string]string{NameFromSpecAnnotation: "web-migrate"}},
	}
	j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
	j.Spec.Template.Spec.Containers = []corev1.Container{{Name: "migrate", Image: "ghcr.io/acme/web:1.0"}}
	j.Name = "web-migrate-" + JobSpecHash(j.Spec)
	base := j.Name
	assert.NilError(t, WriteFS(fsys, "/app/base", j))
	assert.NilError(t, fsys.MkdirAll("/app/same"))
	assert.NilError(t, fsys.WriteFile("/app/same/kustomization.yaml", []byte("resources: [../base]\n")))
	assert.NilError(t, fsys.MkdirAll("/app/newer"))
	assert.NilError(t, fsys.WriteFile("/app/newer/kustomization.yaml", []byte("resources: [../base]\nimages: [{name: ghcr.io/acme/web, newTag: '1.1'}]\n")))
	same, err := KustomizeObjects(t.Context(), fsys, "/app/same", ParseOptions{})
	assert.NilError(t, err)
	assert.Equal(t, same[0].(*batchv1.Job).Name, base)
	newer, err := KustomizeObjects(t.Context(), fsys, "/app/newer", ParseOptions{})
	assert.NilError(t, err)
	nj := newer[0].(*batchv1.Job)
	assert.Equal(t, nj.Spec.Template.Spec.Containers[0].Image, "ghcr.io/acme/web:1.1")
	assert.Equal(t, nj.Name, "web-migrate-"+JobSpecHash(nj.Spec))
	assert.Assert(t, nj.Name != base)
}
