package manifest

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func testStamp() Stamp {
	return Stamp{
		GitSHA:      "0b5e1d2c9a",
		Image:       "ghcr.io/acme/web:1.0@" + testDigest,
		ImageDigest: testDigest,
		LockHash:    "sha256:1f2e",
		Version:     "v0.3.0",
	}
}

func TestStampObjectsGolden(t *testing.T) {
	objs := service("web", "shop", "ghcr.io/acme/web:1.0@"+testDigest)
	assert.NilError(t, StampObjects(objs, testStamp()))
	first, err := RenderBytes(objs...)
	assert.NilError(t, err)
	golden.Assert(t, string(first), "stamp/service.yaml")

	// Stamping again with the same values changes nothing.
	assert.NilError(t, StampObjects(objs, testStamp()))
	again, err := RenderBytes(objs...)
	assert.NilError(t, err)
	assert.Equal(t, string(again), string(first))
}

func TestStampReplacesAndRemoves(t *testing.T) {
	objs := service("web", "shop", "ghcr.io/acme/web:1.0")
	assert.NilError(t, StampObjects(objs, testStamp()))
	next := Stamp{GitSHA: "aaaaaaa", Version: "v0.4.0"}
	assert.NilError(t, StampObjects(objs, next))
	for _, obj := range objs {
		got, err := ReadStamp(obj)
		assert.NilError(t, err)
		assert.DeepEqual(t, got, next)
	}
	d := objs[0].(*appsv1.Deployment)
	assert.DeepEqual(t, d.Annotations, map[string]string{AnnotationGitSHA: "aaaaaaa", AnnotationVersion: "v0.4.0"})
	env := d.Spec.Template.Spec.Containers[0].Env
	assert.Equal(t, len(env), 2)
	assert.Equal(t, env[0].Name, "PYTHONUNBUFFERED") // user variables keep their place
	assert.DeepEqual(t, env[1], corev1.EnvVar{Name: "PYDEPLOY_GIT_SHA", ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['pydeploy.io/git-sha']"}}})
	assert.DeepEqual(t, d.Spec.Template.Annotations, map[string]string{AnnotationGitSHA: "aaaaaaa"})
}

func TestStampWorkloadKinds(t *testing.T) {
	cron := &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: "cleanup"},
	}
	cron.Spec.JobTemplate.Spec.Template.Spec.Containers = []corev1.Container{{Name: "job", Image: "ghcr.io/acme/job:1"}}
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "debug"},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox:1.36"}},
			Containers:     []corev1.Container{{Name: "main", Image: "busybox:1.36"}},
		},
	}
	u := toUnstructuredObj(t, service("api", "shop", "ghcr.io/acme/api:2")[0])
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "cfg"}}
	objs := []runtime.Object{cron, pod, u, cm}
	s := testStamp()
	s.Image = "ghcr.io/acme/api:2"
	assert.NilError(t, StampObjects(objs, s))

	assert.Equal(t, cron.Spec.JobTemplate.Spec.Template.Annotations[AnnotationGitSHA], s.GitSHA)
	assert.Equal(t, len(cron.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Env), 4)
	assert.Equal(t, len(pod.Spec.InitContainers[0].Env), 4)
	assert.Equal(t, pod.Annotations[AnnotationLockHash], s.LockHash)
	assert.Equal(t, cm.Annotations[AnnotationImageDigest], s.ImageDigest)
	for _, obj := range objs {
		got, err := ReadStamp(obj)
		assert.NilError(t, err)
		assert.DeepEqual(t, got, s)
	}
	// The unstructured Deployment renders exactly like a typed one.
	typed := service("api", "shop", "ghcr.io/acme/api:2")[0]
	assert.NilError(t, StampObjects([]runtime.Object{typed}, s))
	want, err := RenderBytes(typed)
	assert.NilError(t, err)
	got, err := RenderBytes(u)
	assert.NilError(t, err)
	assert.Equal(t, string(got), string(want))
}

