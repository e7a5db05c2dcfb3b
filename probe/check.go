package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// KubernetesVersion is the Kubernetes minor version whose kubelet prober
// Check imitates; it matches the k8s.io/* v0.37 modules this library is
// built on. kubelet derives its probe User-Agent from its own version.
const KubernetesVersion = "1.37"

// UserAgent is the User-Agent kubelet sends with HTTP and gRPC probes
// unless a probe header overrides it.
const UserAgent = "kube-probe/" + KubernetesVersion

// maxOutput is kubelet's limit on the HTTP body and exec output it keeps
// (pkg/probe/http maxRespBodyLength, pkg/probe/exec maxReadLength).
const maxOutput = 10 << 10

// Outcome is the verdict of one probe, with kubelet's four values
// (k8s.io/kubernetes/pkg/probe.Result).
type Outcome string

// The outcomes of a probe. Warning is logically a success with something to
// report (kubelet records a ProbeWarning event and counts it as a success);
// Unknown means the probe could not be run at all, which kubelet counts as
// a failure.
const (
	Success Outcome = "success"
	Warning Outcome = "warning"
	Failure Outcome = "failure"
	Unknown Outcome = "unknown"
)

// Result is what one run of a probe found.
type Result struct {
	// Outcome is kubelet's verdict.
	Outcome Outcome
	// Message is kubelet's probe output, the text that follows
	// "Readiness probe failed: " in a pod event: for example
	// "HTTP probe failed with statuscode: 503", the dial error of a TCP
	// probe, "service unhealthy (responded with \"NOT_SERVING\")" or an exec
	// command's combined output. For a successful HTTP probe it is the body,
	// as in kubelet.
	Message string
	// Err is set when the probe could not be run (Outcome Unknown, e.g. a
	// named port the target does not have) or its response could not be
	// read; kubelet reports these as "probe errored".
	Err error
	// StatusCode is the HTTP status of the last response, 0 for other
	// handlers or when no response arrived.
	StatusCode int
	// Body is the HTTP response body, at most 10 KiB as kubelet keeps.
	Body string
	// Truncated reports that the HTTP body or exec output was longer than
	// 10 KiB and was cut.
	Truncated bool
	// ExitCode is the exit status of an exec probe's command, -1 when it
	// did not exit (timed out, or could not start); 0 for other handlers.
	ExitCode int
}

// Healthy reports whether kubelet would count the result as a success:
// Success or Warning.
func (r Result) Healthy() bool {
	return r.Outcome == Success || r.Outcome == Warning
}

// Event returns the message kubelet would record as a pod event for this
// result of a probe of the given kind, e.g.
// "Readiness probe failed: HTTP probe failed with statuscode: 503". A plain
// success records no event and returns "".
func (r Result) Event(kind Kind) string {
	name := strings.TrimSuffix(kind.String(), "Probe")
	if name != "" {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	if r.Err != nil {
		return fmt.Sprintf("%s probe errored and resulted in %s state: %s", name, r.Outcome, r.Err)
	}
	switch r.Outcome {
	case Warning:
		return fmt.Sprintf("%s probe warning: %s", name, r.Message)
	case Failure:
		return fmt.Sprintf("%s probe failed: %s", name, r.Message)
	}
	return ""
}

// Target is the live process a probe is run against: where kubelet would
// use the pod IP and the container's declared ports.
type Target struct {
	// Host is the address to probe, the stand-in for the pod IP, e.g.
	// "127.0.0.1". A probe's own httpGet.host or tcpSocket.host, when set,
	// takes precedence, as in kubelet.
	Host string
	// Ports maps container port names to numbers, so that a probe on a
	// named port resolves as kubelet resolves it against the container's
	// ports.
	Ports map[string]int32
	// Runner runs exec probes. Nil means LocalRunner: the command runs on
	// this machine, whereas kubelet runs it inside the container.
	Runner Runner
}

// ErrUnresolvedPort is returned (wrapped, in Result.Err) when a probe's port
// cannot be resolved against the Target.
var ErrUnresolvedPort = errors.New("cannot resolve probe port")

// resolvePort mirrors kubelet's probe.ResolveContainerPort, with Ports in
// place of the container's port list.
func (t Target) resolvePort(port intstr.IntOrString) (int, error) {
	n := -1
	switch port.Type {
	case intstr.Int:
		n = port.IntValue()
	case intstr.String:
		v, ok := t.Ports[port.StrVal]
		if !ok {
			return 0, fmt.Errorf("%w: port %q not found", ErrUnresolvedPort, port.StrVal)
		}
		n = int(v)
	default:
		return n, fmt.Errorf("%w: intOrString had no kind: %+v", ErrUnresolvedPort, port)
	}
	if n > 0 && n < 65536 {
		return n, nil
	}
	return n, fmt.Errorf("%w: invalid port number: %v", ErrUnresolvedPort, n)
}

// Check runs p once against t and returns kubelet's verdict. It applies the
// API server's defaults to a copy of p first (see Default), so a
// hand-written probe runs as it would in a cluster, and bounds the attempt
// by timeoutSeconds as well as by ctx.
//
// The behaviour follows kubelet's prober (k8s.io/kubernetes pkg/probe and
// pkg/kubelet/prober): for httpGet, status 200–399 is Success; redirects are
// followed (at most 10) only while they stay on the same host name, and a
// redirect elsewhere is returned unfollowed as a Warning; the body is read up
// to 10 KiB; User-Agent is UserAgent and Accept is */* unless the probe's
// headers set them (an empty Accept removes it); a Host header sets the
// request's host; keep-alives, compression and proxies are off, and HTTPS
// certificates are not verified. tcpSocket succeeds when a connection is
// accepted. grpc sends grpc.health.v1 Check for the probe's service and
// succeeds on SERVING (TLS without verification when mode is TLS). exec runs
// the command with t.Runner and succeeds on exit 0. Two kubelet details are
// not reproduced: the SO_LINGER socket option on probe connections and
// $(VAR) expansion of exec commands from the container's environment.
func Check(ctx context.Context, p *corev1.Probe, t Target) Result {
	if p == nil {
		return Result{Outcome: Unknown, Err: errors.New("no probe to check: the probe is nil")}
	}
	p = p.DeepCopy()
	Default(p)
	timeout := timeoutOf(p)
	switch {
	case p.Exec != nil:
		return checkExec(ctx, p.Exec, t, timeout)
	case p.HTTPGet != nil:
		return checkHTTP(ctx, p.HTTPGet, t, timeout)
	case p.TCPSocket != nil:
		return checkTCP(ctx, p.TCPSocket, t, timeout)
	case p.GRPC != nil:
		return checkGRPC(ctx, p.GRPC, t, timeout)
	}
	return Result{Outcome: Unknown, Err: errors.New("missing probe handler: the probe sets none of exec, httpGet, tcpSocket or grpc")}
}

// host returns the probe's own host when set, else the target's; kubelet
// uses the pod IP the same way.
func timeoutOf(p *corev1.Probe) time.Duration {
	return time.Duration(p.TimeoutSeconds) * time.Second
}

func (t Target) host(own string) (string, error) {
	if own != "" {
		return own, nil
	}
	if t.Host == "" {
		return "", errors.New("target has no host: set Target.Host to the address to probe")
	}
	return t.Host, nil
}
