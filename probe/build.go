package probe

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// API defaults for the probe timing fields, as documented on corev1.Probe and
// applied by the API server's defaulting. Builders write them out explicitly
// so that a rendered manifest says what kubelet will do.
const (
	DefaultInitialDelay     = 0 * time.Second
	DefaultPeriod           = 10 * time.Second
	DefaultTimeout          = 1 * time.Second
	DefaultSuccessThreshold = int32(1)
	DefaultFailureThreshold = int32(3)
)

// Builder assembles one *corev1.Probe. It is a value: every With* method
// returns a modified copy and leaves its receiver alone, so a preset can be
// shared and refined without changing it (the convention of the deploy
// package too). The zero Builder has no handler; start from HTTPGet, TCP,
// GRPC, Exec or From.
//
// Durations are stored by the API as whole seconds; a duration that is not a
// whole number of seconds is rounded up, so a probe never waits less than
// asked. A With* call that does not apply to the handler (a header on a TCP
// probe, say) or whose value the API server would refuse or silently replace
// (a zero period, a negative delay) is recorded and reported by Err and
// Build rather than dropped.
type Builder struct {
	handler          corev1.ProbeHandler
	initialDelay     time.Duration
	period           time.Duration
	timeout          time.Duration
	successThreshold int32
	failureThreshold int32
	errs             []error
}

// OptionError is one With* call that Err reports: Method names the call,
// Reason says what is wrong. Misapplied is true when the option does not
// apply to the probe's handler at all, false when its value is invalid.
type OptionError struct {
	Method     string
	Reason     string
	Misapplied bool
}

// Error reads "probe builder: WithHeader applies only to httpGet probes, not
// to a tcpSocket probe" or "probe builder: WithPeriod(0s): periodSeconds must
// be greater than or equal to 1 ...".
func (e *OptionError) Error() string { return "probe builder: " + e.Method + " " + e.Reason }

// HTTPGet starts an HTTP GET probe of path on port (a number, or the name of
// a container port). The scheme defaults to HTTP.
func HTTPGet(path string, port intstr.IntOrString) Builder {
	return newBuilder(corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
		Path:   path,
		Port:   port,
		Scheme: corev1.URISchemeHTTP,
	}})
}

// TCP starts a probe that succeeds when a TCP connection to port (a number,
// or the name of a container port) is accepted.
func TCP(port intstr.IntOrString) Builder {
	return newBuilder(corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: port}})
}

// GRPC starts a gRPC Health Checking Protocol (grpc.health.v1) probe of port.
// Kubelet accepts only a numeric port for gRPC probes, hence the int32.
func GRPC(port int32) Builder {
	return newBuilder(corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: port}})
}

// Exec starts a probe that runs argv (without a shell) and succeeds when it
// exits 0.
func Exec(argv ...string) Builder {
	return newBuilder(corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: slices.Clone(argv)}})
}

// From starts a Builder from an existing probe, for example one of the Set
// that Python or Django return, so it can be refined and handed to the deploy
// package. Zero timing fields take the API defaults, as the API server's
// defaulting would; a nil probe gives a Builder without a handler, which Err
// reports.
func From(p *corev1.Probe) Builder {
	if p == nil {
		b := Builder{}
		b.errs = []error{&OptionError{Method: "From", Reason: "(nil): the probe is nil"}}
		return b
	}
	q := p.DeepCopy()
	Default(q)
	return Builder{
		handler:          q.ProbeHandler,
		initialDelay:     time.Duration(q.InitialDelaySeconds) * time.Second,
		period:           time.Duration(q.PeriodSeconds) * time.Second,
		timeout:          time.Duration(q.TimeoutSeconds) * time.Second,
		successThreshold: q.SuccessThreshold,
		failureThreshold: q.FailureThreshold,
	}
}

func newBuilder(h corev1.ProbeHandler) Builder {
	return Builder{
		handler:          h,
		initialDelay:     DefaultInitialDelay,
		period:           DefaultPeriod,
		timeout:          DefaultTimeout,
		successThreshold: DefaultSuccessThreshold,
		failureThreshold: DefaultFailureThreshold,
	}
}

// fail records an error on a copy-safe slice: the receiver is a copy, and
// slices.Clip makes append allocate, so the original never sees it.
func (b Builder) fail(e *OptionError) Builder {
	b.errs = append(slices.Clip(b.errs), e)
	return b
}

func (b Builder) misuse(method, want string) Builder {
	return b.fail(&OptionError{Method: method, Misapplied: true,
		Reason: fmt.Sprintf("applies only to %s probes, not to a %s probe", want, handlerKind(&b.handler))})
}

// withHTTP returns b with a private copy of its handler, so the edit fn
// makes does not reach the Builder b was copied from.
func (b Builder) withHTTP(fn func(*corev1.HTTPGetAction)) Builder {
	b.handler = *b.handler.DeepCopy()
	fn(b.handler.HTTPGet)
	return b
}

