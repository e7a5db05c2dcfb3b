package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// selectorMatches reports whether sel selects the pods of it; an invalid
// or empty selector selects nothing here (it is reported on its own).
func selectorMatches(sel *metav1.LabelSelector, it *item) bool {
	if it.pod == nil || !it.pod.selectorOK {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && !s.Empty() && s.Matches(labels.Set(it.pod.labels))
}

func (v *validator) checkService(it *item, s *corev1.Service) {
	spec := field.NewPath("spec")
	switch s.Spec.Type {
	case "", corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
	case corev1.ServiceTypeExternalName:
		if len(s.Spec.Selector) > 0 {
			v.add(it, CheckServiceType, field.Forbidden(spec.Child("selector"), "an ExternalName Service selects no pods"))
		}
	default:
		v.add(it, CheckServiceType, field.NotSupported(spec.Child("type"), s.Spec.Type,
			[]corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName}))
	}
	v.add(it, CheckLabels, labelErrs(s.Spec.Selector, spec.Child("selector"))...)
	names := map[string]bool{}
	for i, p := range s.Spec.Ports {
		f := spec.Child("ports").Index(i)
		for _, m := range validation.IsValidPortNum(int(p.Port)) {
			v.add(it, CheckPorts, field.Invalid(f.Child("port"), p.Port, m))
		}
		if len(s.Spec.Ports) > 1 && p.Name == "" {
			v.add(it, CheckServicePortNames, field.Required(f.Child("name"), "a Service with several ports must name each"))
		}
		if p.Name != "" && names[p.Name] {
			v.add(it, CheckServicePortNames, field.Duplicate(f.Child("name"), p.Name))
		}
		names[p.Name] = true
		if tp := p.TargetPort; tp.Type == intstr.Int && tp.IntVal != 0 {
			for _, m := range validation.IsValidPortNum(int(tp.IntVal)) {
				v.add(it, CheckPorts, field.Invalid(f.Child("targetPort"), tp.IntVal, m))
			}
		}
		if p.NodePort != 0 && s.Spec.Type != corev1.ServiceTypeNodePort && s.Spec.Type != corev1.ServiceTypeLoadBalancer {
			v.add(it, CheckServiceType, field.Forbidden(f.Child("nodePort"), "may not be used when `type` is 'ClusterIP'"))
		}
	}
}

// checkConfigMap checks a ConfigMap's keys in data and binaryData
// (validation.IsConfigMapKey, as the API server does), that
// no key is in both data and binaryData, and its size (1 MiB).
func (v *validator) checkConfigMap(it *item, cm *corev1.ConfigMap) {
	size := 0
	for _, k := range sortedKeys(cm.Data) {
		size += len(k) + len(cm.Data[k])
		for _, msg := range validation.IsConfigMapKey(k) {
			v.add(it, CheckConfigReference, field.Invalid(field.NewPath("data").Key(k), k, msg))
		}
	}
	for _, k := range sortedKeys(cm.BinaryData) {
		size += len(k) + len(cm.BinaryData[k])
		for _, msg := range validation.IsConfigMapKey(k) {
			v.add(it, CheckConfigReference, field.Invalid(field.NewPath("binaryData").Key(k), k, msg))
		}
		if _, dup := cm.Data[k]; dup {
			v.add(it, CheckConfigReference, field.Duplicate(field.NewPath("binaryData").Key(k), k))
		}
	}
	if size > corev1.MaxSecretSize {
		v.add(it, CheckConfigReference, field.TooLong(field.NewPath("data"), "", corev1.MaxSecretSize))
	}
}

func (v *validator) checkRelations() {
	v.relateHPAs()
	v.relateServices()
	v.relatePDBs()
	v.relateNetworkPolicies()
	v.relateIngresses()
	v.relateRoutes()
	v.relateConfig()
	for _, it := range v.items {
		v.checkSpread(it)
	}
}

func (v *validator) findWorkload(ns, kind, name string) *item {
	for _, it := range v.workloads(ns) {
		if it.kind() == kind && it.meta.GetName() == name {
			return it
		}
	}
	return nil
}

