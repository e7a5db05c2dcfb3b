package testcluster

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	remote "k8s.io/cri-client/pkg"
	fakeremote "k8s.io/cri-client/pkg/fake"
	"k8s.io/cri-client/pkg/util"
	"k8s.io/klog/v2"

	"github.com/pydeploy/pydeploy/internal/testcluster/internal/grammar"
)

// scriptedRuntime is the node's container runtime: the CRI gRPC server of
// k8s.io/cri-client/pkg/fake, backed by the fake runtime and image services
// of k8s.io/cri-api/pkg/apis/testing, with the calls that make up a
// container's life wrapped to play each container's Scenario: sandboxes get
// their own loopback address and probe listeners, containers write CRI log
// files and exit on cue, pulls fail or take their time.
type scriptedRuntime struct {
	*fakeremote.RemoteRuntime
	cfg    *nodeConfig
	client kubernetes.Interface
	pods   corelisters.PodLister
	cert   *selfSigned // for HTTPS probe listeners

	mu        sync.Mutex
	ips       *ipPool
	sandboxes map[string]*sandbox // by sandbox ID
	starts    map[string]int      // pod UID/container → starts so far
	pulls     map[string]int      // pod UID/image → failed pulls so far
}

// sandbox is what the runtime knows of one pod sandbox.
type sandbox struct {
	id      string
	pod     *corev1.Pod
	ip      netip.Addr
	pooled  bool // ip came from the pool
	plans   map[string]containerPlan
	ports   []portSpec
	servers map[int32]*portServer
	running map[string]*instance // by container name
}

// instance is one run of a container.
type instance struct {
	id, container string
	started       time.Time
	plan          containerPlan
	serving       bool // a start that crashes never serves: it dies before listening
	logPath       string
	timer         *time.Timer
}

func newScriptedRuntime(cfg *nodeConfig, podRange netip.Prefix, client kubernetes.Interface, pods corelisters.PodLister) (*scriptedRuntime, error) {
	cert, err := newSelfSigned("testcluster-pod", nil)
	if err != nil {
		return nil, err
	}
	rr := fakeremote.NewFakeRemoteRuntime()
	rr.ImageService.SetFakeImageSize(48 << 20)
	rr.RuntimeService.FakeStatus = &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: true},
		{Type: runtimeapi.NetworkReady, Status: true},
	}}
	return &scriptedRuntime{
		RemoteRuntime: rr, cfg: cfg, client: client, pods: pods, cert: cert,
		ips:       newIPPool(podRange),
		sandboxes: map[string]*sandbox{},
		starts:    map[string]int{},
		pulls:     map[string]int{},
	}, nil
}

// serve starts the gRPC server on endpoint and returns kubelet's clients of
// it, as kubemark's hollow node builds them.
func (r *scriptedRuntime) serve(ctx context.Context, endpoint string) (internalapi.RuntimeService, internalapi.ImageManagerService, error) {
	ln, err := util.CreateListener(endpoint)
	if err != nil {
		return nil, nil, fmt.Errorf("listen for the container runtime on %s: %w", endpoint, err)
	}
	srv := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(srv, r)
	runtimeapi.RegisterImageServiceServer(srv, r)
	go func() { _ = srv.Serve(ln) }()
	go r.trimCallLogs(ctx)
	rs, err := remote.NewRemoteRuntimeServiceBuilder().WithEndpoint(endpoint).WithConnectionTimeout(15 * time.Second).Build(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("runtime service client: %w", err)
	}
	is, err := remote.NewRemoteImageServiceBuilder().WithEndpoint(endpoint).WithConnectionTimeout(15 * time.Second).Build(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("image service client: %w", err)
	}
	return rs, is, nil
}

// trimCallLogs empties the fakes' call logs now and then: they keep every
// call for assertions, which would grow without bound here.
func (r *scriptedRuntime) trimCallLogs(ctx context.Context) {
	wait.Until(func() {
		r.RuntimeService.Lock()
		r.RuntimeService.Called = r.RuntimeService.Called[:0]
		r.RuntimeService.Unlock()
		r.ImageService.Lock()
		r.ImageService.Called = r.ImageService.Called[:0]
		r.ImageService.Unlock()
	}, time.Minute, ctx.Done())
}

