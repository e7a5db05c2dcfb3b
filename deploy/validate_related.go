package deploy

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// selects reports whether sel selects the Deployment's pod template.
func selects(sel *metav1.LabelSelector, d *appsv1.Deployment) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && !s.Empty() && s.Matches(labels.Set(d.Spec.Template.Labels))
}

func (b *builder) validateService(s *corev1.Service, d *appsv1.Deployment) {
	if s == nil {
		return
	}
	const kind = "Service"
	spec := field.NewPath("spec")
	if !selects(&metav1.LabelSelector{MatchLabels: s.Spec.Selector}, d) {
		b.add(CheckServiceDangling, kind, field.Invalid(spec.Child("selector"), s.Spec.Selector,
			fmt.Sprintf("selects no pod of Deployment %q (template labels %v)", d.Name, labels.Set(d.Spec.Template.Labels))))
	}
	c := &d.Spec.Template.Spec.Containers[0]
	names := map[string]bool{}
	for i, p := range s.Spec.Ports {
		f := spec.Child("ports").Index(i)
		for _, m := range validation.IsValidPortNum(int(p.Port)) {
			b.add(CheckServiceTargetPort, kind, field.Invalid(f.Child("port"), p.Port, m))
		}
		if len(s.Spec.Ports) > 1 && p.Name == "" {
			b.add(CheckServicePortNames, kind, field.Required(f.Child("name"), "a Service with several ports must name each"))
		}
		if p.Name != "" && names[p.Name] {
			b.add(CheckServicePortNames, kind, field.Duplicate(f.Child("name"), p.Name))
		}
		names[p.Name] = true
		tp := p.TargetPort
		if tp.Type == intstr.String {
			for _, m := range validation.IsValidPortName(tp.StrVal) {
				b.add(CheckServiceTargetPort, kind, field.Invalid(f.Child("targetPort"), tp.StrVal, m))
			}
		}
		if !exposes(c, tp) {
			b.add(CheckServiceTargetPort, kind, field.Invalid(f.Child("targetPort"), tp.String(),
				fmt.Sprintf("container %q of Deployment %q does not expose port %s", c.Name, d.Name, tp.String())))
		}
	}
}

func (b *builder) validatePDB(bundle *Bundle, d *appsv1.Deployment) {
	a := b.app
	n := a.effectiveReplicas()
	pdb := bundle.PodDisruptionBudget
	if pdb == nil {
		if n > 1 {
			b.add(CheckPDBMissing, "Deployment", field.Required(field.NewPath("metadata", "name"),
				fmt.Sprintf("a Deployment with %d replicas needs a PodDisruptionBudget so node drains keep it serving", n)))
		}
		return
	}
	const kind = "PodDisruptionBudget"
	spec := field.NewPath("spec")
	if !selects(pdb.Spec.Selector, d) {
		b.add(CheckPDB, kind, field.Invalid(spec.Child("selector"), pdb.Spec.Selector, fmt.Sprintf("selects no pod of Deployment %q", d.Name)))
	}
	if mu := pdb.Spec.MaxUnavailable; mu != nil {
		if mu.Type == intstr.String && len(validation.IsValidPercent(mu.StrVal)) > 0 {
			b.add(CheckPDB, kind, field.Invalid(spec.Child("maxUnavailable"), mu.String(), "must be an integer or a percentage"))
		} else if isZero(*mu) {
			b.add(CheckPDB, kind, field.Invalid(spec.Child("maxUnavailable"), mu.String(), "must allow at least one disruption, or no node can ever be drained"))
		}
	}
	if ma := pdb.Spec.MinAvailable; ma != nil {
		if (ma.Type == intstr.String && percent(*ma) >= 100) || (ma.Type == intstr.Int && ma.IntVal >= n) {
			b.add(CheckPDB, kind, field.Invalid(spec.Child("minAvailable"), ma.String(),
				fmt.Sprintf("must be below the replica count %d, or no node can ever be drained", n)))
		}
	}
	if pdb.Spec.UnhealthyPodEvictionPolicy == nil {
		b.add(CheckPDB, kind, field.Required(spec.Child("unhealthyPodEvictionPolicy"),
			"set AlwaysAllow so crash-looping pods do not block node drains"))
	}
}

