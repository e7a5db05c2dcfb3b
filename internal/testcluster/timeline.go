package testcluster

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// kubeletEvent is an event the kubelet writes about one container.
type kubeletEvent struct {
	typ     string // corev1.EventTypeNormal or corev1.EventTypeWarning
	reason  string
	message string
}

// step is what one container looks like from at (time since the pod was
// bound) until the next step, and the events written on entering it.
type step struct {
	at     time.Duration
	status corev1.ContainerStatus
	events []kubeletEvent
}

// timing holds the driver's delays, all positive.
type timing struct {
	ready   time.Duration // default scenario: bound → Ready
	slow    time.Duration // Slow scenario: bound → Ready
	cadence time.Duration // crash loop run time and back-off, pull retry, probe period
}

// timeline computes a container's steps; it is a pure function of the pod,
// the container, the scenario, the timing and the bind time.
type timeline struct {
	pod   *corev1.Pod
	c     *corev1.Container
	sc    Scenario
	tm    timing
	bound time.Time
}

// step returns step i, and false when the container has no step i (it has
// settled). Steps are ordered by time; loops (crash, pull, probe) never end.
func (tl timeline) step(i int) (step, bool) {
	if tl.runsToCompletion() {
		switch tl.sc {
		case CrashLoop, OOMKilled:
			if tl.pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
				code, reason := int32(1), "Error"
				if tl.sc == OOMKilled {
					code, reason = 137, "OOMKilled"
				}
				return tl.runThenExit(i, tl.tm.cadence, code, reason)
			}
		case Ready, Slow, "":
			ready := tl.tm.ready
			if tl.sc == Slow {
				ready = tl.tm.slow
			}
			return tl.runThenExit(i, ready/2, 0, "Completed")
		}
	}
	switch tl.sc {
	case Slow:
		return tl.startThenReady(i, tl.tm.slow)
	case ReadinessFail:
		return tl.probeFailing(i)
	case CrashLoop:
		return tl.crashLoop(i, 1, "Error")
	case OOMKilled:
		return tl.crashLoop(i, 137, "OOMKilled")
	case ImagePull:
		return tl.imagePull(i)
	case InvalidImage:
		return tl.invalidImage(i)
	case ConfigError:
		return tl.configError(i)
	default:
		return tl.startThenReady(i, tl.tm.ready)
	}
}

// runsToCompletion reports whether the pod's containers end instead of
// serving: a Job's pods (restartPolicy Never or OnFailure) run their
// command and exit, and the kubelet then ends the pod Succeeded or Failed.
func (tl timeline) runsToCompletion() bool {
	return tl.pod.Spec.RestartPolicy == corev1.RestartPolicyNever || tl.pod.Spec.RestartPolicy == corev1.RestartPolicyOnFailure
}

// runThenExit starts the container half way to Ready and lets it exit with
// exitCode after running for d; the container then stays terminated.
func (tl timeline) runThenExit(i int, d time.Duration, exitCode int32, reason string) (step, bool) {
	switch i {
	case 0:
		return tl.creating(), true
	case 1:
		return step{at: tl.start(), status: tl.running(tl.start(), 0, nil, false), events: tl.started(true)}, true
	case 2:
		end := tl.start() + d
		st := tl.status(0, false)
		st.ImageID = tl.imageID()
		st.State = corev1.ContainerState{Terminated: tl.terminated(0, tl.start(), end, exitCode, reason)}
		return step{at: end, status: st}, true
	}
	return step{}, false
}

// start is when the container first runs: half way to Ready.
func (tl timeline) start() time.Duration { return tl.tm.ready / 2 }

func (tl timeline) startThenReady(i int, ready time.Duration) (step, bool) {
	switch i {
	case 0:
		return tl.creating(), true
	case 1:
		return step{at: ready / 2, status: tl.running(ready/2, 0, nil, false), events: tl.started(true)}, true
	case 2:
		return step{at: ready, status: tl.running(ready/2, 0, nil, true)}, true
	}
	return step{}, false
}