// RunPodSandbox creates the sandbox with the pod's plans and its own
// loopback address.
func (r *scriptedRuntime) RunPodSandbox(ctx context.Context, req *runtimeapi.RunPodSandboxRequest) (*runtimeapi.RunPodSandboxResponse, error) {
	md := req.GetConfig().GetMetadata()
	pod, err := r.pod(ctx, md.GetNamespace(), md.GetName(), types.UID(md.GetUid()))
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "testcluster: %v", err)
	}
	plans, err := r.plans(ctx, pod)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "testcluster: %v", err)
	}
	resp, err := r.RemoteRuntime.RunPodSandbox(ctx, req)
	if err != nil {
		return nil, err
	}
	sb := &sandbox{id: resp.PodSandboxId, pod: pod, plans: plans, ports: podPorts(pod),
		servers: map[int32]*portServer{}, running: map[string]*instance{}}
	r.mu.Lock()
	if pod.Spec.HostNetwork {
		sb.ip = netip.MustParseAddr(r.cfg.IP)
	} else if ip, ok := r.ips.get(); ok {
		sb.ip, sb.pooled = ip, true
	}
	r.sandboxes[sb.id] = sb
	r.mu.Unlock()
	if !sb.ip.IsValid() {
		return nil, status.Errorf(codes.ResourceExhausted, "testcluster: node %s has no free pod address", r.cfg.Name)
	}
	r.RuntimeService.Lock()
	if s := r.RuntimeService.Sandboxes[sb.id]; s != nil {
		s.Network = &runtimeapi.PodSandboxNetworkStatus{Ip: sb.ip.String()}
	}
	r.RuntimeService.Unlock()
	return resp, nil
}

// pod returns the pod a sandbox is for, from the node's informer, or from
// the API server if the informer has not seen it yet.
func (r *scriptedRuntime) pod(ctx context.Context, ns, name string, uid types.UID) (*corev1.Pod, error) {
	var pod *corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		p, err := r.pods.Pods(ns).Get(name)
		if err == nil && p.UID == uid {
			pod = p
			return true, nil
		}
		return false, nil
	})
	if err == nil {
		return pod, nil
	}
	p, err := r.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("read pod %s/%s: %w", ns, name, err)
	}
	if p.UID != uid {
		return nil, fmt.Errorf("pod %s/%s has uid %s, not %s: it was replaced", ns, name, p.UID, uid)
	}
	return p, nil
}

// plans is the plan of each container of the pod. A scenario that selects
// pods waits (up to 10s) for the control plane to stamp the pod's ordinal.
func (r *scriptedRuntime) plans(ctx context.Context, pod *corev1.Pod) (map[string]containerPlan, error) {
	scs, err := PodScenarios(pod)
	if err != nil {
		return nil, err
	}
	ordinal := -1
	for _, sc := range scs {
		if sc.selectsPods() {
			if ordinal, err = r.ordinal(ctx, pod); err != nil {
				return nil, err
			}
			break
		}
	}
	var logs []string
	if v, ok := pod.Annotations[LogAnnotation]; ok {
		logs = splitLogLines(v)
	}
	out := map[string]containerPlan{}
	for name, sc := range scs {
		p := newPlan(sc, containerRole(pod, name), ordinal, r.cfg.SlowPull)
		p.logs = logs
		out[name] = p
	}
	return out, nil
}

func (r *scriptedRuntime) ordinal(ctx context.Context, pod *corev1.Pod) (int, error) {
	if v, ok := pod.Annotations[OrdinalAnnotation]; ok {
		return atoiOrdinal(pod, v)
	}
	var got string
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, false, func(ctx context.Context) (bool, error) {
		p, err := r.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, err
		}
		if err == nil {
			got = p.Annotations[OrdinalAnnotation]
		}
		return got != "", nil
	})
	if err != nil {
		return 0, fmt.Errorf("pod %s/%s: its scenario selects pods by ordinal, but the control plane did not write %s: %w", pod.Namespace, pod.Name, OrdinalAnnotation, err)
	}
	return atoiOrdinal(pod, got)
}

func atoiOrdinal(pod *corev1.Pod, v string) (int, error) {
	n, err := grammar.ParseOrdinals(v)
	if err != nil || len(n) != 1 {
		return 0, fmt.Errorf("pod %s/%s: annotation %s is %q: expected a number", pod.Namespace, pod.Name, OrdinalAnnotation, v)
	}
	return n[0], nil
}

// StopPodSandbox stops what still runs in the sandbox and frees its
// address.
func (r *scriptedRuntime) StopPodSandbox(ctx context.Context, req *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	r.mu.Lock()
	if sb := r.sandboxes[req.PodSandboxId]; sb != nil {
		for _, inst := range sb.running {
			r.stopInstanceLocked(sb, inst)
		}
		if sb.pooled {
			r.ips.put(sb.ip)
			sb.pooled = false
		}
	}
	r.mu.Unlock()
	return r.RemoteRuntime.StopPodSandbox(ctx, req)
}

