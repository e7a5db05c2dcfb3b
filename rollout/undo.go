package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// ErrRollbackPaused is returned by Undo for a paused Deployment, with
// kubectl's message.
var ErrRollbackPaused = errors.New("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again")

// ErrNoHistory is returned by Undo when there is no earlier revision to go
// back to.
var ErrNoHistory = errors.New("no rollout history found")

// RevisionNotFoundError is returned by Undo for a revision the Deployment
// has no ReplicaSet for (or a negative one).
type RevisionNotFoundError struct {
	// Revision is the revision asked for.
	Revision int64
}

// Error is kubectl's message: "unable to find specified revision N in history".
func (e *RevisionNotFoundError) Error() string {
	return fmt.Sprintf("unable to find specified revision %d in history", e.Revision)
}

// UndoFieldManager is the field manager Undo's patch is recorded under
// unless UndoOptions.FieldManager says otherwise. The patch is an update,
// not an apply, so the fields it sets belong to this manager afterwards:
// the next manifest.Apply of a release that changes them reports a conflict
// naming "pydeploy-undo" until it is applied with ApplyOptions.Force, which
// is the deliberate step of superseding a rollback.
const UndoFieldManager = "pydeploy-undo"

// UndoOptions controls Undo. The zero value rolls back for real.
type UndoOptions struct {
	// DryRun sends the patch as a server-side dry run: admission and
	// validation run, nothing is stored.
	DryRun bool
	// FieldManager records the patch in managedFields; empty means
	// UndoFieldManager.
	FieldManager string
}

// UndoResult is what Undo did.
type UndoResult struct {
	// Deployment is the Deployment as the server returned it after the
	// patch, with its new metadata.generation for rollout.Wait; when the
	// rollback was skipped, the Deployment as read.
	Deployment *appsv1.Deployment
	// Revision is the revision rolled back to, with its template and stamp.
	Revision Revision
	// Skipped reports that the Deployment already had that revision's
	// template, so nothing was sent.
	Skipped bool
	// DryRun records that the patch was a dry run.
	DryRun bool
}

// String is kubectl's summary line, such as "deployment.apps/web rolled back"
// or "deployment.apps/web skipped rollback (current template already
// matches revision 2)".
func (r *UndoResult) String() string {
	s := "deployment.apps/" + r.Deployment.Name + " "
	if r.Skipped {
		s += fmt.Sprintf("skipped rollback (current template already matches revision %d)", r.Revision.Number)
	} else {
		s += "rolled back"
	}
	if r.DryRun {
		s += " (server dry run)"
	}
	return s
}

// undoSkippedAnnotations are the Deployment annotations a rollback keeps
// rather than copying them from the ReplicaSet, as kubectl does: they
// describe the Deployment's own bookkeeping, not the revision.
var undoSkippedAnnotations = map[string]bool{
	corev1.LastAppliedConfigAnnotation:          true,
	RevisionAnnotation:                          true,
	"deployment.kubernetes.io/revision-history": true,
	"deployment.kubernetes.io/desired-replicas": true,
	"deployment.kubernetes.io/max-replicas":     true,
	appsv1.DeprecatedRollbackTo:                 true,
}

