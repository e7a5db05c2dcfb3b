package testcluster_test

import (
	"testing"

	"gotest.tools/v3/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

func TestParseScenario(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want testcluster.Scenario
		err  string
	}{
		{in: "crashloop", want: testcluster.CrashLoop},
		{in: " CrashLoop ", want: testcluster.CrashLoop},
		{in: "ready", want: testcluster.Ready},
		{in: "crash:exit=1,times=2", want: "crash:exit=1,times=2"},
		{in: "Crash: exit=3, after=1s", want: "crash:exit=3,after=1s"},
		{in: "oom:times=1;ready:after=2s", want: "oom:times=1;ready:after=2s"},
		{in: "pull:err=429;crash:pod=1|2", want: "pull:err=429;crash:pod=1|2"},
		{in: "pull:delay=3s", want: "pull:delay=3s"},
		{in: "flap:period=500ms", want: "flap:period=500ms"},
		{in: "notready;complete:after=0s", want: "notready;complete:after=0s"},
		{in: "", err: `scenario "": empty: expected a keyword (crashloop, imagepull, oomkilled, ratelimited, readinessfail, ready, slow, unauthorized) or clauses such as crash:times=2`},
		{in: "crash;", err: `scenario "crash;": empty clause: expected name[:key=value,...] between the semicolons`},
		{in: "explode", err: `scenario "explode": unknown clause "explode": expected a keyword (crashloop, imagepull, oomkilled, ratelimited, readinessfail, ready, slow, unauthorized) or one of pull, run, complete, crash, oom, ready, notready, flap`},
		{in: "crash:exit=x", err: `scenario "crash:exit=x": clause crash: exit=x: expected an exit code 0-255`},
		{in: "crash:exit=256", err: "expected an exit code 0-255"},
		{in: "crash:times=0", err: "clause crash: times=0: expected a count of 1 or more"},
		{in: "crash:after=-1s", err: "clause crash: after=-1s: expected a duration such as 300ms or 2s, up to 1h"},
		{in: "crash:after", err: `clause crash: option "after": expected key=value`},
		{in: "crash:exit=1,exit=2", err: "clause crash: option exit given twice"},
		{in: "crash:period=1s", err: `clause crash: unknown option "period": expected exit, after, times, pod`},
		{in: "run:after=1s", err: `clause run: unknown option "after": expected pod`},
		{in: "pull:err=timeout", err: "clause pull: err=timeout: expected notfound, unauthorized or 429"},
		{in: "pull:delay=slow", want: "pull:delay=slow"},
		{in: "crash:delay=slow", err: `unknown option "delay"`},
		{in: "flap:period=0s", err: "clause flap: period=0s: expected a duration"},
		{in: "crash:pod=a", err: "clause crash: pod=a: expected ordinals (0, 1, …) separated by |"},
		{in: "crash:pod=1,pod=2", err: "clause crash: option pod given twice"},
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

// The keyword constants are the grammar's keywords (internal/grammar has
// the parser's fuzz test: it builds without Kubernetes).
func TestKeywords(t *testing.T) {
	assert.DeepEqual(t, testcluster.Scenarios(), []testcluster.Scenario{
		testcluster.CrashLoop, testcluster.ImagePull, testcluster.OOMKilled, testcluster.RateLimited,
		testcluster.ReadinessFail, testcluster.Ready, testcluster.Slow, testcluster.Unauthorized,
	})
	for _, sc := range testcluster.Scenarios() {
		got, err := testcluster.ParseScenario(string(sc))
		assert.NilError(t, err)
		assert.Equal(t, got, sc)
	}
}

func TestImageScenario(t *testing.T) {
	for image, want := range map[string]testcluster.Scenario{
		"python:3.12":                          testcluster.Ready,
		"example.com/app:ready":                testcluster.Ready,
		"example.com/app:crashloop":            testcluster.CrashLoop,
		"example.com/app:CrashLoop":            testcluster.CrashLoop,
		"example.com/imagepull/app:1":          testcluster.ImagePull,
		"app-readinessfail:2":                  testcluster.ReadinessFail,
		"app_oomkilled":                        testcluster.OOMKilled,
		"ghcr.io/acme/unauthorized/app:1":      testcluster.Unauthorized,
		"example.com/app:ratelimited":          testcluster.RateLimited,
		"example.com/app:slow":                 testcluster.Slow,
		"example.com/slowapi:1":                testcluster.Ready, // whole components only
		"example.com/app@sha256:crashloop0000": testcluster.Ready, // digests are ignored
		"example.com/app:crash":                testcluster.Ready, // clauses are not keywords
	} {
		assert.Equal(t, testcluster.ImageScenario(image), want, image)
	}
}

func TestPodScenarios(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{
				{Name: "migrate", Image: "example.com/migrate:1"},
				{Name: "proxy", Image: "example.com/proxy:oomkilled", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)},
			},
			Containers: []corev1.Container{
				{Name: "app", Image: "example.com/app:crashloop"},
				{Name: "sidecar", Image: "example.com/proxy:1"},
			},
		},
	}
	got, err := testcluster.PodScenarios(pod)
	assert.NilError(t, err)
	assert.DeepEqual(t, got, map[string]testcluster.Scenario{
		"migrate": testcluster.Ready, "proxy": testcluster.OOMKilled,
		"app": testcluster.CrashLoop, "sidecar": testcluster.Ready,
	})

	pod.Annotations = map[string]string{
		testcluster.ScenarioAnnotation:                     "imagepull",
		testcluster.ContainerScenarioAnnotation("migrate"): "Crash: times=2",
	}
	got, err = testcluster.PodScenarios(pod)
	assert.NilError(t, err)
	assert.DeepEqual(t, got, map[string]testcluster.Scenario{
		"migrate": "crash:times=2", "proxy": testcluster.ImagePull,
		"app": testcluster.ImagePull, "sidecar": testcluster.ImagePull,
	})

	pod.Annotations[testcluster.ContainerScenarioAnnotation("app")] = "boom"
	_, err = testcluster.PodScenarios(pod)
	assert.Error(t, err, `pod ns/p: annotation testcluster.pydeploy.io/scenario.app: scenario "boom": unknown clause "boom": `+
		`expected a keyword (crashloop, imagepull, oomkilled, ratelimited, readinessfail, ready, slow, unauthorized) or one of pull, run, complete, crash, oom, ready, notready, flap`)
}

func TestOptionsValidation(t *testing.T) {
	for _, tc := range []struct {
		opts testcluster.Options
		err  string
	}{
		{testcluster.Options{Nodes: -1}, "testcluster options: Nodes is -1: expected a positive number, or zero for the default 3"},
		{testcluster.Options{Nodes: 16}, "testcluster options: Nodes is 16: expected at most 15"},
		{testcluster.Options{NodeCPUs: -2}, "testcluster options: NodeCPUs is -2: expected a positive number, or zero for the default 4"},
		{testcluster.Options{NodeMemory: "lots"}, `testcluster options: NodeMemory is "lots": expected a positive quantity such as 8Gi`},
		{testcluster.Options{SlowReadyDelay: -1}, "testcluster options: SlowReadyDelay is -1ns: expected a positive duration, or zero for the default 3s"},
	} {
		_, err := testcluster.Start(t.Context(), tc.opts)
		assert.Error(t, err, tc.err)
	}
}
