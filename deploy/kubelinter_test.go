package deploy

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/pydeploy/pydeploy/probe"
)

// Each TestKubeLinter_<check> covers one check that kube-linter enables by
// default (internal/defaultchecks/default_checks.go) and that applies to the
// objects deploy builds: the default output passes, and a spec that would
// trip it is rejected by Build, or, where the builder cannot produce it, the
// validator rejects the mutated object.

func linterBase() App {
	return NewApp("payments-api", "payments").
		WithImage("ghcr.io/acme/payments:3f2c1a9").
		WithServer(Gunicorn("payments.wsgi:application").WithWorkers(4)).
		WithReplicas(3)
}

// passes asserts that the default build, and Validate on its objects,
// report nothing for id.
func passes(t *testing.T, id CheckID) {
	t.Helper()
	bundle, err := linterBase().Build()
	assert.NilError(t, err)
	for _, p := range bundle.Warnings {
		assert.Assert(t, p.Check != id, "default build warns %s: %s", id, p)
	}
	warnings, err := Validate(bundle.Objects()...)
	assert.NilError(t, err)
	for _, p := range warnings {
		assert.Assert(t, p.Check != id, "default build warns %s: %s", id, p)
	}
}

// rejects asserts that Build fails a with a problem filed under id.
func rejects(t *testing.T, a App, id CheckID) {
	t.Helper()
	_, err := a.Build()
	var ve *ValidationError
	assert.Assert(t, errors.As(err, &ve), "Build succeeded; want %s", id)
	assert.Assert(t, ve.Has(id), "want %s in:\n%s", id, ve)
}

// rejectsObject builds the default bundle, mutates it as a hand-edited
// manifest would be, and asserts that Validate reports id.
func rejectsObject(t *testing.T, mutate func(*Bundle), id CheckID) {
	t.Helper()
	bundle, err := linterBase().Build()
	assert.NilError(t, err)
	mutate(bundle)
	_, err = Validate(bundle.Objects()...)
	var ve *ValidationError
	assert.Assert(t, errors.As(err, &ve), "Validate passed the mutated bundle; want %s", id)
	assert.Assert(t, ve.Has(id), "want %s in:\n%s", id, ve)
}

func TestKubeLinter_dangling_service(t *testing.T) {
	passes(t, CheckServiceDangling)
	rejectsObject(t, func(b *Bundle) { b.Service.Spec.Selector = map[string]string{LabelName: "other"} }, CheckServiceDangling)
	rejects(t, linterBase().WithPodLabels(map[string]string{LabelName: "other"}), CheckOption)
}

func TestKubeLinter_deprecated_service_account_field(t *testing.T) {
	passes(t, CheckServiceAccountField)
	rejectsObject(t, func(b *Bundle) { b.Deployment.Spec.Template.Spec.DeprecatedServiceAccount = "payments-api" }, CheckServiceAccountField)
}

