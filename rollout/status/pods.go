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
// measured against opts.Now (see the package documentation for why each
// default is what it is):
//
//   - a container that failed to start more than Tolerance.Restarts times
//     and is not Ready now: PodCrashLooping, or OOMKilled when its last exit
//     was an OOM kill;
//   - ErrImagePull, ImagePullBackOff and RegistryUnavailable: ImagePullFailed,
//     at once when the registry's answer is permanent (not found,
//     unauthorized), past ImagePullGrace otherwise; ErrImageNeverPull at once;
//   - InvalidImageName: InvalidImageName;
//   - CreateContainerConfigError past ConfigGrace: CreateContainerConfigError;
//   - CreateContainerError, RunContainerError past ConfigGrace: ContainerCannotRun;
//   - PodScheduled=False/Unschedulable past UnschedulableGrace (ScaleUpGrace
//     while an autoscaler or preemption is making room): Unschedulable;
//   - a started, running, not-ready container (or native sidecar) with
//     "Readiness probe failed" Warning events, running for longer than
//     ReadinessGrace: ReadinessFailing.
//
// Init containers and native sidecars (init containers with restartPolicy
// Always) are judged like containers and named as such in the evidence.
func ClassifyPods(pods []corev1.Pod, events []corev1.Event, opts Options) []PodFailure {
	return classifyPods(pods, events, opts, true)
}

// classifyPods is ClassifyPods; crashes says whether repeated exits count
// (not for a Job's pods, whose retries its backoffLimit governs).
func classifyPods(pods []corev1.Pod, events []corev1.Event, opts Options, crashes bool) []PodFailure {
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
		for _, f := range classifyPod(p, evs, opts, crashes) {
			f.Events = lastWarnings(evs)
			out = append(out, f)
		}
	}
	return out
}

// role is what a container status belongs to in the pod's spec.
type role struct {
	init, sidecar bool
	// restartAlways: kubelet restarts the container after any exit, so an
	// exit with code 0 is a failure too.
	restartAlways bool
}

func classifyPod(p *corev1.Pod, evs []corev1.Event, opts Options, crashes bool) []PodFailure {
	if f, ok := unschedulable(p, evs, opts); ok {
		return []PodFailure{f}
	}
	sidecars := map[string]bool{}
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars[c.Name] = true
		}
	}
	always := p.Spec.RestartPolicy == "" || p.Spec.RestartPolicy == corev1.RestartPolicyAlways
	var out []PodFailure
	for _, cs := range p.Status.InitContainerStatuses {
		r := role{init: true, sidecar: sidecars[cs.Name], restartAlways: sidecars[cs.Name]}
		if f, ok := containerFailure(p, cs, r, evs, opts, crashes); ok {
			out = append(out, f)
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		if f, ok := containerFailure(p, cs, role{restartAlways: always}, evs, opts, crashes); ok {
			out = append(out, f)
		}
	}
	return out
}

// unschedulable: PodScheduled=False with reason Unschedulable for longer
// than the grace, which is ScaleUpGrace from the latest sign that room is
// being made for the pod.
func unschedulable(p *corev1.Pod, evs []corev1.Event, opts Options) (PodFailure, bool) {
	for _, c := range p.Status.Conditions {
		if c.Type != corev1.PodScheduled || c.Status != corev1.ConditionFalse || c.Reason != corev1.PodReasonUnschedulable {
			continue
		}
		since, g := c.LastTransitionTime.Time, grace(opts.Tolerance.UnschedulableGrace, DefaultUnschedulableGrace)
		if at, ok := roomComing(p, evs); ok {
			if at.After(since) {
				since = at
			}
			g = grace(opts.Tolerance.ScaleUpGrace, DefaultScaleUpGrace)
		}
		if elapsed(since, opts.Now, g) {
			return PodFailure{Namespace: p.Namespace, Pod: p.Name, Reason: Unschedulable, Waiting: c.Reason, Message: c.Message}, true
		}
	}
	return PodFailure{}, false
}

// roomComing reports whether capacity is on its way for an unschedulable
// pod, and since when: the scheduler nominated a node (preemption), or the
// latest autoscaler event about the pod announces a scale-up
// (cluster-autoscaler's TriggeredScaleUp, Karpenter's Nominated) rather
// than refusing one (NotTriggerScaleUp, FailedScaleUp).
func roomComing(p *corev1.Pod, evs []corev1.Event) (time.Time, bool) {
	var at time.Time
	coming := p.Status.NominatedNodeName != ""
	for _, e := range evs { // oldest first: the latest verdict wins
		switch e.Reason {
		case "TriggeredScaleUp", "Nominated":
			coming, at = true, lastSeen(e)
		case "NotTriggerScaleUp", "FailedScaleUp":
			coming, at = p.Status.NominatedNodeName != "", time.Time{}
		}
	}
	return at, coming
}

