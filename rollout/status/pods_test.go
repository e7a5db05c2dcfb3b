package status

import (
	"fmt"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	corev1 "k8s.io/api/core/v1"
)

// container renders a pod status with one app container in the given
// state, started `ago` before now.
func container(ago time.Duration, restarts int, state, lastState string) string {
	return fmt.Sprintf(`
phase: Running
startTime: %q
containerStatuses:
- name: app
  ready: false
  restartCount: %d
  image: img
  imageID: ""
  state: %s
  lastState: %s
`, now.Add(-ago).Format(time.RFC3339), restarts, state, lastState)
}

func waiting(reason string) string {
	return fmt.Sprintf("{waiting: {reason: %s, message: %q}}", reason, "msg of "+reason)
}

func running(ago time.Duration) string {
	return fmt.Sprintf("{running: {startedAt: %q}}", now.Add(-ago).Format(time.RFC3339))
}

const oomLast = `{terminated: {exitCode: 137, reason: OOMKilled, finishedAt: "2026-08-01T09:59:00Z"}}`

type brief struct {
	Pod, Container string
	Init           bool
	Reason         Reason
	Waiting        string
	Message        string
}

func briefs(fs []PodFailure) []brief {
	var out []brief
	for _, f := range fs {
		out = append(out, brief{f.Pod, f.Container, f.InitContainer, f.Reason, f.Waiting, f.Message})
	}
	return out
}