// Handler returns a copy of the probe's handler.
func (b Builder) Handler() corev1.ProbeHandler { return *b.handler.DeepCopy() }

// WithScheme sets the scheme (HTTP or HTTPS) of an HTTP GET probe. Kubelet
// does not verify the server certificate for HTTPS.
func (b Builder) WithScheme(s corev1.URIScheme) Builder {
	if b.handler.HTTPGet == nil {
		return b.misuse("WithScheme", "httpGet")
	}
	return b.withHTTP(func(h *corev1.HTTPGetAction) { h.Scheme = s })
}

// WithHeader adds a request header to an HTTP GET probe. HTTP allows repeated
// headers, so calling it twice with one name sends both values. Setting
// User-Agent or Accept replaces kubelet's defaults; an empty value removes
// them.
func (b Builder) WithHeader(name, value string) Builder {
	if b.handler.HTTPGet == nil {
		return b.misuse("WithHeader", "httpGet")
	}
	return b.withHTTP(func(h *corev1.HTTPGetAction) {
		h.HTTPHeaders = append(h.HTTPHeaders, corev1.HTTPHeader{Name: name, Value: value})
	})
}

// WithHostHeader sets the Host header of an HTTP GET probe, replacing any
// Host header set before. This is how a virtual-host server such as Django
// (ALLOWED_HOSTS) accepts the probe: kubelet otherwise sends the pod IP.
// The probe still connects to the pod IP; the API's host field is left alone.
func (b Builder) WithHostHeader(host string) Builder {
	if b.handler.HTTPGet == nil {
		return b.misuse("WithHostHeader", "httpGet")
	}
	return b.withHTTP(func(h *corev1.HTTPGetAction) {
		h.HTTPHeaders = slices.DeleteFunc(h.HTTPHeaders, func(h corev1.HTTPHeader) bool {
			return http.CanonicalHeaderKey(h.Name) == "Host"
		})
		h.HTTPHeaders = append(h.HTTPHeaders, corev1.HTTPHeader{Name: "Host", Value: host})
	})
}

// WithService sets the service name sent in the gRPC HealthCheckRequest. An
// unset service asks about the server as a whole.
func (b Builder) WithService(name string) Builder {
	if b.handler.GRPC == nil {
		return b.misuse("WithService", "grpc")
	}
	b.handler = *b.handler.DeepCopy()
	b.handler.GRPC.Service = &name
	return b
}

// WithInitialDelay sets initialDelaySeconds: how long after the container
// starts before the first probe. Default 0; a negative delay is an error.
func (b Builder) WithInitialDelay(d time.Duration) Builder {
	if d < 0 {
		b = b.fail(&OptionError{Method: "WithInitialDelay", Reason: fmt.Sprintf("(%s): initialDelaySeconds must be greater than or equal to 0", d)})
	}
	b.initialDelay = d
	return b
}

// WithPeriod sets periodSeconds: how often the probe runs. Default 10s; it
// must be at least 1s (the API server silently turns 0 into 10s).
func (b Builder) WithPeriod(d time.Duration) Builder {
	if d <= 0 {
		b = b.fail(&OptionError{Method: "WithPeriod", Reason: fmt.Sprintf("(%s): periodSeconds must be greater than or equal to 1 (the API server would replace 0 by its default, 10)", d)})
	}
	b.period = d
	return b
}

// WithTimeout sets timeoutSeconds: how long one probe may take. Default 1s;
// it must be at least 1s (the API server silently turns 0 into 1s).
func (b Builder) WithTimeout(d time.Duration) Builder {
	if d <= 0 {
		b = b.fail(&OptionError{Method: "WithTimeout", Reason: fmt.Sprintf("(%s): timeoutSeconds must be greater than or equal to 1 (the API server would replace 0 by its default, 1)", d)})
	}
	b.timeout = d
	return b
}

// WithSuccessThreshold sets how many consecutive successes turn a failing
// probe into a passing one. Default 1; must be 1 for liveness and startup.
func (b Builder) WithSuccessThreshold(n int32) Builder {
	if n < 1 {
		b = b.fail(&OptionError{Method: "WithSuccessThreshold", Reason: fmt.Sprintf("(%d): successThreshold must be greater than or equal to 1", n)})
	}
	b.successThreshold = n
	return b
}

// WithFailureThreshold sets how many consecutive failures turn a passing
// probe into a failing one. Default 3; it must be at least 1.
func (b Builder) WithFailureThreshold(n int32) Builder {
	if n < 1 {
		b = b.fail(&OptionError{Method: "WithFailureThreshold", Reason: fmt.Sprintf("(%d): failureThreshold must be greater than or equal to 1", n)})
	}
	b.failureThreshold = n
	return b
}

