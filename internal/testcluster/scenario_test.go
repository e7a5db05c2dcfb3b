package testcluster_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

// podOf is a pod with one container "app" running image.
func podOf(ns, name, image string, annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: annotations},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
	}
}

// podUntil waits until cond holds for the pod and returns it.
func podUntil(t *testing.T, client kubernetes.Interface, ns, name, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	waitFor(t, 20*time.Second, fmt.Sprintf("pod %s/%s: %s", ns, name, what), func(ctx context.Context) (bool, error) {
		var err error
		pod, err = client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		return err == nil && cond(pod), err
	})
	return pod
}

// event is the part of an event the tests compare.
type event struct {
	Type, Reason, Message, Component, FieldPath string
}

// podEvents lists the core/v1 events about pod.
func podEvents(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod) ([]corev1.Event, error) {
	list, err := client.CoreV1().Events(pod.Namespace).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.uid", string(pod.UID)).String(),
	})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// eventsUntil waits until the pod's events include every one of want and
// returns all of them.
func eventsUntil(t *testing.T, client kubernetes.Interface, pod *corev1.Pod, want ...event) []corev1.Event {
	t.Helper()
	var items []corev1.Event
	waitFor(t, 20*time.Second, fmt.Sprintf("events %v on pod %s/%s", want, pod.Namespace, pod.Name), func(ctx context.Context) (bool, error) {
		var err error
		if items, err = podEvents(ctx, client, pod); err != nil {
			return false, err
		}
		var got []event
		for _, e := range items {
			comp := e.Source.Component
			if comp == "" {
				comp = e.ReportingController
			}
			got = append(got, event{e.Type, e.Reason, e.Message, comp, e.InvolvedObject.FieldPath})
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				return false, nil
			}
		}
		return len(items) > 0, nil
	})
	return items
}

func appStatus(pod *corev1.Pod) corev1.ContainerStatus {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == "app" {
			return cs
		}
	}
	return corev1.ContainerStatus{}
}

func waitingReason(pod *corev1.Pod) string {
	if w := appStatus(pod).State.Waiting; w != nil {
		return w.Reason
	}
	return ""
}

func condition(pod *corev1.Pod, typ corev1.PodConditionType) corev1.PodCondition {
	for _, c := range pod.Status.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return corev1.PodCondition{}
}

// podLogs reads logs as kubectl does (Stream decodes the API server's
// error Status; DoRaw would not).
func podLogs(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, opts *corev1.PodLogOptions) (string, error) {
	r, err := client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, opts).Stream(ctx)
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

const app = "spec.containers{app}"

func TestScenarioReady(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	ctx := context.Background()
	_, err := client.CoreV1().Pods(ns).Create(ctx, podOf(ns, "web", "example.com/web:1.0", nil), metav1.CreateOptions{})
	assert.NilError(t, err)

	pod := podUntil(t, client, ns, "web", "Ready", func(p *corev1.Pod) bool { return condition(p, corev1.PodReady).Status == corev1.ConditionTrue })
	assert.Equal(t, pod.Spec.NodeName, c.NodeName())
	assert.Equal(t, pod.Status.Phase, corev1.PodRunning)
	assert.Equal(t, pod.Status.HostIP, "127.0.0.1")
	assert.Assert(t, strings.HasPrefix(pod.Status.PodIP, "10.244."), pod.Status.PodIP)
	assert.Assert(t, pod.Status.StartTime != nil)
	for _, typ := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		assert.Equal(t, condition(pod, typ).Status, corev1.ConditionTrue, "condition %s", typ)
	}
	cs := appStatus(pod)
	assert.Assert(t, cs.State.Running != nil)
	assert.Assert(t, cs.Ready)
	assert.Assert(t, cs.Started != nil && *cs.Started)
	assert.Equal(t, cs.RestartCount, int32(0))
	assert.Equal(t, cs.Image, "example.com/web:1.0")
	assert.Assert(t, strings.HasPrefix(cs.ImageID, "example.com/web@sha256:"), cs.ImageID)
	assert.Assert(t, strings.HasPrefix(cs.ContainerID, "containerd://"), cs.ContainerID)

	eventsUntil(t, client, pod,
		event{"Normal", "Scheduled", fmt.Sprintf("Successfully assigned %s/web to %s", ns, c.NodeName()), "default-scheduler", ""},
		event{"Normal", "Pulling", `Pulling image "example.com/web:1.0"`, "kubelet", app},
		event{"Normal", "Created", "Created container: app", "kubelet", app},
		event{"Normal", "Started", "Started container app", "kubelet", app},
	)

	logs, err := podLogs(ctx, client, pod, &corev1.PodLogOptions{Container: "app", TailLines: ptrTo[int64](1)})
	assert.NilError(t, err)
	assert.Equal(t, logs, "[INFO] Booting worker with pid: 7\n")
}

