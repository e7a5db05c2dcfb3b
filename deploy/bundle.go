package deploy

import (
	"errors"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// Bundle is the validated output of Build. Optional objects are nil when not
// generated. Every object carries apiVersion and kind.
type Bundle struct {
	ServiceAccount          *corev1.ServiceAccount
	Service                 *corev1.Service
	Deployment              *appsv1.Deployment
	PodDisruptionBudget     *policyv1.PodDisruptionBudget
	HorizontalPodAutoscaler *autoscalingv2.HorizontalPodAutoscaler
	NetworkPolicy           *networkingv1.NetworkPolicy
	// Warnings holds failed warning-severity checks that were not waived.
	Warnings []Problem
}

// Objects returns the generated objects in apply order: ServiceAccount,
// Service, Deployment, PodDisruptionBudget, HorizontalPodAutoscaler,
// NetworkPolicy (absent ones skipped).
func (b *Bundle) Objects() []runtime.Object {
	var out []runtime.Object
	if b.ServiceAccount != nil {
		out = append(out, b.ServiceAccount)
	}
	if b.Service != nil {
		out = append(out, b.Service)
	}
	if b.Deployment != nil {
		out = append(out, b.Deployment)
	}
	if b.PodDisruptionBudget != nil {
		out = append(out, b.PodDisruptionBudget)
	}
	if b.HorizontalPodAutoscaler != nil {
		out = append(out, b.HorizontalPodAutoscaler)
	}
	if b.NetworkPolicy != nil {
		out = append(out, b.NetworkPolicy)
	}
	return out
}

// Build assembles the objects, runs every check and returns the bundle, or a
// *ValidationError listing every failed, unwaived error-severity check at
// once. Build does not modify the App.
func (a *App) Build() (*Bundle, error) {
	bundle, problems := a.assemble()
	var errs []Problem
	for _, p := range problems {
		c, _ := LookupCheck(p.Check)
		switch {
		case p.Check != CheckWaiver && a.waived(p.Check):
		case c.Severity == SeverityWarning:
			bundle.Warnings = append(bundle.Warnings, p)
		default:
			errs = append(errs, p)
		}
	}
	if len(errs) > 0 {
		return nil, &ValidationError{App: a.namespace + "/" + a.name, Problems: errs}
	}
	return bundle, nil
}

func (a *App) newBuilder() *builder {
	b := &builder{app: a}
	tag, digest := imageTag(a.image)
	b.digest = digest
	b.sel = b.selectorLabels()
	b.labels = b.commonLabels(tag)
	b.annots = b.commonAnnotations()
	b.grace = secondsCeil(a.shutdown.Total())
	if a.grace != nil {
		b.grace = secondsCeil(*a.grace)
	}
	return b
}

// assemble builds the objects and returns every problem found, waived or not.
func (a *App) assemble() (*Bundle, []Problem) {
	b := a.newBuilder()

	bundle := &Bundle{Deployment: b.deployment()}
	if a.saMode == saCreate {
		bundle.ServiceAccount = b.serviceAccount()
	}
	if !a.noService {
		bundle.Service = b.service()
	}
	if a.effectiveReplicas() > 1 && !a.noPDB {
		bundle.PodDisruptionBudget = b.pdb()
	}
	if a.autoscaling != nil {
		bundle.HorizontalPodAutoscaler = b.hpa()
	}
	if !a.noNetworkPolicy {
		bundle.NetworkPolicy = b.networkPolicy()
	}
	b.validateSpec()
	b.validateObjects(bundle)
	for _, obj := range bundle.Objects() {
		kind := obj.GetObjectKind().GroupVersionKind().Kind
		if err := validateStructure(obj, typed.AllowDuplicates); err != nil {
			var se *StructureError
			if errors.As(err, &se) {
				b.add(CheckSchema, kind, se.Errs...)
			} else {
				b.add(CheckSchema, kind, fieldInternal(fmt.Errorf("structural validation of %s: %w", kind, err)))
			}
		}
	}
	return bundle, slices.Clip(b.problems)
}
