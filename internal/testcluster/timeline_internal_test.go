package testcluster

import (
	"testing"
	"time"

	"gotest.tools/v3/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func testPod() (*corev1.Pod, *corev1.Container) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "ns", UID: "uid-1"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.com/web:crashloop"}}},
	}
	return pod, &pod.Spec.Containers[0]
}

// summary is the part of a step the table compares.
type summary struct {
	at       time.Duration
	state    string // waiting reason, "running" or "running+ready"
	restarts int32
	last     string // last termination reason, if any
	events   []string
}

func summarize(s step) summary {
	out := summary{at: s.at, restarts: s.status.RestartCount}
	switch st := s.status.State; {
	case st.Waiting != nil:
		out.state = st.Waiting.Reason
	case st.Running != nil && s.status.Ready:
		out.state = "running+ready"
	case st.Running != nil:
		out.state = "running"
	}
	if t := s.status.LastTerminationState.Terminated; t != nil {
		out.last = t.Reason
	}
	for _, e := range s.events {
		out.events = append(out.events, e.reason)
	}
	return out
}

func TestTimelineSteps(t *testing.T) {
	tm := timing{ready: 200 * time.Millisecond, slow: 3 * time.Second, cadence: 500 * time.Millisecond}
	ms := time.Millisecond
	for _, tc := range []struct {
		sc   Scenario
		want []summary
	}{
		{Ready, []summary{
			{0, "ContainerCreating", 0, "", []string{"Pulling"}},
			{100 * ms, "running", 0, "", []string{"Pulled", "Created", "Started"}},
			{200 * ms, "running+ready", 0, "", nil},
		}},
		{Slow, []summary{
			{0, "ContainerCreating", 0, "", []string{"Pulling"}},
			{1500 * ms, "running", 0, "", []string{"Pulled", "Created", "Started"}},
			{3000 * ms, "running+ready", 0, "", nil},
		}},
		{CrashLoop, []summary{
			{0, "ContainerCreating", 0, "", []string{"Pulling"}},
			{100 * ms, "running", 0, "", []string{"Pulled", "Created", "Started"}},
			{600 * ms, "CrashLoopBackOff", 1, "Error", []string{"BackOff"}},
			{1100 * ms, "running", 1, "Error", []string{"Pulled", "Created", "Started"}},
			{1600 * ms, "CrashLoopBackOff", 2, "Error", []string{"BackOff"}},
		}},
		{OOMKilled, []summary{
			{0, "ContainerCreating", 0, "", []string{"Pulling"}},
			{100 * ms, "running", 0, "", []string{"Pulled", "Created", "Started"}},
			{600 * ms, "CrashLoopBackOff", 1, "OOMKilled", []string{"BackOff"}},
		}},
		{ImagePull, []summary{
			{0, "ContainerCreating", 0, "", []string{"Pulling"}},
			{100 * ms, "ErrImagePull", 0, "", []string{"Failed", "Failed"}},
			{600 * ms, "ImagePullBackOff", 0, "", []string{"BackOff", "Failed"}},
			{1100 * ms, "ErrImagePull", 0, "", []string{"Pulling", "Failed", "Failed"}},
		}},
		{InvalidImage, []summary{
			{0, "InvalidImageName", 0, "", []string{"InspectFailed", "Failed"}},
			{500 * ms, "InvalidImageName", 0, "", []string{"InspectFailed", "Failed"}},
		}},
		{ReadinessFail, []summary{
			{0, "ContainerCreating", 0, "", []string{"Pulling"}},
			{100 * ms, "running", 0, "", []string{"Pulled", "Created", "Started"}},
			{200 * ms, "running", 0, "", []string{"Unhealthy"}},
			{700 * ms, "running", 0, "", []string{"Unhealthy"}},
		}},
		{ConfigError, []summary{
			{0, "ContainerCreating", 0, "", []string{"Pulling"}},
			{100 * ms, "CreateContainerConfigError", 0, "", []string{"Pulled", "Failed"}},
			{600 * ms, "CreateContainerConfigError", 0, "", []string{"Pulled", "Failed"}},
		}},
	} {
		t.Run(string(tc.sc), func(t *testing.T) {
			pod, c := testPod()
			tl := timeline{pod: pod, c: c, sc: tc.sc, tm: tm, bound: time.Unix(1_800_000_000, 0)}
			var got []summary
			for i := range tc.want {
				s, ok := tl.step(i)
				assert.Assert(t, ok, "step %d", i)
				got = append(got, summarize(s))
			}
			assert.DeepEqual(t, got, tc.want, cmpSummary)
			if tc.sc == Ready || tc.sc == Slow {
				_, ok := tl.step(len(tc.want))
				assert.Assert(t, !ok, "a settled container has no further steps")
			}
		})
	}
}

