package testcluster

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

var cmpPlan = cmp.AllowUnexported(containerPlan{}, pullPlan{}, runPlan{}, probePlan{})

func TestNewPlan(t *testing.T) {
	main := runPlan{kind: runForever, fallback: runForever}
	init := runPlan{kind: runComplete, after: defaultCompleteAfter, fallback: runComplete, fallbackAfter: defaultCompleteAfter}
	for _, tc := range []struct {
		sc      Scenario
		role    role
		ordinal int
		want    containerPlan
	}{
		{sc: Ready, want: containerPlan{run: main}},
		{sc: Ready, role: roleInit, want: containerPlan{run: init}},
		{sc: Ready, role: roleSidecar, want: containerPlan{run: main}},
		{sc: CrashLoop, want: containerPlan{run: runPlan{kind: runCrash, after: defaultCrashAfter, exit: 1, reason: "Error", fallback: runForever}}},
		{sc: "crash:exit=3,times=2,after=1s", role: roleInit, want: containerPlan{run: runPlan{
			kind: runCrash, after: time.Second, exit: 3, reason: "Error", times: 2,
			fallback: runComplete, fallbackAfter: defaultCompleteAfter}}},
		{sc: OOMKilled, want: containerPlan{run: runPlan{kind: runCrash, after: defaultCrashAfter, exit: 137, reason: "OOMKilled", fallback: runForever}}},
		{sc: Slow, want: containerPlan{run: main, pull: pullPlan{delay: 3 * time.Second}}},
		{sc: ImagePull, want: containerPlan{run: main, pull: pullPlan{err: "notfound"}}},
		{sc: "pull", want: containerPlan{run: main, pull: pullPlan{err: "notfound"}}},
		{sc: RateLimited, want: containerPlan{run: main, pull: pullPlan{err: "429", times: 1}}},
		{sc: "pull:err=unauthorized,delay=2s", want: containerPlan{run: main, pull: pullPlan{err: "unauthorized", delay: 2 * time.Second}}},
		{sc: ReadinessFail, want: containerPlan{run: main, probe: probePlan{kind: probeNotReady}}},
		{sc: "ready:after=4s", want: containerPlan{run: main, probe: probePlan{kind: probeReady, after: 4 * time.Second}}},
		{sc: "flap", want: containerPlan{run: main, probe: probePlan{kind: probeFlap, period: defaultFlapPeriod}}},
		{sc: "complete:after=2s", want: containerPlan{run: runPlan{kind: runComplete, after: 2 * time.Second, fallback: runForever}}},
		// The first clause that applies to the pod wins, per part.
		{sc: "crash:pod=1;oom", ordinal: 1, want: containerPlan{run: runPlan{kind: runCrash, after: defaultCrashAfter, exit: 1, reason: "Error", fallback: runForever}}},
		{sc: "crash:pod=1;oom", ordinal: 0, want: containerPlan{run: runPlan{kind: runCrash, after: defaultCrashAfter, exit: 137, reason: "OOMKilled", fallback: runForever}}},
		{sc: "crash:pod=0|2", ordinal: 1, want: containerPlan{run: main}},
		{sc: "crash:pod=0|2", ordinal: 2, want: containerPlan{run: runPlan{kind: runCrash, after: defaultCrashAfter, exit: 1, reason: "Error", fallback: runForever}}},
	} {
		t.Run(string(tc.sc), func(t *testing.T) {
			tc.want.scenario = tc.sc
			got := newPlan(tc.sc, tc.role, tc.ordinal, 3*time.Second)
			assert.DeepEqual(t, got, tc.want, cmpPlan)
		})
	}
}

func TestRunPlanInstances(t *testing.T) {
	rp := newPlan("crash:times=2", roleMain, -1, 0).run
	for n, want := range map[int]runKind{1: runCrash, 2: runCrash, 3: runForever, 10: runForever} {
		kind, _ := rp.instance(n)
		assert.Equal(t, kind, want, "start %d", n)
	}
	forever := newPlan(CrashLoop, roleMain, -1, 0).run
	kind, after := forever.instance(100)
	assert.Equal(t, kind, runCrash)
	assert.Equal(t, after, defaultCrashAfter)
}

func TestProbeReady(t *testing.T) {
	flap := probePlan{kind: probeFlap, period: time.Second}
	var got []bool
	for _, s := range []time.Duration{0, 500 * time.Millisecond, time.Second, 1500 * time.Millisecond, 2 * time.Second} {
		got = append(got, flap.ready(s))
	}
	assert.DeepEqual(t, got, []bool{true, true, false, false, true})
	after := probePlan{kind: probeReady, after: time.Second}
	assert.Assert(t, !after.ready(999*time.Millisecond))
	assert.Assert(t, after.ready(time.Second))
	assert.Assert(t, !probePlan{kind: probeNotReady}.ready(time.Hour))
}