func (v *validator) checkHPASpec(it *item, h *autoscalingv2.HorizontalPodAutoscaler) {
	spec := field.NewPath("spec")
	minR := int32(1)
	if h.Spec.MinReplicas != nil {
		minR = *h.Spec.MinReplicas
	}
	if minR < 1 {
		v.add(it, CheckHPA, field.Invalid(spec.Child("minReplicas"), minR, "must be greater than or equal to 1"))
	}
	if h.Spec.MaxReplicas < minR {
		v.add(it, CheckHPA, field.Invalid(spec.Child("maxReplicas"), h.Spec.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	if len(h.Spec.Metrics) == 0 {
		v.add(it, CheckHPA, field.Required(spec.Child("metrics"), "set a CPU or memory utilization target (WithHPA); without one the API server silently targets 80% CPU"))
	}
	for i, m := range h.Spec.Metrics {
		if m.Resource == nil || m.Resource.Target.AverageUtilization == nil {
			continue
		}
		if u := *m.Resource.Target.AverageUtilization; u < 1 {
			v.add(it, CheckHPA, field.Invalid(spec.Child("metrics").Index(i).Child("resource", "target", "averageUtilization"), u, "must be greater than 0"))
		}
	}
	if b := h.Spec.Behavior; b != nil {
		for name, r := range map[string]*autoscalingv2.HPAScalingRules{"scaleUp": b.ScaleUp, "scaleDown": b.ScaleDown} {
			v.checkScalingRules(it, r, spec.Child("behavior", name))
		}
	}
}

// checkScalingRules mirrors the API server's HPA behavior validation.
func (v *validator) checkScalingRules(it *item, r *autoscalingv2.HPAScalingRules, fld *field.Path) {
	if r == nil {
		return
	}
	if w := r.StabilizationWindowSeconds; w != nil && (*w < 0 || *w > 3600) {
		v.add(it, CheckHPA, field.Invalid(fld.Child("stabilizationWindowSeconds"), *w, "must be less than or equal to 3600 and greater than or equal to 0"))
	}
	if p := r.SelectPolicy; p != nil && *p != autoscalingv2.MaxChangePolicySelect && *p != autoscalingv2.MinChangePolicySelect && *p != autoscalingv2.DisabledPolicySelect {
		v.add(it, CheckHPA, field.NotSupported(fld.Child("selectPolicy"), *p, []autoscalingv2.ScalingPolicySelect{autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect}))
	}
	if len(r.Policies) == 0 && (r.SelectPolicy == nil || *r.SelectPolicy != autoscalingv2.DisabledPolicySelect) {
		v.add(it, CheckHPA, field.Required(fld.Child("policies"), "must specify at least one Policy"))
	}
	for i, p := range r.Policies {
		f := fld.Child("policies").Index(i)
		if p.Type != autoscalingv2.PodsScalingPolicy && p.Type != autoscalingv2.PercentScalingPolicy {
			v.add(it, CheckHPA, field.NotSupported(f.Child("type"), p.Type, []autoscalingv2.HPAScalingPolicyType{autoscalingv2.PodsScalingPolicy, autoscalingv2.PercentScalingPolicy}))
		}
		if p.Value <= 0 {
			v.add(it, CheckHPA, field.Invalid(f.Child("value"), p.Value, "must be greater than zero"))
		}
		if p.PeriodSeconds <= 0 || p.PeriodSeconds > 1800 {
			v.add(it, CheckHPA, field.Invalid(f.Child("periodSeconds"), p.PeriodSeconds, "must be greater than zero and less than or equal to 1800"))
		}
	}
}

// relateHPAs checks each HPA against its target and records the HPA's
// minimum as the target's effective replica count.
func (v *validator) relateHPAs() {
	for _, e := range typedItems[*autoscalingv2.HorizontalPodAutoscaler](v) {
		h, it := e.obj, e.it
		ns := it.meta.GetNamespace()
		ref := h.Spec.ScaleTargetRef
		target := v.findWorkload(ns, ref.Kind, ref.Name)
		if target == nil || target.pod == nil || !target.pod.scalable {
			if len(v.workloads(ns)) > 0 {
				v.add(it, CheckHPA, field.Invalid(field.NewPath("spec", "scaleTargetRef"), ref, "targets no Deployment or StatefulSet of the set"))
			}
			continue
		}
		if h.Spec.MinReplicas != nil {
			target.pod.replicas = *h.Spec.MinReplicas
		}
		if target.pod.replicasOf != nil {
			v.add(target, CheckHPA, field.Forbidden(field.NewPath("spec", "replicas"),
				"must not be set when a HorizontalPodAutoscaler manages the replica count (drop WithReplicas)"))
		}
		for i, m := range h.Spec.Metrics {
			if m.Resource == nil || m.Resource.Target.Type != autoscalingv2.UtilizationMetricType {
				continue
			}
			for _, c := range target.pod.spec.Containers {
				if _, ok := c.Resources.Requests[m.Resource.Name]; !ok {
					v.add(it, CheckHPA, field.Invalid(field.NewPath("spec", "metrics").Index(i).Child("resource", "name"), m.Resource.Name,
						fmt.Sprintf("utilization is a percentage of the request, and container %q of %s %q requests no %s", c.Name, target.kind(), target.meta.GetName(), m.Resource.Name)))
				}
			}
		}
	}
}

func (v *validator) relateServices() {
	for _, e := range typedItems[*corev1.Service](v) {
		s, it := e.obj, e.it
		if len(s.Spec.Selector) == 0 || s.Spec.Type == corev1.ServiceTypeExternalName || len(labelErrs(s.Spec.Selector, nil)) > 0 {
			v.checkTargetPortNames(it, s, nil)
			continue
		}
		sel := &metav1.LabelSelector{MatchLabels: s.Spec.Selector}
		ns := it.meta.GetNamespace()
		var selected []*item
		for _, w := range v.workloads(ns) {
			if selectorMatches(sel, w) {
				selected = append(selected, w)
			}
		}
		v.checkTargetPortNames(it, s, selected)
		if len(selected) == 0 {
			if ws := v.workloads(ns); len(ws) > 0 && anySelectable(ws) {
				v.add(it, CheckServiceDangling, field.Invalid(field.NewPath("spec", "selector"), s.Spec.Selector,
					fmt.Sprintf("selects no pod of %s", describeWorkloads(ws))))
			}
			continue
		}
		for _, w := range selected {
			v.checkTargetPorts(it, s, w)
			if d, ok := w.obj.(*appsv1.Deployment); ok && d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
				v.add(w, CheckStrategy, field.Invalid(field.NewPath("spec", "strategy", "type"), d.Spec.Strategy.Type,
					fmt.Sprintf("Recreate stops every pod before starting new ones, so Service %q has no endpoints during a rollout; use RollingUpdate", s.Name)))
			}
			if d, ok := w.obj.(*appsv1.Deployment); ok && d.Spec.Replicas != nil && *d.Spec.Replicas < 2 && !v.hasHPA(w) {
				v.add(w, CheckReplicas, field.Invalid(field.NewPath("spec", "replicas"), *d.Spec.Replicas,
					"a Deployment targeted by a Service should run at least 2 replicas so one pod can be replaced while another serves"))
			}
			if v.hasHPA(w) && w.pod.replicas < 2 {
				for _, h := range typedItems[*autoscalingv2.HorizontalPodAutoscaler](v) {
					if h.obj.Spec.ScaleTargetRef.Name == w.meta.GetName() && h.it.meta.GetNamespace() == ns {
						v.add(h.it, CheckReplicas, field.Invalid(field.NewPath("spec", "minReplicas"), w.pod.replicas, "an autoscaled Deployment behind a Service should keep at least 2 replicas"))
					}
				}
			}
		}
	}
}

func anySelectable(ws []*item) bool {
	return slices.ContainsFunc(ws, func(w *item) bool { return w.pod.selectorOK })
}

func describeWorkloads(ws []*item) string {
	if len(ws) == 1 {
		return fmt.Sprintf("%s %q (template labels %v)", ws[0].kind(), ws[0].meta.GetName(), labels.Set(ws[0].pod.labels))
	}
	return fmt.Sprintf("the %d workloads of the set", len(ws))
}

func (v *validator) hasHPA(w *item) bool {
	for _, h := range typedItems[*autoscalingv2.HorizontalPodAutoscaler](v) {
		ref := h.obj.Spec.ScaleTargetRef
		if ref.Kind == w.kind() && ref.Name == w.meta.GetName() && h.it.meta.GetNamespace() == w.meta.GetNamespace() {
			return true
		}
	}
	return false
}

// checkTargetPortNames checks the Service's named target ports, except one
// that names an invalid port of a container it selects: that container
// port is reported itself (ports.format), and the Service naming it is the
// same cause again.
func (v *validator) checkTargetPortNames(it *item, s *corev1.Service, selected []*item) {
	for i, p := range s.Spec.Ports {
		tp := p.TargetPort
		if tp.Type != intstr.String || slices.ContainsFunc(selected, func(w *item) bool { return declaresInvalidPort(w.pod.spec, tp) }) {
			continue
		}
		if msgs := validation.IsValidPortName(tp.StrVal); len(msgs) > 0 {
			v.add(it, CheckPorts, field.Invalid(field.NewPath("spec", "ports").Index(i).Child("targetPort"), tp.StrVal, strings.Join(msgs, " and ")))
		}
	}
}

func declaresInvalidPort(ps *corev1.PodSpec, port intstr.IntOrString) bool {
	return slices.ContainsFunc(ps.Containers, func(c corev1.Container) bool { return targetsInvalidPort(&c, port) })
}

// checkTargetPorts checks a Service's target ports against the workload it
// selects, and that the containers serving them have readiness probes.
func (v *validator) checkTargetPorts(it *item, s *corev1.Service, w *item) {
	ps := w.pod.spec
	serving := map[int]bool{}
	for i, p := range s.Spec.Ports {
		tp := p.TargetPort
		if tp.Type == intstr.Int && tp.IntVal == 0 {
			tp = intstr.FromInt32(p.Port)
		}
		found := false
		for ci := range ps.Containers {
			if exposes(&ps.Containers[ci], tp) {
				found, serving[ci] = true, true
			}
		}
		if !found {
			v.add(it, CheckServiceTargetPort, field.Invalid(field.NewPath("spec", "ports").Index(i).Child("targetPort"), tp.String(),
				fmt.Sprintf("no container of %s %q exposes port %s", w.kind(), w.meta.GetName(), tp.String())))
		}
	}
	for ci := range ps.Containers {
		if serving[ci] && ps.Containers[ci].ReadinessProbe == nil {
			v.add(w, CheckProbeReadiness, field.Required(w.pod.specPath.Child("containers").Index(ci).Child("readinessProbe"),
				"a Service routes to this container; without a readiness probe it gets traffic before it can serve"))
		}
	}
}

func (v *validator) relatePDBs() {
	covered := map[*item]bool{}
	unknown := map[string]bool{} // namespaces with a PDB whose selector is invalid
	for _, e := range typedItems[*policyv1.PodDisruptionBudget](v) {
		pdb, it := e.obj, e.it
		spec := field.NewPath("spec")
		ns := it.meta.GetNamespace()
		maOK := v.checkPDBBudgets(it, pdb)
		if mu := pdb.Spec.MaxUnavailable; mu != nil && len(budgetErrs(*mu)) == 0 && isZero(*mu) {
			v.add(it, CheckPDB, field.Invalid(spec.Child("maxUnavailable"), mu.String(), "must allow at least one disruption, or no node can ever be drained"))
		}
		if pdb.Spec.UnhealthyPodEvictionPolicy == nil && v.minor >= featureUnhealthyPodEviction.since {
			v.add(it, CheckPDB, field.Required(spec.Child("unhealthyPodEvictionPolicy"), "set AlwaysAllow so crash-looping pods do not block node drains"))
		}
		if pdb.Spec.Selector == nil || len(metav1validation.ValidateLabelSelector(pdb.Spec.Selector, metav1validation.LabelSelectorValidationOptions{}, nil)) > 0 {
			unknown[ns] = true
			continue
		}
		var selected []*item
		for _, w := range v.workloads(ns) {
			if selectorMatches(pdb.Spec.Selector, w) {
				selected = append(selected, w)
				covered[w] = true
			}
		}
		if len(selected) == 0 {
			if ws := v.workloads(ns); len(ws) > 0 && anySelectable(ws) {
				v.add(it, CheckPDB, field.Invalid(spec.Child("selector"), pdb.Spec.Selector, fmt.Sprintf("selects no pod of %s", describeWorkloads(ws))))
			}
			continue
		}
		if ma := pdb.Spec.MinAvailable; ma != nil && maOK {
			n := selected[0].pod.replicas
			if (ma.Type == intstr.String && percent(*ma) >= 100) || (ma.Type == intstr.Int && ma.IntVal >= n) {
				v.add(it, CheckPDB, field.Invalid(spec.Child("minAvailable"), ma.String(),
					fmt.Sprintf("must be below the replica count %d, or no node can ever be drained", n)))
			}
		}
	}
	for _, it := range v.items {
		// A workload whose labels are invalid, or beside a PDB whose selector
		// is, cannot be matched: its own problem is reported instead.
		if it.pod != nil && it.pod.scalable && it.pod.replicas > 1 && !covered[it] && it.pod.selectorOK && !unknown[it.meta.GetNamespace()] {
			v.add(it, CheckPDBMissing, field.Required(field.NewPath("metadata", "name"),
				fmt.Sprintf("a %s with %d replicas needs a PodDisruptionBudget so node drains keep it serving", it.kind(), it.pod.replicas)))
		}
	}
}

// checkPDBBudgets checks maxUnavailable and minAvailable as the API server
// does (policy ValidatePodDisruptionBudgetSpec): one of them, each a
// non-negative integer or a percentage of at most 100%. It reports whether
// minAvailable is valid.
func (v *validator) checkPDBBudgets(it *item, pdb *policyv1.PodDisruptionBudget) bool {
	spec := field.NewPath("spec")
	mu, ma := pdb.Spec.MaxUnavailable, pdb.Spec.MinAvailable
	switch {
	case mu == nil && ma == nil:
		v.add(it, CheckPDB, field.Required(spec.Child("maxUnavailable"), "set maxUnavailable (or minAvailable), or the budget allows nothing useful"))
	case mu != nil && ma != nil:
		v.add(it, CheckPDB, field.Invalid(spec, field.OmitValueType{}, "minAvailable and maxUnavailable cannot be both set"))
	}
	maOK := true
	for _, b := range []struct {
		name string
		val  *intstr.IntOrString
	}{{"maxUnavailable", mu}, {"minAvailable", ma}} {
		if b.val == nil {
			continue
		}
		msgs := budgetErrs(*b.val)
		if len(msgs) > 0 {
			v.add(it, CheckPDB, field.Invalid(spec.Child(b.name), intOrStringValue(*b.val), strings.Join(msgs, "; ")))
		}
		if b.name == "minAvailable" {
			maOK = len(msgs) == 0
		}
	}
	return maOK
}

// budgetErrs is apps ValidatePositiveIntOrPercent and
// IsNotMoreThan100Percent: the API server's rules for a PDB's
// maxUnavailable and minAvailable.
func budgetErrs(val intstr.IntOrString) []string {
	if val.Type == intstr.String {
		if msgs := validation.IsValidPercent(val.StrVal); len(msgs) > 0 {
			return msgs
		}
		if percent(val) > 100 {
			return []string{"must not be greater than 100%"}
		}
		return nil
	}
	if val.IntVal < 0 {
		return []string{"must be greater than or equal to 0"}
	}
	return nil
}

// intOrStringValue is the value to show in a field error: the number or
// the string.
func intOrStringValue(val intstr.IntOrString) any {
	if val.Type == intstr.String {
		return val.StrVal
	}
	return val.IntVal
}

// checkSpread is scheduling.anti-affinity: more than one replica spreads
// across nodes.
func (v *validator) checkSpread(it *item) {
	if it.pod == nil || !it.pod.scalable || it.pod.replicas <= 1 {
		return
	}
	ps := it.pod.spec
	if ps.Affinity == nil || ps.Affinity.PodAntiAffinity == nil || len(ps.TopologySpreadConstraints) == 0 {
		v.add(it, CheckAntiAffinity, field.Required(it.pod.specPath.Child("affinity", "podAntiAffinity"),
			fmt.Sprintf("a %s with %d replicas should spread its pods across nodes (pod anti-affinity and topology spread on %s)",
				it.kind(), it.pod.replicas, corev1.LabelHostname)))
	}
}

func (v *validator) relateNetworkPolicies() {
	selected := map[*item]bool{}
	for _, e := range typedItems[*networkingv1.NetworkPolicy](v) {
		np, it := e.obj, e.it
		ns := it.meta.GetNamespace()
		if len(metav1validation.ValidateLabelSelector(&np.Spec.PodSelector, metav1validation.LabelSelectorValidationOptions{}, nil)) > 0 {
			v.add(it, CheckLabels, metav1validation.ValidateLabelSelector(&np.Spec.PodSelector, metav1validation.LabelSelectorValidationOptions{}, field.NewPath("spec", "podSelector"))...)
			continue
		}
		s, _ := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		any := false
		for _, w := range v.workloads(ns) {
			if s.Matches(labels.Set(w.pod.labels)) {
				selected[w], any = true, true
			}
		}
		if !any && len(v.workloads(ns)) > 0 && anySelectable(v.workloads(ns)) {
			v.add(it, CheckNetworkPolicy, field.Invalid(field.NewPath("spec", "podSelector"), np.Spec.PodSelector,
				fmt.Sprintf("selects no pod of %s", describeWorkloads(v.workloads(ns)))))
		}
	}
	for _, it := range v.items {
		if it.pod != nil && !selected[it] && it.kind() != "Pod" && it.pod.selectorOK {
			v.add(it, CheckNetworkPolicy, field.Required(field.NewPath("metadata", "name"),
				"no NetworkPolicy of the set selects these pods to admit ingress only on their ports"))
		}
	}
}

func (v *validator) findService(ns, name string) *corev1.Service {
	for _, e := range typedItems[*corev1.Service](v) {
		if e.it.meta.GetNamespace() == ns && e.obj.Name == name {
			return e.obj
		}
	}
	return nil
}

func (v *validator) checkIngressSpec(it *item, in *networkingv1.Ingress) {
	spec := field.NewPath("spec")
	for i, r := range in.Spec.Rules {
		f := spec.Child("rules").Index(i)
		if r.Host != "" {
			host := r.Host
			if len(host) > 2 && host[:2] == "*." {
				host = host[2:]
			}
			for _, msg := range validation.IsDNS1123Subdomain(host) {
				v.add(it, CheckIngress, field.Invalid(f.Child("host"), r.Host, msg))
			}
		}
		if r.HTTP == nil {
			continue
		}
		for j, p := range r.HTTP.Paths {
			pf := f.Child("http", "paths").Index(j)
			switch {
			case p.PathType == nil:
				v.add(it, CheckIngress, field.Required(pf.Child("pathType"), "pathType must be specified"))
			case *p.PathType != networkingv1.PathTypePrefix && *p.PathType != networkingv1.PathTypeExact && *p.PathType != networkingv1.PathTypeImplementationSpecific:
				v.add(it, CheckIngress, field.NotSupported(pf.Child("pathType"), *p.PathType, []networkingv1.PathType{networkingv1.PathTypeExact, networkingv1.PathTypePrefix, networkingv1.PathTypeImplementationSpecific}))
			}
			if p.Path != "" && p.Path[0] != '/' {
				v.add(it, CheckIngress, field.Invalid(pf.Child("path"), p.Path, "must be an absolute path"))
			}
		}
	}
}

func (v *validator) relateIngresses() {
	for _, e := range typedItems[*networkingv1.Ingress](v) {
		in, it := e.obj, e.it
		for i, r := range in.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for j, p := range r.HTTP.Paths {
				b := p.Backend.Service
				f := field.NewPath("spec", "rules").Index(i).Child("http", "paths").Index(j).Child("backend", "service")
				if b == nil {
					continue
				}
				svc := v.findService(it.meta.GetNamespace(), b.Name)
				if svc == nil {
					continue // a Service outside the set
				}
				if !serviceHasPort(svc, b.Port.Name, b.Port.Number) {
					v.add(it, CheckIngress, field.Invalid(f.Child("port"), b.Port, fmt.Sprintf("Service %q has no such port", b.Name)))
				}
			}
		}
	}
}

func serviceHasPort(svc *corev1.Service, name string, number int32) bool {
	return slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool {
		return (name != "" && p.Name == name) || (name == "" && p.Port == number)
	})
}