func TestStampEnvClashLeavesObjectsUntouched(t *testing.T) {
	a := service("a", "shop", "ghcr.io/acme/a:1")
	b := service("b", "shop", "ghcr.io/acme/b:1")
	b[0].(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "PYDEPLOY_GIT_SHA", Value: "hand-written"}}
	before, err := RenderBytes(append(a, b...)...)
	assert.NilError(t, err)
	err = StampObjects(append(a, b...), testStamp())
	assert.Error(t, err, `Deployment "shop/b": container "app" sets PYDEPLOY_GIT_SHA itself; remove it, the stamp provides it from annotation pydeploy.io/git-sha`)
	after, err := RenderBytes(append(a, b...)...)
	assert.NilError(t, err)
	assert.Equal(t, string(after), string(before))
}

func TestStampValidate(t *testing.T) {
	tests := []struct {
		s    Stamp
		want string
	}{
		{Stamp{GitSHA: "main"}, `stamp git SHA "main": expected 7 to 64 lower-case hex digits`},
		{Stamp{Image: "nginx:latest"}, `stamp image: image "nginx:latest": tag "latest" is mutable; use a version tag or a digest`},
		{Stamp{ImageDigest: "sha256:12"}, `stamp image digest "sha256:12": expected algorithm:hex, such as sha256:<64 hex digits>`},
		{Stamp{Image: "ghcr.io/a/b@" + testDigest, ImageDigest: "sha256:" + "0000000000000000000000000000000000000000000000000000000000000000"},
			"stamp image \"ghcr.io/a/b@" + testDigest + "\" has digest " + testDigest + " but the stamp's image digest is sha256:0000000000000000000000000000000000000000000000000000000000000000"},
	}
	for _, tt := range tests {
		assert.Error(t, tt.s.Validate(), tt.want)
		assert.Error(t, StampObjects(nil, tt.s), tt.want)
	}
	assert.NilError(t, Stamp{}.Validate()) // every field is optional
}

func TestReadStampAbsent(t *testing.T) {
	_, err := ReadStamp(service("web", "shop", "ghcr.io/acme/web:1")[0])
	assert.Assert(t, errors.Is(err, ErrNoStamp), "%v", err)
	assert.Error(t, err, `Deployment "shop/web": object carries no pydeploy stamp`)
}

func TestStampDefaultsLibraryVersion(t *testing.T) {
	objs := service("web", "shop", "ghcr.io/acme/web:1")
	assert.NilError(t, StampObjects(objs, Stamp{GitSHA: "abcdef0"}))
	got, err := ReadStamp(objs[0])
	assert.NilError(t, err)
	assert.Equal(t, got.Version, LibraryVersion())
	assert.Assert(t, got.Version != "")
}

// Upgrading the library alone changes no pod template, so it rolls no pod:
// the version is on the objects' own metadata only.
func TestStampLibraryUpgradeRollsNothing(t *testing.T) {
	before := service("web", "shop", "ghcr.io/acme/web:1.0@"+testDigest)
	after := service("web", "shop", "ghcr.io/acme/web:1.0@"+testDigest)
	old, upgraded := testStamp(), testStamp()
	old.Version, upgraded.Version = "v0.3.0", "v0.9.1"
	assert.NilError(t, StampObjects(before, old))
	assert.NilError(t, StampObjects(after, upgraded))
	b, a := before[0].(*appsv1.Deployment), after[0].(*appsv1.Deployment)
	assert.DeepEqual(t, a.Spec.Template, b.Spec.Template)
	assert.Equal(t, a.Annotations[AnnotationVersion], "v0.9.1")
	_, inTemplate := a.Spec.Template.Annotations[AnnotationVersion]
	assert.Assert(t, !inTemplate)
	got, err := ReadStamp(a)
	assert.NilError(t, err)
	assert.DeepEqual(t, got, upgraded)
}

