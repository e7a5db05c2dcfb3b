package status

import (
	"fmt"
	"slices"
	"strings"
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

const (
	oomLast = `{terminated: {exitCode: 137, reason: OOMKilled, finishedAt: "2026-08-01T09:59:00Z"}}`
	errLast = `{terminated: {exitCode: 1, reason: Error, finishedAt: "2026-08-01T09:59:00Z"}}`
)

const unschedPod = `
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: prod, uid: p-uid}
spec: {containers: [{name: app, image: img}]}
status:
  phase: Pending
  conditions: [{type: PodScheduled, status: "False", reason: Unschedulable, message: "0/3 nodes are available: 3 Insufficient cpu.", lastTransitionTime: "2026-08-01T09:58:00Z"}]
`

// scaleEvent renders a Normal event of cluster-autoscaler about pod p.
func scaleEvent(name, reason, message, last string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Event
metadata: {name: %s, namespace: prod}
type: Normal
reason: %s
message: %q
source: {component: cluster-autoscaler}
lastTimestamp: %q
involvedObject: {kind: Pod, name: p, namespace: prod, uid: p-uid}
`, name, reason, message, last)
}

// sidecarPod renders pod p with a native sidecar "proxy" in the given
// init container status, and a running app container.
func sidecarPod(initStatus string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: prod, uid: p-uid}
spec:
  initContainers: [{name: proxy, image: img, restartPolicy: Always}]
  containers: [{name: app, image: img}]
status:
  phase: Pending
  startTime: "2026-08-01T09:58:00Z"
  initContainerStatuses: [%s]
  containerStatuses: [{name: app, ready: false, restartCount: 0, image: img, imageID: "", state: {waiting: {reason: PodInitializing}}}]
`, initStatus)
}

func waitingMsg(reason, msg string) string {
	return fmt.Sprintf("{waiting: {reason: %s, message: %q}}", reason, msg)
}

