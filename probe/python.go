package probe

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Set is the probe trio of one container. A nil member means "no such
// probe".
type Set struct {
	Readiness *corev1.Probe
	Liveness  *corev1.Probe
	Startup   *corev1.Probe
}

// PythonOptions describe the health endpoints of a Python web server
// (gunicorn, uvicorn) for Python.
type PythonOptions struct {
	// ReadinessPath answers 2xx when the process should receive traffic,
	// e.g. "/readyz". Required.
	ReadinessPath string
	// LivenessPath answers 2xx while the process is not wedged, e.g.
	// "/livez"; it must differ from ReadinessPath (kube-score
	// pod-probes-identical) and should not check downstream services.
	// Empty means no liveness probe: a misjudged liveness probe restarts
	// healthy pods, which is worse than none.
	LivenessPath string
	// BootTime is the longest the server may take from container start to
	// answering LivenessPath. When set (and there is a liveness probe) a
	// startup probe on the liveness endpoint holds the liveness probe back
	// that long; readiness needs no such guard, it simply stays false.
	BootTime time.Duration
	// HostHeader, when set, is sent as the Host header, for servers that
	// check it (Django ALLOWED_HOSTS); kubelet otherwise sends the pod IP.
	HostHeader string
	// Scheme is HTTP (the default when empty) or HTTPS.
	Scheme corev1.URIScheme
}

// Timing of the probes Python returns, chosen for Python servers:
//   - readiness every 5s with a 2s timeout, because a single busy sync
//     worker answers late and the API's 1s flaps readiness under load;
//   - liveness every 10s with a 5s timeout and 6 failures (a minute), longer
//     than gunicorn's 30s worker timeout so gunicorn gets to replace a stuck
//     worker before kubelet kills the whole container;
//   - startup every 5s with a 5s timeout, for BootTime.
const (
	pythonReadinessPeriod  = 5 * time.Second
	pythonReadinessTimeout = 2 * time.Second
	pythonLivenessPeriod   = 10 * time.Second
	pythonLivenessTimeout  = 5 * time.Second
	pythonLivenessFailures = 6
	pythonStartupPeriod    = 5 * time.Second
)

// Python returns the readiness, liveness and startup probes for a Python
// web server listening on port (a number, or the container port's name),
// or every problem with o at once. See PythonOptions for what is produced
// and the timing constants above for why.
func Python(port intstr.IntOrString, o PythonOptions) (Set, error) {
	fld := field.NewPath("probe")
	errs := validatePort(port, fld.Child("port"))
	errs = append(errs, checkPath(o.ReadinessPath, true, fld.Child("readinessPath"))...)
	errs = append(errs, checkPath(o.LivenessPath, false, fld.Child("livenessPath"))...)
	if o.BootTime < 0 {
		errs = append(errs, field.Invalid(fld.Child("bootTime"), o.BootTime.String(), "must not be negative"))
	}
	if o.HostHeader != "" {
		errs = append(errs, checkHostHeader(o.HostHeader, fld.Child("hostHeader"))...)
	}
	scheme := o.Scheme
	if scheme == "" {
		scheme = corev1.URISchemeHTTP
	}
	if scheme != corev1.URISchemeHTTP && scheme != corev1.URISchemeHTTPS {
		errs = append(errs, field.NotSupported(fld.Child("scheme"), scheme, []corev1.URIScheme{corev1.URISchemeHTTP, corev1.URISchemeHTTPS}))
	}
	endpoint := func(path string) Builder {
		b := HTTPGet(path, port).WithScheme(scheme)
		if o.HostHeader != "" {
			b = b.WithHostHeader(o.HostHeader)
		}
		return b
	}
	var s Set
	s.Readiness = endpoint(o.ReadinessPath).WithPeriod(pythonReadinessPeriod).WithTimeout(pythonReadinessTimeout).Probe()
	if o.LivenessPath != "" {
		live := endpoint(o.LivenessPath).WithTimeout(pythonLivenessTimeout)
		s.Liveness = live.WithPeriod(pythonLivenessPeriod).WithFailureThreshold(pythonLivenessFailures).Probe()
		if Equivalent(s.Readiness, s.Liveness) {
			errs = append(errs, field.Invalid(fld.Child("livenessPath"), o.LivenessPath, "must differ from readinessPath: identical liveness and readiness probes restart pods that are only busy (kube-score pod-probes-identical)"))
		}
		if o.BootTime > 0 {
			s.Startup = Startup(live.WithPeriod(pythonStartupPeriod), o.BootTime)
		}
	}
	if len(errs) > 0 {
		return Set{}, errs.ToAggregate()
	}
	return s, nil
}

// Django is Python for a Django server: host is sent as the Host header so
// the probe passes ALLOWED_HOSTS instead of failing with 400 DisallowedHost
// (Django rejects the pod IP kubelet sends by default). host must be one of
// ALLOWED_HOSTS, e.g. the service's DNS name; it overrides o.HostHeader.
func Django(port intstr.IntOrString, host string, o PythonOptions) (Set, error) {
	if host == "" {
		return Set{}, field.ErrorList{field.Required(field.NewPath("probe", "hostHeader"), "Django rejects probes whose Host is not in ALLOWED_HOSTS; give one of its entries")}.ToAggregate()
	}
	o.HostHeader = host
	return Python(port, o)
}

func checkPath(p string, required bool, fld *field.Path) field.ErrorList {
	switch {
	case p == "" && required:
		return field.ErrorList{field.Required(fld, "")}
	case p != "" && !strings.HasPrefix(p, "/"):
		return field.ErrorList{field.Invalid(fld, p, "must start with \"/\"")}
	}
	return nil
}

// checkHostHeader accepts a host or host:port as an HTTP Host header value.
func checkHostHeader(h string, fld *field.Path) field.ErrorList {
	if strings.ContainsAny(h, "/ \t\r\n@?#") {
		return field.ErrorList{field.Invalid(fld, h, "must be a host name or host:port, without scheme, path or spaces")}
	}
	return nil
}
