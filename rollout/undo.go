package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/rollout/status"
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

// UndoOptions controls Undo. The zero value rolls back for real, as the
// release's own field manager.
type UndoOptions struct {
	// DryRun sends the rollback as a server-side dry run: admission and
	// validation run, nothing is stored.
	DryRun bool
	// FieldManager is the field manager the rollback is applied as: the
	// one the releases are applied with, so that the next release owns
	// every field it owned before and applies without Force. Empty means
	// manifest.DefaultFieldManager ("pydeploy").
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
	// DryRun records that the rollback was a dry run.
	DryRun bool
	// Replaced reports that fields other field managers owned kept the
	// applied template from matching the revision, so the whole template
	// was replaced with a patch, as kubectl does.
	Replaced bool
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
// the revision before the latest when toRevision is 0, choosing the
// revision as `kubectl rollout undo` does:
//
//   - a negative or unknown revision is a *RevisionNotFoundError, and no
//     earlier revision at all is ErrNoHistory;
//   - a paused Deployment is refused with ErrRollbackPaused;
//   - when the Deployment's pod template already equals the revision's
//     (ignoring the pod-template-hash label) nothing is sent and the result
//     is Skipped.
//
// Unlike kubectl, which patches the template and replaces every annotation
// under a field manager of its own, Undo applies the rollback with
// server-side apply as the release's field manager (UndoOptions.FieldManager)
// and with Force: the fields that manager owned (manifest.Apply's, read from
// managedFields) with the ReplicaSet's pod template (without
// pod-template-hash) in place of the current one, and the ReplicaSet's
// pydeploy.io/* stamp and change-cause annotations in place of the
// manager's own. So the next release applies without Force and without a
// conflict, and annotations other writers own are left alone. The apply is
// conditional on the resourceVersion Undo read, and recomputed from a fresh
// read when the Deployment changed meanwhile (client-go's RetryOnConflict),
// so a concurrent write is never overwritten by a stale copy.
//
// If fields another manager owns kept the template from matching the
// revision (say a `kubectl set env` on the failed revision), Undo replaces
// the whole template with a JSON patch, as kubectl does, also conditional on
// the resourceVersion; those fields then belong to the release's manager
// as an update, and UndoResult.Replaced says so.
//
// Because the deployment controller copies a Deployment's annotations to
// the ReplicaSet it creates, and stamping puts the pydeploy.io/* stamp on
// both the Deployment and its pod template, the restored revision carries
// its original stamp: the exact image digest, git SHA and lock hash. Errors
// other than those above wrap the API error and name the Deployment.
func Undo(ctx context.Context, cs kubernetes.Interface, namespace, name string, toRevision int64, opts UndoOptions) (*UndoResult, error) {
	if toRevision < 0 {
		return nil, &RevisionNotFoundError{Revision: toRevision}
	}
	fm := opts.FieldManager
	if fm == "" {
		fm = manifest.DefaultFieldManager
	}
	var res *UndoResult
	err := retry.RetryOnConflict(undoRetry, func() error {
		var err error
		res, err = undoOnce(ctx, cs, namespace, name, toRevision, fm, opts.DryRun)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// undoRetry is how often Undo reads again after a conflict. Longer than
// client-go's DefaultRetry (5 tries within about 50 ms): during a rollout the
// deployment controller writes the Deployment's status, and so its
// resourceVersion, several times a second, and a loaded API server can
// outlast 50 ms of such writes. About 10 s in all.
var undoRetry = wait.Backoff{Steps: 10, Duration: 20 * time.Millisecond, Factor: 2, Jitter: 0.2, Cap: 2 * time.Second}

// undoOnce reads the Deployment and its revisions and applies the rollback
// conditional on what it read; a *StatusError Conflict means "read again".
func undoOnce(ctx context.Context, cs kubernetes.Interface, namespace, name string, toRevision int64, fm string, dryRun bool) (*UndoResult, error) {
	d, err := getDeployment(ctx, cs, namespace, name)
	if err != nil {
		return nil, err
	}
	rs, err := undoTarget(ctx, cs, d, toRevision)
	if err != nil {
		return nil, err
	}
	n, _, _ := status.RevisionOf(rs) // undoTarget only picks parsable ones
	rev, err := revisionOf(rs, n, d)
	if err != nil {
		return nil, err
	}
	res := &UndoResult{Deployment: d, Revision: rev, DryRun: dryRun}
	if d.Spec.Paused {
		return nil, fmt.Errorf("deployment %q in namespace %q: %w", name, namespace, ErrRollbackPaused)
	}
	if status.EqualIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
		res.Skipped = true
		return res, nil
	}
	wrap := func(err error) error {
		return fmt.Errorf("restore revision %d of deployment %q in namespace %q: %w", n, name, namespace, err)
	}
	ac, err := undoApply(d, rs, fm)
	if err != nil {
		return nil, wrap(err)
	}
	ao := metav1.ApplyOptions{FieldManager: fm, Force: true}
	if dryRun {
		ao.DryRun = []string{metav1.DryRunAll}
	}
	out, err := cs.AppsV1().Deployments(namespace).Apply(ctx, ac, ao)
	if err != nil {
		return nil, wrap(err)
	}
	if !status.EqualIgnoreHash(&rs.Spec.Template, &out.Spec.Template) {
		if out, err = replaceTemplate(ctx, cs, out, rs, fm, dryRun); err != nil {
			return nil, wrap(err)
		}
		res.Replaced = true
	}
	res.Deployment = out
	return res, nil
}

// undoApply is the apply configuration of the rollback: what fm owns of
// d, with rs's template, fm's annotations replaced by rs's, and d's
// resourceVersion as a precondition.
func undoApply(d *appsv1.Deployment, rs *appsv1.ReplicaSet, fm string) (*appsv1ac.DeploymentApplyConfiguration, error) {
	ac, err := appsv1ac.ExtractDeployment(d, fm)
	if err != nil {
		return nil, fmt.Errorf("read the fields %q owns: %w", fm, err)
	}
	tmpl := rs.Spec.Template.DeepCopy()
	delete(tmpl.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	var tac corev1ac.PodTemplateSpecApplyConfiguration
	if err := convertJSON(tmpl, &tac); err != nil {
		return nil, err
	}
	if ac.Spec == nil {
		ac.Spec = appsv1ac.DeploymentSpec()
	}
	ac.Spec.Template = &tac
	ann := map[string]string{}
	for k := range ac.Annotations { // the manager's own annotations: dropped unless the revision has them
		if v, ok := rs.Annotations[k]; ok && !undoSkippedAnnotations[k] {
			ann[k] = v
		}
	}
	for k, v := range rs.Annotations {
		if strings.HasPrefix(k, manifest.AnnotationPrefix) || k == ChangeCauseAnnotation {
			ann[k] = v
		}
	}
	ac.Annotations = nil
	if len(ann) > 0 {
		ac.WithAnnotations(ann)
	}
	ac.WithResourceVersion(d.ResourceVersion)
	return ac, nil
}

// replaceTemplate replaces the whole pod template with rs's, as kubectl's
// rollback does, conditional on out's resourceVersion.
func replaceTemplate(ctx context.Context, cs kubernetes.Interface, out *appsv1.Deployment, rs *appsv1.ReplicaSet, fm string, dryRun bool) (*appsv1.Deployment, error) {
	tmpl := rs.Spec.Template.DeepCopy()
	delete(tmpl.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	patch, err := json.Marshal([]map[string]any{
		{"op": "test", "path": "/metadata/resourceVersion", "value": out.ResourceVersion},
		{"op": "replace", "path": "/spec/template", "value": tmpl},
	})
	if err != nil {
		return nil, err
	}
	po := metav1.PatchOptions{FieldManager: fm}
	if dryRun {
		po.DryRun = []string{metav1.DryRunAll}
	}
	return cs.AppsV1().Deployments(out.Namespace).Patch(ctx, out.Name, types.JSONPatchType, patch, po)
}

func convertJSON(in, out any) error {
	data, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
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
		v, _, err := status.RevisionOf(rs)
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