func TestScenarioSlow(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	_, err := client.CoreV1().Pods(ns).Create(context.Background(), podOf(ns, "web", "example.com/web:slow", nil), metav1.CreateOptions{})
	assert.NilError(t, err)
	running := podUntil(t, client, ns, "web", "running", func(p *corev1.Pod) bool { return appStatus(p).State.Running != nil })
	assert.Equal(t, condition(running, corev1.PodReady).Status, corev1.ConditionFalse)
	pod := podUntil(t, client, ns, "web", "Ready", func(p *corev1.Pod) bool { return condition(p, corev1.PodReady).Status == corev1.ConditionTrue })
	// Times are whole seconds; the default SlowReadyDelay is 3s.
	took := condition(pod, corev1.PodReady).LastTransitionTime.Sub(pod.Status.StartTime.Time)
	assert.Assert(t, took >= 2*time.Second, "ready %s after start", took)
}

func TestScenarioCrashLoop(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		image    string
		exitCode int32
		reason   string
	}{
		{"example.com/app:crashloop", 1, "Error"},
		{"example.com/app:oomkilled", 137, "OOMKilled"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			t.Parallel()
			c := testcluster.Shared(t)
			ns := c.NewNamespace(t)
			client := c.Client()
			ctx := context.Background()
			_, err := client.CoreV1().Pods(ns).Create(ctx, podOf(ns, "app", tc.image, nil), metav1.CreateOptions{})
			assert.NilError(t, err)

			pod := podUntil(t, client, ns, "app", "restarted twice, in back-off", func(p *corev1.Pod) bool {
				return appStatus(p).RestartCount >= 2 && waitingReason(p) == "CrashLoopBackOff"
			})
			assert.Equal(t, pod.Status.Phase, corev1.PodRunning)
			assert.Equal(t, condition(pod, corev1.PodReady).Reason, "ContainersNotReady")
			cs := appStatus(pod)
			assert.Assert(t, is.Contains(cs.State.Waiting.Message, "restarting failed container=app pod=app_"+ns))
			last := cs.LastTerminationState.Terminated
			assert.Assert(t, last != nil)
			assert.Equal(t, last.ExitCode, tc.exitCode)
			assert.Equal(t, last.Reason, tc.reason)
			assert.Assert(t, last.ContainerID != "" && last.ContainerID != cs.ContainerID)
			assert.Assert(t, cs.Started != nil && !*cs.Started)

			eventsUntil(t, client, pod,
				event{"Warning", "BackOff", fmt.Sprintf("Back-off restarting failed container app in pod app_%s(%s)", ns, pod.UID), "kubelet", app},
				event{"Normal", "Pulled", `Container image "` + tc.image + `" already present on machine`, "kubelet", app},
			)

			logs, err := podLogs(ctx, client, pod, &corev1.PodLogOptions{Container: "app", Previous: true, TailLines: ptrTo[int64](1)})
			assert.NilError(t, err)
			if tc.reason == "Error" {
				assert.Equal(t, logs, "KeyError: 'DATABASE_URL'\n")
			} else {
				assert.Equal(t, logs, "[INFO] allocating 4096 MiB buffer\n")
			}
		})
	}
}