func (tl timeline) probeFailing(i int) (step, bool) {
	switch {
	case i == 0:
		return tl.creating(), true
	case i == 1:
		return step{at: tl.start(), status: tl.running(tl.start(), 0, nil, false), events: tl.started(true)}, true
	}
	return step{
		at:     tl.tm.ready + time.Duration(i-2)*tl.tm.cadence,
		status: tl.running(tl.start(), 0, nil, false),
		events: []kubeletEvent{{corev1.EventTypeWarning, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"}},
	}, true
}

// crashLoop: step 1 runs instance 0; step 2k (k ≥ 1) is back-off after
// instance k-1 exited; step 2k+1 runs instance k.
func (tl timeline) crashLoop(i int, exitCode int32, reason string) (step, bool) {
	if i == 0 {
		return tl.creating(), true
	}
	at := tl.start() + time.Duration(i-1)*tl.tm.cadence
	if i == 1 {
		return step{at: at, status: tl.running(at, 0, nil, false), events: tl.started(true)}, true
	}
	k := int32(i / 2)
	if i%2 == 0 {
		last := tl.terminated(k-1, at-tl.tm.cadence, at, exitCode, reason)
		st := tl.status(k, false)
		st.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
			Reason:  "CrashLoopBackOff",
			Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", tl.tm.cadence, tl.c.Name, tl.pod.Name, tl.pod.Namespace, tl.pod.UID),
		}}
		st.LastTerminationState = corev1.ContainerState{Terminated: last}
		st.ImageID = tl.imageID()
		return step{at: at, status: st, events: []kubeletEvent{{corev1.EventTypeWarning, "BackOff",
			fmt.Sprintf("Back-off restarting failed container %s in pod %s_%s(%s)", tl.c.Name, tl.pod.Name, tl.pod.Namespace, tl.pod.UID)}}}, true
	}
	last := tl.terminated(k-1, at-2*tl.tm.cadence, at-tl.tm.cadence, exitCode, reason)
	return step{at: at, status: tl.running(at, k, last, false), events: tl.started(false)}, true
}

func (tl timeline) imagePull(i int) (step, bool) {
	if i == 0 {
		return tl.creating(), true
	}
	pullErr := fmt.Sprintf("rpc error: code = NotFound desc = failed to pull and unpack image %q: failed to resolve reference %q: %s: not found", tl.c.Image, tl.c.Image, tl.c.Image)
	at := tl.start() + time.Duration(i-1)*tl.tm.cadence
	st := tl.status(0, false)
	if i%2 == 1 {
		st.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: pullErr}
		evs := []kubeletEvent{
			{corev1.EventTypeWarning, "Failed", fmt.Sprintf("Failed to pull image %q: %s", tl.c.Image, pullErr)},
			{corev1.EventTypeWarning, "Failed", "Error: ErrImagePull"},
		}
		if i > 1 {
			evs = append([]kubeletEvent{tl.pulling()}, evs...)
		}
		return step{at: at, status: st, events: evs}, true
	}
	st.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: fmt.Sprintf("Back-off pulling image %q: ErrImagePull: %s", tl.c.Image, pullErr)}
	return step{at: at, status: st, events: []kubeletEvent{
		{corev1.EventTypeNormal, "BackOff", fmt.Sprintf("Back-off pulling image %q", tl.c.Image)},
		{corev1.EventTypeWarning, "Failed", "Error: ImagePullBackOff"},
	}}, true
}

func (tl timeline) invalidImage(i int) (step, bool) {
	msg := fmt.Sprintf("Failed to apply default image tag %q: couldn't parse image name %q: invalid reference format", tl.c.Image, tl.c.Image)
	st := tl.status(0, false)
	st.State.Waiting = &corev1.ContainerStateWaiting{Reason: "InvalidImageName", Message: msg}
	return step{at: time.Duration(i) * tl.tm.cadence, status: st, events: []kubeletEvent{
		{corev1.EventTypeWarning, "InspectFailed", msg},
		{corev1.EventTypeWarning, "Failed", "Error: InvalidImageName"},
	}}, true
}

func (tl timeline) configError(i int) (step, bool) {
	if i == 0 {
		return tl.creating(), true
	}
	msg := fmt.Sprintf("secret %q not found", missingSecret(tl.c))
	st := tl.status(0, false)
	st.State.Waiting = &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: msg}
	return step{at: tl.start() + time.Duration(i-1)*tl.tm.cadence, status: st, events: []kubeletEvent{
		tl.present(),
		{corev1.EventTypeWarning, "Failed", "Error: " + msg},
	}}, true
}

