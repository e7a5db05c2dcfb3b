package status

import (
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// MaxEvents is how many of a pod's most recent Warning events a PodFailure keeps.
const MaxEvents = 5

// ClassifyPods returns the failures that show the given pods cannot become
// ready, each with the pod's last Warning events from events, sorted by pod
// name (init containers before containers, each in status order). Pods
// being deleted are skipped. The rules, tuned by opts.Tolerance and
// measured against opts.Now:
//
//   - CrashLoopBackOff with more than Tolerance.Restarts restarts: PodCrashLooping,
//     or OOMKilled when the last termination was an OOM kill;
//   - ErrImagePull, ImagePullBackOff past ImagePullGrace and ErrImageNeverPull: ImagePullFailed;
//   - InvalidImageName: InvalidImageName;
//   - CreateContainerConfigError past ConfigGrace: CreateContainerConfigError;
//   - CreateContainerError, RunContainerError past ConfigGrace: ContainerCannotRun;
//   - a current or last termination with reason OOMKilled: OOMKilled;
//   - PodScheduled=False/Unschedulable past UnschedulableGrace: Unschedulable;
//   - a started, running, not-ready container with "Readiness probe failed"
//     Warning events, running for longer than ReadinessGrace: ReadinessFailing.
func ClassifyPods(pods []corev1.Pod, events []corev1.Event, opts Options) []PodFailure {
	sorted := make([]*corev1.Pod, 0, len(pods))
	for i := range pods {
		if pods[i].DeletionTimestamp == nil {
			sorted = append(sorted, &pods[i])
		}
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	byName := map[string][]corev1.Event{}
	for _, e := range events {
		if e.InvolvedObject.Kind == "Pod" {
			byName[e.InvolvedObject.Name] = append(byName[e.InvolvedObject.Name], e)
		}
	}
	var out []PodFailure
	for _, p := range sorted {
		evs := podEvents(p, byName[p.Name])
		for _, f := range classifyPod(p, evs, opts) {
			f.Events = lastWarnings(evs)
			out = append(out, f)
		}
	}
	return out
}

func classifyPod(p *corev1.Pod, evs []corev1.Event, opts Options) []PodFailure {
	if f, ok := unschedulable(p, opts); ok {
		return []PodFailure{f}
	}
	var out []PodFailure
	for _, cs := range p.Status.InitContainerStatuses {
		if f, ok := containerFailure(p, cs, true, evs, opts); ok {
			out = append(out, f)
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		if f, ok := containerFailure(p, cs, false, evs, opts); ok {
			out = append(out, f)
		}
	}
	return out
}

func unschedulable(p *corev1.Pod, opts Options) (PodFailure, bool) {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable &&
			elapsed(c.LastTransitionTime.Time, opts.Now, grace(opts.Tolerance.UnschedulableGrace, DefaultUnschedulableGrace)) {
			return PodFailure{Namespace: p.Namespace, Pod: p.Name, Reason: Unschedulable, Waiting: c.Reason, Message: c.Message}, true
		}
	}
	return PodFailure{}, false
}

func containerFailure(p *corev1.Pod, cs corev1.ContainerStatus, init bool, evs []corev1.Event, opts Options) (PodFailure, bool) {
	f := PodFailure{
		Namespace: p.Namespace, Pod: p.Name, Container: cs.Name, InitContainer: init,
		RestartCount: cs.RestartCount, LastTermination: termination(cs.LastTerminationState.Terminated),
	}
	if w := cs.State.Waiting; w != nil {
		f.Waiting, f.Message = w.Reason, w.Message
		if reason, ok := waitingFailure(p, cs, opts); ok {
			f.Reason = reason
			return f, true
		}
	}
	if t := cs.State.Terminated; t != nil && t.Reason == "OOMKilled" {
		f.Waiting, f.Message, f.LastTermination, f.Reason = t.Reason, t.Message, termination(t), OOMKilled
		return f, true
	}
	if t := cs.LastTerminationState.Terminated; t != nil && t.Reason == "OOMKilled" {
		if f.Waiting == "" {
			f.Waiting = t.Reason
		}
		f.Reason = OOMKilled
		return f, true
	}
	if !init {
		if msg, ok := readinessFailing(cs, evs, opts); ok {
			f.Reason, f.Waiting, f.Message = ReadinessFailing, "Unhealthy", msg
			return f, true
		}
	}
	return PodFailure{}, false
}

// waitingFailure classifies a container's waiting reason.
func waitingFailure(p *corev1.Pod, cs corev1.ContainerStatus, opts Options) (Reason, bool) {
	t := opts.Tolerance
	started := podStart(p)
	switch cs.State.Waiting.Reason {
	case "CrashLoopBackOff":
		if cs.RestartCount <= t.restarts() {
			return "", false
		}
		if lt := cs.LastTerminationState.Terminated; lt != nil && lt.Reason == "OOMKilled" {
			return OOMKilled, true
		}
		return PodCrashLooping, true
	case "ErrImagePull", "ImagePullBackOff":
		return ImagePullFailed, elapsed(started, opts.Now, grace(t.ImagePullGrace, 0))
	case "ErrImageNeverPull":
		return ImagePullFailed, true
	case "InvalidImageName":
		return InvalidImageName, true
	case "CreateContainerConfigError":
		return CreateContainerConfigError, elapsed(started, opts.Now, grace(t.ConfigGrace, DefaultConfigGrace))
	case "CreateContainerError", "RunContainerError":
		return ContainerCannotRun, elapsed(started, opts.Now, grace(t.ConfigGrace, DefaultConfigGrace))
	}
	return "", false
}

// readinessFailing: the container runs and has started, is not ready, has
// been running for longer than ReadinessGrace, and the kubelet reported
// readiness probe failures for it since it started. The events are required
// so that a long initialDelaySeconds is not mistaken for a failing probe.
func readinessFailing(cs corev1.ContainerStatus, evs []corev1.Event, opts Options) (string, bool) {
	run := cs.State.Running
	if run == nil || cs.Ready || (cs.Started != nil && !*cs.Started) {
		return "", false
	}
	if !elapsed(run.StartedAt.Time, opts.Now, grace(opts.Tolerance.ReadinessGrace, DefaultReadinessGrace)) {
		return "", false
	}
	msg := ""
	for _, e := range evs {
		if e.Type != corev1.EventTypeWarning || e.Reason != "Unhealthy" || !strings.HasPrefix(e.Message, "Readiness probe failed") {
			continue
		}
		if fp := e.InvolvedObject.FieldPath; fp != "" && fp != "spec.containers{"+cs.Name+"}" {
			continue
		}
		if seen := lastSeen(e); !seen.IsZero() && seen.Before(run.StartedAt.Time) {
			continue
		}
		msg = e.Message
	}
	return msg, msg != ""
}

// elapsed reports whether at least g has passed since `since` at `now`. A
// zero grace has always elapsed; otherwise an unknown time has not.
func elapsed(since, now time.Time, g time.Duration) bool {
	if g <= 0 {
		return true
	}
	if since.IsZero() || now.IsZero() {
		return false
	}
	return now.Sub(since) >= g
}

func podStart(p *corev1.Pod) time.Time {
	if p.Status.StartTime != nil {
		return p.Status.StartTime.Time
	}
	return p.CreationTimestamp.Time
}

func termination(t *corev1.ContainerStateTerminated) *Termination {
	if t == nil {
		return nil
	}
	return &Termination{ExitCode: t.ExitCode, Signal: t.Signal, Reason: t.Reason, Message: t.Message, FinishedAt: t.FinishedAt.Time.UTC()}
}

// podEvents returns the events about the pod, oldest first.
func podEvents(p *corev1.Pod, events []corev1.Event) []corev1.Event {
	var out []corev1.Event
	for _, e := range events {
		o := e.InvolvedObject
		if o.Kind != "Pod" || o.Name != p.Name {
			continue
		}
		if o.Namespace != "" && p.Namespace != "" && o.Namespace != p.Namespace {
			continue
		}
		if o.UID != "" && p.UID != "" && o.UID != p.UID {
			continue
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool {
		ti, tj := lastSeen(out[i]), lastSeen(out[j])
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func lastWarnings(evs []corev1.Event) []EventSummary {
	var out []EventSummary
	for _, e := range evs {
		if e.Type != corev1.EventTypeWarning {
			continue
		}
		count := e.Count
		if e.Series != nil && e.Series.Count > count {
			count = e.Series.Count
		}
		out = append(out, EventSummary{
			Type: e.Type, Reason: e.Reason, Message: e.Message, Count: count,
			LastSeen: lastSeen(e).UTC(), FieldPath: e.InvolvedObject.FieldPath,
		})
	}
	if len(out) > MaxEvents {
		out = out[len(out)-MaxEvents:]
	}
	return out
}

func lastSeen(e corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.FirstTimestamp.Time
}
