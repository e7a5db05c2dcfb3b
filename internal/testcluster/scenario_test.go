package testcluster_test

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/utils/ptr"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

// podOf is a pod with one container "app" running image.
func podOf(ns, name, image string, annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: annotations},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
	}
}

// httpReadiness gives the pod's app container port 8000 and an HTTP
// readiness probe on it, every second.
func httpReadiness(p *corev1.Pod) *corev1.Pod {
	c := &p.Spec.Containers[0]
	c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8000}}
	c.ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
		PeriodSeconds: 1,
	}
	return p
}

// create creates the pod and records its timeline.
func create(t *testing.T, client kubernetes.Interface, p *corev1.Pod) *timeline {
	t.Helper()
	tl := recordTimeline(t, client, p.Namespace, p.Name)
	_, err := client.CoreV1().Pods(p.Namespace).Create(context.Background(), p, metav1.CreateOptions{})
	assert.NilError(t, err)
	return tl
}

// podUntil waits until cond holds for the pod and returns it.
func podUntil(t *testing.T, client kubernetes.Interface, ns, name, what string, timeout time.Duration, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	// Watched, not polled: some states last only an instant (kubelet shows
	// CrashLoopBackOff in the same sync that restarts the container).
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	byName := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = byName
			return client.CoreV1().Pods(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = byName
			return client.CoreV1().Pods(ns).Watch(ctx, o)
		},
	}
	var pod *corev1.Pod
	_, err := watchtools.UntilWithSync(ctx, lw, &corev1.Pod{}, nil, func(e watch.Event) (bool, error) {
		p, ok := e.Object.(*corev1.Pod)
		if ok && e.Type != watch.Deleted && cond(p) {
			pod = p
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("waiting for pod %s/%s: %s: %v", ns, name, what, err)
	}
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
	var got []event
	waitFor(t, 30*time.Second, fmt.Sprintf("events %v on pod %s/%s", want, pod.Namespace, pod.Name), func(ctx context.Context) (bool, error) {
		var err error
		if items, err = podEvents(ctx, client, pod); err != nil {
			return false, err
		}
		got = got[:0]
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

func status(pod *corev1.Pod, name string) corev1.ContainerStatus {
	for _, cs := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		if cs.Name == name {
			return cs
		}
	}
	return corev1.ContainerStatus{}
}

func appStatus(pod *corev1.Pod) corev1.ContainerStatus { return status(pod, "app") }

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

func ready(p *corev1.Pod) bool { return condition(p, corev1.PodReady).Status == corev1.ConditionTrue }

// podLogs reads logs as kubectl does, through the API server and the
// node's kubelet.
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
	create(t, client, httpReadiness(podOf(ns, "web", "example.com/web:1.0", nil)))

	pod := podUntil(t, client, ns, "web", "Ready", 30*time.Second, ready)
	assert.Check(t, is.Contains(c.NodeNames(), pod.Spec.NodeName))
	assert.Equal(t, pod.Status.Phase, corev1.PodRunning)
	assert.Check(t, strings.HasPrefix(pod.Status.PodIP, "10.244."), pod.Status.PodIP)
	assert.Check(t, pod.Status.HostIP != "" && !strings.HasPrefix(pod.Status.HostIP, "127."), pod.Status.HostIP)
	for _, typ := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		assert.Check(t, is.Equal(condition(pod, typ).Status, corev1.ConditionTrue), "condition %s", typ)
	}
	cs := appStatus(pod)
	assert.Check(t, cs.State.Running != nil && cs.Ready && cs.Started != nil && *cs.Started)
	assert.Check(t, is.Equal(cs.RestartCount, int32(0)))
	assert.Check(t, is.Equal(cs.Image, "example.com/web:1.0"))
	assert.Check(t, strings.HasPrefix(cs.ImageID, "example.com/web@sha256:"), cs.ImageID)

	eventsUntil(t, client, pod,
		event{"Normal", "Scheduled", fmt.Sprintf("Successfully assigned %s/web to %s", ns, pod.Spec.NodeName), "default-scheduler", ""},
		event{"Normal", "Pulling", `Pulling image "example.com/web:1.0"`, "kubelet", app},
		event{"Normal", "Created", "Container created", "kubelet", app},
		event{"Normal", "Started", "Container started", "kubelet", app},
	)

	logs, err := podLogs(ctx, client, pod, &corev1.PodLogOptions{Container: "app"})
	assert.NilError(t, err)
	assert.Check(t, strings.HasPrefix(logs, "[INFO] Starting gunicorn 23.0.0\n"), logs)
	assert.Check(t, is.Contains(logs, `"GET /healthz HTTP/1.1" 200 3 "-" "kube-probe/`))
}

func TestScenarioSlow(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	tl := create(t, client, podOf(ns, "web", "example.com/web:slow", nil))
	pod := podUntil(t, client, ns, "web", "pulling", 20*time.Second, func(p *corev1.Pod) bool { return waitingReason(p) == "ContainerCreating" })
	podUntil(t, client, ns, "web", "Ready", 30*time.Second, ready)
	took := time.Since(tl.t0)
	assert.Check(t, took >= 3*time.Second, "ready after %s", took)
	events := eventsUntil(t, client, pod)
	for _, e := range events {
		if e.Reason == "Pulled" {
			assert.Check(t, regexp.MustCompile(`^Successfully pulled image "example.com/web:slow" in 3\.\d+s`).MatchString(e.Message), e.Message)
		}
	}
}

func TestScenarioCrashLoop(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		image    string
		exitCode int32
		reason   string
		lastLog  string
	}{
		{"example.com/app:crashloop", 1, "Error", "KeyError: 'DATABASE_URL'\n"},
		{"example.com/app:oomkilled", 137, "OOMKilled", "[INFO] allocating 4096 MiB buffer\n"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			t.Parallel()
			c := testcluster.Shared(t)
			ns := c.NewNamespace(t)
			client := c.Client()
			ctx := context.Background()
			create(t, client, podOf(ns, "app", tc.image, nil))

			// Kubelet restarts at once after the first exit, then backs
			// off 10s, 20s, …: CrashLoopBackOff with 2 restarts comes
			// after the third exit.
			pod := podUntil(t, client, ns, "app", "restarted twice, in back-off", time.Minute, func(p *corev1.Pod) bool {
				return appStatus(p).RestartCount >= 2 && waitingReason(p) == "CrashLoopBackOff"
			})
			assert.Equal(t, pod.Status.Phase, corev1.PodRunning)
			assert.Equal(t, condition(pod, corev1.PodReady).Reason, "ContainersNotReady")
			cs := appStatus(pod)
			assert.Check(t, is.Contains(cs.State.Waiting.Message, "back-off 20s restarting failed container=app pod=app_"+ns))
			last := cs.LastTerminationState.Terminated
			assert.Assert(t, last != nil)
			assert.Equal(t, last.ExitCode, tc.exitCode)
			assert.Equal(t, last.Reason, tc.reason)
			assert.Check(t, last.FinishedAt.Sub(last.StartedAt.Time) < 2*time.Second)

			eventsUntil(t, client, pod,
				event{"Warning", "BackOff", "Back-off restarting failed container app in pod app_" + ns + "(" + string(pod.UID) + ")", "kubelet", app},
				event{"Normal", "Pulled", `Container image "` + tc.image + `" already present on machine and can be accessed by the pod`, "kubelet", app},
			)
			logs, err := podLogs(ctx, client, pod, &corev1.PodLogOptions{Container: "app", Previous: true, Timestamps: true, TailLines: ptr.To[int64](1)})
			assert.NilError(t, err)
			stamp, line, _ := strings.Cut(logs, " ")
			_, err = time.Parse(time.RFC3339Nano, stamp)
			assert.NilError(t, err)
			assert.Equal(t, line, tc.lastLog)
		})
	}
}