func TestScenarioCrashLoopLogs(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	ctx := context.Background()
	_, err := client.CoreV1().Pods(ns).Create(ctx, podOf(ns, "app", "example.com/app:crashloop", nil), metav1.CreateOptions{})
	assert.NilError(t, err)
	pod := podUntil(t, client, ns, "app", "in back-off", func(p *corev1.Pod) bool { return waitingReason(p) == "CrashLoopBackOff" })
	// While the container waits, its logs are the last instance's, as with
	// a real kubelet.
	logs, err := podLogs(ctx, client, pod, &corev1.PodLogOptions{Container: "app"})
	assert.NilError(t, err)
	assert.Assert(t, strings.HasPrefix(logs, "[INFO] Starting gunicorn 23.0.0\nTraceback (most recent call last):\n"), logs)
	assert.Assert(t, strings.HasSuffix(logs, "KeyError: 'DATABASE_URL'\n"), logs)

	logs, err = podLogs(ctx, client, pod, &corev1.PodLogOptions{Container: "app", Timestamps: true, TailLines: ptrTo[int64](1)})
	assert.NilError(t, err)
	stamp, line, _ := strings.Cut(logs, " ")
	_, err = time.Parse(time.RFC3339Nano, stamp)
	assert.NilError(t, err)
	assert.Equal(t, line, "KeyError: 'DATABASE_URL'\n")

	_, err = podLogs(ctx, client, pod, &corev1.PodLogOptions{Container: "nope"})
	assert.ErrorContains(t, err, "nope")
}

func TestScenarioWaiting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, image string
		pod         func(*corev1.Pod)
		reason      string
		message     string
		events      func(pod *corev1.Pod) []event
		logErr      string
	}{
		{
			name: "imagepull", image: "registry.example.com/nothere:imagepull", reason: "ImagePullBackOff",
			message: `Back-off pulling image "registry.example.com/nothere:imagepull": ErrImagePull: rpc error: code = NotFound`,
			events: func(*corev1.Pod) []event {
				img := "registry.example.com/nothere:imagepull"
				return []event{
					{"Normal", "Pulling", `Pulling image "` + img + `"`, "kubelet", app},
					{"Warning", "Failed", fmt.Sprintf(`Failed to pull image %q: rpc error: code = NotFound desc = failed to pull and unpack image %q: failed to resolve reference %q: %s: not found`, img, img, img, img), "kubelet", app},
					{"Warning", "Failed", "Error: ErrImagePull", "kubelet", app},
					{"Normal", "BackOff", `Back-off pulling image "` + img + `"`, "kubelet", app},
					{"Warning", "Failed", "Error: ImagePullBackOff", "kubelet", app},
				}
			},
			logErr: "is waiting to start: trying and failing to pull image",
		},
		{
			name: "invalidimage", image: "example.com/INVALIDIMAGE:x", reason: "InvalidImageName",
			message: `Failed to apply default image tag "example.com/INVALIDIMAGE:x": couldn't parse image name "example.com/INVALIDIMAGE:x": invalid reference format`,
			events: func(*corev1.Pod) []event {
				return []event{
					{"Warning", "InspectFailed", `Failed to apply default image tag "example.com/INVALIDIMAGE:x": couldn't parse image name "example.com/INVALIDIMAGE:x": invalid reference format`, "kubelet", app},
					{"Warning", "Failed", "Error: InvalidImageName", "kubelet", app},
				}
			},
			logErr: "is waiting to start: InvalidImageName",
		},
		{
			name: "configerror", image: "example.com/app:configerror", reason: "CreateContainerConfigError",
			pod: func(p *corev1.Pod) {
				p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "db-creds"}}}}
			},
			message: `secret "db-creds" not found`,
			events: func(*corev1.Pod) []event {
				return []event{
					{"Normal", "Pulled", `Container image "example.com/app:configerror" already present on machine`, "kubelet", app},
					{"Warning", "Failed", `Error: secret "db-creds" not found`, "kubelet", app},
				}
			},
			logErr: "is waiting to start: CreateContainerConfigError",
		},
		{
			name: "annotation", image: "example.com/app:1", reason: "CreateContainerConfigError",
			pod: func(p *corev1.Pod) {
				p.Annotations = map[string]string{testcluster.ScenarioAnnotation: "ConfigError"}
			},
			message: `secret "app-secrets" not found`,
			events: func(*corev1.Pod) []event {
				return []event{{"Warning", "Failed", `Error: secret "app-secrets" not found`, "kubelet", app}}
			},
			logErr: "is waiting to start: CreateContainerConfigError",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := testcluster.Shared(t)
			ns := c.NewNamespace(t)
			client := c.Client()
			ctx := context.Background()
			p := podOf(ns, "app", tc.image, nil)
			if tc.pod != nil {
				tc.pod(p)
			}
			_, err := client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
			assert.NilError(t, err)

			pod := podUntil(t, client, ns, "app", "waiting with "+tc.reason, func(p *corev1.Pod) bool { return waitingReason(p) == tc.reason })
			assert.Equal(t, pod.Status.Phase, corev1.PodPending)
			assert.Assert(t, is.Contains(appStatus(pod).State.Waiting.Message, tc.message))
			assert.Equal(t, appStatus(pod).Image, tc.image)
			assert.Equal(t, appStatus(pod).RestartCount, int32(0))
			assert.Equal(t, condition(pod, corev1.PodReady).Message, "containers with unready status: [app]")
			eventsUntil(t, client, pod, tc.events(pod)...)

			_, err = podLogs(ctx, client, pod, &corev1.PodLogOptions{Container: "app"})
			assert.ErrorContains(t, err, tc.logErr)
			assert.Assert(t, apierrors.IsBadRequest(err), "%v", err)
		})
	}
}