// RemovePodSandbox forgets the sandbox, and the pod once it has none left.
func (r *scriptedRuntime) RemovePodSandbox(ctx context.Context, req *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	r.mu.Lock()
	if sb := r.sandboxes[req.PodSandboxId]; sb != nil {
		for _, inst := range sb.running {
			r.stopInstanceLocked(sb, inst)
		}
		if sb.pooled {
			r.ips.put(sb.ip)
		}
		delete(r.sandboxes, req.PodSandboxId)
		uid := string(sb.pod.UID)
		if !r.hasSandboxLocked(uid) {
			r.forgetPodLocked(uid)
		}
	}
	r.mu.Unlock()
	return r.RemoteRuntime.RemovePodSandbox(ctx, req)
}

func (r *scriptedRuntime) hasSandboxLocked(uid string) bool {
	for _, sb := range r.sandboxes {
		if string(sb.pod.UID) == uid {
			return true
		}
	}
	return false
}

func (r *scriptedRuntime) forgetPodLocked(uid string) {
	for _, m := range []map[string]int{r.starts, r.pulls} {
		for k := range m {
			if len(k) > len(uid) && k[:len(uid)] == uid && k[len(uid)] == '/' {
				delete(m, k)
			}
		}
	}
}

// CreateContainer creates the container with its log file where kubelet
// expects it (the sandbox's log directory joined with the container's log
// path, as containerd does) and an image digest for its status.
func (r *scriptedRuntime) CreateContainer(ctx context.Context, req *runtimeapi.CreateContainerRequest) (*runtimeapi.CreateContainerResponse, error) {
	resp, err := r.RemoteRuntime.CreateContainer(ctx, req)
	if err != nil {
		return nil, err
	}
	logPath := ""
	if dir, rel := req.GetSandboxConfig().GetLogDirectory(), req.GetConfig().GetLogPath(); dir != "" && rel != "" {
		logPath = filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
			return nil, status.Errorf(codes.Internal, "create log directory: %v", err)
		}
	}
	r.RuntimeService.Lock()
	if c := r.RuntimeService.Containers[resp.ContainerId]; c != nil {
		c.LogPath = logPath
		c.ImageRef = imageDigestRef(req.GetConfig().GetImage().GetImage())
	}
	r.RuntimeService.Unlock()
	return resp, nil
}

// StartContainer starts the container and plays this start of its plan:
// its log lines, its probe listeners, and its exit if it is due to exit.
func (r *scriptedRuntime) StartContainer(ctx context.Context, req *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error) {
	resp, err := r.RemoteRuntime.StartContainer(ctx, req)
	if err != nil {
		return nil, err
	}
	r.RuntimeService.Lock()
	c := r.RuntimeService.Containers[req.ContainerId]
	var sandboxID, name, logPath string
	if c != nil {
		sandboxID, name, logPath = c.SandboxID, c.GetMetadata().GetName(), c.LogPath
	}
	r.RuntimeService.Unlock()

	r.mu.Lock()
	defer r.mu.Unlock()
	sb := r.sandboxes[sandboxID]
	if sb == nil {
		return resp, nil // not created through this runtime's sandbox calls
	}
	key := string(sb.pod.UID) + "/" + name
	r.starts[key]++
	plan := sb.plans[name]
	kind, after := plan.run.instance(r.starts[key])
	inst := &instance{id: req.ContainerId, container: name, started: time.Now(), plan: plan, logPath: logPath, serving: kind != runCrash}
	if old := sb.running[name]; old != nil {
		r.stopInstanceLocked(sb, old)
	}
	sb.running[name] = inst
	writeLog(logPath, startLines(plan, kind))
	if inst.serving {
		r.startServersLocked(sb, inst)
	}
	if kind != runForever {
		code, reason := plan.run.exit, plan.run.reason
		if kind == runComplete {
			code, reason = 0, "Completed"
		}
		inst.timer = time.AfterFunc(after, func() { r.exit(sb, inst, code, reason) })
	}
	return resp, nil
}

// exit ends a running instance with an exit code, as its process would.
func (r *scriptedRuntime) exit(sb *sandbox, inst *instance, code int32, reason string) {
	r.mu.Lock()
	if sb.running[inst.container] != inst {
		r.mu.Unlock()
		return // stopped by kubelet meanwhile
	}
	r.stopInstanceLocked(sb, inst)
	r.mu.Unlock()
	writeLog(inst.logPath, exitLines(inst.plan, code))
	r.RuntimeService.Lock()
	defer r.RuntimeService.Unlock()
	if c := r.RuntimeService.Containers[inst.id]; c != nil && c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
		c.State = runtimeapi.ContainerState_CONTAINER_EXITED
		c.ExitCode = code
		c.Reason = reason
		c.FinishedAt = time.Now().UnixNano()
	}
	klog.V(2).Info("testcluster: container exited", "pod", klog.KObj(sb.pod), "container", inst.container, "exitCode", code, "reason", reason)
}

