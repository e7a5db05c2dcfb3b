package rollout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/rollout/status"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Annotations kubectl and the deployment controller use for history.
const (
	// RevisionAnnotation numbers a Deployment's ReplicaSets; the deployment
	// controller writes it. It is status.RevisionAnnotation, kept here next
	// to ChangeCauseAnnotation for History's users.
	RevisionAnnotation = status.RevisionAnnotation
	// ChangeCauseAnnotation is what `kubectl rollout history` shows in
	// CHANGE-CAUSE; set it on the Deployment when applying a change.
	ChangeCauseAnnotation = "kubernetes.io/change-cause"
)

// Revision is one entry of a Deployment's rollout history: one of its
// ReplicaSets.
type Revision struct {
	// Number is the ReplicaSet's deployment.kubernetes.io/revision
	// (0 when the annotation is missing, as kubectl counts it).
	Number int64
	// ChangeCause is the kubernetes.io/change-cause annotation of the
	// ReplicaSet, or else of its pod template; empty when neither has one.
	ChangeCause string
	// ReplicaSet is the name of the ReplicaSet holding the revision.
	ReplicaSet string
	// Template is the ReplicaSet's pod template, pod-template-hash label
	// included.
	Template corev1.PodTemplateSpec
	// Stamp is the pydeploy version stamp recorded in the pod template;
	// the zero Stamp when the revision was not stamped.
	Stamp manifest.Stamp
	// Current reports whether the Deployment's template is this
	// revision's (ignoring pod-template-hash).
	Current bool
}

// Revisions is a rollout history, oldest revision first.
type Revisions []Revision

// String renders the history as `kubectl rollout history` does:
//
//	REVISION  CHANGE-CAUSE
//	1         <none>
//	2         kubectl set image deployment/web app=web:2
//
// and "No rollout history found." when there is none.
func (rs Revisions) String() string {
	if len(rs) == 0 {
		return "No rollout history found."
	}
	var buf bytes.Buffer
	w := tabwriter.NewWriter(&buf, 0, 8, 2, ' ', 0)
	fmt.Fprintf(w, "REVISION\tCHANGE-CAUSE\n")
	for _, r := range rs {
		cause := r.ChangeCause
		if cause == "" {
			cause = "<none>"
		}
		fmt.Fprintf(w, "%d\t%s\n", r.Number, cause)
	}
	_ = w.Flush() // writes to a bytes.Buffer cannot fail
	return buf.String()
}

// Find returns the revision numbered n.
func (rs Revisions) Find(n int64) (Revision, bool) {
	for _, r := range rs {
		if r.Number == n {
			return r, true
		}
	}
	return Revision{}, false
}

// History returns the rollout history of Deployment namespace/name, as
// `kubectl rollout history` lists it: one entry per ReplicaSet the
// Deployment controls, numbered by deployment.kubernetes.io/revision and
// sorted by number. ReplicaSets whose revision annotation is not a number
// are left out, as kubectl leaves them out; when two ReplicaSets claim one
// number, the newer wins.
func History(ctx context.Context, cs kubernetes.Interface, namespace, name string) (Revisions, error) {
	d, err := getDeployment(ctx, cs, namespace, name)
	if err != nil {
		return nil, err
	}
	rsList, err := ownedReplicaSets(ctx, cs, d)
	if err != nil {
		return nil, err
	}
	byNumber := map[int64]Revision{}
	for _, rs := range rsList {
		n, _, err := status.RevisionOf(rs) // kubectl: a missing annotation is revision 0
		if err != nil {
			continue
		}
		r, err := revisionOf(rs, n, d)
		if err != nil {
			return nil, err
		}
		byNumber[n] = r
	}
	out := make(Revisions, 0, len(byNumber))
	for _, r := range byNumber {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

func revisionOf(rs *appsv1.ReplicaSet, n int64, d *appsv1.Deployment) (Revision, error) {
	stamp, err := manifest.ReadStamp(rs)
	if errors.Is(err, manifest.ErrNoStamp) {
		err = nil
	}
	if err != nil {
		return Revision{}, fmt.Errorf("read stamp of replicaset %q: %w", rs.Name, err)
	}
	cause := rs.Annotations[ChangeCauseAnnotation]
	if cause == "" {
		cause = rs.Spec.Template.Annotations[ChangeCauseAnnotation]
	}
	return Revision{
		Number:      n,
		ChangeCause: cause,
		ReplicaSet:  rs.Name,
		Template:    *rs.Spec.Template.DeepCopy(),
		Stamp:       stamp,
		Current:     status.EqualIgnoreHash(&rs.Spec.Template, &d.Spec.Template),
	}, nil
}

func getDeployment(ctx context.Context, cs kubernetes.Interface, namespace, name string) (*appsv1.Deployment, error) {
	d, err := cs.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get deployment %q in namespace %q: %w", name, namespace, err)
	}
	return d, nil
}

// ownedReplicaSets lists the ReplicaSets d controls: those its selector
// matches whose controller reference is d, the oldest first (by creation
// time, then name) and the one matching d's template last, which is the
// order kubectl's deployment utilities produce.
func ownedReplicaSets(ctx context.Context, cs kubernetes.Interface, d *appsv1.Deployment) ([]*appsv1.ReplicaSet, error) {
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("deployment %q in namespace %q has an invalid selector: %w", d.Name, d.Namespace, err)
	}
	var owned []*appsv1.ReplicaSet
	opts := metav1.ListOptions{LabelSelector: sel.String()}
	for {
		list, err := cs.AppsV1().ReplicaSets(d.Namespace).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list replicasets of deployment %q in namespace %q: %w", d.Name, d.Namespace, err)
		}
		for i := range list.Items {
			if metav1.IsControlledBy(&list.Items[i], d) {
				owned = append(owned, &list.Items[i])
			}
		}
		if list.Continue == "" {
			break
		}
		opts.Continue = list.Continue
	}
	sort.SliceStable(owned, func(i, j int) bool {
		a, b := owned[i], owned[j]
		if a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.Name < b.Name
		}
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	})
	for i, rs := range owned {
		if status.EqualIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			owned = append(append(owned[:i:i], owned[i+1:]...), rs)
			break
		}
	}
	return owned, nil
}