func TestScenarioReadinessFail(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	_, err := client.CoreV1().Pods(ns).Create(context.Background(), podOf(ns, "app", "example.com/readinessfail/app:1", nil), metav1.CreateOptions{})
	assert.NilError(t, err)
	pod := podUntil(t, client, ns, "app", "running", func(p *corev1.Pod) bool { return appStatus(p).State.Running != nil })
	unhealthy := event{"Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", "kubelet", app}
	eventsUntil(t, client, pod, unhealthy)
	waitFor(t, 20*time.Second, "a repeated Unhealthy event", func(ctx context.Context) (bool, error) {
		events, err := podEvents(ctx, client, pod)
		for _, e := range events {
			if e.Reason == "Unhealthy" && e.Count >= 2 {
				return true, nil
			}
		}
		return false, err
	})
	pod = podUntil(t, client, ns, "app", "still running", func(p *corev1.Pod) bool { return appStatus(p).State.Running != nil })
	assert.Equal(t, pod.Status.Phase, corev1.PodRunning)
	assert.Equal(t, condition(pod, corev1.PodReady).Status, corev1.ConditionFalse)
	cs := appStatus(pod)
	assert.Assert(t, !cs.Ready)
	assert.Assert(t, cs.Started != nil && *cs.Started)
	assert.Equal(t, cs.RestartCount, int32(0))
}

func TestScenarioUnschedulable(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	_, err := client.CoreV1().Pods(ns).Create(context.Background(), podOf(ns, "app", "example.com/app:1", map[string]string{testcluster.ScenarioAnnotation: "unschedulable"}), metav1.CreateOptions{})
	assert.NilError(t, err)
	msg := "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
	pod := podUntil(t, client, ns, "app", "unschedulable", func(p *corev1.Pod) bool { return condition(p, corev1.PodScheduled).Reason == "Unschedulable" })
	got := condition(pod, corev1.PodScheduled)
	got.LastTransitionTime = metav1.Time{}
	assert.DeepEqual(t, got, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: msg})
	assert.Equal(t, pod.Spec.NodeName, "")
	assert.Equal(t, pod.Status.Phase, corev1.PodPending)
	assert.Equal(t, len(pod.Status.ContainerStatuses), 0)
	events := eventsUntil(t, client, pod, event{"Warning", "FailedScheduling", msg, "default-scheduler", ""})
	for _, e := range events {
		if e.Reason == "FailedScheduling" {
			assert.Equal(t, e.Action, "Scheduling")
			assert.Assert(t, !e.EventTime.IsZero())
		}
	}
}

func TestScenarioInvalidAnnotation(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	pod, err := client.CoreV1().Pods(ns).Create(context.Background(), podOf(ns, "app", "example.com/app:1", map[string]string{testcluster.ScenarioAnnotation: "explode"}), metav1.CreateOptions{})
	assert.NilError(t, err)
	events := eventsUntil(t, client, pod)
	want := fmt.Sprintf(`testcluster: pod %s/app: annotation testcluster.pydeploy.io/scenario: unknown scenario "explode": expected one of configerror, crashloop, imagepull, invalidimage, oomkilled, readinessfail, ready, slow, unschedulable`, ns)
	assert.DeepEqual(t, []string{events[0].Type, events[0].Reason, events[0].Message}, []string{"Warning", "InvalidScenario", want})
	got, err := client.CoreV1().Pods(ns).Get(context.Background(), "app", metav1.GetOptions{})
	assert.NilError(t, err)
	assert.Equal(t, got.Spec.NodeName, "")
}

func ptrTo[T any](v T) *T { return &v }