// A container that crashes twice, or is OOM-killed once, and then runs:
// kubelet restarts it (after its back-off) and it becomes Ready.
func TestScenarioCrashThenRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario       string
		restarts, exit int32
		reason         string
	}{
		{"crash:times=2", 2, 1, "Error"},
		{"oom:times=1", 1, 137, "OOMKilled"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			c := testcluster.Shared(t)
			ns := c.NewNamespace(t)
			client := c.Client()
			create(t, client, httpReadiness(podOf(ns, "app", "example.com/app:1", map[string]string{testcluster.ScenarioAnnotation: tc.scenario})))
			pod := podUntil(t, client, ns, "app", "Ready after its exits", time.Minute, ready)
			cs := appStatus(pod)
			assert.Equal(t, cs.RestartCount, tc.restarts)
			assert.Assert(t, cs.LastTerminationState.Terminated != nil)
			assert.Equal(t, cs.LastTerminationState.Terminated.ExitCode, tc.exit)
			assert.Equal(t, cs.LastTerminationState.Terminated.Reason, tc.reason)
		})
	}
}

func TestScenarioImagePull(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, image, message string
		recovers             bool
	}{
		{name: "notfound", image: "registry.example.com/nothere:imagepull",
			message: `failed to pull and unpack image "registry.example.com/nothere:imagepull": failed to resolve reference "registry.example.com/nothere:imagepull": registry.example.com/nothere:imagepull: not found`},
		{name: "unauthorized", image: "ghcr.io/acme/unauthorized:1", message: ": 401 Unauthorized"},
		{name: "ratelimited", image: "example.com/app:ratelimited", message: ": 429 Too Many Requests - Server message: toomanyrequests:", recovers: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := testcluster.Shared(t)
			ns := c.NewNamespace(t)
			client := c.Client()
			ctx := context.Background()
			create(t, client, podOf(ns, "app", tc.image, nil))

			pod := podUntil(t, client, ns, "app", "ErrImagePull", 20*time.Second, func(p *corev1.Pod) bool {
				r := waitingReason(p)
				return r == "ErrImagePull" || r == "ImagePullBackOff"
			})
			assert.Check(t, is.Contains(appStatus(pod).State.Waiting.Message, tc.message))
			events := eventsUntil(t, client, pod, event{"Warning", "Failed", "Error: ErrImagePull", "kubelet", app})
			found := false
			for _, e := range events {
				found = found || (e.Reason == "Failed" && strings.HasPrefix(e.Message, `Failed to pull image "`+tc.image+`": `) && strings.Contains(e.Message, tc.message))
			}
			assert.Check(t, found, "no Failed event with the pull error: %v", events)
			_, err := podLogs(ctx, client, pod, &corev1.PodLogOptions{Container: "app"})
			assert.ErrorContains(t, err, "is waiting to start")
			assert.Check(t, apierrors.IsBadRequest(err), "%v", err)
			if tc.recovers {
				// The retry after kubelet's 10s image back-off succeeds.
				pod = podUntil(t, client, ns, "app", "running after the retry", time.Minute, func(p *corev1.Pod) bool { return appStatus(p).State.Running != nil })
				assert.Equal(t, appStatus(pod).RestartCount, int32(0))
			}
		})
	}
}

