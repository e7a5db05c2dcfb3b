package rollout

import (
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/pydeploy/pydeploy/rollout/status"
)

// The kinds a Waiter watches besides the objects themselves, one watch per
// namespace each, shared by every object of that namespace.
var (
	replicaSetGVK    = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
	podGVK           = corev1.SchemeGroupVersion.WithKind("Pod")
	eventGVK         = corev1.SchemeGroupVersion.WithKind("Event")
	endpointSliceGVK = discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice")
	revisionGVK      = appsv1.SchemeGroupVersion.WithKind("ControllerRevision")
)

// kinds is a set of child kinds.
type kinds uint8

const (
	kidReplicaSets kinds = 1 << iota
	kidPods
	kidEvents
	kidSlices
	kidRevisions
)

// childKinds says which children status needs to judge an object of gk
// (see status.Children).
func childKinds(gk schema.GroupKind) kinds {
	switch gk {
	case schema.GroupKind{Group: "apps", Kind: "Deployment"}, schema.GroupKind{Group: "extensions", Kind: "Deployment"}:
		return kidReplicaSets | kidPods | kidEvents
	case schema.GroupKind{Group: "apps", Kind: "DaemonSet"}:
		return kidPods | kidEvents | kidRevisions
	case schema.GroupKind{Group: "apps", Kind: "StatefulSet"},
		schema.GroupKind{Group: "apps", Kind: "ReplicaSet"}, schema.GroupKind{Group: "batch", Kind: "Job"}:
		return kidPods | kidEvents
	case schema.GroupKind{Kind: "Pod"}:
		return kidEvents
	case schema.GroupKind{Kind: "Service"}:
		return kidSlices
	}
	return 0
}

func (k kinds) scopes(ns string) []Scope {
	var out []Scope
	for _, c := range []struct {
		kid kinds
		gvk schema.GroupVersionKind
	}{{kidReplicaSets, replicaSetGVK}, {kidPods, podGVK}, {kidEvents, eventGVK}, {kidSlices, endpointSliceGVK}, {kidRevisions, revisionGVK}} {
		if k&c.kid != 0 {
			out = append(out, Scope{GVK: c.gvk, Namespace: ns})
		}
	}
	return out
}

// kindOf says which child kind a GVK is, or 0.
func kindOf(gvk schema.GroupVersionKind) kinds {
	switch gvk {
	case replicaSetGVK:
		return kidReplicaSets
	case podGVK:
		return kidPods
	case eventGVK:
		return kidEvents
	case endpointSliceGVK:
		return kidSlices
	case revisionGVK:
		return kidRevisions
	}
	return 0
}

// owner names an object a child relates to, by kind and name, in the
// child's namespace. An empty Kind means "unknown": every waited object of
// the namespace may be affected.
type owner struct{ Kind, Name string }

// nsChildren is the typed cache of one namespace's children. Each object is
// converted once, when it changes, and the snapshot handed to status is
// rebuilt only after a change.
type nsChildren struct {
	rs     map[string]*appsv1.ReplicaSet
	pods   map[string]*corev1.Pod
	events map[string]*corev1.Event
	slices map[string]*discoveryv1.EndpointSlice
	revs   map[string]*appsv1.ControllerRevision
	snap   *status.Children
}

func newNSChildren() *nsChildren {
	return &nsChildren{
		rs:     map[string]*appsv1.ReplicaSet{},
		pods:   map[string]*corev1.Pod{},
		events: map[string]*corev1.Event{},
		slices: map[string]*discoveryv1.EndpointSlice{},
		revs:   map[string]*appsv1.ControllerRevision{},
	}
}

