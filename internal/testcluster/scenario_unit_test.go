package testcluster_test

import (
	"testing"

	"gotest.tools/v3/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

func TestParseScenario(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want testcluster.Scenario
		err  string
	}{
		{"crashloop", testcluster.CrashLoop, ""},
		{" CrashLoop ", testcluster.CrashLoop, ""},
		{"ready", testcluster.Ready, ""},
		{"", "", `unknown scenario "": expected one of configerror, crashloop, imagepull, invalidimage, oomkilled, readinessfail, ready, slow, unschedulable`},
		{"crash", "", `unknown scenario "crash": expected one of`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := testcluster.ParseScenario(tc.in)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			assert.NilError(t, err)
			assert.Equal(t, got, tc.want)
		})
	}
}

func TestImageScenario(t *testing.T) {
	for image, want := range map[string]testcluster.Scenario{
		"python:3.12":                          testcluster.Ready,
		"example.com/app:ready":                testcluster.Ready,
		"example.com/app:crashloop":            testcluster.CrashLoop,
		"example.com/app:CrashLoop":            testcluster.CrashLoop,
		"example.com/imagepull/app:1":          testcluster.ImagePull,
		"example.com/INVALIDIMAGE:x":           testcluster.InvalidImage,
		"app-readinessfail:2":                  testcluster.ReadinessFail,
		"app_oomkilled":                        testcluster.OOMKilled,
		"example.com/app:configerror":          testcluster.ConfigError,
		"example.com/app.unschedulable":        testcluster.Unschedulable,
		"example.com/app:slow":                 testcluster.Slow,
		"example.com/slowapi:1":                testcluster.Ready, // whole components only
		"example.com/app@sha256:crashloop0000": testcluster.Ready, // digests are ignored
	} {
		assert.Equal(t, testcluster.ImageScenario(image), want, image)
	}
}

func TestPodScenarios(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "app", Image: "example.com/app:crashloop"},
			{Name: "sidecar", Image: "example.com/proxy:1"},
		}},
	}
	got, err := testcluster.PodScenarios(pod)
	assert.NilError(t, err)
	assert.DeepEqual(t, got, map[string]testcluster.Scenario{"app": testcluster.CrashLoop, "sidecar": testcluster.Ready})

	pod.Annotations = map[string]string{testcluster.ScenarioAnnotation: "imagepull"}
	got, err = testcluster.PodScenarios(pod)
	assert.NilError(t, err)
	assert.DeepEqual(t, got, map[string]testcluster.Scenario{"app": testcluster.ImagePull, "sidecar": testcluster.ImagePull})

	pod.Annotations[testcluster.ScenarioAnnotation] = "boom"
	_, err = testcluster.PodScenarios(pod)
	assert.ErrorContains(t, err, `pod ns/p: annotation testcluster.pydeploy.io/scenario: unknown scenario "boom"`)
}

func TestOptionsValidation(t *testing.T) {
	_, err := testcluster.Start(t.Context(), testcluster.Options{ReadyDelay: -1})
	assert.Error(t, err, "testcluster options: ReadyDelay is -1ns: expected a positive duration, or zero for the default 200ms")
}