// InvalidImageName, CreateContainerConfigError and Unschedulable come from
// kubelet and kube-scheduler themselves, from what the pod asks for.
func TestInvalidImageName(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	create(t, client, podOf(ns, "app", "example.com/App:1", nil))
	pod := podUntil(t, client, ns, "app", "InvalidImageName", 20*time.Second, func(p *corev1.Pod) bool { return waitingReason(p) == "InvalidImageName" })
	assert.Check(t, is.Contains(appStatus(pod).State.Waiting.Message, `couldn't parse image name "example.com/App:1"`))
	eventsUntil(t, client, pod, event{"Warning", "Failed", "Error: InvalidImageName", "kubelet", app})
}

func TestCreateContainerConfigError(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	ctx := context.Background()
	p := podOf(ns, "app", "example.com/app:1", nil)
	p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "db-creds"}}}}
	tl := create(t, client, p)
	pod := podUntil(t, client, ns, "app", "CreateContainerConfigError", 20*time.Second, func(p *corev1.Pod) bool {
		return waitingReason(p) == "CreateContainerConfigError"
	})
	assert.Equal(t, appStatus(pod).State.Waiting.Message, `secret "db-creds" not found`)
	eventsUntil(t, client, pod, event{"Warning", "Failed", `Error: secret "db-creds" not found`, "kubelet", app})

	// Kubelet retries the pod's sync after its back-off: the Secret
	// created now is found then.
	created := time.Since(tl.t0)
	_, err := client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db-creds"}, StringData: map[string]string{"DATABASE_URL": "postgres://db"}}, metav1.CreateOptions{})
	assert.NilError(t, err)
	podUntil(t, client, ns, "app", "running", time.Minute, func(p *corev1.Pod) bool { return appStatus(p).State.Running != nil })
	t.Logf("secret created at %.1fs, container running at %.1fs", created.Seconds(), time.Since(tl.t0).Seconds())
}

func TestUnschedulable(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	p := podOf(ns, "app", "example.com/app:1", nil)
	p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64")}
	create(t, client, p)
	pod := podUntil(t, client, ns, "app", "unschedulable", 20*time.Second, func(p *corev1.Pod) bool {
		return condition(p, corev1.PodScheduled).Reason == "Unschedulable"
	})
	// kube-scheduler's own message; the count of nodes depends on the
	// tests that added some.
	msg := regexp.MustCompile(`^0/(\d+) nodes are available: (\d+) Insufficient cpu\. preemption: 0/(\d+) nodes are available: (\d+) Preemption is not helpful for scheduling\.$`)
	got := condition(pod, corev1.PodScheduled)
	assert.Check(t, msg.MatchString(got.Message), got.Message)
	assert.Equal(t, pod.Spec.NodeName, "")
	assert.Equal(t, pod.Status.Phase, corev1.PodPending)
	events := eventsUntil(t, client, pod)
	assert.Equal(t, events[0].Reason, "FailedScheduling")
	assert.Equal(t, events[0].ReportingController, "default-scheduler")
	assert.Check(t, msg.MatchString(events[0].Message), events[0].Message)
}

