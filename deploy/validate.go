package deploy

import (
	"errors"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes/scheme"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// ValidateOptions configures ValidateWith. The zero value validates for
// DefaultKubernetesVersion.
type ValidateOptions struct {
	// KubernetesVersion is the oldest Kubernetes minor version the objects
	// must work on, e.g. "1.30"; empty means DefaultKubernetesVersion.
	KubernetesVersion string
}

// Validate runs Build's object checks and the structural check on any set
// of objects: objects from Build edited afterwards, objects parsed from YAML
// (manifest.Parse, typed or *unstructured.Unstructured) or produced by
// kustomize. It is how a hand edit is caught: setting privileged: true on a
// built Deployment is reported under security.privileged, as Build would.
//
// Objects are checked alone (names, labels, pod security, resources,
// probes, images, schema, fields newer than the target version) and
// together: a Service against the workloads it selects, a
// PodDisruptionBudget, HorizontalPodAutoscaler or NetworkPolicy against
// its targets, an Ingress or HTTPRoute against its Service, references to
// ConfigMaps and Secrets of the set. Relations to objects outside the set
// are not assumed broken: a Service is "dangling" only when the set holds
// workloads of its namespace and it selects none of them.
//
// Waivers recorded on an object as ignore-check.pydeploy.io/<id>
// annotations (as Build records them) are honoured. Problems are
// de-duplicated, and one that merely follows from another reported
// problem (a selector that selects nothing because it is invalid) is left
// out. Several objects without a namespace are one namespace.unset
// warning for the set, naming them.
//
// The warnings are returned whether or not there are errors; err is a
// *ValidationError holding the error-severity problems (and the warnings
// again), or nil.
func Validate(objs ...runtime.Object) (warnings []Problem, err error) {
	return ValidateWith(ValidateOptions{}, objs...)
}

// ValidateWith is Validate with options.
func ValidateWith(opts ValidateOptions, objs ...runtime.Object) (warnings []Problem, err error) {
	minor, verr := kubeMinor(opts.KubernetesVersion)
	if verr != nil {
		return nil, fmt.Errorf("validate: KubernetesVersion %q %w", opts.KubernetesVersion, verr)
	}
	v := newValidator(minor)
	v.run(objs)
	var errs []Problem
	seen := map[string]bool{}
	for _, p := range v.problems {
		if seen[p.key()] {
			continue
		}
		seen[p.key()] = true
		if c, _ := LookupCheck(p.Check); c.Severity == SeverityWarning {
			warnings = append(warnings, p)
		} else {
			errs = append(errs, p)
		}
	}
	warnings = mergeUnsetNamespaces(warnings)
	if len(errs) > 0 {
		return warnings, &ValidationError{Problems: errs, Warnings: warnings}
	}
	return warnings, nil
}

// mergeUnsetNamespaces reports the objects without a namespace once for the
// set, in place of the first: they share one cause (a kustomize base, or a
// namespace left out of the generator) and one fix.
func mergeUnsetNamespaces(ps []Problem) []Problem {
	unset := func(p Problem) bool {
		return p.Check == CheckNamespace && p.Err.Type == field.ErrorTypeRequired && p.Err.Field == "metadata.namespace"
	}
	var objs []string
	for _, p := range ps {
		if unset(p) {
			objs = append(objs, p.Kind+"/"+p.Name)
		}
	}
	if len(objs) < 2 {
		return ps
	}
	out := make([]Problem, 0, len(ps)-len(objs)+1)
	merged := false
	for _, p := range ps {
		switch {
		case !unset(p):
			out = append(out, p)
		case !merged:
			merged = true
			out = append(out, Problem{Check: CheckNamespace, Err: field.Required(field.NewPath("metadata", "namespace"), fmt.Sprintf(
				"%d objects set none (%s): they land in whatever namespace they are applied to; set metadata.namespace on each, or in a kustomize base leave it to the overlay's namespace: field (manifest.ApplyOptions.Namespace also fills it)",
				len(objs), strings.Join(objs, ", ")))})
		}
	}
	return out
}

// item is one object under validation, typed where its kind is known.
type item struct {
	obj     runtime.Object
	gvk     schema.GroupVersionKind
	meta    metav1.Object
	waivers map[CheckID]bool
	broken  bool // failed the structural check: semantic checks are skipped
	pod     *podRef
}

func (it *item) kind() string { return it.gvk.Kind }

// podRef is a workload's pod template and what relations need of it.
type podRef struct {
	labels     map[string]string
	spec       *corev1.PodSpec
	specPath   *field.Path
	selector   *metav1.LabelSelector // nil: the controller generates one (Jobs)
	selectorOK bool                  // selector and template labels are valid and match
	replicas   int32                 // effective: the HPA's minimum when autoscaled
	scalable   bool                  // Deployment or StatefulSet
	replicasOf *int32                // spec.replicas as written
}

type validator struct {
	minor    int
	items    []*item
	problems []Problem
}

func newValidator(minor int) *validator { return &validator{minor: minor} }

// add files errs against it, unless the object waives the check.
func (v *validator) add(it *item, id CheckID, errs ...*field.Error) {
	if it != nil && id != CheckWaiver && it.waivers[id] {
		return
	}
	for _, e := range errs {
		p := Problem{Check: id, Err: e}
		if it != nil {
			p.Kind, p.Namespace, p.Name = it.kind(), it.meta.GetNamespace(), it.meta.GetName()
		}
		v.problems = append(v.problems, p)
	}
}

// gatewayScheme knows the Gateway API types, to convert parsed routes.
var gatewayScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := gatewayv1.Install(s); err != nil {
		panic(fmt.Sprintf("register gateway-api types: %v", err))
	}
	return s
}()