func containerFailure(p *corev1.Pod, cs corev1.ContainerStatus, r role, evs []corev1.Event, opts Options, crashes bool) (PodFailure, bool) {
	f := PodFailure{
		Namespace: p.Namespace, Pod: p.Name, Container: cs.Name, InitContainer: r.init, Sidecar: r.sidecar,
		RestartCount: cs.RestartCount, LastTermination: termination(cs.LastTerminationState.Terminated),
	}
	if w := cs.State.Waiting; w != nil {
		f.Waiting, f.Message = w.Reason, w.Message
		if reason, ok := waitingFailure(p, cs, opts); ok {
			f.Reason = reason
			return f, true
		}
	}
	if crashes && !cs.Ready && exits(cs, r) > opts.Tolerance.restarts() {
		f.Reason = PodCrashLooping
		if t := cs.State.Terminated; t != nil {
			f.LastTermination = termination(t)
			if f.Waiting == "" {
				f.Waiting, f.Message = t.Reason, t.Message
			}
		}
		if t := f.LastTermination; t != nil && t.Reason == "OOMKilled" {
			f.Reason = OOMKilled
		}
		return f, true
	}
	if !r.init || r.sidecar {
		if msg, ok := readinessFailing(cs, r, evs, opts); ok {
			f.Reason, f.Waiting, f.Message = ReadinessFailing, "Unhealthy", msg
			return f, true
		}
	}
	return PodFailure{}, false
}

// exits counts a container's failed starts: every restart followed an
// exit, and the current instance counts too once it has exited (kubelet
// shows it as terminated, then waiting in CrashLoopBackOff with the last
// termination, before it restarts it). A clean exit counts only where
// kubelet would restart the container anyway.
func exits(cs corev1.ContainerStatus, r role) int32 {
	n := cs.RestartCount
	switch {
	case cs.State.Terminated != nil:
		if cs.State.Terminated.ExitCode != 0 || r.restartAlways {
			n++
		}
	case cs.State.Waiting != nil && cs.LastTerminationState.Terminated != nil:
		if lt := cs.LastTerminationState.Terminated; lt.ExitCode != 0 || r.restartAlways {
			n++
		}
	}
	return n
}

// waitingFailure classifies a container's waiting reason.
func waitingFailure(p *corev1.Pod, cs corev1.ContainerStatus, opts Options) (Reason, bool) {
	t := opts.Tolerance
	started := podStart(p)
	w := cs.State.Waiting
	switch w.Reason {
	case "ErrImagePull", "ImagePullBackOff", "RegistryUnavailable", "SignatureValidationFailed":
		g := grace(t.ImagePullGrace, DefaultImagePullGrace)
		if w.Reason == "SignatureValidationFailed" || permanentPullError(w.Message) {
			g = grace(t.PermanentImagePullGrace, 0)
		}
		return ImagePullFailed, elapsed(started, opts.Now, g)
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
func readinessFailing(cs corev1.ContainerStatus, r role, evs []corev1.Event, opts Options) (string, bool) {
	run := cs.State.Running
	if run == nil || cs.Ready || (cs.Started != nil && !*cs.Started) {
		return "", false
	}
	if !elapsed(run.StartedAt.Time, opts.Now, grace(opts.Tolerance.ReadinessGrace, DefaultReadinessGrace)) {
		return "", false
	}
	field := "spec.containers{" + cs.Name + "}"
	if r.init {
		field = "spec.initContainers{" + cs.Name + "}"
	}
	msg := ""
	for _, e := range evs {
		text := eventText(e.Message)
		if e.Type != corev1.EventTypeWarning || e.Reason != "Unhealthy" || !strings.HasPrefix(text, "Readiness probe failed") {
			continue
		}
		if fp := e.InvolvedObject.FieldPath; fp != "" && fp != field {
			continue
		}
		if seen := lastSeen(e); !seen.IsZero() && seen.Before(run.StartedAt.Time) {
			continue
		}
		msg = text
	}
	return msg, msg != ""
}

// eventText strips the prefix client-go's event aggregator puts on an
// event that stands for several similar ones, so that
// "(combined from similar events): Readiness probe failed: …" is still
// recognised as a readiness failure.
func eventText(msg string) string {
	return strings.TrimPrefix(msg, "(combined from similar events): ")
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
	if since.Nanosecond() == 0 {
		// The API serializes most timestamps in whole seconds, so the event
		// happened somewhere in the second that follows; count from its end,
		// so that no grace ends early.
		since = since.Add(time.Second)
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
	return &Termination{ExitCode: t.ExitCode, Signal: t.Signal, Reason: t.Reason, Message: t.Message, FinishedAt: t.FinishedAt.UTC()}
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