// generatedFrom reports whether name is base with a kustomize-style hash
// suffix ("-" and 10 characters).
func generatedFrom(name, base string) bool {
	return len(name) == len(base)+11 && name[:len(base)] == base && hashSuffix.MatchString(name[len(base):])
}

var hashSuffix = regexp.MustCompile(`^-[a-z0-9]{10}$`)

// relateConfig checks env and volume references to ConfigMaps and Secrets
// that the set itself holds.
func (v *validator) relateConfig() {
	for _, it := range v.items {
		if it.pod == nil {
			continue
		}
		ns := it.meta.GetNamespace()
		ps, pf := it.pod.spec, it.pod.specPath
		for _, pc := range podContainers(ps, pf) {
			for i, e := range pc.c.Env {
				if e.ValueFrom == nil {
					continue
				}
				f := pc.fld.Child("env").Index(i).Child("valueFrom")
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
					v.checkRef(it, ns, "ConfigMap", r.Name, []string{r.Key}, r.Optional, f.Child("configMapKeyRef"))
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					v.checkRef(it, ns, "Secret", r.Name, []string{r.Key}, r.Optional, f.Child("secretKeyRef"))
				}
			}
			for i, s := range pc.c.EnvFrom {
				f := pc.fld.Child("envFrom").Index(i)
				if s.ConfigMapRef != nil {
					v.checkRef(it, ns, "ConfigMap", s.ConfigMapRef.Name, nil, s.ConfigMapRef.Optional, f.Child("configMapRef"))
				}
				if s.SecretRef != nil {
					v.checkRef(it, ns, "Secret", s.SecretRef.Name, nil, s.SecretRef.Optional, f.Child("secretRef"))
				}
			}
		}
		for i, vol := range ps.Volumes {
			f := pf.Child("volumes").Index(i)
			if c := vol.ConfigMap; c != nil {
				v.checkRef(it, ns, "ConfigMap", c.Name, itemKeys(c.Items), c.Optional, f.Child("configMap"))
			}
			if s := vol.Secret; s != nil {
				v.checkRef(it, ns, "Secret", s.SecretName, itemKeys(s.Items), s.Optional, f.Child("secret"))
			}
		}
	}
}

