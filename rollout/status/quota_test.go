package status

import (
	"testing"

	"gotest.tools/v3/assert"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func quotaPod(name string, phase corev1.PodPhase, cpu string) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.PodStatus{Phase: phase}}
	c := corev1.Container{Name: "app"}
	if cpu != "" {
		c.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}
		c.Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}
	}
	p.Spec.Containers = []corev1.Container{c}
	return p
}

// The API server's own wording (plugin/pkg/admission/resourcequota).
const (
	podsRefused = `pods "api-new-x" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=3, limited: pods=3`
	cpuRefused  = `pods "api-new-x" is forbidden: exceeded quota: compute, requested: requests.cpu=500m, used: requests.cpu=1500m, limited: requests.cpu=1500m`
	twoRefused  = `pods "api-new-x" is forbidden: exceeded quota: compute, requested: limits.cpu=500m,pods=1, used: limits.cpu=1500m,pods=3, limited: limits.cpu=1500m,pods=3`
)

func TestQuotaHasRoom(t *testing.T) {
	running := func(n int, cpu string) []corev1.Pod {
		var out []corev1.Pod
		for i := range n {
			out = append(out, quotaPod(string(rune('a'+i)), corev1.PodRunning, cpu))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		msg  string
		pods []corev1.Pod
		want bool
	}{
		{"still full", podsRefused, running(3, ""), false},
		{"an old pod gone", podsRefused, running(2, ""), true},
		{"finished pods count for nothing", podsRefused, append(running(2, ""), quotaPod("done", corev1.PodSucceeded, "")), true},
		{"pending pods count", podsRefused, append(running(2, ""), quotaPod("new", corev1.PodPending, "")), false},
		{"cpu: room for one more", cpuRefused, running(2, "500m"), true},
		{"cpu: full", cpuRefused, running(3, "500m"), false},
		{"two resources, both with room", twoRefused, running(2, "500m"), true},
		{"two resources, one without", twoRefused, running(2, "1"), false},
		{"not a quota refusal", `pods "x" is forbidden: violates PodSecurity "restricted:latest"`, running(0, ""), false},
		{"a resource not counted here", `exceeded quota: gpu, requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=1, limited: requests.nvidia.com/gpu=1`, running(1, ""), false},
		{"no pods seen: no judgement", podsRefused, nil, false},
		{"garbled figures", `exceeded quota: pods, requested: pods, used: pods=3, limited: pods=3`, running(1, ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, quotaHasRoom(tc.msg, &Children{Pods: tc.pods}), tc.want)
		})
	}
	assert.Assert(t, !quotaHasRoom(podsRefused, nil))
}

// podResource counts what the scheduler and quota count: app containers
// and sidecars together, or the largest init container with the sidecars
// started before it, plus overhead.
func TestPodResource(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	req := func(cpu string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}
	}
	p := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{
			{Name: "sidecar", RestartPolicy: &always, Resources: req("100m")},
			{Name: "migrate", Resources: req("2")},
		},
		Containers: []corev1.Container{{Name: "app", Resources: req("500m")}, {Name: "log", Resources: req("100m")}},
		Overhead:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")},
	}}
	got := podResource(p, corev1.ResourceCPU, false)
	assert.Equal(t, got.MilliValue(), int64(2150), "init 2 + sidecar 100m + overhead 50m")
	p.Spec.InitContainers[1].Resources = req("100m")
	got = podResource(p, corev1.ResourceCPU, false)
	assert.Equal(t, got.MilliValue(), int64(750), "apps 600m + sidecar 100m + overhead 50m")
}
