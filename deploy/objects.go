package deploy

import (
	"maps"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func (b *builder) servicePort() int32 {
	if b.app.servicePort != 0 {
		return b.app.servicePort
	}
	return b.app.port
}

func (b *builder) service() *corev1.Service {
	a := b.app
	t := a.serviceType
	if t == "" {
		t = corev1.ServiceTypeClusterIP
	}
	s := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: b.meta(a.name),
		Spec: corev1.ServiceSpec{
			Type:     t,
			Selector: maps.Clone(b.sel),
			Ports:    []corev1.ServicePort{{Name: a.portName, Port: b.servicePort(), TargetPort: intstr.FromString(a.portName), Protocol: corev1.ProtocolTCP}},
		},
	}
	for _, p := range a.extraPorts {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: p.Name, Port: p.Port, TargetPort: intstr.FromString(p.Name), Protocol: corev1.ProtocolTCP})
	}
	return s
}

// networkPolicy admits ingress only to the pod's declared ports (none for
// workers and Jobs without ports: the policy then isolates the pods).
func (b *builder) networkPolicy(name string, podLabels map[string]string, ports []corev1.ContainerPort) *networkingv1.NetworkPolicy {
	a := b.app
	np := &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: b.meta(name),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: maps.Clone(podLabels)},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
	if len(ports) == 0 {
		return np
	}
	tcp := corev1.ProtocolTCP
	rule := networkingv1.NetworkPolicyIngressRule{}
	for _, p := range ports {
		rule.Ports = append(rule.Ports, networkingv1.NetworkPolicyPort{Protocol: new(tcp), Port: new(intstr.FromString(p.Name))})
	}
	for _, p := range a.networkPeers {
		rule.From = append(rule.From, *p.DeepCopy())
	}
	np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{rule}
	return np
}

// podPorts lists the named ports of the pod's main containers, which the
// NetworkPolicy admits. Sidecars' ports (a proxy's health port) are for
// kubelet and localhost, not for other pods.
func podPorts(ps *corev1.PodSpec) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	for _, c := range ps.Containers {
		for _, p := range c.Ports {
			if p.Name != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (b *builder) pdb() *policyv1.PodDisruptionBudget {
	a := b.app
	mu := intstr.FromInt32(1)
	if a.pdbMaxUnavailable != nil {
		mu = *a.pdbMaxUnavailable
	}
	p := &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: b.meta(a.name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			Selector:       &metav1.LabelSelector{MatchLabels: maps.Clone(b.sel)},
			MaxUnavailable: &mu,
		},
	}
	if b.minor >= featureUnhealthyPodEviction.since {
		p.Spec.UnhealthyPodEvictionPolicy = new(policyv1.AlwaysAllow)
	}
	return p
}

func (b *builder) hpa() *autoscalingv2.HorizontalPodAutoscaler {
	a := b.app
	as := a.autoscaling
	h := &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: b.meta(a.name),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: a.name},
			MinReplicas:    new(as.MinReplicas),
			MaxReplicas:    as.MaxReplicas,
			Behavior:       as.Behavior.DeepCopy(),
		},
	}
	for _, m := range []struct {
		name  corev1.ResourceName
		ratio int32
	}{{corev1.ResourceCPU, as.CPUUtilizationRatio}, {corev1.ResourceMemory, as.MemoryUtilizationRatio}} {
		if m.ratio == 0 {
			continue
		}
		h.Spec.Metrics = append(h.Spec.Metrics, autoscalingv2.MetricSpec{
			Type: autoscalingv2.ResourceMetricSourceType,
			Resource: &autoscalingv2.ResourceMetricSource{
				Name:   m.name,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: new(m.ratio)},
			},
		})
	}
	return h
}

func (b *builder) serviceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:                   b.meta(b.app.name),
		AutomountServiceAccountToken: new(false),
	}
}

func (b *builder) ingress(svc *corev1.Service, in Ingress) *networkingv1.Ingress {
	name := in.name
	if name == "" {
		name = b.app.name
	}
	meta := b.meta(name)
	meta.Annotations = mergeCopy(meta.Annotations, in.annotations)
	if len(meta.Annotations) == 0 {
		meta.Annotations = nil
	}
	ing := &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: meta,
		Spec: networkingv1.IngressSpec{
			Rules: []networkingv1.IngressRule{{
				Host: in.host,
				IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{{
						Path:     in.path,
						PathType: new(networkingv1.PathTypePrefix),
						Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
							Name: svc.Name,
							Port: networkingv1.ServiceBackendPort{Name: svc.Spec.Ports[0].Name},
						}},
					}},
				}},
			}},
		},
	}
	if in.className != "" {
		ing.Spec.IngressClassName = new(in.className)
	}
	if in.tlsSecret != "" {
		tls := networkingv1.IngressTLS{SecretName: in.tlsSecret}
		if in.host != "" {
			tls.Hosts = []string{in.host}
		}
		ing.Spec.TLS = []networkingv1.IngressTLS{tls}
	}
	return ing
}

func (b *builder) httpRoute(svc *corev1.Service, r HTTPRoute) *gatewayv1.HTTPRoute {
	name := r.name
	if name == "" {
		name = b.app.name
	}
	meta := b.meta(name)
	meta.Annotations = mergeCopy(meta.Annotations, r.annotations)
	if len(meta.Annotations) == 0 {
		meta.Annotations = nil
	}
	parent := gatewayv1.ParentReference{Name: gatewayv1.ObjectName(r.gateway)}
	if r.gatewayNamespace != "" {
		parent.Namespace = new(gatewayv1.Namespace(r.gatewayNamespace))
	}
	if r.sectionName != "" {
		parent.SectionName = new(gatewayv1.SectionName(r.sectionName))
	}
	route := &gatewayv1.HTTPRoute{
		TypeMeta:   metav1.TypeMeta{APIVersion: gatewayv1.GroupVersion.String(), Kind: "HTTPRoute"},
		ObjectMeta: meta,
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{parent}},
			Rules: []gatewayv1.HTTPRouteRule{{
				Matches: []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{
					Type: new(gatewayv1.PathMatchPathPrefix), Value: new(r.pathPrefix)}}},
				BackendRefs: []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{
					BackendObjectReference: gatewayv1.BackendObjectReference{
						Name: gatewayv1.ObjectName(svc.Name),
						Port: new(svc.Spec.Ports[0].Port),
					},
				}}},
			}},
		},
	}
	for _, h := range r.hostnames {
		route.Spec.Hostnames = append(route.Spec.Hostnames, gatewayv1.Hostname(h))
	}
	return route
}