func itemKeys(items []corev1.KeyToPath) []string {
	out := make([]string, len(items))
	for i, k := range items {
		out[i] = k.Key
	}
	return out
}

// checkRef checks one reference: the object, if the set holds it, must
// have the keys; a generated ConfigMap must be named with its suffix.
func (v *validator) checkRef(it *item, ns, kind, name string, keys []string, optional *bool, fld *field.Path) {
	if optional != nil && *optional {
		return
	}
	var found *item
	var generated []string
	for _, o := range v.items {
		if o.kind() != kind || o.meta.GetNamespace() != ns || o.broken {
			continue
		}
		switch n := o.meta.GetName(); {
		case n == name:
			found = o
		case generatedFrom(n, name):
			generated = append(generated, n)
		}
	}
	if found == nil {
		if len(generated) > 0 {
			e := field.NotFound(fld.Child("name"), name)
			e.Detail = fmt.Sprintf("the set has %s %q generated from it; refer to the generated name (the builder does when given the base name)", kind, generated[0])
			v.add(it, CheckConfigReference, e)
		}
		return
	}
	have := map[string]bool{}
	switch o := found.obj.(type) {
	case *corev1.ConfigMap:
		for k := range o.Data {
			have[k] = true
		}
		for k := range o.BinaryData {
			have[k] = true
		}
	case *corev1.Secret:
		for k := range o.Data {
			have[k] = true
		}
		for k := range o.StringData {
			have[k] = true
		}
	default:
		return
	}
	for _, k := range keys {
		if !have[k] {
			v.add(it, CheckConfigReference, field.Invalid(fld.Child("key"), k, fmt.Sprintf("%s %q has no key %q (keys: %v)", kind, name, k, slices.Sorted(mapsKeys(have)))))
		}
	}
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
