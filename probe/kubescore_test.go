package probe

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// TestEquivalentAgreesWithKubeScore runs the real kube-score on a
// Deployment per pair of probes and checks that its pod-probes-identical
// verdict matches Equivalent, except where Equivalent is documented to be
// stricter. It is skipped where kube-score is not installed.
func TestEquivalentAgreesWithKubeScore(t *testing.T) {
	bin, err := exec.LookPath("kube-score")
	if err != nil {
		t.Skip("kube-score not in PATH")
	}
	port := intstr.FromInt32(8000)
	tests := []struct {
		name      string
		readiness *corev1.Probe
		liveness  *corev1.Probe
		// kubeScore is kube-score's verdict when it differs from Equivalent.
		kubeScore *bool
	}{
		{name: "same http", readiness: HTTPGet("/h", port).Probe(), liveness: HTTPGet("/h", port).WithFailureThreshold(9).Probe()},
		{name: "different path", readiness: HTTPGet("/ready", port).Probe(), liveness: HTTPGet("/live", port).Probe()},
		{name: "scheme", readiness: HTTPGet("/h", port).Probe(), liveness: HTTPGet("/h", port).WithScheme(corev1.URISchemeHTTPS).Probe()},
		{name: "host header", readiness: HTTPGet("/h", port).WithHostHeader("a").Probe(), liveness: HTTPGet("/h", port).WithHostHeader("b").Probe()},
		{name: "named vs number", readiness: HTTPGet("/h", port).Probe(), liveness: HTTPGet("/h", intstr.FromString("http")).Probe()},
		{name: "two named ports", readiness: HTTPGet("/h", intstr.FromString("http")).Probe(), liveness: HTTPGet("/h", intstr.FromString("admin")).Probe(), kubeScore: new(true)},
		{name: "empty path vs root", readiness: HTTPGet("", port).Probe(), liveness: HTTPGet("/", port).Probe(), kubeScore: new(false)},
		{name: "same tcp", readiness: TCP(port).Probe(), liveness: TCP(port).Probe()},
		{name: "different tcp", readiness: TCP(port).Probe(), liveness: TCP(intstr.FromInt32(8001)).Probe()},
		{name: "same grpc", readiness: GRPC(9000).Probe(), liveness: GRPC(9000).Probe(), kubeScore: new(false)},
		{name: "same exec", readiness: Exec("a", "b").Probe(), liveness: Exec("a", "b").Probe()},
		{name: "different exec", readiness: Exec("a", "b").Probe(), liveness: Exec("a").Probe()},
		{name: "http vs tcp", readiness: HTTPGet("/", port).Probe(), liveness: TCP(port).Probe()},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			assert.NilError(t, os.WriteFile(file, deploymentYAML(t, tc.readiness, tc.liveness), 0o600))
			out, _ := exec.CommandContext(t.Context(), bin, "score", "--output-format", "ci", file).CombinedOutput()
			flagged := strings.Contains(string(out), "Container has the same readiness and liveness probe")
			want := Equivalent(tc.readiness, tc.liveness)
			if tc.kubeScore != nil {
				assert.Assert(t, *tc.kubeScore != want, "listed as a difference, but both say %t", want)
				want = *tc.kubeScore
			}
			assert.Equal(t, flagged, want, "kube-score output:\n%s", out)
		})
	}
}

func deploymentYAML(t *testing.T, readiness, liveness *corev1.Probe) []byte {
	t.Helper()
	labels := map[string]string{"app": "a"}
	d := appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "ns"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "repo/app:1",
					Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: 8000}, {Name: "admin", ContainerPort: 8001}},
					ReadinessProbe: readiness, LivenessProbe: liveness,
				}}},
			},
		},
	}
	out, err := yaml.Marshal(d)
	assert.NilError(t, err)
	return out
}
