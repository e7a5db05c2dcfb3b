package status

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// podRule judges a bare Pod: Succeeded is Current, a Failed phase is
// Failed, Running with Ready=True is Current; otherwise the pod failure
// rules of ClassifyPods apply (with Children.Events as evidence when given),
// and else it is InProgress.
func podRule(obs Observation, opts Options) Result {
	var p corev1.Pod
	if r, ok := convert(obs, &p); !ok {
		return r
	}
	switch p.Status.Phase {
	case corev1.PodSucceeded:
		return Result{State: Current, Reason: Ready, Message: fmt.Sprintf("pod %q succeeded", p.Name)}
	case corev1.PodFailed:
		f := PodFailure{Namespace: p.Namespace, Pod: p.Name, Reason: PodFailed, Waiting: string(p.Status.Phase), Message: reasonMessage(p.Status.Reason, p.Status.Message)}
		msg := fmt.Sprintf("pod %q failed", p.Name)
		if f.Message != "" {
			msg += ": " + f.Message
		}
		return Result{State: Failed, Reason: PodFailed, Message: msg, Pods: []PodFailure{f}}
	}
	if p.Status.Phase == corev1.PodRunning && podReady(&p) {
		return Result{State: Current, Reason: Ready, Message: fmt.Sprintf("pod %q is ready", p.Name)}
	}
	var events []corev1.Event
	if obs.Children != nil {
		events = obs.Children.Events
	}
	r := Result{State: InProgress, Reason: NotReady, Message: fmt.Sprintf("Waiting for pod %q to be ready (phase %s)...", p.Name, phaseOf(&p))}
	return withPodFailures(r, objectOf(obs.Object), []corev1.Pod{p}, events, opts)
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func phaseOf(p *corev1.Pod) corev1.PodPhase {
	if p.Status.Phase == "" {
		return corev1.PodPending
	}
	return p.Status.Phase
}