func TestContainerRole(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init"}, {Name: "sidecar", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)}},
		Containers:     []corev1.Container{{Name: "app"}},
	}}
	assert.Equal(t, containerRole(pod, "init"), roleInit)
	assert.Equal(t, containerRole(pod, "sidecar"), roleSidecar)
	assert.Equal(t, containerRole(pod, "app"), roleMain)
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	assert.Equal(t, containerRole(pod, "app"), roleInit)
	assert.Equal(t, containerRole(pod, "sidecar"), roleSidecar)
}

func TestIPPool(t *testing.T) {
	p := newIPPool(netip.MustParsePrefix("127.40.16.0/23"))
	var got []string
	for range 2 * 254 {
		a, ok := p.get()
		assert.Assert(t, ok)
		got = append(got, a.String())
	}
	// .0 and .255 are skipped.
	assert.DeepEqual(t, []string{got[0], got[253], got[254], got[507]},
		[]string{"127.40.16.1", "127.40.16.254", "127.40.17.1", "127.40.17.254"})
	_, ok := p.get()
	assert.Assert(t, !ok, "all addresses are in use")
	p.put(netip.MustParseAddr("127.40.16.9"))
	a, ok := p.get()
	assert.Assert(t, ok)
	assert.Equal(t, a.String(), "127.40.16.9")
}

func TestPodPrefix(t *testing.T) {
	assert.Equal(t, podPrefix(1).String(), "10.244.0.0/20")
	assert.Equal(t, podPrefix(3).String(), "10.244.32.0/20")
	assert.Equal(t, podPrefix(maxNodes).String(), "10.244.224.0/20")
}

func TestPodPorts(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{
			Name: "proxy", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
			StartupProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(15000)}}},
		}},
		Containers: []corev1.Container{{
			Name:           "app",
			Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: 8000}, {Name: "metrics", ContainerPort: 9090}, {ContainerPort: 53, Protocol: corev1.ProtocolUDP}},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}}},
			LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9000}}},
		}, {
			Name:           "tls",
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(8443), Scheme: corev1.URISchemeHTTPS}}},
			LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8000)}}},
		}},
	}}
	assert.DeepEqual(t, podPorts(pod), []portSpec{
		{9000, "grpc", "app"}, {8000, "http", "app"}, {8443, "https", "tls"},
		{15000, "tcp", "proxy"}, {9090, "http", "app"},
	}, cmp.AllowUnexported(portSpec{}))
}

func TestPullError(t *testing.T) {
	assert.Error(t, pullError("notfound", "ghcr.io/acme/payments:9.9"),
		`rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/payments:9.9": failed to resolve reference "ghcr.io/acme/payments:9.9": ghcr.io/acme/payments:9.9: not found`)
	assert.Error(t, pullError("unauthorized", "ghcr.io/acme/payments:1"),
		`rpc error: code = Unknown desc = failed to pull and unpack image "ghcr.io/acme/payments:1": failed to resolve reference "ghcr.io/acme/payments:1": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aacme%2Fpayments%3Apull&service=ghcr.io: 401 Unauthorized`)
	err := pullError("429", "python:3.12")
	assert.ErrorContains(t, err, `rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/python:3.12": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/python/manifests/sha256:`)
	assert.ErrorContains(t, err, ": 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit.")
	assert.Equal(t, normalizeImage("python"), "python:latest")
	assert.Equal(t, normalizeImage("localhost:5000/app"), "localhost:5000/app:latest")
	assert.Equal(t, normalizeImage("app@sha256:00"), "app@sha256:00")
	assert.Assert(t, strings.HasPrefix(imageDigestRef("localhost:5000/app:1"), "localhost:5000/app@sha256:"))
}

func TestWriteLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	writeLog(path, append(stdout("hello"), stderr("oops")...))
	b, err := os.ReadFile(path)
	assert.NilError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	assert.Equal(t, len(lines), 2)
	for i, want := range []string{" stdout F hello", " stderr F oops"} {
		stamp, rest, _ := strings.Cut(lines[i], " ")
		_, err := time.Parse(time.RFC3339Nano, stamp)
		assert.NilError(t, err)
		assert.Equal(t, " "+rest, want)
	}
}