// update stores the new state of a child (nil when deleted) and returns the
// owners the change may affect, judged from both the old and new state.
func (c *nsChildren) update(kid kinds, name string, u *unstructured.Unstructured) []owner {
	c.snap = nil
	switch kid {
	case kidReplicaSets:
		return updateMap(c.rs, name, u, c.rsOwners)
	case kidPods:
		return updateMap(c.pods, name, u, c.podOwners)
	case kidEvents:
		if u != nil && !evidence(u) {
			// A Normal event nothing judges: forget it, wake no one.
			if _, had := c.events[name]; !had {
				return nil
			}
			u = nil
		}
		return updateMap(c.events, name, u, c.eventOwners)
	case kidRevisions:
		return updateMap(c.revs, name, u, func(r *appsv1.ControllerRevision) []owner {
			if o, ok := controller(r); ok {
				return []owner{o}
			}
			return nil
		})
	case kidSlices:
		return updateMap(c.slices, name, u, func(s *discoveryv1.EndpointSlice) []owner {
			if svc := s.Labels[discoveryv1.LabelServiceName]; svc != "" {
				return []owner{{Kind: "Service", Name: svc}}
			}
			return []owner{{}}
		})
	}
	return nil
}

func updateMap[T any](m map[string]*T, name string, u *unstructured.Unstructured, owners func(*T) []owner) []owner {
	var out []owner
	if old, ok := m[name]; ok {
		out = append(out, owners(old)...)
	}
	if u == nil {
		delete(m, name)
		return out
	}
	obj := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.UnstructuredContent(), obj); err != nil {
		// A child the API server served but we cannot read judges nothing;
		// forget it and re-judge everything it might have belonged to.
		delete(m, name)
		return append(out, owner{})
	}
	m[name] = obj
	return append(out, owners(obj)...)
}

func controller(m metav1.Object) (owner, bool) {
	ref := metav1.GetControllerOfNoCopy(m)
	if ref == nil {
		return owner{}, false
	}
	return owner{Kind: ref.Kind, Name: ref.Name}, true
}

func (c *nsChildren) rsOwners(rs *appsv1.ReplicaSet) []owner {
	out := []owner{{Kind: "ReplicaSet", Name: rs.Name}}
	if o, ok := controller(rs); ok {
		return append(out, o)
	}
	// Without a controller reference status matches by template; let every
	// Deployment of the namespace look.
	return append(out, owner{})
}

func (c *nsChildren) podOwners(p *corev1.Pod) []owner {
	out := []owner{{Kind: "Pod", Name: p.Name}}
	o, ok := controller(p)
	if !ok {
		return append(out, owner{})
	}
	out = append(out, o)
	if o.Kind == "ReplicaSet" {
		rs, ok := c.rs[o.Name]
		if !ok {
			return append(out, owner{})
		}
		out = append(out, c.rsOwners(rs)...)
	}
	return out
}

func (c *nsChildren) eventOwners(e *corev1.Event) []owner {
	io := e.InvolvedObject
	switch io.Kind {
	case "Pod":
		if p, ok := c.pods[io.Name]; ok {
			return c.podOwners(p)
		}
		return []owner{{Kind: "Pod", Name: io.Name}, {}}
	case "ReplicaSet":
		if rs, ok := c.rs[io.Name]; ok {
			return c.rsOwners(rs)
		}
		return []owner{{}}
	}
	return []owner{{Kind: io.Kind, Name: io.Name}}
}

// evidenceReasons are the Normal events status judges by: an autoscaler
// announcing (or refusing) capacity for an unschedulable pod.
var evidenceReasons = map[string]bool{"TriggeredScaleUp": true, "NotTriggerScaleUp": true, "FailedScaleUp": true, "Nominated": true}

// evidence reports whether an event is one status looks at: every Warning
// event, and the Normal events of evidenceReasons.
func evidence(u *unstructured.Unstructured) bool {
	typ, _, _ := unstructured.NestedString(u.Object, "type")
	if typ != corev1.EventTypeNormal {
		return true
	}
	reason, _, _ := unstructured.NestedString(u.Object, "reason")
	return evidenceReasons[reason]
}

// snapshot returns the namespace's children as status wants them, sorted
// by name so that the same cache gives the same verdict.
func (c *nsChildren) snapshot() *status.Children {
	if c.snap != nil {
		return c.snap
	}
	s := &status.Children{
		ReplicaSets:         values(c.rs),
		Pods:                values(c.pods),
		Events:              values(c.events),
		EndpointSlices:      values(c.slices),
		ControllerRevisions: values(c.revs),
	}
	c.snap = s
	return s
}

func values[T any](m map[string]*T) []T {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]T, len(names))
	for i, n := range names {
		out[i] = *m[n]
	}
	return out
}
