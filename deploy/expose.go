package deploy

import (
	"maps"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
)

// Ingress describes a networking.k8s.io/v1 Ingress routing host (and a path
// prefix, default "/") to the app's Service port, generated with
// App.WithIngress. It is a value; With* methods return a modified copy.
type Ingress struct {
	name        string
	host        string
	path        string
	className   string
	tlsSecret   string
	annotations map[string]string
}

// NewIngress starts an Ingress for host (e.g. "payments.example.com"; empty
// matches every host), path "/" (pathType Prefix), named after the app.
func NewIngress(host string) Ingress { return Ingress{host: host, path: "/"} }

// WithName names the Ingress (default: the app name).
func (i Ingress) WithName(name string) Ingress { i.name = name; return i }

// WithPath sets the path prefix routed to the app (default "/").
func (i Ingress) WithPath(prefix string) Ingress { i.path = prefix; return i }

// WithClassName sets ingressClassName (default: none, the cluster's default
// IngressClass).
func (i Ingress) WithClassName(name string) Ingress { i.className = name; return i }

// WithTLS terminates TLS for the host with the certificate in the
// kubernetes.io/tls Secret secret.
func (i Ingress) WithTLS(secret string) Ingress { i.tlsSecret = secret; return i }

// WithAnnotations adds annotations (controller settings such as
// nginx.ingress.kubernetes.io/proxy-body-size) to the Ingress only.
func (i Ingress) WithAnnotations(m map[string]string) Ingress {
	i.annotations = mergeCopy(i.annotations, m)
	return i
}

// HTTPRoute describes a Gateway API (gateway.networking.k8s.io/v1)
// HTTPRoute attaching the app's Service to a Gateway, generated with
// App.WithHTTPRoute. It is a value; With* methods return a modified copy.
//
// The objects are the typed ones of sigs.k8s.io/gateway-api v1.6.3: the
// module adds one package to an importer's build (every dependency of
// sigs.k8s.io/gateway-api/apis/v1 is already in this library's graph),
// two go.sum lines and 0.6 MB to a binary, and in exchange the Go types
// give the route its schema; Validate converts parsed YAML to them strictly.
type HTTPRoute struct {
	name             string
	gateway          string
	gatewayNamespace string
	sectionName      string
	hostnames        []string
	pathPrefix       string
	annotations      map[string]string
}

// NewHTTPRoute starts an HTTPRoute attached to the Gateway gateway (in the
// app's namespace unless WithGatewayNamespace), matching every hostname and
// the path prefix "/", named after the app.
func NewHTTPRoute(gateway string) HTTPRoute { return HTTPRoute{gateway: gateway, pathPrefix: "/"} }

// WithName names the HTTPRoute (default: the app name).
func (r HTTPRoute) WithName(name string) HTTPRoute { r.name = name; return r }

// WithGatewayNamespace sets the Gateway's namespace (default: the app's).
func (r HTTPRoute) WithGatewayNamespace(ns string) HTTPRoute { r.gatewayNamespace = ns; return r }

// WithSectionName attaches to one listener of the Gateway (default: all).
func (r HTTPRoute) WithSectionName(name string) HTTPRoute { r.sectionName = name; return r }

// WithHostnames sets the hostnames the route matches (default: the
// Gateway's).
func (r HTTPRoute) WithHostnames(hosts ...string) HTTPRoute {
	r.hostnames = appendClip([]string(nil), hosts...)
	return r
}

// WithPathPrefix sets the path prefix routed to the app (default "/").
func (r HTTPRoute) WithPathPrefix(prefix string) HTTPRoute { r.pathPrefix = prefix; return r }

// WithAnnotations adds annotations to the HTTPRoute only.
func (r HTTPRoute) WithAnnotations(m map[string]string) HTTPRoute {
	r.annotations = mergeCopy(r.annotations, m)
	return r
}

// Autoscaling configures the optional HorizontalPodAutoscaler
// (autoscaling/v2). Utilizations are percentages of the container's
// request; a zero one adds no metric. Behavior is copied verbatim (nil: the
// API's defaults, scale down after a 300s stabilization window).
type Autoscaling struct {
	MinReplicas            int32
	MaxReplicas            int32
	CPUUtilizationRatio    int32 // target average CPU utilization, percent of the request
	MemoryUtilizationRatio int32 // target average memory utilization, percent of the request
	Behavior               *autoscalingv2.HorizontalPodAutoscalerBehavior
}

// WithAutoscaling adds a HorizontalPodAutoscaler scaling between
// minReplicas and maxReplicas on CPU utilization (percent of the request),
// and omits spec.replicas so the HPA owns the count.
func (a App) WithAutoscaling(minReplicas, maxReplicas, cpuPercent int32) App {
	return a.WithHPA(Autoscaling{MinReplicas: minReplicas, MaxReplicas: maxReplicas, CPUUtilizationRatio: cpuPercent})
}

// WithHPA adds a HorizontalPodAutoscaler configured by as: CPU and/or
// memory utilization targets and an optional scaling behavior.
func (a App) WithHPA(as Autoscaling) App {
	as.Behavior = as.Behavior.DeepCopy()
	a.autoscaling = &as
	return a.use("WithAutoscaling")
}

// WithIngress adds an Ingress routing to the app's Service (web services
// with a Service only).
func (a App) WithIngress(i Ingress) App {
	i.annotations = maps.Clone(i.annotations)
	a.ingresses = appendClip(a.ingresses, i)
	return a.use("WithIngress")
}

// WithHTTPRoute adds a Gateway API HTTPRoute to the app's Service (web
// services with a Service only).
func (a App) WithHTTPRoute(r HTTPRoute) App {
	a.routes = appendClip(a.routes, r)
	return a.use("WithHTTPRoute")
}