func (b *builder) validateHPA(bundle *Bundle, d *appsv1.Deployment) {
	h := bundle.HorizontalPodAutoscaler
	if h == nil {
		return
	}
	const kind = "HorizontalPodAutoscaler"
	spec := field.NewPath("spec")
	if d.Spec.Replicas != nil {
		b.add(CheckHPA, "Deployment", field.Forbidden(field.NewPath("spec", "replicas"),
			"must not be set when a HorizontalPodAutoscaler manages the replica count (drop WithReplicas)"))
	}
	minR := int32(1)
	if h.Spec.MinReplicas != nil {
		minR = *h.Spec.MinReplicas
	}
	if minR < 1 {
		b.add(CheckHPA, kind, field.Invalid(spec.Child("minReplicas"), minR, "must be greater than or equal to 1"))
	}
	if h.Spec.MaxReplicas < minR {
		b.add(CheckHPA, kind, field.Invalid(spec.Child("maxReplicas"), h.Spec.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	if minR == 1 && !b.app.noService {
		b.add(CheckReplicas, kind, field.Invalid(spec.Child("minReplicas"), minR, "an autoscaled Deployment behind a Service should keep at least 2 replicas"))
	}
	for i, m := range h.Spec.Metrics {
		if m.Resource == nil || m.Resource.Target.AverageUtilization == nil {
			continue
		}
		if u := *m.Resource.Target.AverageUtilization; u < 1 {
			b.add(CheckHPA, kind, field.Invalid(spec.Child("metrics").Index(i).Child("resource", "target", "averageUtilization"), u, "must be greater than 0"))
		}
		if _, ok := d.Spec.Template.Spec.Containers[0].Resources.Requests[m.Resource.Name]; !ok {
			b.add(CheckHPA, kind, field.Invalid(spec.Child("metrics").Index(i).Child("resource", "name"), m.Resource.Name,
				"utilization is a percentage of the container's request, which is not set"))
		}
	}
	ref := h.Spec.ScaleTargetRef
	if ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
		b.add(CheckHPA, kind, field.Invalid(spec.Child("scaleTargetRef"), ref, fmt.Sprintf("must target apps/v1 Deployment %q", d.Name)))
	}
}

func (b *builder) validateNetworkPolicy(bundle *Bundle, d *appsv1.Deployment) {
	np := bundle.NetworkPolicy
	if np == nil {
		b.add(CheckNetworkPolicy, "Deployment", field.Required(field.NewPath("metadata", "name"),
			"no NetworkPolicy admits ingress to this Deployment's pods only on their ports"))
		return
	}
	if !selects(&np.Spec.PodSelector, d) {
		b.add(CheckNetworkPolicy, "NetworkPolicy", field.Invalid(field.NewPath("spec", "podSelector"), np.Spec.PodSelector,
			fmt.Sprintf("selects no pod of Deployment %q", d.Name)))
	}
}

func (b *builder) validateServiceAccount(ps *corev1.PodSpec) {
	const kind = "Deployment"
	pfld := field.NewPath("spec", "template", "spec")
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		b.add(CheckServiceAccount, kind, field.Invalid(pfld.Child("automountServiceAccountToken"), ps.AutomountServiceAccountToken,
			"mounts a Kubernetes API token into the app; only apps that call the API need it"))
	}
	if ps.DeprecatedServiceAccount != "" {
		b.add(CheckServiceAccountField, kind, field.Forbidden(pfld.Child("serviceAccount"), "deprecated; use serviceAccountName"))
	}
	if ps.ServiceAccountName != "" {
		b.add(CheckServiceAccountField, kind, nameErrs(apivalidation.NameIsDNSSubdomain, ps.ServiceAccountName, pfld.Child("serviceAccountName"))...)
	}
}
