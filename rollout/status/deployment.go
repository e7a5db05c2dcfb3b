package status

import (
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// timedOutReason is the Progressing condition reason the deployment
// controller sets when progressDeadlineSeconds passes.
const timedOutReason = "ProgressDeadlineExceeded"

func deploymentRule(obs Observation, opts Options) Result {
	var d appsv1.Deployment
	if r, ok := convert(obs, &d); !ok {
		return r
	}
	return deploymentStatus(&d, obs.Children, opts)
}

// deploymentStatus applies, in order: superseded detection, kubectl's
// checks, and then, for an unfinished rollout, the paused policy and the
// failure checks of the new ReplicaSet; for a finished one the optional wait
// for terminating pods.
func deploymentStatus(d *appsv1.Deployment, c *Children, opts Options) Result {
	if r, ok := superseded(d, c, opts.Revision); ok {
		return r
	}
	if d.Generation > d.Status.ObservedGeneration {
		return Result{State: InProgress, Reason: GenerationNotObserved, Message: "Waiting for deployment spec update to be observed..."}
	}
	if cond := deploymentCondition(d, appsv1.DeploymentProgressing); cond != nil && cond.Reason == timedOutReason {
		r := Result{State: Failed, Reason: ProgressDeadlineExceeded, Message: fmt.Sprintf("deployment %q exceeded its progress deadline", d.Name)}
		if c != nil {
			r.Pods = newReplicaSetPods(d, *c, opts)
		}
		return r
	}
	r := kubectlDeployment(d)
	if r.State == Current {
		if opts.WaitForOldPodsTerminated {
			if n := terminatingPods(d, c); n > 0 {
				return Result{State: InProgress, Reason: OldPodsTerminating, Message: fmt.Sprintf(
					"Waiting for deployment %q rollout to finish: %d old replicas are terminating...", d.Name, n)}
			}
		}
		return r
	}
	if d.Spec.Paused && opts.Paused == PausedReady {
		return Result{State: Current, Reason: Paused, Message: fmt.Sprintf("deployment %q is paused; treated as ready", d.Name)}
	}
	if f := checkNewReplicaSet(d, c, opts); f != nil {
		return Result{State: Failed, Reason: f.Reason, Message: f.Error(), Pods: f.Pods}
	}
	r.Message += refusedNote(d, c)
	if d.Spec.Paused {
		if opts.Paused == PausedWait {
			return Result{State: InProgress, Reason: Paused, Message: fmt.Sprintf(
				"deployment %q is paused, waiting for it to be resumed: %s", d.Name, r.Message)}
		}
		return Result{State: Failed, Reason: Paused, Message: fmt.Sprintf(
			"deployment %q is paused and its rollout cannot finish; resume it with `kubectl rollout resume deployment/%s`", d.Name, d.Name)}
	}
	return r
}

// kubectlDeployment is kubectl's DeploymentStatusViewer after the
// generation and deadline checks, without trailing newlines.
func kubectlDeployment(d *appsv1.Deployment) Result {
	s := d.Status
	prefix := fmt.Sprintf("Waiting for deployment %q rollout to finish: ", d.Name)
	switch {
	case d.Spec.Replicas != nil && s.UpdatedReplicas < *d.Spec.Replicas:
		return Result{State: InProgress, Reason: LessUpdated, Message: fmt.Sprintf(
			"%s%d out of %d new replicas have been updated...", prefix, s.UpdatedReplicas, *d.Spec.Replicas)}
	case s.Replicas > s.UpdatedReplicas:
		return Result{State: InProgress, Reason: OldReplicasPending, Message: fmt.Sprintf(
			"%s%d old replicas are pending termination...", prefix, s.Replicas-s.UpdatedReplicas)}
	case s.AvailableReplicas < s.UpdatedReplicas:
		return Result{State: InProgress, Reason: LessAvailable, Message: fmt.Sprintf(
			"%s%d of %d updated replicas are available...", prefix, s.AvailableReplicas, s.UpdatedReplicas)}
	}
	return Result{State: Current, Reason: Ready, Message: fmt.Sprintf("deployment %q successfully rolled out", d.Name)}
}

func deploymentCondition(d *appsv1.Deployment, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == t {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// superseded reports a Deployment whose rollout moved past ours: its
// revision annotation is newer than Revision.Number, or our ReplicaSet
// (found by Revision.TemplateHash) no longer matches the pod template.
func superseded(d *appsv1.Deployment, c *Children, ours Revision) (Result, bool) {
	cur, hasCur, err := RevisionOf(d)
	hasCur = hasCur && err == nil // a garbled annotation tells nothing
	if ours.Number > 0 && hasCur && cur > ours.Number {
		return supersededResult(d, fmt.Sprintf("revision %d replaced our revision %d", cur, ours.Number)), true
	}
	if ours.TemplateHash == "" || c == nil {
		return Result{}, false
	}
	for _, rs := range OwnedReplicaSets(d, c.ReplicaSets) {
		if templateHash(&rs) != ours.TemplateHash || EqualIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			continue
		}
		what := "the pod template changed after our write"
		if n := FindNewReplicaSet(d, c.ReplicaSets); n != nil {
			what = fmt.Sprintf("revision %s (pod-template-hash %s)", n.Annotations[RevisionAnnotation], templateHash(n))
		} else if hasCur && d.Generation <= d.Status.ObservedGeneration {
			what = fmt.Sprintf("revision %d", cur)
		}
		return supersededResult(d, fmt.Sprintf("%s replaced our revision %s (pod-template-hash %s)",
			what, rs.Annotations[RevisionAnnotation], ours.TemplateHash)), true
	}
	return Result{}, false
}

func supersededResult(d *appsv1.Deployment, detail string) Result {
	return Result{State: Failed, Reason: Superseded, Message: fmt.Sprintf(
		"deployment %q was superseded by a newer rollout: %s", d.Name, detail)}
}

// terminatingPods counts terminating pods: from .status.terminatingReplicas
// when the cluster reports it, else from the Deployment's pods in c.
func terminatingPods(d *appsv1.Deployment, c *Children) int32 {
	if n := d.Status.TerminatingReplicas; n != nil {
		return *n
	}
	if c == nil {
		return 0
	}
	var n int32
	for _, rs := range OwnedReplicaSets(d, c.ReplicaSets) {
		for _, p := range podsOfReplicaSet(&rs, c.Pods) {
			if p.DeletionTimestamp != nil {
				n++
			}
		}
	}
	return n
}

// CheckNewReplicaSet decides whether a Deployment's rollout can still
// succeed, looking at its ReplicaFailure condition and, when children are
// given, at the new ReplicaSet (picked by FindNewReplicaSet) and its pods
// only: pods of old ReplicaSets are ignored, however badly they fail. It
// returns nil, or a *Failure whose Reason is ReplicaFailure or a pod failure
// reason and whose Pods carry the evidence.
func CheckNewReplicaSet(d *appsv1.Deployment, c *Children, opts Options) error {
	if f := checkNewReplicaSet(d, c, opts); f != nil {
		return f
	}
	return nil
}

func checkNewReplicaSet(d *appsv1.Deployment, c *Children, opts Options) *Failure {
	ref := Object{GroupKind: deploymentGK, Namespace: d.Namespace, Name: d.Name}
	if cond := deploymentCondition(d, appsv1.DeploymentReplicaFailure); cond != nil && cond.Status == corev1.ConditionTrue &&
		replicaFailureStands(cond.LastTransitionTime.Time, cond.Message, d, c, opts) {
		return replicaFailure(ref, cond.Reason, cond.Message)
	}
	if c == nil {
		return nil
	}
	rs := FindNewReplicaSet(d, c.ReplicaSets)
	if rs == nil {
		return nil
	}
	if cond := replicaSetFailure(rs); cond != nil && replicaFailureStands(cond.LastTransitionTime.Time, cond.Message, d, c, opts) {
		return replicaFailure(ref, cond.Reason, cond.Message)
	}
	pods := ClassifyPods(podsOfReplicaSet(rs, c.Pods), c.Events, opts)
	if len(pods) == 0 {
		return nil
	}
	return &Failure{Object: ref, Reason: pods[0].Reason, Pods: pods}
}

// replicaFailureStands decides whether a ReplicaFailure condition (a pod
// the ReplicaSet controller could not create: quota, LimitRange, an
// admission webhook) that became true at since means the rollout cannot
// finish. Not while the rollout still moves: pods terminating free quota,
// and the Deployment's Progressing condition is updated whenever a
// ReplicaSet scales or pods become available; the ReplicaSet controller
// retries the creation by itself. Not when the refusal was a ResourceQuota's
// and the quota has room now (quotaHasRoom): the controller's next retry
// succeeds, however long its back-off, and the progress deadline bounds
// the wait. Only when it has stood for ReplicaFailureGrace with no progress,
// nothing terminating and no room made.
func replicaFailureStands(since time.Time, msg string, d *appsv1.Deployment, c *Children, opts Options) bool {
	g := grace(opts.Tolerance.ReplicaFailureGrace, DefaultReplicaFailureGrace)
	if !elapsed(since, opts.Now, g) {
		return false
	}
	if g == 0 {
		return true
	}
	if terminatingPods(d, c) > 0 || quotaHasRoom(msg, c) {
		return false
	}
	p := deploymentCondition(d, appsv1.DeploymentProgressing)
	return p == nil || p.Status != corev1.ConditionTrue || elapsed(p.LastUpdateTime.Time, opts.Now, g)
}

// refusedNote explains a rollout that waits on a pod the ReplicaSet
// controller could not create yet (a ReplicaFailure condition that does
// not stand, see replicaFailureStands), so a progress message or a timeout
// says why the wait stands still; it is "" when no pod was refused. A
// ResourceQuota refusal with room now says that the controller retries on
// its own back-off, which can leave the rollout standing for minutes
// however much room there is.
func refusedNote(d *appsv1.Deployment, c *Children) string {
	if cond := deploymentCondition(d, appsv1.DeploymentReplicaFailure); cond != nil && cond.Status == corev1.ConditionTrue {
		return refusal(cond.Reason, cond.Message, c)
	}
	if c == nil {
		return ""
	}
	if rs := FindNewReplicaSet(d, c.ReplicaSets); rs != nil {
		if cond := replicaSetFailure(rs); cond != nil {
			return refusal(cond.Reason, cond.Message, c)
		}
	}
	return ""
}

// replicaSetFailure is the ReplicaSet's ReplicaFailure condition when it
// is true, else nil.
func replicaSetFailure(rs *appsv1.ReplicaSet) *appsv1.ReplicaSetCondition {
	for i, cond := range rs.Status.Conditions {
		if cond.Type == appsv1.ReplicaSetReplicaFailure && cond.Status == corev1.ConditionTrue {
			return &rs.Status.Conditions[i]
		}
	}
	return nil
}

// refusal is the note for a ReplicaFailure condition's reason and message.
func refusal(reason, msg string, c *Children) string {
	what := strings.Join(slices.DeleteFunc([]string{reason, msg}, func(s string) bool { return s == "" }), ": ")
	if what != "" {
		what = " (" + what + ")"
	}
	if quotaHasRoom(msg, c) {
		return "; a ResourceQuota refused a pod" + what + " and has room now: the ReplicaSet controller retries on its own back-off (up to 1000s between tries)"
	}
	return "; the ReplicaSet controller could not create a pod" + what + " and retries by itself"
}

func replicaFailure(ref Object, reason, message string) *Failure {
	head := fmt.Sprintf("%s cannot create pods", ref)
	if reason != "" {
		head += " (" + reason + ")"
	}
	if message != "" {
		head += ": " + message
	}
	return &Failure{Object: ref, Reason: ReplicaFailure, Message: head}
}

func newReplicaSetPods(d *appsv1.Deployment, c Children, opts Options) []PodFailure {
	rs := FindNewReplicaSet(d, c.ReplicaSets)
	if rs == nil {
		return nil
	}
	return ClassifyPods(podsOfReplicaSet(rs, c.Pods), c.Events, opts)
}