// missingSecret is the first secret the container references, the one a
// kubelet would report missing; "app-secrets" when it references none.
func missingSecret(c *corev1.Container) string {
	for _, e := range c.EnvFrom {
		if e.SecretRef != nil && e.SecretRef.Name != "" {
			return e.SecretRef.Name
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name != "" {
			return e.ValueFrom.SecretKeyRef.Name
		}
	}
	return "app-secrets"
}

func (tl timeline) creating() step {
	st := tl.status(0, false)
	st.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
	return step{at: 0, status: st, events: []kubeletEvent{tl.pulling()}}
}

func (tl timeline) pulling() kubeletEvent {
	return kubeletEvent{corev1.EventTypeNormal, "Pulling", fmt.Sprintf("Pulling image %q", tl.c.Image)}
}

func (tl timeline) present() kubeletEvent {
	return kubeletEvent{corev1.EventTypeNormal, "Pulled", fmt.Sprintf("Container image %q already present on machine", tl.c.Image)}
}

// started is the events of a container (re)start; pulled says whether the
// image was just pulled rather than already present.
func (tl timeline) started(pulled bool) []kubeletEvent {
	pull := tl.present()
	if pulled {
		d := tl.start().Round(time.Millisecond)
		pull = kubeletEvent{corev1.EventTypeNormal, "Pulled", fmt.Sprintf("Successfully pulled image %q in %s (%s including waiting). Image size: %d bytes.", tl.c.Image, d, d, imageSize(tl.c.Image))}
	}
	return []kubeletEvent{
		pull,
		{corev1.EventTypeNormal, "Created", "Created container: " + tl.c.Name},
		{corev1.EventTypeNormal, "Started", "Started container " + tl.c.Name},
	}
}

// status is the common part of a container status for instance number
// restarts.
func (tl timeline) status(restarts int32, started bool) corev1.ContainerStatus {
	return corev1.ContainerStatus{
		Name:         tl.c.Name,
		Image:        tl.c.Image,
		RestartCount: restarts,
		Started:      ptr.To(started),
	}
}

func (tl timeline) running(at time.Duration, restarts int32, last *corev1.ContainerStateTerminated, ready bool) corev1.ContainerStatus {
	st := tl.status(restarts, true)
	st.Ready = ready
	st.ImageID = tl.imageID()
	st.ContainerID = tl.containerID(restarts)
	st.State.Running = &corev1.ContainerStateRunning{StartedAt: mtime(tl.bound.Add(at))}
	if last != nil {
		st.LastTerminationState.Terminated = last
	}
	return st
}

func (tl timeline) terminated(instance int32, from, to time.Duration, exitCode int32, reason string) *corev1.ContainerStateTerminated {
	return &corev1.ContainerStateTerminated{
		ExitCode:    exitCode,
		Reason:      reason,
		StartedAt:   mtime(tl.bound.Add(from)),
		FinishedAt:  mtime(tl.bound.Add(to)),
		ContainerID: tl.containerID(instance),
	}
}

// imageID is the repository with a digest derived from the image string, as
// containerd reports it.
func (tl timeline) imageID() string {
	repo, _, _ := strings.Cut(tl.c.Image, "@")
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	sum := sha256.Sum256([]byte(tl.c.Image))
	return repo + "@sha256:" + hex.EncodeToString(sum[:])
}

func (tl timeline) containerID(instance int32) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%d", tl.pod.UID, tl.c.Name, instance))
	return "containerd://" + hex.EncodeToString(sum[:])
}

// imageSize is a stable made-up size for the Pulled event.
func imageSize(image string) int64 {
	sum := sha256.Sum256([]byte(image))
	return 40<<20 + int64(sum[0])<<16 + int64(sum[1])<<8
}

// mtime is t as the API stores it (whole seconds), so that a status the
// driver computes compares equal to the one it read back.
func mtime(t time.Time) metav1.Time { return metav1.NewTime(t.Truncate(time.Second)) }