// stopInstanceLocked ends what belongs to a run: its timer and listeners.
func (r *scriptedRuntime) stopInstanceLocked(sb *sandbox, inst *instance) {
	if inst.timer != nil {
		inst.timer.Stop()
	}
	if sb.running[inst.container] == inst {
		delete(sb.running, inst.container)
	}
	r.stopServersLocked(sb, inst.container)
}

// StopContainer is kubelet stopping the container (pod deleted, liveness
// probe failed): a web server shuts down cleanly, exit code 0.
func (r *scriptedRuntime) StopContainer(ctx context.Context, req *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error) {
	r.RuntimeService.Lock()
	wasRunning := false
	var sandboxID, name string
	if c := r.RuntimeService.Containers[req.ContainerId]; c != nil {
		wasRunning = c.State == runtimeapi.ContainerState_CONTAINER_RUNNING
		sandboxID, name = c.SandboxID, c.GetMetadata().GetName()
	}
	r.RuntimeService.Unlock()
	r.mu.Lock()
	if sb := r.sandboxes[sandboxID]; sb != nil {
		if inst := sb.running[name]; inst != nil && inst.id == req.ContainerId {
			r.stopInstanceLocked(sb, inst)
		}
	}
	r.mu.Unlock()
	resp, err := r.RemoteRuntime.StopContainer(ctx, req)
	if err != nil {
		return nil, err
	}
	if wasRunning {
		r.RuntimeService.Lock()
		if c := r.RuntimeService.Containers[req.ContainerId]; c != nil {
			c.ExitCode, c.Reason = 0, "Completed"
		}
		r.RuntimeService.Unlock()
	}
	return resp, nil
}

// ExecSync runs an exec probe: it passes (exit 0) when the container's
// scenario says its probes pass.
func (r *scriptedRuntime) ExecSync(ctx context.Context, req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
	r.RuntimeService.Lock()
	var sandboxID, name string
	running := false
	if c := r.RuntimeService.Containers[req.ContainerId]; c != nil {
		sandboxID, name = c.SandboxID, c.GetMetadata().GetName()
		running = c.State == runtimeapi.ContainerState_CONTAINER_RUNNING
	}
	r.RuntimeService.Unlock()
	if !running {
		return nil, status.Errorf(codes.NotFound, "container %s is not running", req.ContainerId)
	}
	r.mu.Lock()
	var inst *instance
	if sb := r.sandboxes[sandboxID]; sb != nil {
		inst = sb.running[name]
	}
	r.mu.Unlock()
	if inst != nil && !inst.ready() {
		return &runtimeapi.ExecSyncResponse{ExitCode: 1, Stderr: []byte("not ready\n")}, nil
	}
	return &runtimeapi.ExecSyncResponse{ExitCode: 0, Stdout: []byte("ok\n")}, nil
}

// ready reports whether the instance's probes pass now.
func (inst *instance) ready() bool {
	return inst.serving && inst.plan.probe.ready(time.Since(inst.started))
}

// PullImage plays the pull clause of the container that uses the image in
// the pod the pull is for.
func (r *scriptedRuntime) PullImage(ctx context.Context, req *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error) {
	image := req.GetImage().GetImage()
	uid := req.GetSandboxConfig().GetMetadata().GetUid()
	r.mu.Lock()
	pp := r.pullPlanLocked(uid, image)
	r.mu.Unlock()
	if pp.delay > 0 {
		t := time.NewTimer(pp.delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	if pp.err != "" {
		r.mu.Lock()
		key := uid + "/" + image
		fail := pp.times == 0 || r.pulls[key] < pp.times
		if fail {
			r.pulls[key]++
		}
		r.mu.Unlock()
		if fail {
			return nil, pullError(pp.err, image)
		}
	}
	return r.RemoteRuntime.PullImage(ctx, req)
}

// pullPlanLocked finds the pull plan for image in the pod with this uid:
// that of its first container using the image with a pull clause.
func (r *scriptedRuntime) pullPlanLocked(uid, image string) pullPlan {
	for _, sb := range r.sandboxes {
		if string(sb.pod.UID) != uid {
			continue
		}
		for _, c := range allContainers(sb.pod) {
			if c.Image == image || normalizeImage(c.Image) == normalizeImage(image) {
				if p := sb.plans[c.Name].pull; p.err != "" || p.delay > 0 {
					return p
				}
			}
		}
	}
	return pullPlan{}
}
