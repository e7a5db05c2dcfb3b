package status

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// serviceRule: an ExternalName Service, or one without a selector (its
// endpoints are managed elsewhere), is Current. Otherwise, given
// Children.EndpointSlices, at least one ready endpoint must stand behind
// it; without children only a cluster IP is required, as in kstatus. A
// LoadBalancer Service also needs an ingress entry when
// Options.RequireLoadBalancerIngress is set.
func serviceRule(obs Observation, opts Options) Result {
	var s corev1.Service
	if r, ok := convert(obs, &s); !ok {
		return r
	}
	if s.Spec.Type == corev1.ServiceTypeExternalName {
		return Result{State: Current, Reason: Ready, Message: fmt.Sprintf("service %q is an alias for %s", s.Name, s.Spec.ExternalName)}
	}
	if opts.RequireLoadBalancerIngress && s.Spec.Type == corev1.ServiceTypeLoadBalancer && len(s.Status.LoadBalancer.Ingress) == 0 {
		return Result{State: InProgress, Reason: NoLoadBalancerIngress, Message: fmt.Sprintf("Waiting for load balancer ingress of service %q...", s.Name)}
	}
	if len(s.Spec.Selector) == 0 {
		return Result{State: Current, Reason: Ready, Message: fmt.Sprintf("service %q has no selector; its endpoints are managed outside Kubernetes", s.Name)}
	}
	if obs.Children == nil {
		if s.Spec.ClusterIP == "" {
			return Result{State: InProgress, Reason: NoReadyEndpoints, Message: fmt.Sprintf("Waiting for service %q to be assigned a cluster IP...", s.Name)}
		}
		return Result{State: Current, Reason: Ready, Message: fmt.Sprintf("service %q has cluster IP %s", s.Name, s.Spec.ClusterIP)}
	}
	ready, total := endpointCounts(&s, obs.Children.EndpointSlices)
	if ready == 0 {
		return Result{State: InProgress, Reason: NoReadyEndpoints, Message: fmt.Sprintf(
			"Waiting for service %q to have a ready endpoint: 0 of %d endpoints are ready...", s.Name, total)}
	}
	return Result{State: Current, Reason: Ready, Message: fmt.Sprintf("service %q has %d of %d endpoints ready", s.Name, ready, total)}
}

// endpointCounts counts the endpoints of the Service's slices; a nil
// ready condition means ready, as the EndpointSlice API specifies.
func endpointCounts(s *corev1.Service, slices []discoveryv1.EndpointSlice) (ready, total int) {
	for _, sl := range slices {
		if sl.Labels[discoveryv1.LabelServiceName] != s.Name || (sl.Namespace != "" && s.Namespace != "" && sl.Namespace != s.Namespace) {
			continue
		}
		for _, e := range sl.Endpoints {
			total++
			if e.Conditions.Ready == nil || *e.Conditions.Ready {
				ready++
			}
		}
	}
	return ready, total
}
