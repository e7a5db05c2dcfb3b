package status

import (
	"encoding/json"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Observation is one snapshot of an object and, optionally, of what it owns.
type Observation struct {
	// Object is the object to judge.
	Object *unstructured.Unstructured
	// Children is nil when the caller did not list the object's children;
	// the rules then judge the object alone, as kubectl does.
	Children *Children
}

// Children are the objects a rule may look at besides the object itself.
// A non-nil *Children promises that the lists a kind needs were listed (an
// empty list means "listed, none found"):
//
//   - Deployment: ReplicaSets in its namespace (filtered by owner here),
//     Pods, and Events for evidence and readiness-probe detection;
//   - StatefulSet, Job, Pod: Pods (and Events);
//   - DaemonSet: Pods, Events and ControllerRevisions (the newest names the
//     pods of the rollout);
//   - Service: EndpointSlices.
//
// Events should include, besides Warning events, the Normal events by which
// an autoscaler announces capacity (TriggeredScaleUp, NotTriggerScaleUp,
// Nominated); other Normal events are ignored.
type Children struct {
	ReplicaSets         []appsv1.ReplicaSet
	Pods                []corev1.Pod
	Events              []corev1.Event
	EndpointSlices      []discoveryv1.EndpointSlice
	ControllerRevisions []appsv1.ControllerRevision
}

// Well-known GroupKinds with built-in rules.
var (
	deploymentGK  = schema.GroupKind{Group: "apps", Kind: "Deployment"}
	statefulSetGK = schema.GroupKind{Group: "apps", Kind: "StatefulSet"}
	daemonSetGK   = schema.GroupKind{Group: "apps", Kind: "DaemonSet"}
	replicaSetGK  = schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}
	jobGK         = schema.GroupKind{Group: "batch", Kind: "Job"}
	serviceGK     = schema.GroupKind{Kind: "Service"}
	podGK         = schema.GroupKind{Kind: "Pod"}
	pdbGK         = schema.GroupKind{Group: "policy", Kind: "PodDisruptionBudget"}
	crdGK         = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}
)

type rule func(obs Observation, opts Options) Result

// builtins maps a GroupKind to its rule. It is read-only; extensions/v1beta1
// kinds are served by the apps rules as kubectl does.
func builtin(gk schema.GroupKind) rule {
	switch gk {
	case deploymentGK, schema.GroupKind{Group: "extensions", Kind: "Deployment"}:
		return deploymentRule
	case statefulSetGK:
		return statefulSetRule
	case daemonSetGK, schema.GroupKind{Group: "extensions", Kind: "DaemonSet"}:
		return daemonSetRule
	case replicaSetGK, schema.GroupKind{Group: "extensions", Kind: "ReplicaSet"}:
		return replicaSetRule
	case jobGK:
		return jobRule
	case serviceGK:
		return serviceRule
	case podGK:
		return podRule
	case pdbGK:
		return pdbRule
	case crdGK:
		return crdRule
	}
	if isStatic(gk) {
		return staticRule
	}
	return genericRule
}

// Compute judges one object alone. It is Evaluate without children.
func Compute(obj *unstructured.Unstructured, opts Options) Result {
	return Evaluate(Observation{Object: obj}, opts)
}

// Evaluate judges one object, using its children when given. It first
// applies the gates every kind shares (a nil object is Unknown; a
// deletionTimestamp is Terminating; a read older than Options.MinGeneration
// is InProgress), then the first matching Options.Readers entry, then the
// built-in rule for the kind, else the generic conditions rule.
func Evaluate(obs Observation, opts Options) Result {
	obj := obs.Object
	if obj == nil {
		return Result{State: Unknown, Reason: InvalidObject, Message: "no object to compute the status of"}
	}
	ref := objectOf(obj)
	if r, stop := gates(obj, ref, opts); stop {
		return r
	}
	for _, rd := range opts.Readers {
		if rd.Read != nil && rd.matches(ref.GroupKind) {
			r := rd.Read(obs, opts)
			r.Object = ref
			return r
		}
	}
	r := builtin(ref.GroupKind)(obs, opts)
	r.Object = ref
	return r
}

func objectOf(obj *unstructured.Unstructured) Object {
	return Object{GroupKind: obj.GroupVersionKind().GroupKind(), Namespace: obj.GetNamespace(), Name: obj.GetName()}
}

func gates(obj *unstructured.Unstructured, ref Object, opts Options) (Result, bool) {
	if obj.GetDeletionTimestamp() != nil {
		return Result{State: Terminating, Reason: Deleting, Message: fmt.Sprintf("%s is being deleted", ref)}, true
	}
	if opts.MinGeneration <= 0 {
		return Result{}, false
	}
	if gen := obj.GetGeneration(); gen < opts.MinGeneration {
		return Result{State: InProgress, Reason: WriteNotObserved, Message: fmt.Sprintf(
			"Waiting for a read of %s at generation %d or later (got generation %d)...", ref, opts.MinGeneration, gen)}, true
	}
	if og, ok := observedGeneration(obj); ok && og < opts.MinGeneration {
		return Result{State: InProgress, Reason: WriteNotObserved, Message: fmt.Sprintf(
			"Waiting for generation %d of %s to be observed (observed generation %d)...", opts.MinGeneration, ref, og)}, true
	}
	return Result{}, false
}

// observedGeneration reads status.observedGeneration leniently: some custom
// resources store it as a string (helm#32615), which would otherwise stall a
// waiter. ok is false when it is absent or not a number.
func observedGeneration(obj *unstructured.Unstructured) (int64, bool) {
	v, found, err := unstructured.NestedFieldNoCopy(obj.Object, "status", "observedGeneration")
	if err != nil || !found {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int:
		return int64(n), true
	case float64:
		return int64(n), float64(int64(n)) == n
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

// convert fills a typed object from the unstructured one; on failure it
// returns an Unknown Result naming the object and the conversion error.
func convert(obs Observation, into any) (Result, bool) {
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obs.Object.UnstructuredContent(), into); err != nil {
		// The converter's errors do not name the field ("unrecognized type:
		// int32"); encoding/json's do, so prefer its account of the problem.
		if data, jerr := json.Marshal(obs.Object.Object); jerr == nil {
			if jerr = json.Unmarshal(data, into); jerr != nil {
				err = jerr
			}
		}
		ref := objectOf(obs.Object)
		return Result{State: Unknown, Reason: InvalidObject, Message: fmt.Sprintf(
			"cannot read %s as %s: %v", ref, ref.GroupKind.Kind, err)}, false
	}
	return Result{}, true
}
