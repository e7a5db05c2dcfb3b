package manifest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/pydeploy/pydeploy/manifest"
)

func ExampleRender() {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}},
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}
	if err := manifest.SetTypeMeta(svc, ns); err != nil {
		panic(err)
	}
	// The Namespace comes first whatever the input order.
	if err := manifest.Render(os.Stdout, svc, ns); err != nil {
		panic(err)
	}
	// Output:
	// apiVersion: v1
	// kind: Namespace
	// metadata:
	//   name: shop
	// spec: {}
	// ---
	// apiVersion: v1
	// kind: Service
	// metadata:
	//   name: web
	//   namespace: shop
	// spec:
	//   ports:
	//   - port: 80
	//     targetPort: http
}

func ExampleParse() {
	in := `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  WORKERS: "4"
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
`
	objs, err := manifest.Parse(strings.NewReader(in), manifest.ParseOptions{})
	if err != nil {
		panic(err)
	}
	for _, o := range objs {
		fmt.Printf("%T\n", o)
	}

	_, err = manifest.Parse(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndatta: {}\n"), manifest.ParseOptions{})
	fmt.Println(err)
	// Output:
	// *v1.ConfigMap
	// *unstructured.Unstructured
	// document 1, line 5: unknown field "datta"
}

func ExampleExpand() {
	env := manifest.MapLookup(map[string]string{"GIT_SHA": "0b5e1d2"})
	s, err := manifest.Expand("ghcr.io/acme/web:${GIT_SHA} costs $$5", env)
	fmt.Println(s, err)

	_, err = manifest.Expand("${REGION}/${GIT_SHA}/${TIER}", env)
	if missing, ok := errors.AsType[*manifest.MissingVarsError](err); ok {
		fmt.Println(missing.Names)
	}
	// Output:
	// ghcr.io/acme/web:0b5e1d2 costs $5 <nil>
	// [REGION TIER]
}

func ExampleParseImage() {
	img, err := manifest.ParseImage("nginx:1.27")
	fmt.Println(img.Registry, img.Repository, img.Tag, err)
	fmt.Println(img.String())

	_, err = manifest.ParseImage("ghcr.io/acme/web:latest")
	fmt.Println(errors.Is(err, manifest.ErrLatestTag), err)
	_, err = manifest.ParseImage("ghcr.io/acme/web:${GIT_SHA}")
	fmt.Println(err)
	// Output:
	// docker.io library/nginx 1.27 <nil>
	// docker.io/library/nginx:1.27
	// true image "ghcr.io/acme/web:latest": tag "latest" is mutable; use a version tag or a digest
	// image "ghcr.io/acme/web:${GIT_SHA}": contains an unexpanded variable; expand variables first (found ${GIT_SHA})
}

func ExampleStampObjects() {
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "ghcr.io/acme/web:1.0"}}},
	}
	stamp := manifest.Stamp{GitSHA: "0b5e1d2", LockHash: "sha256:1f2e", Version: "v0.3.0"}
	if err := manifest.StampObjects([]runtime.Object{pod}, stamp); err != nil {
		panic(err)
	}
	for _, e := range pod.Spec.Containers[0].Env {
		fmt.Println(e.Name, "<-", e.ValueFrom.FieldRef.FieldPath)
	}
	back, err := manifest.ReadStamp(pod)
	fmt.Printf("%+v %v\n", back, err)
	// Output:
	// PYDEPLOY_GIT_SHA <- metadata.annotations['pydeploy.io/git-sha']
	// PYDEPLOY_LOCK_HASH <- metadata.annotations['pydeploy.io/lock-hash']
	// {GitSHA:0b5e1d2 Image: ImageDigest: LockHash:sha256:1f2e Version:v0.3.0} <nil>
}

func ExampleKustomize() {
	fsys := filesys.MakeFsInMemory()
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "settings"},
		Data:       map[string]string{"WORKERS": "2"},
	}
	if err := manifest.WriteFS(fsys, "/app/base", cm); err != nil {
		panic(err)
	}
	overlay := "resources:\n- ../../base\nnamespace: shop-staging\nnamePrefix: staging-\n"
	if err := fsys.WriteFile("/app/overlays/staging/kustomization.yaml", []byte(overlay)); err != nil {
		panic(err)
	}
	out, err := manifest.Kustomize(context.Background(), fsys, "/app/overlays/staging")
	if err != nil {
		panic(err)
	}
	fmt.Print(string(out))
	// Output:
	// apiVersion: v1
	// data:
	//   WORKERS: "2"
	// kind: ConfigMap
	// metadata:
	//   name: staging-settings
	//   namespace: shop-staging
}
