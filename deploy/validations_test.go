package deploy

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/pydeploy/pydeploy/probe"
)

// TestValidations covers the reference note's V1–V17 that the kube-linter
// tests do not: one row per rule, rejected through the builder API or, where
// the API cannot produce it, through a mutated object.
func TestValidations(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		app    App
		mutate func(*Bundle)
		want   CheckID
	}{
		{"V1 deployment name", NewApp("Payments_API", "payments"), nil, CheckName},
		{"V1 service name is DNS-1035", NewApp("9payments", "payments"), nil, CheckName},
		{"V1 namespace", NewApp("payments-api", "Payments"), nil, CheckName},
		{"V2 label value", linterBase().WithLabels(map[string]string{"team": "payments team"}), nil, CheckLabels},
		{"V2 selector label", linterBase().WithSelector(map[string]string{"app": "-bad-"}), nil, CheckLabels},
		{"V3 empty selector", linterBase().WithSelector(map[string]string{}), nil, CheckSelectorMatch},
		{"V6 unnamed service port", App{}, func(b *Bundle) {
			b.Service.Spec.Ports = append(b.Service.Spec.Ports, corev1.ServicePort{Port: 9000, TargetPort: intstr.FromInt32(8000)})
		}, CheckServicePortNames},
		{"V6 duplicate service port name", linterBase().WithExtraPort("http", 9000), nil, CheckPorts},
		{"V7 gRPC port not exposed", linterBase().WithLiveness(probe.GRPC(9090)), nil, CheckProbePort},
		{"V8 liveness successThreshold", linterBase().WithLiveness(probe.HTTPGet("/live", intstr.FromString("http")).WithSuccessThreshold(2)), nil, CheckProbeSpec},
		{"V8 probe timing", linterBase().WithReadiness(probe.HTTPGet("/ready", intstr.FromString("http")).WithFailureThreshold(-1)), nil, CheckProbeSpec},
		{"V10 startup needed", linterBase().WithLiveness(probe.HTTPGet("/live", intstr.FromString("http"))).WithoutStartupProbe().WithBootTime(2 * time.Minute), nil, CheckProbeStartup},
		{"V12 maxUnavailable over 100%", linterBase().WithRollingUpdate(intstr.FromString("25%"), intstr.FromString("150%")), nil, CheckStrategy},
		{"V12 bad percent", linterBase().WithRollingUpdate(intstr.FromString("lots"), intstr.FromInt32(1)), nil, CheckStrategy},
		{"Recreate behind a Service", linterBase().WithStrategy(appsRecreate()), nil, CheckStrategy},
		{"V13 preStop not below grace", linterBase().WithShutdown(Shutdown{PreStopSleep: 10 * time.Second}), nil, CheckShutdown},
		{"V16 restart policy", App{}, func(b *Bundle) { b.Deployment.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever }, CheckRestartPolicy},
		{"V17 PDB selects nothing", App{}, func(b *Bundle) { b.PodDisruptionBudget.Spec.Selector.MatchLabels = map[string]string{"x": "y"} }, CheckPDB},
		{"readiness required behind a Service", linterBase().WithoutReadiness(""), nil, CheckProbeReadiness},
		{"env name", linterBase().WithEnv("1BAD", "x"), nil, CheckEnvName},
		{"server app reference", linterBase().WithServer(Gunicorn("payments")), nil, CheckServer},
		{"server workers", linterBase().WithServer(Uvicorn("a:b").WithWorkers(0)), nil, CheckServer},
		{"no server", NewApp("payments-api", "payments").WithImage("ghcr.io/acme/payments:1"), nil, CheckServer},
		{"read-only root without /tmp", linterBase().WithoutTmp(), nil, CheckTmpVolume},
		{"writable path needs a reason", linterBase().WithWritablePath("/app/cache", "10Mi", ""), nil, CheckTmpVolume},
		{"writable path must be absolute", linterBase().WithWritablePath("cache", "10Mi", "x"), nil, CheckTmpVolume},
		{"seccomp", linterBase().WithPodSecurityContext(&corev1.PodSecurityContext{RunAsNonRoot: new(true), RunAsUser: new(int64(20000)), RunAsGroup: new(int64(20000))}), nil, CheckSeccomp},
		{"ephemeral storage", linterBase().WithEphemeralStorage("1Gi", ""), nil, CheckEphemeralStorage},
		{"progress deadline", linterBase().WithProgressDeadline(0), nil, CheckDeploymentSpec},
		{"negative replicas", linterBase().WithReplicas(-1), nil, CheckDeploymentSpec},
		{"waiver of waivers", linterBase().Waive(CheckWaiver, "no"), nil, CheckWaiver},
		{"duplicate waiver", linterBase().Waive(CheckEnvSecret, "a").Waive(CheckEnvSecret, "b"), nil, CheckWaiver},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.mutate != nil {
				rejectsObject(t, tc.mutate, tc.want)
				return
			}
			a := tc.app
			if a.image == "" && a.server.kind == "" {
				a = a.WithImage("ghcr.io/acme/payments:1").WithServer(Gunicorn("payments.wsgi:application"))
			}
			rejects(t, a, tc.want)
		})
	}
}