func TestClassifyPods(t *testing.T) {
	t.Parallel()
	readinessEvent := event("r1", "p", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", "2026-08-01T09:59:50Z")
	tests := []struct {
		name string
		pods []string
		opts Options
		want []brief
	}{
		{"crash loop within the default tolerance", []string{pod("p", "h", container(time.Minute, 2, waiting("CrashLoopBackOff"), "{}"))}, Options{}, nil},
		{"crash loop past the default tolerance", []string{pod("p", "h", container(time.Minute, 3, waiting("CrashLoopBackOff"), "{}"))}, Options{},
			[]brief{{"p", "app", false, PodCrashLooping, "CrashLoopBackOff", "msg of CrashLoopBackOff"}}},
		{"no tolerance fails the first crash loop", []string{pod("p", "h", container(time.Minute, 1, waiting("CrashLoopBackOff"), "{}"))}, Options{Tolerance: Tolerance{Restarts: -1}},
			[]brief{{"p", "app", false, PodCrashLooping, "CrashLoopBackOff", "msg of CrashLoopBackOff"}}},
		{"crash loop after OOM kills", []string{pod("p", "h", container(time.Minute, 3, waiting("CrashLoopBackOff"), oomLast))}, Options{},
			[]brief{{"p", "app", false, OOMKilled, "CrashLoopBackOff", "msg of CrashLoopBackOff"}}},
		{"one OOM kill fails at once", []string{pod("p", "h", container(time.Minute, 1, running(time.Second), oomLast))}, Options{Now: now},
			[]brief{{"p", "app", false, OOMKilled, "OOMKilled", ""}}},
		{"terminated by OOM", []string{pod("p", "h", container(time.Minute, 0, `{terminated: {exitCode: 137, reason: OOMKilled, message: out of memory}}`, "{}"))}, Options{},
			[]brief{{"p", "app", false, OOMKilled, "OOMKilled", "out of memory"}}},
		{"ErrImagePull fails at once by default", []string{pod("p", "h", container(time.Second, 0, waiting("ErrImagePull"), "{}"))}, Options{},
			[]brief{{"p", "app", false, ImagePullFailed, "ErrImagePull", "msg of ErrImagePull"}}},
		{"ImagePullBackOff within a grace", []string{pod("p", "h", container(time.Minute, 0, waiting("ImagePullBackOff"), "{}"))}, Options{Now: now, Tolerance: Tolerance{ImagePullGrace: 2 * time.Minute}}, nil},
		{"ImagePullBackOff past a grace", []string{pod("p", "h", container(3*time.Minute, 0, waiting("ImagePullBackOff"), "{}"))}, Options{Now: now, Tolerance: Tolerance{ImagePullGrace: 2 * time.Minute}},
			[]brief{{"p", "app", false, ImagePullFailed, "ImagePullBackOff", "msg of ImagePullBackOff"}}},
		{"ErrImageNeverPull ignores the grace", []string{pod("p", "h", container(time.Second, 0, waiting("ErrImageNeverPull"), "{}"))}, Options{Now: now, Tolerance: Tolerance{ImagePullGrace: time.Hour}},
			[]brief{{"p", "app", false, ImagePullFailed, "ErrImageNeverPull", "msg of ErrImageNeverPull"}}},
		{"InvalidImageName", []string{pod("p", "h", container(time.Second, 0, waiting("InvalidImageName"), "{}"))}, Options{},
			[]brief{{"p", "app", false, InvalidImageName, "InvalidImageName", "msg of InvalidImageName"}}},
		{"missing secret within the default grace", []string{pod("p", "h", container(10*time.Second, 0, waiting("CreateContainerConfigError"), "{}"))}, Options{Now: now}, nil},
		{"missing secret past the default grace", []string{pod("p", "h", container(31*time.Second, 0, waiting("CreateContainerConfigError"), "{}"))}, Options{Now: now},
			[]brief{{"p", "app", false, CreateContainerConfigError, "CreateContainerConfigError", "msg of CreateContainerConfigError"}}},
		{"without a clock a grace never elapses", []string{pod("p", "h", container(time.Hour, 0, waiting("CreateContainerConfigError"), "{}"))}, Options{}, nil},
		{"no grace for config errors", []string{pod("p", "h", container(time.Second, 0, waiting("CreateContainerConfigError"), "{}"))}, Options{Tolerance: Tolerance{ConfigGrace: -1}},
			[]brief{{"p", "app", false, CreateContainerConfigError, "CreateContainerConfigError", "msg of CreateContainerConfigError"}}},
		{"command not found", []string{pod("p", "h", container(time.Minute, 0, waiting("RunContainerError"), "{}"))}, Options{Now: now},
			[]brief{{"p", "app", false, ContainerCannotRun, "RunContainerError", "msg of RunContainerError"}}},
		{"still creating", []string{pod("p", "h", container(time.Hour, 0, waiting("ContainerCreating"), "{}"))}, Options{Now: now}, nil},
		{"unschedulable past the grace", []string{pod("p", "h", `
phase: Pending
conditions: [{type: PodScheduled, status: "False", reason: Unschedulable, message: "0/3 nodes are available: 3 Insufficient cpu.", lastTransitionTime: "2026-08-01T09:59:40Z"}]`)},
			Options{Now: now}, []brief{{"p", "", false, Unschedulable, "Unschedulable", "0/3 nodes are available: 3 Insufficient cpu."}}},
		{"unschedulable within the grace", []string{pod("p", "h", `
phase: Pending
conditions: [{type: PodScheduled, status: "False", reason: Unschedulable, message: "no nodes", lastTransitionTime: "2026-08-01T09:59:50Z"}]`)},
			Options{Now: now}, nil},
		{"unschedulable within a longer grace", []string{pod("p", "h", `
phase: Pending
conditions: [{type: PodScheduled, status: "False", reason: Unschedulable, message: "no nodes", lastTransitionTime: "2026-08-01T09:59:00Z"}]`)},
			Options{Now: now, Tolerance: Tolerance{UnschedulableGrace: 5 * time.Minute}}, nil},
		{"readiness failing past the grace", []string{pod("p", "h", container(2*time.Minute, 0, running(2*time.Minute), "{}")), readinessEvent}, Options{Now: now},
			[]brief{{"p", "app", false, ReadinessFailing, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"}}},
		{"not ready without probe failure events", []string{pod("p", "h", container(2*time.Minute, 0, running(2*time.Minute), "{}"))}, Options{Now: now}, nil},
		{"not ready within the grace", []string{pod("p", "h", container(30*time.Second, 0, running(30*time.Second), "{}")), readinessEvent}, Options{Now: now}, nil},
		{"probe failures of a previous container instance", []string{pod("p", "h", container(2*time.Minute, 0, running(2*time.Minute), "{}")),
			event("r0", "p", "Unhealthy", "Readiness probe failed: old", "2026-08-01T09:57:00Z")}, Options{Now: now}, nil},
		{"liveness failures are not readiness failures", []string{pod("p", "h", container(2*time.Minute, 0, running(2*time.Minute), "{}")),
			event("l1", "p", "Unhealthy", "Liveness probe failed: timeout", "2026-08-01T09:59:50Z")}, Options{Now: now}, nil},
		{"init container crash loop", []string{pod("p", "h", fmt.Sprintf(`
phase: Pending
startTime: %q
initContainerStatuses:
- {name: migrate, ready: false, restartCount: 5, image: img, imageID: "", state: {waiting: {reason: CrashLoopBackOff, message: back-off}}}
containerStatuses:
- {name: app, ready: false, restartCount: 0, image: img, imageID: "", state: {waiting: {reason: PodInitializing}}}`, now.Add(-time.Minute).Format(time.RFC3339)))},
			Options{}, []brief{{"p", "migrate", true, PodCrashLooping, "CrashLoopBackOff", "back-off"}}},
		{"pods being deleted are skipped", []string{`
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: prod, deletionTimestamp: "2026-08-01T09:59:00Z"}
status: {phase: Running, containerStatuses: [{name: app, ready: false, restartCount: 9, image: img, imageID: "", state: {waiting: {reason: CrashLoopBackOff}}}]}`}, Options{}, nil},
		{"sorted by pod name", []string{
			pod("b", "h", container(time.Second, 0, waiting("ErrImagePull"), "{}")),
			pod("a", "h", container(time.Second, 0, waiting("InvalidImageName"), "{}"))}, Options{},
			[]brief{{"a", "app", false, InvalidImageName, "InvalidImageName", "msg of InvalidImageName"}, {"b", "app", false, ImagePullFailed, "ErrImagePull", "msg of ErrImagePull"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var pods []corev1.Pod
			var events []corev1.Event
			for _, d := range tc.pods {
				if obj(t, d).GetKind() == "Event" {
					events = append(events, typed[corev1.Event](t, d))
				} else {
					pods = append(pods, typed[corev1.Pod](t, d))
				}
			}
			assert.DeepEqual(t, briefs(ClassifyPods(pods, events, tc.opts)), tc.want)
		})
	}
}

func TestClassifyPodsEvidence(t *testing.T) {
	t.Parallel()
	p := typed[corev1.Pod](t, pod("p", "h", crashLooping))
	var events []corev1.Event
	for i := range 7 {
		events = append(events, typed[corev1.Event](t, event(fmt.Sprintf("e%d", i), "p", "BackOff", fmt.Sprintf("back-off %d", i),
			now.Add(time.Duration(i-10)*time.Second).Format(time.RFC3339))))
	}
	normal := typed[corev1.Event](t, event("n", "p", "Pulled", "pulled", "2026-08-01T09:59:59Z"))
	normal.Type = corev1.EventTypeNormal
	other := typed[corev1.Event](t, event("o", "other", "BackOff", "not ours", "2026-08-01T09:59:59Z"))
	// Reverse order in, chronological order out.
	in := []corev1.Event{other, normal}
	for i := len(events) - 1; i >= 0; i-- {
		in = append(in, events[i])
	}
	fs := ClassifyPods([]corev1.Pod{p}, in, Options{})
	assert.Equal(t, len(fs), 1)
	f := fs[0]
	assert.Equal(t, len(f.Events), MaxEvents)
	assert.Equal(t, f.Events[0].Message, "back-off 2")
	assert.Equal(t, f.Events[MaxEvents-1].Message, "back-off 6")
	assert.DeepEqual(t, f.LastTermination, &Termination{ExitCode: 1, Reason: "Error", FinishedAt: time.Date(2026, 8, 1, 9, 59, 30, 0, time.UTC)})
	assert.Equal(t, f.Events[0].Count, int32(3))
	assert.Equal(t, f.Events[0].FieldPath, "spec.containers{app}")
}