func TestKubeLinter_docker_sock(t *testing.T) {
	passes(t, CheckHostPath)
	rejectsObject(t, func(b *Bundle) {
		ps := &b.Deployment.Spec.Template.Spec
		ps.Volumes = append(ps.Volumes, corev1.Volume{Name: "docker", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/docker.sock"}}})
	}, CheckHostPath)
}

func TestKubeLinter_drop_net_raw_capability(t *testing.T) {
	passes(t, CheckCapabilities)
	rejects(t, linterBase().WithContainerSecurityContext(&corev1.SecurityContext{
		RunAsNonRoot: new(true), AllowPrivilegeEscalation: new(false), ReadOnlyRootFilesystem: new(true),
		Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_RAW"}},
	}), CheckCapabilities)
}

func TestKubeLinter_duplicate_env_var(t *testing.T) {
	passes(t, CheckEnvDuplicate)
	rejects(t, linterBase().WithEnv("DJANGO_DEBUG", "0").WithEnv("DJANGO_DEBUG", "1"), CheckEnvDuplicate)
}

func TestKubeLinter_env_var_secret(t *testing.T) {
	passes(t, CheckEnvSecret)
	rejects(t, linterBase().WithEnv("STRIPE_SECRET_KEY", "sk_live_x"), CheckEnvSecret)
	// A reference to a Secret is the fix, and passes.
	_, err := linterBase().WithEnvFromSecret("STRIPE_SECRET_KEY", "stripe", "key").Build()
	assert.NilError(t, err)
}

func TestKubeLinter_host_ipc(t *testing.T) {
	passes(t, CheckHostNamespaces)
	rejectsObject(t, func(b *Bundle) { b.Deployment.Spec.Template.Spec.HostIPC = true }, CheckHostNamespaces)
}

func TestKubeLinter_host_network(t *testing.T) {
	passes(t, CheckHostNamespaces)
	rejectsObject(t, func(b *Bundle) { b.Deployment.Spec.Template.Spec.HostNetwork = true }, CheckHostNamespaces)
}

func TestKubeLinter_host_pid(t *testing.T) {
	passes(t, CheckHostNamespaces)
	rejectsObject(t, func(b *Bundle) { b.Deployment.Spec.Template.Spec.HostPID = true }, CheckHostNamespaces)
}

func TestKubeLinter_invalid_target_ports(t *testing.T) {
	passes(t, CheckServiceTargetPort)
	passes(t, CheckPorts)
	rejects(t, linterBase().WithPort(8000, "http-port-name-too-long"), CheckPorts)
	rejectsObject(t, func(b *Bundle) { b.Service.Spec.Ports[0].TargetPort = intstr.FromString("web") }, CheckServiceTargetPort)
}

func TestKubeLinter_latest_tag(t *testing.T) {
	passes(t, CheckImageLatest)
	rejects(t, linterBase().WithImage("ghcr.io/acme/payments:latest"), CheckImageLatest)
	rejects(t, linterBase().WithImage("ghcr.io/acme/payments"), CheckImageLatest)
}

func TestKubeLinter_liveness_port(t *testing.T) {
	passes(t, CheckProbePort)
	rejects(t, linterBase().WithLiveness(probe.HTTPGet("/health/live", intstr.FromInt32(9000))), CheckProbePort)
}

func TestKubeLinter_mismatching_selector(t *testing.T) {
	passes(t, CheckSelectorMatch)
	rejectsObject(t, func(b *Bundle) { b.Deployment.Spec.Template.Labels[LabelInstance] = "blue" }, CheckSelectorMatch)
	rejects(t, linterBase().WithPodLabels(map[string]string{LabelInstance: "blue"}), CheckOption)
}

func TestKubeLinter_no_anti_affinity(t *testing.T) {
	passes(t, CheckAntiAffinity)
	rejectsObject(t, func(b *Bundle) { b.Deployment.Spec.Template.Spec.Affinity = nil }, CheckAntiAffinity)
	rejects(t, linterBase().WithoutSpread(""), CheckAntiAffinity) // no reason, no waiver
}

func TestKubeLinter_no_extensions_v1beta(t *testing.T) {
	for _, o := range mustBuildInternal(t, NewApp("payments-api", "payments").
		WithImage("ghcr.io/acme/payments:3f2c1a9").
		WithServer(Gunicorn("payments.wsgi:application")).
		WithAutoscaling(3, 6, 70)).Objects() {
		gv := o.GetObjectKind().GroupVersionKind().GroupVersion().String()
		assert.Assert(t, gv != "extensions/v1beta1" && gv != "apps/v1beta2", "%s uses a removed API", gv)
	}
}

func TestKubeLinter_no_read_only_root_fs(t *testing.T) {
	passes(t, CheckReadOnlyRootFS)
	rejects(t, linterBase().WithWritableRootFilesystem(""), CheckReadOnlyRootFS)
}

func TestKubeLinter_non_existent_service_account(t *testing.T) {
	b := mustBuildInternal(t, linterBase())
	assert.Equal(t, b.Deployment.Spec.Template.Spec.ServiceAccountName, b.ServiceAccount.Name, "the pod's account is in the bundle")
	rejects(t, linterBase().WithServiceAccountName("Not_A_Name"), CheckServiceAccountField)
}

func TestKubeLinter_pdb_max_unavailable(t *testing.T) {
	passes(t, CheckPDB)
	rejects(t, linterBase().WithPDB(intstr.FromInt32(0)), CheckPDB)
	rejects(t, linterBase().WithPDB(intstr.FromString("0%")), CheckPDB)
}

func TestKubeLinter_pdb_min_available(t *testing.T) {
	passes(t, CheckPDB)
	rejectsObject(t, func(b *Bundle) {
		b.PodDisruptionBudget.Spec.MaxUnavailable = nil
		b.PodDisruptionBudget.Spec.MinAvailable = new(intstr.FromString("100%"))
	}, CheckPDB)
}

func TestKubeLinter_pdb_unhealthy_pod_eviction_policy(t *testing.T) {
	passes(t, CheckPDB)
	rejectsObject(t, func(b *Bundle) { b.PodDisruptionBudget.Spec.UnhealthyPodEvictionPolicy = nil }, CheckPDB)
}

func TestKubeLinter_privilege_escalation_container(t *testing.T) {
	passes(t, CheckPrivilegeEscalation)
	rejects(t, linterBase().WithContainerSecurityContext(&corev1.SecurityContext{AllowPrivilegeEscalation: new(true)}), CheckPrivilegeEscalation)
}

func TestKubeLinter_privileged_container(t *testing.T) {
	passes(t, CheckPrivileged)
	rejects(t, linterBase().WithContainerSecurityContext(&corev1.SecurityContext{Privileged: new(true)}), CheckPrivileged)
}

func TestKubeLinter_readiness_port(t *testing.T) {
	passes(t, CheckProbePort)
	rejects(t, linterBase().WithReadiness(probe.HTTPGet("/ready", intstr.FromString("web"))), CheckProbePort)
}

func TestKubeLinter_run_as_non_root(t *testing.T) {
	passes(t, CheckRunAsNonRoot)
	rejects(t, linterBase().WithUser(0, 0), CheckRunAsNonRoot)
	rejects(t, linterBase().WithPodSecurityContext(&corev1.PodSecurityContext{RunAsNonRoot: new(false)}).
		WithContainerSecurityContext(&corev1.SecurityContext{AllowPrivilegeEscalation: new(false)}), CheckRunAsNonRoot)
}

func TestKubeLinter_sensitive_host_mounts(t *testing.T) {
	passes(t, CheckHostPath)
	rejectsObject(t, func(b *Bundle) {
		ps := &b.Deployment.Spec.Template.Spec
		ps.Volumes = append(ps.Volumes, corev1.Volume{Name: "etc", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/etc"}}})
	}, CheckHostPath)
}

func TestKubeLinter_ssh_port(t *testing.T) {
	passes(t, CheckSSHPort)
	rejects(t, linterBase().WithExtraPort("ssh", 22), CheckSSHPort)
}

func TestKubeLinter_startup_port(t *testing.T) {
	passes(t, CheckProbePort)
	// The startup probe is derived from liveness (or readiness), so a bad
	// liveness port shows up on both.
	_, err := linterBase().WithLiveness(probe.TCP(intstr.FromString("nope"))).Build()
	var ve *ValidationError
	assert.Assert(t, errors.As(err, &ve))
	found := false
	for _, p := range ve.Problems {
		found = found || (p.Check == CheckProbePort && p.Err.Field == "spec.template.spec.containers[0].startupProbe.tcpSocket.port")
	}
	assert.Assert(t, found, "%s", ve)
}

func TestKubeLinter_unsafe_sysctls(t *testing.T) {
	passes(t, CheckSysctls)
	rejects(t, linterBase().WithPodSecurityContext(&corev1.PodSecurityContext{
		RunAsNonRoot: new(true), RunAsUser: new(int64(10001)), RunAsGroup: new(int64(10001)),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		Sysctls:        []corev1.Sysctl{{Name: "kernel.msgmax", Value: "65536"}},
	}), CheckSysctls)
}

func TestKubeLinter_unset_cpu_requirements(t *testing.T) {
	passes(t, CheckCPURequest)
	rejects(t, linterBase().WithCPU(""), CheckCPURequest)
	// Opting out needs a written reason, which is recorded.
	b := mustBuildInternal(t, linterBase().WithoutCPURequest("batch-like: best effort on spare capacity"))
	assert.Equal(t, b.Deployment.Annotations["ignore-check.kube-linter.io/unset-cpu-requirements"], "batch-like: best effort on spare capacity")
}

func TestKubeLinter_unset_memory_requirements(t *testing.T) {
	passes(t, CheckMemory)
	rejects(t, linterBase().WithMemory("256Mi", ""), CheckMemory)
}

func mustBuildInternal(t *testing.T, a App) *Bundle {
	t.Helper()
	b, err := a.Build()
	assert.NilError(t, err)
	return b
}

func appsRecreate() appsv1.DeploymentStrategy {
	return appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
}
