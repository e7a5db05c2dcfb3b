package status

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// jobRule waits for a Job to finish either way: Complete=True is Current,
// Failed=True (or FailureTarget=True, which precedes it) is Failed with the
// condition's reason and message. Both end a wait, which `kubectl wait`
// cannot express. A suspended Job follows Options.Paused. With children,
// failing pods of the Job (image pull errors never count against
// backoffLimit) fail it early; a crashing container is left to the Job's
// backoffLimit, which decides when the Job has failed.
func jobRule(obs Observation, opts Options) Result {
	var j batchv1.Job
	if r, ok := convert(obs, &j); !ok {
		return r
	}
	if c := jobCondition(&j, batchv1.JobComplete); c != nil {
		return Result{State: Current, Reason: JobComplete, Message: fmt.Sprintf("job %q completed", j.Name)}
	}
	for _, t := range []batchv1.JobConditionType{batchv1.JobFailed, batchv1.JobFailureTarget} {
		if c := jobCondition(&j, t); c != nil {
			return Result{State: Failed, Reason: JobFailed, Message: because(fmt.Sprintf("job %q failed", j.Name), c.Reason, c.Message)}
		}
	}
	if j.Spec.Suspend != nil && *j.Spec.Suspend {
		return suspended(&j, opts.Paused)
	}
	s := j.Status
	completions := int32(1)
	if j.Spec.Completions != nil {
		completions = *j.Spec.Completions
	}
	r := Result{State: InProgress, Reason: JobRunning, Message: fmt.Sprintf(
		"Waiting for job %q to complete: %d of %d completions succeeded, %d active, %d failed...", j.Name, s.Succeeded, completions, s.Active, s.Failed)}
	if obs.Children == nil {
		return r
	}
	var pods []corev1.Pod
	for _, p := range obs.Children.Pods {
		if controlledBy(p.OwnerReferences, j.UID, "Job", j.Name) {
			pods = append(pods, p)
		}
	}
	// Repeated exits are the Job's own business (backoffLimit, podFailurePolicy):
	// its Failed condition reports them. Pods that cannot even start are not
	// counted against backoffLimit and would wait forever, so they fail it early.
	return withFailures(r, objectOf(obs.Object), classifyPods(pods, obs.Children.Events, opts, false))
}

func suspended(j *batchv1.Job, policy PausedPolicy) Result {
	switch policy {
	case PausedReady:
		return Result{State: Current, Reason: Paused, Message: fmt.Sprintf("job %q is suspended; treated as ready", j.Name)}
	case PausedWait:
		return Result{State: InProgress, Reason: Paused, Message: fmt.Sprintf("Waiting for job %q to be resumed...", j.Name)}
	}
	return Result{State: Failed, Reason: Paused, Message: fmt.Sprintf(
		"job %q is suspended and cannot complete; set spec.suspend to false to resume it", j.Name)}
}

func jobCondition(j *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range j.Status.Conditions {
		if c := &j.Status.Conditions[i]; c.Type == t && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

// because appends ": <reason: message>" to head, or nothing when both are
// empty, so that no message ends in a dangling colon.
func because(head, reason, message string) string {
	if rm := reasonMessage(reason, message); rm != "" {
		return head + ": " + rm
	}
	return head
}

func reasonMessage(reason, message string) string {
	switch {
	case reason == "":
		return message
	case message == "":
		return reason
	}
	return reason + ": " + message
}
