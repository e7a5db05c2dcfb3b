package probe

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestBuilderProbe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		b    Builder
		want *corev1.Probe
	}{
		{
			name: "http defaults explicit",
			b:    HTTPGet("/readyz", intstr.FromString("http")),
			want: &corev1.Probe{
				ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
					Path: "/readyz", Port: intstr.FromString("http"), Scheme: corev1.URISchemeHTTP,
				}},
				PeriodSeconds: 10, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 3,
			},
		},
		{
			name: "http everything",
			b: HTTPGet("/healthz", intstr.FromInt32(8000)).WithScheme(corev1.URISchemeHTTPS).
				WithHeader("X-Probe", "1").WithHeader("X-Probe", "2").
				WithHostHeader("old.example").WithHostHeader("app.example").
				WithInitialDelay(5 * time.Second).WithPeriod(3 * time.Second).WithTimeout(2 * time.Second).
				WithSuccessThreshold(2).WithFailureThreshold(7),
			want: &corev1.Probe{
				ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
					Path: "/healthz", Port: intstr.FromInt32(8000), Scheme: corev1.URISchemeHTTPS,
					HTTPHeaders: []corev1.HTTPHeader{{Name: "X-Probe", Value: "1"}, {Name: "X-Probe", Value: "2"}, {Name: "Host", Value: "app.example"}},
				}},
				InitialDelaySeconds: 5, PeriodSeconds: 3, TimeoutSeconds: 2, SuccessThreshold: 2, FailureThreshold: 7,
			},
		},
		{
			name: "durations round up to whole seconds",
			b:    TCP(intstr.FromInt32(5432)).WithPeriod(1500 * time.Millisecond).WithTimeout(time.Millisecond).WithInitialDelay(0),
			want: &corev1.Probe{
				ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(5432)}},
				PeriodSeconds: 2, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 3,
			},
		},
		{
			name: "grpc with service",
			b:    GRPC(9090).WithService("api.v1.Greeter"),
			want: &corev1.Probe{
				ProbeHandler:  corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090, Service: new("api.v1.Greeter")}},
				PeriodSeconds: 10, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 3,
			},
		},
		{
			name: "exec",
			b:    Exec("python", "-c", "import app"),
			want: &corev1.Probe{
				ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"python", "-c", "import app"}}},
				PeriodSeconds: 10, TimeoutSeconds: 1, SuccessThreshold: 1, FailureThreshold: 3,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.DeepEqual(t, tc.b.Probe(), tc.want)
			assert.NilError(t, tc.b.Err())
		})
	}
}

func TestBuilderProbeIsACopy(t *testing.T) {
	t.Parallel()
	argv := []string{"true"}
	b := Exec(argv...)
	argv[0] = "false"
	p := b.Probe()
	p.Exec.Command[0] = "changed"
	assert.DeepEqual(t, b.Probe().Exec.Command, []string{"true"})

	h := HTTPGet("/", intstr.FromInt32(80)).WithHeader("A", "1")
	first := h.Probe()
	h.WithHeader("B", "2")
	assert.Equal(t, len(first.HTTPGet.HTTPHeaders), 1)
}

func TestBuilderMisuse(t *testing.T) {
	t.Parallel()
	b := TCP(intstr.FromInt32(80)).WithHeader("X", "1").WithService("svc").WithScheme(corev1.URISchemeHTTPS).WithHostHeader("h")
	err := b.Err()
	assert.ErrorContains(t, err, "probe builder: WithHeader applies only to httpGet probes, not to a tcpSocket probe")
	assert.ErrorContains(t, err, "probe builder: WithService applies only to grpc probes, not to a tcpSocket probe")
	assert.ErrorContains(t, err, "WithScheme applies only to httpGet")
	assert.ErrorContains(t, err, "WithHostHeader applies only to httpGet")
	assert.DeepEqual(t, b.Probe().ProbeHandler, corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}})

	_, err = b.Build(KindReadiness)
	assert.ErrorContains(t, err, "WithHeader applies only")
}

func TestBuild(t *testing.T) {
	t.Parallel()
	p, err := HTTPGet("/livez", intstr.FromInt32(8000)).WithSuccessThreshold(2).Build(KindLiveness)
	assert.Error(t, err, "livenessProbe.successThreshold: Invalid value: 2: must be 1")
	assert.Equal(t, p.SuccessThreshold, int32(2))

	p, err = HTTPGet("/readyz", intstr.FromInt32(8000)).WithSuccessThreshold(2).Build(KindReadiness)
	assert.NilError(t, err)
	assert.Equal(t, p.HTTPGet.Path, "/readyz")
}

func TestStartup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		b                Builder
		boot             time.Duration
		period, failures int32
	}{
		{"default period", HTTPGet("/livez", intstr.FromInt32(80)), 95 * time.Second, 10, 10},
		{"exact multiple", HTTPGet("/livez", intstr.FromInt32(80)).WithPeriod(5 * time.Second), 60 * time.Second, 5, 12},
		{"rounds up", TCP(intstr.FromInt32(80)).WithPeriod(5 * time.Second), 61 * time.Second, 5, 13},
		{"at least one", TCP(intstr.FromInt32(80)), 0, 10, 1},
		{"success threshold forced to 1", GRPC(9090).WithSuccessThreshold(3).WithPeriod(2 * time.Second), 3 * time.Second, 2, 2},
		{"zero period falls back to default", TCP(intstr.FromInt32(80)).WithPeriod(0), 30 * time.Second, 10, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Startup(tc.b, tc.boot)
			assert.Equal(t, p.PeriodSeconds, tc.period)
			assert.Equal(t, p.FailureThreshold, tc.failures)
			assert.Equal(t, p.SuccessThreshold, int32(1))
			assert.Assert(t, cmp.Equal(p.ProbeHandler, tc.b.Probe().ProbeHandler))
			assert.Assert(t, len(Validate(p, KindStartup, nil)) == 0, "%v", Validate(p, KindStartup, nil))
		})
	}
}

