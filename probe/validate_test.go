package probe

import (
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	port := intstr.FromInt32(8000)
	valid := func() *corev1.Probe { return HTTPGet("/readyz", port).Probe() }
	with := func(f func(p *corev1.Probe)) *corev1.Probe { p := valid(); f(p); return p }
	tests := []struct {
		name string
		p    *corev1.Probe
		kind Kind
		want []string
	}{
		{"nil probe is valid", nil, KindLiveness, nil},
		{"valid http", valid(), KindReadiness, nil},
		{"valid grpc", GRPC(9090).Probe(), KindStartup, nil},
		{"no handler", &corev1.Probe{}, KindReadiness, []string{"readinessProbe: Required value: must specify a handler type"}},
		{"two handlers", with(func(p *corev1.Probe) { p.TCPSocket = &corev1.TCPSocketAction{Port: port} }), KindReadiness,
			[]string{"readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"}},
		{"empty exec", Exec().Probe(), KindLiveness, []string{"livenessProbe.exec.command: Required value"}},
		{"http path required", HTTPGet("", port).Probe(), KindReadiness, []string{"readinessProbe.httpGet.path: Required value"}},
		{"http scheme", HTTPGet("/", port).WithScheme("FTP").Probe(), KindReadiness,
			[]string{`readinessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"`}},
		{"http bad port name", HTTPGet("/", intstr.FromString("Web_Port")).Probe(), KindReadiness,
			[]string{`readinessProbe.httpGet.port: Invalid value: "Web_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`}},
		{"http port range", HTTPGet("/", intstr.FromInt32(70000)).Probe(), KindReadiness,
			[]string{"readinessProbe.httpGet.port: Invalid value: 70000: must be between 1 and 65535, inclusive"}},
		{"http header name", HTTPGet("/", port).WithHeader("bad header", "v").Probe(), KindReadiness,
			[]string{`readinessProbe.httpGet.httpHeaders: Invalid value: "bad header": a valid HTTP header must consist of alphanumeric characters or '-'`}},
		{"h2c needs http", with(func(p *corev1.Probe) {
			p.HTTPGet.Scheme = corev1.URISchemeHTTPS
			p.HTTPGet.Protocol = new(corev1.HTTPProtocolHTTP2)
		}), KindReadiness, []string{`readinessProbe.httpGet.protocol: Invalid value: "HTTP2": is only supported with HTTP (H2C)`}},
		{"grpc port zero", GRPC(0).Probe(), KindLiveness, []string{"livenessProbe.grpc.port: Invalid value: 0: must be between 1 and 65535, inclusive"}},
		{"grpc mode", with(func(p *corev1.Probe) {
			p.ProbeHandler = corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 1, Mode: new(corev1.GRPCProbeMode("mTLS"))}}
		}), KindLiveness, []string{`livenessProbe.grpc.mode: Unsupported value: "mTLS": supported values: "Plaintext", "TLS"`}},
		{"tcp named port ok", TCP(intstr.FromString("http")).Probe(), KindLiveness, nil},
		{"negative numbers", with(func(p *corev1.Probe) {
			p.InitialDelaySeconds, p.TimeoutSeconds, p.PeriodSeconds, p.FailureThreshold = -1, -2, -3, -4
		}), KindReadiness, []string{
			"readinessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0",
			"readinessProbe.timeoutSeconds: Invalid value: -2: must be greater than or equal to 0",
			"readinessProbe.periodSeconds: Invalid value: -3: must be greater than or equal to 0",
			"readinessProbe.failureThreshold: Invalid value: -4: must be greater than or equal to 0",
		}},
		{"readiness may have successThreshold 3", with(func(p *corev1.Probe) { p.SuccessThreshold = 3 }), KindReadiness, nil},
		{"liveness successThreshold", with(func(p *corev1.Probe) { p.SuccessThreshold = 3 }), KindLiveness,
			[]string{"livenessProbe.successThreshold: Invalid value: 3: must be 1"}},
		{"startup successThreshold", with(func(p *corev1.Probe) { p.SuccessThreshold = 0 }), KindStartup,
			[]string{"startupProbe.successThreshold: Invalid value: 0: must be 1"}},
		{"grace on readiness", with(func(p *corev1.Probe) { p.TerminationGracePeriodSeconds = new(int64(10)) }), KindReadiness,
			[]string{"readinessProbe.terminationGracePeriodSeconds: Invalid value: 10: must not be set for readinessProbes"}},
		{"grace on liveness ok", with(func(p *corev1.Probe) { p.TerminationGracePeriodSeconds = new(int64(10)) }), KindLiveness, nil},
		{"grace zero", with(func(p *corev1.Probe) { p.TerminationGracePeriodSeconds = new(int64(0)) }), KindLiveness,
			[]string{"livenessProbe.terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0"}},
		{"unknown kind", valid(), Kind(9), []string{"Kind(9): Internal error: unknown probe kind 9"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := Validate(tc.p, tc.kind, nil)
			assert.Equal(t, len(errs), len(tc.want), "%v", errs)
			for i, want := range tc.want {
				assert.Assert(t, strings.HasPrefix(errs[i].Error(), want), "got %q\nwant prefix %q", errs[i].Error(), want)
			}
		})
	}
}

func TestValidateFieldPath(t *testing.T) {
	t.Parallel()
	fld := field.NewPath("spec", "template", "spec", "containers").Index(0).Child("livenessProbe")
	errs := Validate(HTTPGet("", intstr.FromInt32(80)).Probe(), KindLiveness, fld)
	assert.Equal(t, errs.ToAggregate().Error(), "spec.template.spec.containers[0].livenessProbe.httpGet.path: Required value")
}

func TestDefaultThenValidate(t *testing.T) {
	t.Parallel()
	// What a user writes by hand: the API server defaults it and accepts it.
	p := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("http")}}}
	assert.Assert(t, len(Validate(p, KindStartup, nil)) > 0)
	Default(p)
	assert.Assert(t, len(Validate(p, KindStartup, nil)) == 0)
	assert.DeepEqual(t, p, HTTPGet("/", intstr.FromString("http")).Probe())
	Default(nil)
}