// Probe returns a new *corev1.Probe with every timing field explicit. The
// result shares no memory with b. Misapplied With* calls are left out; see
// Err.
func (b Builder) Probe() *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:        *b.handler.DeepCopy(),
		InitialDelaySeconds: seconds(b.initialDelay),
		PeriodSeconds:       seconds(b.period),
		TimeoutSeconds:      seconds(b.timeout),
		SuccessThreshold:    b.successThreshold,
		FailureThreshold:    b.failureThreshold,
	}
}

// Err reports every With* call that did not apply to the probe's handler or
// had an invalid value, each an *OptionError, or nil.
func (b Builder) Err() error {
	return errors.Join(b.errs...)
}

// Errs returns the *OptionError of every With* call Err reports, in call
// order.
func (b Builder) Errs() []*OptionError {
	out := make([]*OptionError, 0, len(b.errs))
	for _, e := range b.errs {
		if oe, ok := errors.AsType[*OptionError](e); ok {
			out = append(out, oe)
		}
	}
	return out
}

// Build returns the probe together with every problem found: misapplied
// With* calls and everything Validate reports for a probe of the given kind.
// The probe is returned even when there are errors, so a caller can show it.
func (b Builder) Build(kind Kind) (*corev1.Probe, error) {
	p := b.Probe()
	errs := slices.Clone(b.errs)
	if list := Validate(p, kind, nil); len(list) > 0 {
		errs = append(errs, list.ToAggregate())
	}
	return p, errors.Join(errs...)
}

// Startup returns a startup probe on b's handler whose failureThreshold is
// ceil(maxBoot / period), so kubelet gives the container maxBoot to come up
// before restarting it (at least one attempt). The period, timeout and
// initial delay come from b (period default 10s); successThreshold is 1, as
// the API requires for startup probes.
func Startup(b Builder, maxBoot time.Duration) *corev1.Probe {
	p := b.Probe()
	p.SuccessThreshold = 1
	period := time.Duration(p.PeriodSeconds) * time.Second
	if period <= 0 {
		period = DefaultPeriod
		p.PeriodSeconds = seconds(period)
	}
	n := (maxBoot + period - 1) / period
	p.FailureThreshold = int32(max(1, min(n, time.Duration(maxInt32))))
	return p
}

const maxInt32 = 1<<31 - 1

// seconds converts d to whole seconds for the API, rounding up so a probe
// never waits or allows less than asked, and saturating at the int32 range.
func seconds(d time.Duration) int32 {
	s := d / time.Second
	if d%time.Second > 0 {
		s++
	}
	return int32(max(-maxInt32-1, min(s, maxInt32)))
}

// Equivalent reports whether a and b hit the same handler, ignoring timing
// and thresholds: the same HTTP path and port, the same TCP port, the same
// gRPC port and service, or the same exec argv. It is kube-score's
// pod-probes-identical rule (score/probes/probes.go), so a liveness probe
// that Equivalent tells apart from the readiness probe passes that check.
// Like kube-score it ignores the HTTP scheme, host and headers (a Host
// header does not make another endpoint of the same server). It is
// stricter in two places, where kube-score misses a real duplicate: an
// empty HTTP path is "/" (as kubelet requests it), and gRPC probes are
// compared too. It differs in one: kube-score reads every named HTTP port
// as 0, so it flags "/h" on port "http" and "/h" on port "admin" as
// identical; Equivalent compares port names as names. Two nil probes are
// equivalent; a nil and a non-nil are not.
func Equivalent(a, b *corev1.Probe) bool {
	if a == nil || b == nil {
		return a == b
	}
	ha, hb := &a.ProbeHandler, &b.ProbeHandler
	switch {
	case ha.HTTPGet != nil && hb.HTTPGet != nil:
		return pathOrRoot(ha.HTTPGet.Path) == pathOrRoot(hb.HTTPGet.Path) && ha.HTTPGet.Port == hb.HTTPGet.Port
	case ha.TCPSocket != nil && hb.TCPSocket != nil:
		return ha.TCPSocket.Port == hb.TCPSocket.Port
	case ha.GRPC != nil && hb.GRPC != nil:
		return ha.GRPC.Port == hb.GRPC.Port && derefString(ha.GRPC.Service) == derefString(hb.GRPC.Service)
	case ha.Exec != nil && hb.Exec != nil:
		return slices.Equal(ha.Exec.Command, hb.Exec.Command)
	}
	return false
}

func pathOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// handlerKind names the handler set on h, for messages.
func handlerKind(h *corev1.ProbeHandler) string {
	var kinds []string
	if h.Exec != nil {
		kinds = append(kinds, "exec")
	}
	if h.HTTPGet != nil {
		kinds = append(kinds, "httpGet")
	}
	if h.TCPSocket != nil {
		kinds = append(kinds, "tcpSocket")
	}
	if h.GRPC != nil {
		kinds = append(kinds, "grpc")
	}
	if len(kinds) == 0 {
		return "handler-less"
	}
	return strings.Join(kinds, "+")
}