func TestEquivalent(t *testing.T) {
	t.Parallel()
	port := intstr.FromInt32(8000)
	tests := []struct {
		name string
		a, b *corev1.Probe
		want bool
	}{
		{"same http, different timing", HTTPGet("/h", port).Probe(), HTTPGet("/h", port).WithPeriod(time.Minute).WithFailureThreshold(10).Probe(), true},
		{"different path", HTTPGet("/ready", port).Probe(), HTTPGet("/live", port).Probe(), false},
		{"empty path is root", &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: port}}}, HTTPGet("/", port).Probe(), true},
		{"different port", HTTPGet("/h", port).Probe(), HTTPGet("/h", intstr.FromInt32(8001)).Probe(), false},
		{"named vs numbered port", HTTPGet("/h", port).Probe(), HTTPGet("/h", intstr.FromString("http")).Probe(), false},
		{"scheme ignored, as kube-score", HTTPGet("/h", port).Probe(), HTTPGet("/h", port).WithScheme(corev1.URISchemeHTTPS).Probe(), true},
		{"host header ignored, as kube-score", HTTPGet("/h", port).WithHostHeader("a").Probe(), HTTPGet("/h", port).WithHostHeader("b").Probe(), true},
		{"different named ports", HTTPGet("/h", intstr.FromString("http")).Probe(), HTTPGet("/h", intstr.FromString("admin")).Probe(), false},
		{"other headers ignored", HTTPGet("/h", port).WithHeader("X", "1").Probe(), HTTPGet("/h", port).Probe(), true},
		{"tcp same", TCP(port).Probe(), TCP(port).WithTimeout(5 * time.Second).Probe(), true},
		{"tcp different", TCP(port).Probe(), TCP(intstr.FromString("http")).Probe(), false},
		{"tcp vs http", TCP(port).Probe(), HTTPGet("/", port).Probe(), false},
		{"grpc service differs", GRPC(9090).Probe(), GRPC(9090).WithService("x").Probe(), false},
		{"grpc empty service is unset", GRPC(9090).Probe(), GRPC(9090).WithService("").Probe(), true},
		{"exec same", Exec("a", "b").Probe(), Exec("a", "b").Probe(), true},
		{"exec differs", Exec("a", "b").Probe(), Exec("a", "c").Probe(), false},
		{"both nil", nil, nil, true},
		{"one nil", nil, TCP(port).Probe(), false},
		{"no handlers", &corev1.Probe{}, &corev1.Probe{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, Equivalent(tc.a, tc.b), tc.want)
			assert.Equal(t, Equivalent(tc.b, tc.a), tc.want, "not symmetric")
		})
	}
}

func TestBuilderValueSemantics(t *testing.T) {
	t.Parallel()
	base := HTTPGet("/h", intstr.FromString("http")).WithHeader("A", "1")
	a := base.WithHeader("B", "2").WithHostHeader("x").WithScheme(corev1.URISchemeHTTPS)
	b := base.WithHeader("C", "3")
	assert.DeepEqual(t, base.Probe().HTTPGet.HTTPHeaders, []corev1.HTTPHeader{{Name: "A", Value: "1"}})
	assert.Equal(t, base.Probe().HTTPGet.Scheme, corev1.URISchemeHTTP)
	assert.Equal(t, len(a.Probe().HTTPGet.HTTPHeaders), 3)
	assert.DeepEqual(t, b.Probe().HTTPGet.HTTPHeaders, []corev1.HTTPHeader{{Name: "A", Value: "1"}, {Name: "C", Value: "3"}})
	g := GRPC(9090)
	_ = g.WithService("x")
	assert.Assert(t, g.Probe().GRPC.Service == nil, "WithService changed its receiver")
	bad := base.WithPeriod(-time.Second)
	_ = bad.WithTimeout(0)
	assert.Equal(t, len(bad.Errs()), 1, "a derived builder's error leaked into its base")
	assert.Assert(t, base.Err() == nil)
}

func TestBuilderInvalidValues(t *testing.T) {
	t.Parallel()
	b := TCP(intstr.FromInt32(80)).WithPeriod(0).WithTimeout(0).WithInitialDelay(-time.Second).
		WithSuccessThreshold(0).WithFailureThreshold(-1).WithHeader("X", "1")
	var methods []string
	for _, e := range b.Errs() {
		methods = append(methods, e.Method)
	}
	assert.DeepEqual(t, methods, []string{"WithPeriod", "WithTimeout", "WithInitialDelay", "WithSuccessThreshold", "WithFailureThreshold", "WithHeader"})
	assert.Assert(t, b.Errs()[5].Misapplied && !b.Errs()[0].Misapplied)
	_, err := b.Build(KindLiveness)
	assert.ErrorContains(t, err, "probe builder: WithTimeout (0s): timeoutSeconds must be greater than or equal to 1")
	assert.ErrorContains(t, From(nil).Err(), "the probe is nil")
	p := From(&corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}}}).Probe()
	assert.Equal(t, p.PeriodSeconds, int32(10), "From applies the API defaults")
}