func TestScenarioProbes(t *testing.T) {
	t.Parallel()
	const port = 8000
	probes := map[string]corev1.ProbeHandler{
		"http": {HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(port)}},
		"grpc": {GRPC: &corev1.GRPCAction{Port: port}},
		"tcp":  {TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(port)}},
		"exec": {Exec: &corev1.ExecAction{Command: []string{"/bin/healthcheck"}}},
	}
	failure := map[string]*regexp.Regexp{
		"http": regexp.MustCompile(`^Readiness probe failed: HTTP probe failed with statuscode: 503$`),
		"grpc": regexp.MustCompile(`^Readiness probe failed: service unhealthy \(responded with "NOT_SERVING"\)$`),
		"tcp":  regexp.MustCompile(`^Readiness probe failed: dial tcp 10\.244\.[0-9.]+:8000: connect: connection refused$`),
		"exec": regexp.MustCompile(`^Readiness probe failed: not ready\s*$`),
	}
	for _, kind := range []string{"http", "grpc", "tcp", "exec"} {
		for _, sc := range []string{"notready", "ready:after=3s"} {
			t.Run(kind+"/"+sc, func(t *testing.T) {
				t.Parallel()
				c := testcluster.Shared(t)
				ns := c.NewNamespace(t)
				client := c.Client()
				p := podOf(ns, "app", "example.com/app:1", map[string]string{testcluster.ScenarioAnnotation: sc})
				p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: probes[kind], PeriodSeconds: 1}
				tl := create(t, client, p)
				pod := podUntil(t, client, ns, "app", "running", 20*time.Second, func(p *corev1.Pod) bool { return appStatus(p).State.Running != nil })
				var unhealthy []string
				waitFor(t, 30*time.Second, "an Unhealthy event", func(ctx context.Context) (bool, error) {
					events, err := podEvents(ctx, client, pod)
					unhealthy = unhealthy[:0]
					for _, e := range events {
						if e.Reason == "Unhealthy" {
							unhealthy = append(unhealthy, e.Message)
						}
					}
					return len(unhealthy) > 0, err
				})
				for _, m := range unhealthy {
					assert.Check(t, failure[kind].MatchString(m), "%q", m)
				}
				if sc == "notready" {
					pod = podUntil(t, client, ns, "app", "still running", 20*time.Second, func(p *corev1.Pod) bool { return appStatus(p).State.Running != nil })
					assert.Check(t, !ready(pod))
					return
				}
				podUntil(t, client, ns, "app", "Ready", 30*time.Second, ready)
				took := time.Since(tl.t0)
				assert.Check(t, took >= 3*time.Second, "ready after %s", took)
			})
		}
	}
}

// An invalid scenario makes the runtime refuse the sandbox: kubelet
// reports it, and the pod stays Pending.
func TestScenarioInvalidAnnotation(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	create(t, client, podOf(ns, "app", "example.com/app:1", map[string]string{testcluster.ScenarioAnnotation: "explode"}))
	pod := podUntil(t, client, ns, "app", "scheduled", 20*time.Second, func(p *corev1.Pod) bool { return p.Spec.NodeName != "" })
	var msg string
	waitFor(t, 30*time.Second, "a FailedCreatePodSandBox event", func(ctx context.Context) (bool, error) {
		events, err := podEvents(ctx, client, pod)
		for _, e := range events {
			if e.Reason == "FailedCreatePodSandBox" {
				msg = e.Message
			}
		}
		return msg != "", err
	})
	assert.Check(t, is.Contains(msg, fmt.Sprintf(`testcluster: pod %s/app: annotation testcluster.pydeploy.io/scenario: scenario "explode": unknown clause "explode"`, ns)))
	pod, err := client.CoreV1().Pods(ns).Get(context.Background(), "app", metav1.GetOptions{})
	assert.NilError(t, err)
	assert.Equal(t, pod.Status.Phase, corev1.PodPending)
}

