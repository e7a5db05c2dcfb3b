package status

import (
	"fmt"
	"sort"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// RevisionAnnotation is the annotation in which the deployment controller
// records the revision of a Deployment and of each of its ReplicaSets.
const RevisionAnnotation = "deployment.kubernetes.io/revision"

// EqualIgnoreHash reports whether two pod templates are semantically equal
// once the pod-template-hash label is removed from both, which is how the
// deployment controller matches a ReplicaSet to its Deployment's template.
func EqualIgnoreHash(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return apiequality.Semantic.DeepEqual(a, b)
}

// OwnedReplicaSets returns the ReplicaSets whose controller is the
// Deployment. When the Deployment has no UID (an object built in memory)
// every ReplicaSet whose controller reference names it is kept, or, without
// controller references, every ReplicaSet.
func OwnedReplicaSets(d *appsv1.Deployment, rss []appsv1.ReplicaSet) []appsv1.ReplicaSet {
	var out []appsv1.ReplicaSet
	for _, rs := range rss {
		if rs.Namespace != "" && d.Namespace != "" && rs.Namespace != d.Namespace {
			continue
		}
		if controlledBy(rs.OwnerReferences, d.UID, "Deployment", d.Name) {
			out = append(out, rs)
		}
	}
	return out
}

// controlledBy matches the controller reference by UID when both sides have
// one, by kind and name otherwise; an object without a controller reference
// matches only an owner without UID.
func controlledBy(refs []metav1.OwnerReference, uid types.UID, kind, name string) bool {
	ref := metav1.GetControllerOfNoCopy(&metav1.ObjectMeta{OwnerReferences: refs})
	switch {
	case ref == nil:
		return uid == ""
	case uid != "" && ref.UID != "":
		return ref.UID == uid
	}
	return ref.Kind == kind && ref.Name == name
}

// FindNewReplicaSet picks the Deployment's new ReplicaSet the way the
// deployment controller does: among the ReplicaSets it owns, the oldest
// (by creationTimestamp, then name) whose pod template equals the
// Deployment's ignoring pod-template-hash. When none matches and the
// controller has observed the current generation, it falls back to the
// ReplicaSet carrying the Deployment's own revision annotation (a template
// that differs only by defaulting the caller's copy lacks). It returns nil
// when the new ReplicaSet does not exist yet: then no pods are judged,
// because every existing pod belongs to an old ReplicaSet.
func FindNewReplicaSet(d *appsv1.Deployment, rss []appsv1.ReplicaSet) *appsv1.ReplicaSet {
	owned := OwnedReplicaSets(d, rss)
	sort.SliceStable(owned, func(i, j int) bool {
		ti, tj := owned[i].CreationTimestamp, owned[j].CreationTimestamp
		if !ti.Equal(&tj) {
			return ti.Before(&tj)
		}
		return owned[i].Name < owned[j].Name
	})
	for i := range owned {
		if EqualIgnoreHash(&owned[i].Spec.Template, &d.Spec.Template) {
			return &owned[i]
		}
	}
	rev, found, err := RevisionOf(d)
	if !found || err != nil || d.Generation > d.Status.ObservedGeneration {
		return nil
	}
	for i := range owned {
		if r, found, err := RevisionOf(&owned[i]); found && err == nil && r == rev {
			return &owned[i]
		}
	}
	return nil
}

// RevisionOf reads the revision annotation of a Deployment or ReplicaSet.
// found is false when it is absent (n is then 0, the revision kubectl's
// deploymentutil.Revision gives such an object); err is set when its value
// is not a decimal integer. This is the one parser of the annotation that
// rollout and this package use.
func RevisionOf(obj metav1.Object) (n int64, found bool, err error) {
	v, found := obj.GetAnnotations()[RevisionAnnotation]
	if !found {
		return 0, false, nil
	}
	n, err = strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("%s %q: annotation %s is %q, not a revision number: %w",
			kindOf(obj), obj.GetName(), RevisionAnnotation, v, err)
	}
	return n, true, nil
}

// kindOf names obj's kind for messages; typed objects often have no
// TypeMeta.
func kindOf(obj metav1.Object) string {
	switch obj.(type) {
	case *appsv1.Deployment:
		return "deployment"
	case *appsv1.ReplicaSet:
		return "replicaset"
	}
	return "object"
}

func templateHash(rs *appsv1.ReplicaSet) string {
	if h := rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey]; h != "" {
		return h
	}
	return rs.Spec.Template.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
}

// podsOfReplicaSet returns the pods the ReplicaSet controls: by controller
// reference UID when both have one, else by pod-template-hash label.
func podsOfReplicaSet(rs *appsv1.ReplicaSet, pods []corev1.Pod) []corev1.Pod {
	hash := templateHash(rs)
	var out []corev1.Pod
	for _, p := range pods {
		if p.Namespace != "" && rs.Namespace != "" && p.Namespace != rs.Namespace {
			continue
		}
		ref := metav1.GetControllerOfNoCopy(&p.ObjectMeta)
		if ref != nil && ref.UID != "" && rs.UID != "" {
			if ref.UID == rs.UID {
				out = append(out, p)
			}
			continue
		}
		if hash != "" && p.Labels[appsv1.DefaultDeploymentUniqueLabelKey] == hash {
			out = append(out, p)
		}
	}
	return out
}
