package probe

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Kind says which of a container's probe fields a probe is for. The API
// server validates the three slightly differently.
type Kind int

// The probe kinds of a container. (Kind-prefixed because Startup is the
// startup-probe constructor.)
const (
	KindReadiness Kind = iota + 1
	KindLiveness
	KindStartup
)

// String returns the container field name of the kind, e.g. "readinessProbe".
func (k Kind) String() string {
	switch k {
	case KindReadiness:
		return "readinessProbe"
	case KindLiveness:
		return "livenessProbe"
	case KindStartup:
		return "startupProbe"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Default fills in, in place, what the API server's defaulting would:
// zero timeoutSeconds, periodSeconds, successThreshold and failureThreshold
// become 1, 10, 1 and 3; an empty HTTP path becomes "/" and an empty scheme
// HTTP. Call it before Validate to check a hand-written probe the way the
// API server will see it. A nil probe is left alone.
func Default(p *corev1.Probe) {
	if p == nil {
		return
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	if h := p.HTTPGet; h != nil {
		if h.Path == "" {
			h.Path = "/"
		}
		if h.Scheme == "" {
			h.Scheme = corev1.URISchemeHTTP
		}
	}
}

// Validate checks p, as written, the way the API server's pod validation
// checks a container's probe of the given kind (kubernetes
// pkg/apis/core/validation, validateProbe and validate{Liveness,Readiness,
// Startup}Probe), with the same field paths and wording: exactly one
// handler; an exec command; an httpGet path, port, scheme HTTP or HTTPS and
// valid header names; a tcpSocket port; a numeric gRPC port; non-negative
// timing; successThreshold 1 for liveness and startup; and a probe-level
// terminationGracePeriodSeconds that is positive and absent on readiness
// probes. fld is the probe's path, e.g.
// field.NewPath("spec", "containers").Index(0).Child("readinessProbe"); nil
// means the kind's field name. A nil probe is valid (the probe is optional).
//
// The API server defaults before it validates, so an empty path or scheme
// never reaches its validation; Validate reports them so that what we write
// is explicit. Call Default first to accept what the API server accepts.
func Validate(p *corev1.Probe, kind Kind, fld *field.Path) field.ErrorList {
	if p == nil {
		return nil
	}
	if fld == nil {
		fld = field.NewPath(kind.String())
	}
	var errs field.ErrorList
	errs = append(errs, validateHandler(&p.ProbeHandler, fld)...)
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(p.InitialDelaySeconds), fld.Child("initialDelaySeconds"))...)
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(p.TimeoutSeconds), fld.Child("timeoutSeconds"))...)
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(p.PeriodSeconds), fld.Child("periodSeconds"))...)
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(p.SuccessThreshold), fld.Child("successThreshold"))...)
	errs = append(errs, apivalidation.ValidateNonnegativeField(int64(p.FailureThreshold), fld.Child("failureThreshold"))...)
	if g := p.TerminationGracePeriodSeconds; g != nil && *g <= 0 {
		errs = append(errs, field.Invalid(fld.Child("terminationGracePeriodSeconds"), *g, "must be greater than 0"))
	}
	switch kind {
	case KindLiveness, KindStartup:
		if p.SuccessThreshold != 1 {
			errs = append(errs, field.Invalid(fld.Child("successThreshold"), p.SuccessThreshold, "must be 1"))
		}
	case KindReadiness:
		if g := p.TerminationGracePeriodSeconds; g != nil {
			errs = append(errs, field.Invalid(fld.Child("terminationGracePeriodSeconds"), *g, "must not be set for readinessProbes"))
		}
	default:
		errs = append(errs, field.InternalError(fld, fmt.Errorf("unknown probe kind %d: want KindReadiness, KindLiveness or KindStartup", int(kind))))
	}
	return errs
}