// A stamp naming an image no container runs is refused, naming what runs.
func TestStampImageMustBeRun(t *testing.T) {
	objs := service("orders-api", "shop", "ghcr.io/acme/orders-api:1.4.2")
	before, err := RenderBytes(objs...)
	assert.NilError(t, err)
	err = StampObjects(objs, Stamp{Image: "something-else:9.9.9"})
	assert.Error(t, err, `stamp image "something-else:9.9.9" is run by no container: Deployment "shop/orders-api" container "app" runs "ghcr.io/acme/orders-api:1.4.2"; stamp the image the objects deploy`)
	after, err := RenderBytes(objs...)
	assert.NilError(t, err)
	assert.Equal(t, string(after), string(before))

	for _, tc := range []struct {
		container, image, digest string
		runs                     bool
	}{
		{"ghcr.io/acme/orders-api:1.4.2", "ghcr.io/acme/orders-api:1.4.2", "", true},
		{"ghcr.io/acme/orders-api:1.4.2@" + testDigest, "ghcr.io/acme/orders-api:1.4.2", "", true},
		{"ghcr.io/acme/orders-api@" + testDigest, "ghcr.io/acme/orders-api:1.4.2", testDigest, true},
		{"ghcr.io/acme/orders-api:1.4.2", "ghcr.io/acme/orders-api@" + testDigest, "", false}, // the tag's digest is unknown
		{"ghcr.io/acme/orders-api:1.4.2", "ghcr.io/acme/orders-api:1.4.3", "", false},
		{"ghcr.io/acme/orders-api:1.4.2", "ghcr.io/other/orders-api:1.4.2", "", false},
	} {
		err := StampObjects(service("orders-api", "shop", tc.container), Stamp{Image: tc.image, ImageDigest: tc.digest})
		if tc.runs {
			assert.NilError(t, err, "%+v", tc)
		} else {
			assert.ErrorContains(t, err, "is run by no container", "%+v", tc)
		}
	}
	// Objects without pod templates cannot contradict the image.
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "cfg"}}
	assert.NilError(t, StampObjects([]runtime.Object{cm}, Stamp{Image: "something-else:9.9.9"}))
}

func TestReadStampNilAndPartial(t *testing.T) {
	var d *appsv1.Deployment
	_, err := ReadStamp(d)
	assert.Error(t, err, "object is nil")
	_, err = ReadStamp(nil)
	assert.Error(t, err, "object is nil")
	assert.Error(t, StampObjects([]runtime.Object{d}, Stamp{GitSHA: "abcdef0"}), "object 1 is nil")
	var cron *batchv1.CronJob
	_, err = ReadStamp(cron)
	assert.Error(t, err, "object is nil")
	empty := &appsv1.Deployment{}
	_, err = ReadStamp(empty)
	assert.Assert(t, errors.Is(err, ErrNoStamp))
}

// A Job named by its spec gets a new name when a new stamp changes its
// template (its template is immutable), and keeps it when the same stamp
// is applied again.
func TestStampRenamesSpecNamedJob(t *testing.T) {
	job := func() *batchv1.Job {
		j := &batchv1.Job{
			TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
			ObjectMeta: metav1.ObjectMeta{Name: "web-migrate-x", Namespace: "shop", Annotations: map[string]string{NameFromSpecAnnotation: "web-migrate"}},
		}
		j.Spec.Template.Spec.Containers = []corev1.Container{{Name: "migrate", Image: "ghcr.io/acme/web:1.0"}}
		return j
	}
	stamp := func(sha string) string {
		j := job()
		assert.NilError(t, StampObjects([]runtime.Object{j}, Stamp{GitSHA: sha, Image: "ghcr.io/acme/web:1.0", Version: "v1"}))
		assert.Equal(t, j.Name, "web-migrate-"+JobSpecHash(j.Spec))
		u := toUnstructuredObj(t, job())
		assert.NilError(t, StampObjects([]runtime.Object{u}, Stamp{GitSHA: sha, Image: "ghcr.io/acme/web:1.0", Version: "v1"}))
		assert.Equal(t, u.GetName(), j.Name, "typed and unstructured Jobs get the same name")
		return j.Name
	}
	a, again, b := stamp("aaaaaaa"), stamp("aaaaaaa"), stamp("bbbbbbb")
	assert.Equal(t, a, again)
	assert.Assert(t, a != b, "a new git SHA must make a new Job")
}