func (v *validator) run(objs []runtime.Object) {
	for i, obj := range objs {
		if it := v.load(i, obj); it != nil {
			v.items = append(v.items, it)
		}
	}
	for _, it := range v.items {
		v.checkMeta(it)
		if !it.broken {
			v.checkKind(it)
		}
	}
	v.checkRelations()
}

// load types obj and runs the structural check; it returns nil for
// objects that cannot be identified.
func (v *validator) load(i int, obj runtime.Object) *item {
	root := field.NewPath("<root>")
	if obj == nil {
		v.add(nil, CheckSchema, field.Required(root, fmt.Sprintf("object %d is nil", i+1)))
		return nil
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	if gvk.Empty() {
		v.add(nil, CheckSchema, field.Required(root.Child("kind"),
			fmt.Sprintf("object %d (%T) has no apiVersion/kind; set them (manifest.SetTypeMeta)", i+1, obj)))
		return nil
	}
	acc, err := meta.Accessor(obj)
	if err != nil {
		v.add(nil, CheckSchema, field.Invalid(root, gvk.Kind, fmt.Sprintf("object %d has no metadata: %v", i+1, err)))
		return nil
	}
	it := &item{obj: obj, gvk: gvk, meta: acc, waivers: waiversOf(acc.GetAnnotations())}
	if u, ok := obj.(*unstructured.Unstructured); ok {
		v.loadUnstructured(it, u)
		return it
	}
	if gvk.Group != gatewayv1.GroupName {
		v.structure(it, obj)
	}
	return it
}

func (v *validator) loadUnstructured(it *item, u *unstructured.Unstructured) {
	s := scheme.Scheme
	if it.gvk.Group == gatewayv1.GroupName {
		s = gatewayScheme
	} else if !v.structure(it, u) {
		return
	}
	if !s.Recognizes(it.gvk) {
		return // a custom resource: metadata checks only
	}
	typedObj, err := s.New(it.gvk)
	if err == nil {
		err = runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, typedObj, true)
	}
	if err != nil {
		v.add(it, CheckSchema, field.Invalid(field.NewPath("<root>"), field.OmitValueType{}, err.Error()))
		it.broken = true
		return
	}
	typedObj.GetObjectKind().SetGroupVersionKind(it.gvk)
	it.obj = typedObj
	if acc, err := meta.Accessor(typedObj); err == nil {
		it.meta = acc
	}
}