func terminated(code int, reason string) string {
	return fmt.Sprintf("{terminated: {exitCode: %d, reason: %s, finishedAt: %q}}", code, reason, now.Add(-time.Second).Format(time.RFC3339))
}

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
		{"second exit, before kubelet writes CrashLoopBackOff", []string{pod("p", "h", container(5*time.Second, 1, terminated(1, "Error"), "{}"))}, Options{}, nil},
		{"second exit in back-off", []string{pod("p", "h", container(8*time.Second, 1, waiting("CrashLoopBackOff"), errLast))}, Options{}, nil},
		{"third exit, before kubelet writes CrashLoopBackOff", []string{pod("p", "h", container(15*time.Second, 2, terminated(1, "Error"), errLast))}, Options{},
			[]brief{{"p", "app", false, PodCrashLooping, "Error", ""}}},
		{"third exit in back-off", []string{pod("p", "h", container(time.Minute, 2, waiting("CrashLoopBackOff"), errLast))}, Options{},
			[]brief{{"p", "app", false, PodCrashLooping, "CrashLoopBackOff", "msg of CrashLoopBackOff"}}},
		{"crashed twice, now running", []string{pod("p", "h", container(time.Minute, 2, running(time.Second), errLast))}, Options{}, nil},
		{"crashed three times, ready now", []string{pod("p", "h", strings.Replace(container(time.Minute, 3, running(time.Second), errLast), "ready: false", "ready: true", 1))}, Options{}, nil},
		{"a higher tolerance", []string{pod("p", "h", container(time.Minute, 3, waiting("CrashLoopBackOff"), errLast))}, Options{Tolerance: Tolerance{Restarts: 4}}, nil},
		{"no tolerance fails the first exit", []string{pod("p", "h", container(time.Second, 0, terminated(1, "Error"), "{}"))}, Options{Tolerance: Tolerance{Restarts: -1}},
			[]brief{{"p", "app", false, PodCrashLooping, "Error", ""}}},
		{"clean exits of a long-running container count", []string{pod("p", "h", container(time.Minute, 2, terminated(0, "Completed"), "{}"))}, Options{},
			[]brief{{"p", "app", false, PodCrashLooping, "Completed", ""}}},
		{"clean exits under restartPolicy OnFailure do not", []string{strings.Replace(pod("p", "h", container(time.Minute, 2, terminated(0, "Completed"), "{}")),
			"spec: {containers:", "spec: {restartPolicy: OnFailure, containers:", 1)}, Options{}, nil},
		{"OOM loop", []string{pod("p", "h", container(time.Minute, 2, waiting("CrashLoopBackOff"), oomLast))}, Options{},
			[]brief{{"p", "app", false, OOMKilled, "CrashLoopBackOff", "msg of CrashLoopBackOff"}}},
		{"one OOM kill, restarted", []string{pod("p", "h", container(time.Minute, 1, running(time.Second), oomLast))}, Options{Now: now}, nil},
		{"terminated by OOM once", []string{pod("p", "h", container(time.Minute, 0, `{terminated: {exitCode: 137, reason: OOMKilled, message: out of memory}}`, "{}"))}, Options{}, nil},
		{"terminated by OOM the third time", []string{pod("p", "h", container(time.Minute, 2, `{terminated: {exitCode: 137, reason: OOMKilled, message: out of memory}}`, oomLast))}, Options{},
			[]brief{{"p", "app", false, OOMKilled, "OOMKilled", "out of memory"}}},
		{"image not found fails at once", []string{pod("p", "h", container(time.Second, 0,
			waitingMsg("ErrImagePull", `rpc error: code = NotFound desc = failed to pull and unpack image "registry.example/api:v9": failed to resolve reference "registry.example/api:v9": registry.example/api:v9: not found`), "{}"))}, Options{},
			[]brief{{"p", "app", false, ImagePullFailed, "ErrImagePull", `rpc error: code = NotFound desc = failed to pull and unpack image "registry.example/api:v9": failed to resolve reference "registry.example/api:v9": registry.example/api:v9: not found`}}},
		{"unauthorized in back-off fails at once", []string{pod("p", "h", container(time.Second, 0,
			waitingMsg("ImagePullBackOff", `Back-off pulling image "registry.example/api:v2": ErrImagePull: failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized`), "{}"))}, Options{Now: now},
			[]brief{{"p", "app", false, ImagePullFailed, "ImagePullBackOff", `Back-off pulling image "registry.example/api:v2": ErrImagePull: failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized`}}},
		{"a permanent error within a grace", []string{pod("p", "h", container(time.Minute, 0, waitingMsg("ErrImagePull", "manifest unknown"), "{}"))},
			Options{Now: now, Tolerance: Tolerance{PermanentImagePullGrace: 2 * time.Minute}}, nil},
		{"a rate limit is transient", []string{pod("p", "h", container(15*time.Second, 0,
			waitingMsg("ImagePullBackOff", `Back-off pulling image "api:v2": ErrImagePull: unexpected status code https://registry.example/v2/api/manifests/v2: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit`), "{}"))}, Options{Now: now}, nil},
		{"an unrecognised pull error within the default grace", []string{pod("p", "h", container(30*time.Second, 0, waiting("ErrImagePull"), "{}"))}, Options{Now: now}, nil},
		{"a transient pull error past the default grace", []string{pod("p", "h", container(61*time.Second, 0, waitingMsg("ErrImagePull", "429 Too Many Requests"), "{}"))}, Options{Now: now},
			[]brief{{"p", "app", false, ImagePullFailed, "ErrImagePull", "429 Too Many Requests"}}},
		{"registry unavailable is transient", []string{pod("p", "h", container(10*time.Second, 0, waitingMsg("RegistryUnavailable", "image pull failed for api:v2 because the registry is unavailable: not found"), "{}"))}, Options{Now: now}, nil},
		{"without a clock only permanent pull errors fail", []string{pod("p", "h", container(time.Hour, 0, waiting("ErrImagePull"), "{}"))}, Options{}, nil},
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
		{"unschedulable while an autoscaler adds a node", []string{unschedPod, scaleEvent("s1", "TriggeredScaleUp", "pod triggered scale-up: [{pool-a 3->4 (max: 10)}]", "2026-08-01T09:59:00Z")},
			Options{Now: now}, nil},
		{"unschedulable long after the scale-up", []string{strings.Replace(unschedPod, "09:58:00", "09:48:00", 1), scaleEvent("s1", "TriggeredScaleUp", "pod triggered scale-up: [{pool-a 3->4 (max: 10)}]", "2026-08-01T09:49:00Z")},
			Options{Now: now}, []brief{{"p", "", false, Unschedulable, "Unschedulable", "0/3 nodes are available: 3 Insufficient cpu."}}},
		{"unschedulable when the autoscaler gives up", []string{unschedPod,
			scaleEvent("s1", "TriggeredScaleUp", "pod triggered scale-up: [{pool-a 3->4 (max: 10)}]", "2026-08-01T09:59:00Z"),
			scaleEvent("s2", "NotTriggerScaleUp", "pod didn't trigger scale-up: 1 max node group size reached", "2026-08-01T09:59:30Z")},
			Options{Now: now}, []brief{{"p", "", false, Unschedulable, "Unschedulable", "0/3 nodes are available: 3 Insufficient cpu."}}},
		{"unschedulable while preempting", []string{strings.Replace(unschedPod, "phase: Pending", "phase: Pending\n  nominatedNodeName: node-2", 1)},
			Options{Now: now}, nil},
		{"readiness failing, aggregated event", []string{pod("p", "h", container(2*time.Minute, 0, running(2*time.Minute), "{}")),
			event("r1", "p", "Unhealthy", "(combined from similar events): Readiness probe failed: HTTP probe failed with statuscode: 503", "2026-08-01T09:59:50Z")}, Options{Now: now},
			[]brief{{"p", "app", false, ReadinessFailing, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"}}},
		{"sidecar crash loop", []string{sidecarPod(`{name: proxy, ready: false, restartCount: 2, image: img, imageID: "", started: false, state: {waiting: {reason: CrashLoopBackOff, message: back-off}}, lastState: ` + errLast + `}`)},
			Options{}, []brief{{"p", "proxy", true, PodCrashLooping, "CrashLoopBackOff", "back-off"}}},
		{"sidecar readiness failing", []string{sidecarPod(`{name: proxy, ready: false, restartCount: 0, image: img, imageID: "", started: true, state: {running: {startedAt: "2026-08-01T09:58:00Z"}}}`),
			strings.Replace(event("r1", "p", "Unhealthy", "Readiness probe failed: connection refused", "2026-08-01T09:59:50Z"), "spec.containers{app}", "spec.initContainers{proxy}", 1)},
			Options{Now: now}, []brief{{"p", "proxy", true, ReadinessFailing, "Unhealthy", "Readiness probe failed: connection refused"}}},
		{"init container that completed", []string{sidecarPod(`{name: proxy, ready: true, restartCount: 0, image: img, imageID: "", started: true, state: {running: {startedAt: "2026-08-01T09:58:00Z"}}}`)},
			Options{Now: now}, nil},
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
			pod("b", "h", container(time.Second, 0, waiting("ErrImageNeverPull"), "{}")),
			pod("a", "h", container(time.Second, 0, waiting("InvalidImageName"), "{}"))}, Options{},
			[]brief{{"a", "app", false, InvalidImageName, "InvalidImageName", "msg of InvalidImageName"}, {"b", "app", false, ImagePullFailed, "ErrImageNeverPull", "msg of ErrImageNeverPull"}}},
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
	for _, event := range slices.Backward(events) {
		in = append(in, event)
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

// TestElapsedWholeSeconds: most API timestamps are whole seconds, the event
// having happened somewhere in that second; a grace counts from its end, so
// that it never ends early. A precise time counts as it is.
func TestElapsedWholeSeconds(t *testing.T) {
	whole := time.Date(2026, 12, 6, 15, 0, 12, 0, time.UTC)
	precise := whole.Add(900 * time.Millisecond)
	for _, tc := range []struct {
		since, now time.Time
		want       bool
	}{
		{whole, whole.Add(30 * time.Second), false},
		{whole, whole.Add(30*time.Second + 999*time.Millisecond), false},
		{whole, whole.Add(31 * time.Second), true},
		{precise, precise.Add(30*time.Second - time.Nanosecond), false},
		{precise, precise.Add(30 * time.Second), true},
		{time.Time{}, whole, false},
	} {
		assert.Equal(t, elapsed(tc.since, tc.now, 30*time.Second), tc.want, "since %s, now %s", tc.since.Format(time.StampMicro), tc.now.Format(time.StampMicro))
	}
	assert.Assert(t, elapsed(time.Time{}, time.Time{}, 0), "a zero grace has always elapsed")
}