// pod=K selects the K-th pod its ReplicaSet created: one of three pods
// crash-loops.
func TestScenarioOnePodOfThree(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	ctx := context.Background()
	d := deploymentOf(ns, "web", 3)
	d.Spec.Template.Annotations = map[string]string{testcluster.ScenarioAnnotation: "crash:pod=1"}
	_, err := client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
	assert.NilError(t, err)
	var crashing, readyPods []string
	waitFor(t, time.Minute, "two pods ready and one restarted", func(ctx context.Context) (bool, error) {
		pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		crashing, readyPods = nil, nil
		for i := range pods.Items {
			p := &pods.Items[i]
			switch {
			case appStatus(p).RestartCount > 0:
				crashing = append(crashing, p.Annotations[testcluster.OrdinalAnnotation])
			case ready(p):
				readyPods = append(readyPods, p.Annotations[testcluster.OrdinalAnnotation])
			}
		}
		return len(crashing) == 1 && len(readyPods) == 2, nil
	})
	assert.DeepEqual(t, crashing, []string{"1"})
	slices.Sort(readyPods)
	assert.DeepEqual(t, readyPods, []string{"0", "2"})
}

// Init containers run to completion before the app; one that crashes is
// restarted with back-off, and the pod waits in Init.
func TestScenarioInitContainers(t *testing.T) {
	t.Parallel()
	init := func(p *corev1.Pod) *corev1.Pod {
		p.Spec.InitContainers = []corev1.Container{
			{Name: "migrate", Image: "example.com/migrate:1"},
			{Name: "proxy", Image: "example.com/proxy:1", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)},
		}
		return p
	}
	t.Run("complete", func(t *testing.T) {
		t.Parallel()
		c := testcluster.Shared(t)
		ns := c.NewNamespace(t)
		client := c.Client()
		create(t, client, init(podOf(ns, "app", "example.com/app:1", nil)))
		pod := podUntil(t, client, ns, "app", "Ready", 30*time.Second, ready)
		migrate := status(pod, "migrate")
		assert.Assert(t, migrate.State.Terminated != nil)
		assert.Equal(t, migrate.State.Terminated.Reason, "Completed")
		assert.Check(t, status(pod, "proxy").State.Running != nil) // the sidecar keeps running
	})
	for _, container := range []string{"migrate", "proxy"} {
		t.Run(container+"-crashloop", func(t *testing.T) {
			t.Parallel()
			c := testcluster.Shared(t)
			ns := c.NewNamespace(t)
			client := c.Client()
			create(t, client, init(podOf(ns, "app", "example.com/app:1", map[string]string{testcluster.ContainerScenarioAnnotation(container): "crashloop"})))
			pod := podUntil(t, client, ns, "app", container+" in back-off", time.Minute, func(p *corev1.Pod) bool {
				w := status(p, container).State.Waiting
				return w != nil && w.Reason == "CrashLoopBackOff"
			})
			assert.Check(t, status(pod, container).RestartCount >= 1)
			assert.Check(t, !ready(pod))
			if container == "migrate" {
				// The pod waits for its init container; a sidecar that
				// started once leaves the pod initialized.
				assert.Equal(t, condition(pod, corev1.PodInitialized).Status, corev1.ConditionFalse)
				assert.Check(t, appStatus(pod).State.Running == nil)
			}
		})
	}
}

// A liveness probe that fails makes kubelet kill and restart the
// container.
func TestScenarioLivenessRestart(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	p := podOf(ns, "app", "example.com/app:1", map[string]string{testcluster.ScenarioAnnotation: "notready"})
	p.Spec.Containers[0].LivenessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/livez", Port: intstr.FromInt32(8080)}},
		PeriodSeconds: 1, FailureThreshold: 2,
	}
	create(t, client, p)
	pod := podUntil(t, client, ns, "app", "restarted", 30*time.Second, func(p *corev1.Pod) bool { return appStatus(p).RestartCount >= 1 })
	eventsUntil(t, client, pod,
		event{"Warning", "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 503", "kubelet", app},
		event{"Normal", "Killing", "Container app failed liveness probe, will be restarted", "kubelet", app},
	)
}

// Deleting a pod: kubelet stops its containers and removes it.
func TestPodDeletion(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	ctx := context.Background()
	create(t, client, podOf(ns, "web", "example.com/web:1", nil))
	pod := podUntil(t, client, ns, "web", "Ready", 30*time.Second, ready)
	assert.NilError(t, client.CoreV1().Pods(ns).Delete(ctx, "web", metav1.DeleteOptions{}))
	waitFor(t, 30*time.Second, "the pod to go", func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().Pods(ns).Get(ctx, "web", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	eventsUntil(t, client, pod, event{"Normal", "Killing", "Stopping container app", "kubelet", app})
}