// structure runs the offline schema check; duplicates in associative lists
// are left to the dedicated checks (env.duplicate, ports.format,
// containers.spec), which name them better.
func (v *validator) structure(it *item, obj runtime.Object) bool {
	if _, err := typeConverter().ObjectToTyped(obj, typed.AllowDuplicates); err != nil {
		if verrs, ok := errors.AsType[typed.ValidationErrors](err); ok {
			for _, e := range verrs {
				v.add(it, CheckSchema, field.Invalid(smdPath(e.Path), field.OmitValueType{}, e.ErrorMessage))
			}
		} else if !strings.Contains(err.Error(), "no corresponding type") {
			v.add(it, CheckSchema, fieldInternal(fmt.Errorf("structural validation of %s: %w", it.gvk.Kind, err)))
		} else {
			return true // a kind the embedded schema does not know
		}
		it.broken = true
		return false
	}
	return true
}

// waiversOf reads the waivers recorded as annotations.
func waiversOf(ann map[string]string) map[CheckID]bool {
	out := map[CheckID]bool{}
	for k, reason := range ann {
		if id, ok := strings.CutPrefix(k, WaiverAnnotationPrefix); ok && strings.TrimSpace(reason) != "" {
			out[CheckID(id)] = true
		}
	}
	return out
}

// checkKind runs the checks of one object's kind.
func (v *validator) checkKind(it *item) {
	switch o := it.obj.(type) {
	case *appsv1.Deployment:
		v.checkDeployment(it, o)
	case *appsv1.StatefulSet:
		it.pod = v.podOf(it, &o.Spec.Template, field.NewPath("spec", "template"), o.Spec.Selector, o.Spec.Replicas, true)
		v.checkPod(it, corev1.RestartPolicyAlways)
	case *appsv1.DaemonSet:
		it.pod = v.podOf(it, &o.Spec.Template, field.NewPath("spec", "template"), o.Spec.Selector, nil, false)
		v.checkPod(it, corev1.RestartPolicyAlways)
	case *appsv1.ReplicaSet:
		it.pod = v.podOf(it, &o.Spec.Template, field.NewPath("spec", "template"), o.Spec.Selector, o.Spec.Replicas, false)
		v.checkPod(it, corev1.RestartPolicyAlways)
	case *batchv1.Job:
		v.checkJob(it, &o.Spec, field.NewPath("spec"))
		it.pod = v.podOf(it, &o.Spec.Template, field.NewPath("spec", "template"), nil, nil, false)
		v.checkPod(it, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever)
	case *batchv1.CronJob:
		v.checkCronJob(it, o)
		it.pod = v.podOf(it, &o.Spec.JobTemplate.Spec.Template, field.NewPath("spec", "jobTemplate", "spec", "template"), nil, nil, false)
		v.checkPod(it, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever)
	case *corev1.Pod:
		it.pod = &podRef{labels: o.Labels, spec: &o.Spec, specPath: field.NewPath("spec"), replicas: 1}
		v.checkPod(it)
	case *corev1.Service:
		v.checkService(it, o)
	case *corev1.ConfigMap:
		v.checkConfigMap(it, o)
	case *policyv1.PodDisruptionBudget:
		if o.Spec.UnhealthyPodEvictionPolicy != nil && v.minor < featureUnhealthyPodEviction.since {
			v.add(it, CheckKubernetesVersion, field.Forbidden(field.NewPath("spec", "unhealthyPodEvictionPolicy"), featureUnhealthyPodEviction.detail(v.minor)))
		}
	case *autoscalingv2.HorizontalPodAutoscaler:
		v.checkHPASpec(it, o)
	case *networkingv1.Ingress:
		v.checkIngressSpec(it, o)
	case *gatewayv1.HTTPRoute:
		v.checkHTTPRouteSpec(it, o)
	}
}

// typedItems returns the items of type T, in input order.
func typedItems[T runtime.Object](v *validator) []struct {
	it  *item
	obj T
} {
	var out []struct {
		it  *item
		obj T
	}
	for _, it := range v.items {
		if o, ok := it.obj.(T); ok && !it.broken {
			out = append(out, struct {
				it  *item
				obj T
			}{it, o})
		}
	}
	return out
}

// workloads returns the items with a pod template in namespace ns.
func (v *validator) workloads(ns string) []*item {
	var out []*item
	for _, it := range v.items {
		if it.pod != nil && it.meta.GetNamespace() == ns {
			out = append(out, it)
		}
	}
	return out
}