// Undo rolls Deployment namespace/name back to revision toRevision, or to
// the revision before the latest when toRevision is 0, with the algorithm of
// `kubectl rollout undo`:
//
//   - a negative or unknown revision is a *RevisionNotFoundError, and no
//     earlier revision at all is ErrNoHistory;
//   - a paused Deployment is refused with ErrRollbackPaused;
//   - when the Deployment's pod template already equals the revision's
//     (ignoring the pod-template-hash label) nothing is sent and the result
//     is Skipped;
//   - otherwise one JSON patch replaces /spec/template with the
//     ReplicaSet's template (without pod-template-hash) and
//     /metadata/annotations with the ReplicaSet's annotations, keeping the
//     Deployment's own last-applied-configuration, revision,
//     revision-history, desired-replicas, max-replicas and rollbackTo.
//
// Because the deployment controller copies a Deployment's annotations to
// the ReplicaSet it creates, and stamping puts the pydeploy.io/* stamp on
// both the Deployment and its pod template, the restored revision carries
// its original stamp: the exact image digest, git SHA and lock hash.
//
// The patch is recorded under UndoFieldManager; see there for what that
// means for the next apply. Errors other than those above wrap the API error
// and name the Deployment.
func Undo(ctx context.Context, cs kubernetes.Interface, namespace, name string, toRevision int64, opts UndoOptions) (*UndoResult, error) {
	if toRevision < 0 {
		return nil, &RevisionNotFoundError{Revision: toRevision}
	}
	d, err := getDeployment(ctx, cs, namespace, name)
	if err != nil {
		return nil, err
	}
	rs, err := undoTarget(ctx, cs, d, toRevision)
	if err != nil {
		return nil, err
	}
	n, _ := replicaSetRevision(rs) // undoTarget only picks parsable ones
	rev, err := revisionOf(rs, n, d)
	if err != nil {
		return nil, err
	}
	res := &UndoResult{Deployment: d, Revision: rev, DryRun: opts.DryRun}
	if d.Spec.Paused {
		return nil, fmt.Errorf("deployment %q in namespace %q: %w", name, namespace, ErrRollbackPaused)
	}
	if templatesEqualIgnoringHash(&rs.Spec.Template, &d.Spec.Template) {
		res.Skipped = true
		return res, nil
	}
	patch, err := undoPatch(d, rs)
	if err != nil {
		return nil, fmt.Errorf("restore revision %d of deployment %q in namespace %q: %w", n, name, namespace, err)
	}
	po := metav1.PatchOptions{FieldManager: opts.FieldManager}
	if po.FieldManager == "" {
		po.FieldManager = UndoFieldManager
	}
	if opts.DryRun {
		po.DryRun = []string{metav1.DryRunAll}
	}
	out, err := cs.AppsV1().Deployments(namespace).Patch(ctx, name, types.JSONPatchType, patch, po)
	if err != nil {
		return nil, fmt.Errorf("restore revision %d of deployment %q in namespace %q: %w", n, name, namespace, err)
	}
	res.Deployment = out
	return res, nil
}

// undoTarget picks the ReplicaSet to roll back to, as kubectl's
// deploymentRevision does.
func undoTarget(ctx context.Context, cs kubernetes.Interface, d *appsv1.Deployment, toRevision int64) (*appsv1.ReplicaSet, error) {
	rsList, err := ownedReplicaSets(ctx, cs, d)
	if err != nil {
		return nil, err
	}
	var latest, previous *appsv1.ReplicaSet
	latestN, previousN := int64(-1), int64(-1)
	for _, rs := range rsList {
		v, err := replicaSetRevision(rs)
		if err != nil {
			continue
		}
		switch {
		case toRevision > 0:
			if v == toRevision {
				return rs, nil
			}
		case latestN < v:
			previousN, previous = latestN, latest
			latestN, latest = v, rs
		case previousN < v:
			previousN, previous = v, rs
		}
	}
	if toRevision > 0 {
		return nil, fmt.Errorf("deployment %q in namespace %q: %w", d.Name, d.Namespace, &RevisionNotFoundError{Revision: toRevision})
	}
	if previous == nil {
		return nil, fmt.Errorf("deployment %q in namespace %q: %w", d.Name, d.Namespace, ErrNoHistory)
	}
	return previous, nil
}

// undoPatch is kubectl's rollback patch: the ReplicaSet's template without
// pod-template-hash, and its annotations except the skipped ones, which
// keep the Deployment's values.
func undoPatch(d *appsv1.Deployment, rs *appsv1.ReplicaSet) ([]byte, error) {
	tmpl := rs.Spec.Template.DeepCopy()
	delete(tmpl.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	ann := map[string]string{}
	for k := range undoSkippedAnnotations {
		if v, ok := d.Annotations[k]; ok {
			ann[k] = v
		}
	}
	for k, v := range rs.Annotations {
		if !undoSkippedAnnotations[k] {
			ann[k] = v
		}
	}
	return json.Marshal([]map[string]any{
		{"op": "replace", "path": "/spec/template", "value": tmpl},
		{"op": "replace", "path": "/metadata/annotations", "value": ann},
	})
}