func TestTimelineIsDeterministic(t *testing.T) {
	pod, c := testPod()
	tl := timeline{pod: pod, c: c, sc: CrashLoop, tm: timing{ready: time.Second, slow: time.Second, cadence: time.Second}, bound: time.Unix(1_800_000_000, 0)}
	a, _ := tl.step(4)
	b, _ := tl.step(4)
	assert.DeepEqual(t, a, b, cmpStep)
	last := a.status.LastTerminationState.Terminated
	assert.Equal(t, last.ExitCode, int32(1))
	assert.Equal(t, last.ContainerID, tl.containerID(1))
	assert.Equal(t, a.status.State.Waiting.Message, "back-off 1s restarting failed container=app pod=web-1_ns(uid-1)")
	assert.Equal(t, a.events[0].message, "Back-off restarting failed container app in pod web-1_ns(uid-1)")
	assert.Equal(t, tl.imageID(), "example.com/web@sha256:"+hexSHA256("example.com/web:crashloop"))
}

func TestMissingSecret(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    corev1.Container
		want string
	}{
		{"none", corev1.Container{}, "app-secrets"},
		{"envFrom", corev1.Container{EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}}}}}, "db"},
		{"env", corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "api-key"}, Key: "k"}}}}}, "api-key"},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, missingSecret(&tc.c), tc.want) })
	}
}

func TestLogSource(t *testing.T) {
	term := &corev1.ContainerStateTerminated{ExitCode: 1, ContainerID: "containerd://1"}
	for _, tc := range []struct {
		name     string
		cs       corev1.ContainerStatus
		previous bool
		running  bool
		err      string
	}{
		{"running", corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}, false, true, ""},
		{"crashed waits", corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}, LastTerminationState: corev1.ContainerState{Terminated: term}}, false, false, ""},
		{"previous", corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}, LastTerminationState: corev1.ContainerState{Terminated: term}}, true, false, ""},
		{"no previous", corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}, true, false, `previous terminated container "app" in pod "p" not found`},
		{"pull", corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull"}}}, false, false, `container "app" in pod "p" is waiting to start: image can't be pulled`},
		{"config", corev1.ContainerStatus{Name: "app", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError"}}}, false, false, `container "app" in pod "p" is waiting to start: CreateContainerConfigError`},
		{"unknown container", corev1.ContainerStatus{Name: "other"}, false, false, `container "app" in pod "p" is waiting to start - no logs yet`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{tc.cs}}}
			running, err := logSource(pod, "app", tc.previous)
			if tc.err != "" {
				assert.Error(t, err, tc.err)
				return
			}
			assert.NilError(t, err)
			assert.Equal(t, running, tc.running)
		})
	}
}

func TestLogSinkTail(t *testing.T) {
	s := newLogSink(nil)
	for i := range logSinkLines + 5 {
		_, _ = s.Write([]byte("line " + string(rune('a'+i%26)) + "\n"))
	}
	_, _ = s.Write([]byte("partial"))
	assert.Equal(t, s.tail(2), "line "+string(rune('a'+(logSinkLines+3)%26))+"\nline "+string(rune('a'+(logSinkLines+4)%26)))
	assert.Equal(t, len(splitLines(s.tail(0))), logSinkLines)
}
