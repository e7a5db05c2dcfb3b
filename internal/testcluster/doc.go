// Package testcluster runs a real Kubernetes cluster for pydeploy's
// integration tests and for the examples' embedded default cluster: the
// control plane inside the calling process, and nodes that run kubelet's
// own code, each in a child process.
//
// Start runs, on this machine and without privileges beyond those below:
//
//   - etcd (go.etcd.io/etcd/server/v3/embed) in a temp dir;
//   - kube-apiserver, through the test server of k8s.io/kubernetes (RBAC
//     authorization, with every client of Config a cluster admin, so a test
//     impersonates a user to be held to its Roles; ResourceQuota admission
//     is on);
//   - kube-scheduler with its default profile (k8s.io/kubernetes/pkg/scheduler),
//     so Unschedulable, topology spread and affinity are the scheduler's;
//   - the deployment, replicaset, statefulset, daemonset, job,
//     endpointslice, disruption, namespace, resourcequota, node lifecycle
//     and garbage-collector controllers of kube-controller-manager;
//   - Options.Nodes nodes (3 by default, Options.NodeCPUs and NodeMemory
//     each): kubelet as kubemark's hollow node builds it
//     (k8s.io/kubernetes/pkg/kubemark), but with kubelet's real prober
//     manager and a real event recorder sinking to the API server, so
//     probes, pod status, restarts and their back-off, and events are
//     kubelet's own; its container runtime is the fake CRI of
//     k8s.io/cri-client/pkg/fake and k8s.io/cri-api/pkg/apis/testing,
//     served over gRPC and wrapped to play each container's Scenario;
//   - a front proxy at a fixed 127.0.0.1 address, which every client uses.
//     It keeps that address, CA and token stable across RestartAPIServer,
//     and it implements ExpireWatches.
//
// AddNode adds a node while the cluster runs, as a cluster autoscaler
// would; AnnounceScaleUp writes the TriggeredScaleUp event the autoscaler
// writes first on the pending pods it scales up for.
//
// # What a container does
//
// The container runtime plays a Scenario per container: chosen by a
// keyword in its image (example.com/app:crashloop), or by the pod's
// ScenarioAnnotation, or one container's ContainerScenarioAnnotation, in a
// small grammar ("crash:exit=1,times=2", "pull:err=429", "ready:after=5s",
// "crash:pod=1" for the second pod of a ReplicaSet; see Scenario). Init
// containers and sidecars are scripted like the others. A pod sandbox gets
// its own address in its node's pod range (10.244.16(n-1).0/20 on node n),
// reported in the sandbox status, where each container listens while it
// runs on the ports its probes use (HTTP, HTTPS, gRPC health, TCP) and the
// ports it declares, answering as its scenario says; exec probes are
// answered the same way. Containers write their log lines to files at the
// CRI log path in the CRI log format (a Python traceback for a crash),
// which kubelet's server reads for pods/log through the API server.
//
// Kubelet itself produces what real inputs cause: InvalidImageName for an
// image reference that does not parse, CreateContainerConfigError for a
// missing Secret or ConfigMap, Unschedulable from kube-scheduler for a pod
// that fits no node. The scenarios script only what a test process cannot
// have: images, processes and registries.
//
// # Stubs, and why
//
// Kubelet runs with these stand-ins, each for something a test process
// cannot or must not do on the machine:
//
//   - container runtime: the fake CRI runtime and image services (above):
//     running containers needs images, root filesystems and cgroups;
//   - container manager: cm.NewStubContainerManager, reporting the node's
//     disk (100Gi) as ephemeral-storage capacity: the real one creates and
//     enforces cgroups, which needs root and changes the machine;
//   - cadvisor: kubemark's fake, reporting the node's CPUs, memory and
//     disk: the real one reads the machine's cgroups and /proc, which
//     describe the test machine, not the node;
//   - mounter, host utilities, subpath: kubemark's fakes: mounts need root
//     and change the machine's mount table (volumes are plain directories);
//   - OS interface: kubemark's FakeOS: kubelet would write container log
//     symlinks into /var/log/containers on the machine;
//   - OOM score adjuster: fake: it would change the oom_score_adj of
//     processes on the machine.
//
// Not stubbed: the prober, the event recorder, the status manager, pod
// workers, PLEG, the image manager and its back-off, the secret and
// configmap managers, the node status and lease, kubelet's HTTP server, and
// the OOM watcher, which reads the kernel log (/dev/kmsg). Where this
// process may not read it (not root), the nodes run in a user namespace
// of their own with kubelet's KubeletInUserNamespace gate, which lets
// kubelet go on without it. The configuration is kubemark's, except:
// kubelet's default SyncFrequency (1m, not kubemark's 10s), parallel image
// pulls (so one test's slow pull does not hold up another's), a cluster DNS
// address (no MissingClusterDNS warnings), no static pods.
//
// # Nodes are processes, in network namespaces of their own
//
// Kubelet starts goroutines that nothing stops, and sets process-wide
// state (feature gates, metrics, klog). Each node therefore runs in a child
// process that re-executes the program's own binary: the package's init
// function (or RunNodeIfChild) turns it into the node, before the program's
// main or TestMain runs. Stop kills the nodes; should the parent die first,
// a node exits when its stdin closes. The goleak check of Main (see
// VerifyNoLeaks) thus covers everything in the test process: etcd,
// kube-apiserver, the controllers, kube-scheduler and the forwarders below,
// with nothing excluded but healthz's process-wide klog flush loop.
//
// Each node process starts in a network namespace of its own
// (CLONE_NEWNET; with CLONE_NEWUSER too where this process is not root),
// so that it can hold what kubelet and Kubernetes require and the
// machine's own namespace cannot give without privileges: kubelet refuses
// a loopback node address and checks that its address is on one of its
// interfaces, and EndpointSlices refuse loopback pod addresses. The node
// puts the machine's address (its InternalIP) and its pod range on its
// namespace's loopback interface. It reaches the front proxy through a
// unix socket, and kube-apiserver reaches its kubelet (each on a port of
// its own) through a listener of the control plane that forwards into the
// node's namespace. Tests cannot dial pod addresses; kubelet's prober can.
// This needs Linux, a network interface with an address other than
// loopback, and root or unprivileged user namespaces.
//
// # Tests
//
// In a test binary, Main (from TestMain) and Shared give all tests one
// cluster, and NewNamespace gives each test its own namespace:
//
//	func TestMain(m *testing.M) { os.Exit(testcluster.Main(m, testcluster.Options{})) }
//
//	func TestRollout(t *testing.T) {
//		t.Parallel()
//		c := testcluster.Shared(t)
//		ns := c.NewNamespace(t)
//		client := c.Client() // or kubernetes.NewForConfig(c.Config())
//		...
//	}
//
// Main runs up to 16 tests in parallel unless -test.parallel says
// otherwise: they mostly wait on kubelet's timers. WriteKubeconfig lets
// kubectl talk to the same cluster. The figures (start, build, per-test
// cost, and each scenario's timeline on kubelet's code) are in README.md.
//
// Not run: kube-proxy (Services get EndpointSlices but no traffic),
// cluster DNS, the service-account and token controllers (the
// ServiceAccount admission plugin is off, so pods mount no token).
//
// This package lives in its own Go module because k8s.io/kubernetes needs
// replace directives for its staging modules; the pydeploy library's go.mod
// never sees it.
package testcluster