func validateHandler(h *corev1.ProbeHandler, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	one := func(name string, set bool, check func(*field.Path) field.ErrorList) {
		if !set {
			return
		}
		if n > 0 {
			errs = append(errs, field.Forbidden(fld.Child(name), "may not specify more than 1 handler type"))
			return
		}
		n++
		errs = append(errs, check(fld.Child(name))...)
	}
	one("exec", h.Exec != nil, func(f *field.Path) field.ErrorList {
		if len(h.Exec.Command) == 0 {
			return field.ErrorList{field.Required(f.Child("command"), "")}
		}
		return nil
	})
	one("httpGet", h.HTTPGet != nil, func(f *field.Path) field.ErrorList { return validateHTTPGet(h.HTTPGet, f) })
	one("tcpSocket", h.TCPSocket != nil, func(f *field.Path) field.ErrorList { return validatePort(h.TCPSocket.Port, f.Child("port")) })
	one("grpc", h.GRPC != nil, func(f *field.Path) field.ErrorList { return validateGRPC(h.GRPC, f) })
	if n == 0 {
		errs = append(errs, field.Required(fld, "must specify a handler type"))
	}
	return errs
}

func validateHTTPGet(h *corev1.HTTPGetAction, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if h.Path == "" {
		errs = append(errs, field.Required(fld.Child("path"), ""))
	}
	errs = append(errs, validatePort(h.Port, fld.Child("port"))...)
	if h.Scheme != corev1.URISchemeHTTP && h.Scheme != corev1.URISchemeHTTPS {
		errs = append(errs, field.NotSupported(fld.Child("scheme"), h.Scheme, []corev1.URIScheme{corev1.URISchemeHTTP, corev1.URISchemeHTTPS}))
	}
	for _, hdr := range h.HTTPHeaders {
		for _, msg := range validation.IsHTTPHeaderName(hdr.Name) {
			errs = append(errs, field.Invalid(fld.Child("httpHeaders"), hdr.Name, msg))
		}
	}
	if pr := h.Protocol; pr != nil {
		switch {
		case *pr != corev1.HTTPProtocolHTTP1 && *pr != corev1.HTTPProtocolHTTP2:
			errs = append(errs, field.NotSupported(fld.Child("protocol"), *pr, []corev1.HTTPProtocol{corev1.HTTPProtocolHTTP1, corev1.HTTPProtocolHTTP2}))
		case *pr == corev1.HTTPProtocolHTTP2 && h.Scheme != corev1.URISchemeHTTP:
			errs = append(errs, field.Invalid(fld.Child("protocol"), *pr, "is only supported with HTTP (H2C)"))
		case *pr == corev1.HTTPProtocolHTTP2 && h.Host != "":
			errs = append(errs, field.Invalid(fld.Child("host"), h.Host, "must be empty when `protocol` is \"HTTP2\""))
		}
	}
	return errs
}

func validateGRPC(g *corev1.GRPCAction, fld *field.Path) field.ErrorList {
	errs := validatePort(intstr.FromInt32(g.Port), fld.Child("port"))
	if m := g.Mode; m != nil && *m != corev1.GRPCProbeModePlaintext && *m != corev1.GRPCProbeModeTLS {
		errs = append(errs, field.NotSupported(fld.Child("mode"), *m, []corev1.GRPCProbeMode{corev1.GRPCProbeModePlaintext, corev1.GRPCProbeModeTLS}))
	}
	return errs
}

// validatePort mirrors ValidatePortNumOrName in the API server.
func validatePort(port intstr.IntOrString, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch port.Type {
	case intstr.Int:
		for _, msg := range validation.IsValidPortNum(port.IntValue()) {
			errs = append(errs, field.Invalid(fld, port.IntValue(), msg))
		}
	case intstr.String:
		for _, msg := range validation.IsValidPortName(port.StrVal) {
			errs = append(errs, field.Invalid(fld, port.StrVal, msg))
		}
	default:
		errs = append(errs, field.InternalError(fld, fmt.Errorf("unknown port type %d", port.Type)))
	}
	return errs
}
