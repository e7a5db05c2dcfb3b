package deploy

import (
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Bundle is the validated output of Build. Optional objects are nil (or
// empty) when not generated; exactly one of Deployment, Job and CronJob is
// set, by the workload kind. Every object carries apiVersion and kind.
type Bundle struct {
	ServiceAccount *corev1.ServiceAccount
	NetworkPolicy  *networkingv1.NetworkPolicy
	// MigrationNetworkPolicy isolates the migration Job's pods (no ingress).
	MigrationNetworkPolicy *networkingv1.NetworkPolicy
	ConfigMaps             []*corev1.ConfigMap
	Service                *corev1.Service
	// Migration is the pre-workload Job of WithMigration.
	Migration               *batchv1.Job
	Deployment              *appsv1.Deployment
	Job                     *batchv1.Job
	CronJob                 *batchv1.CronJob
	PodDisruptionBudget     *policyv1.PodDisruptionBudget
	HorizontalPodAutoscaler *autoscalingv2.HorizontalPodAutoscaler
	Ingresses               []*networkingv1.Ingress
	HTTPRoutes              []*gatewayv1.HTTPRoute
	// Warnings holds failed warning-severity checks that were not waived.
	Warnings []Problem
}

// Objects returns the generated objects in manifest's apply order:
// ServiceAccount, NetworkPolicies, ConfigMaps, Service, the migration Job,
// the workload (Deployment, Job or CronJob), PodDisruptionBudget,
// HorizontalPodAutoscaler, Ingresses, HTTPRoutes (absent ones skipped).
func (b *Bundle) Objects() []runtime.Object {
	var out []runtime.Object
	add := func(o runtime.Object, present bool) {
		if present {
			out = append(out, o)
		}
	}
	add(b.ServiceAccount, b.ServiceAccount != nil)
	add(b.NetworkPolicy, b.NetworkPolicy != nil)
	add(b.MigrationNetworkPolicy, b.MigrationNetworkPolicy != nil)
	for _, cm := range b.ConfigMaps {
		add(cm, cm != nil)
	}
	add(b.Service, b.Service != nil)
	add(b.Migration, b.Migration != nil)
	add(b.Deployment, b.Deployment != nil)
	add(b.Job, b.Job != nil)
	add(b.CronJob, b.CronJob != nil)
	add(b.PodDisruptionBudget, b.PodDisruptionBudget != nil)
	add(b.HorizontalPodAutoscaler, b.HorizontalPodAutoscaler != nil)
	for _, i := range b.Ingresses {
		add(i, i != nil)
	}
	for _, r := range b.HTTPRoutes {
		add(r, r != nil)
	}
	return out
}

// Build assembles the objects, runs every check (the spec's own, then
// Validate's on the objects) and returns the bundle, or a *ValidationError
// listing every failed, unwaived error-severity check at once, with the
// warnings found alongside. Problems are de-duplicated, and a problem that
// is only a consequence of another one reported (a selector that selects
// nothing because the name is invalid) is left out. Build does not modify
// the App.
func (a App) Build() (*Bundle, error) {
	b := a.newBuilder()
	b.validateSpec()
	bundle := b.assemble()
	objs := bundle.Objects()
	v := newValidator(b.minor)
	v.run(objs)
	var errs, warns []Problem
	seen := map[string]bool{}
	for _, p := range append(b.problems, v.problems...) {
		if b.cascade(p) || seen[p.key()] {
			continue
		}
		seen[p.key()] = true
		if p.Name == a.name {
			p.Name = ""
		}
		c, _ := LookupCheck(p.Check)
		switch {
		case p.Kind == kindApp && p.Check != CheckWaiver && a.waived(p.Check):
		case c.Severity == SeverityWarning:
			warns = append(warns, p)
		default:
			errs = append(errs, p)
		}
	}
	if len(errs) > 0 {
		return nil, &ValidationError{App: a.namespace + "/" + a.name, Problems: errs, Warnings: warns}
	}
	bundle.Warnings = warns
	return bundle, nil
}

// cascade reports whether p follows from a cause the spec checks reported.
func (b *builder) cascade(p Problem) bool {
	if p.Kind == kindApp {
		return false
	}
	if b.suppress[p.Check] || b.repeats(p) {
		return true
	}
	if p.Check == CheckName || p.Check == CheckLabels || p.Check == CheckServiceAccountField || p.Check == CheckScheduling {
		if s, ok := p.Err.BadValue.(string); ok && b.knownBad[s] {
			return true
		}
	}
	return false
}

func (a App) newBuilder() *builder {
	b := &builder{app: a, suppress: map[CheckID]bool{}, knownBad: map[string]bool{}, repeated: map[string]bool{}, cmNames: map[string]string{}}
	minor, err := kubeMinor(a.kubeVersion)
	if err != nil {
		minor, _ = kubeMinor("")
	}
	b.minor = minor
	tag, digest := imageTag(a.image)
	b.digest = digest
	b.sel = b.selectorLabels()
	b.labels = b.commonLabels(tag)
	b.annots = b.commonAnnotations()
	b.shutdown = a.effectiveShutdown()
	b.grace = secondsCeil(b.shutdown.Total())
	if a.grace != nil {
		b.grace = secondsCeil(*a.grace)
	}
	return b
}

// effectiveShutdown is the budget given, or the kind's and preset's
// default: DefaultShutdown for web services; for workers and Jobs no
// preStop sleep (no endpoints to leave) and the preset's graceful timeout.
func (a App) effectiveShutdown() Shutdown {
	if a.shutdown != nil {
		return *a.shutdown
	}
	if a.Kind() == WorkloadWeb {
		return DefaultShutdown()
	}
	return Shutdown{Graceful: a.server.defaultGraceful(), Margin: DefaultShutdown().Margin}
}

// assemble builds the objects. Problems found on the way (unparsable
// quantities) are added to b.problems.
func (b *builder) assemble() *Bundle {
	a := b.app
	bundle := &Bundle{}
	for _, cm := range a.configMaps {
		obj, err := cm.object(b.meta(cm.name))
		if err != nil {
			b.add(CheckConfigReference, "ConfigMap", fieldInternal(err))
			continue
		}
		b.cmNames[cm.name] = obj.Name
		bundle.ConfigMaps = append(bundle.ConfigMaps, obj)
	}
	spec := b.podSpec()
	switch a.Kind() {
	case WorkloadJob:
		bundle.Job = b.job(spec)
	case WorkloadCronJob:
		bundle.CronJob = b.cronJob(spec)
	default:
		bundle.Deployment = b.deployment(spec)
	}
	if a.saMode == saCreate {
		bundle.ServiceAccount = b.serviceAccount()
	}
	if a.hasService() {
		bundle.Service = b.service()
		for _, in := range a.ingresses {
			bundle.Ingresses = append(bundle.Ingresses, b.ingress(bundle.Service, in))
		}
		for _, r := range a.routes {
			bundle.HTTPRoutes = append(bundle.HTTPRoutes, b.httpRoute(bundle.Service, r))
		}
	}
	if a.migration != nil && (a.Kind() == WorkloadWeb || a.Kind() == WorkloadWorker) {
		bundle.Migration = b.migrationJob(spec)
		if !a.noNetworkPolicy {
			bundle.MigrationNetworkPolicy = b.networkPolicy(a.name+"-migrate", bundle.Migration.Spec.Template.Labels, nil)
		}
	}
	if bundle.Deployment != nil && a.effectiveReplicas() > 1 && !a.noPDB {
		bundle.PodDisruptionBudget = b.pdb()
	}
	if a.autoscaling != nil && bundle.Deployment != nil {
		bundle.HorizontalPodAutoscaler = b.hpa()
	}
	if !a.noNetworkPolicy {
		bundle.NetworkPolicy = b.networkPolicy(a.name, b.sel, podPorts(&spec))
	}
	return bundle
}
