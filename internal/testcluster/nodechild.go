package testcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"
	kubeletapp "k8s.io/kubernetes/cmd/kubelet/app"
	"k8s.io/kubernetes/cmd/kubelet/app/options"
	"k8s.io/kubernetes/pkg/features"
	kubeletserver "k8s.io/kubernetes/pkg/kubelet/server"
	"k8s.io/kubernetes/pkg/kubemark"
)

// nodeEnv names the environment variable that makes a process a node of a
// control plane: it holds the path of the node's nodeConfig.
const nodeEnv = "TESTCLUSTER_NODE_CONFIG"

// nodeConfig is what a node process needs to know; the control plane
// writes it as JSON before starting the process.
type nodeConfig struct {
	Name        string
	IP          string // the node's address (and its kubelet's): the machine's
	KubeletPort int    // the kubelet's own port on it
	PodPrefix   string // the pods' addresses
	CPUs        int
	Memory      int64
	MaxPods     int
	Labels      map[string]string
	Dir         string // the node's own directory, removed at Stop
	// Server, CAData and Token reach the API server through the front
	// proxy, which the node reaches through APISocket.
	Server    string
	CAData    []byte
	Token     string
	APISocket string
	// KubeletSocket is where the node forwards the control plane's
	// connections to its kubelet.
	KubeletSocket string
	// CertFile and KeyFile are the kubelet's serving certificate.
	CertFile, KeyFile string
	SlowPull          time.Duration
	Verbosity         int
	// UserNamespace: the process runs in a user namespace of its own, where
	// kubelet tolerates that /dev/kmsg cannot be read.
	UserNamespace bool
}

func init() { RunNodeIfChild() }

// RunNodeIfChild turns this process into a node of a control plane and
// never returns, if the control plane started it as one; otherwise it
// returns at once. The control plane runs each node (kubelet and its
// container runtime) in a child process that re-executes the program's own
// binary, so the package calls it from its init function: a program or test
// binary that imports testcluster needs nothing more. Calling it again, at
// the start of main or TestMain, is harmless.
func RunNodeIfChild() {
	path := os.Getenv(nodeEnv)
	if path == "" {
		return
	}
	if err := runNode(path); err != nil {
		fmt.Fprintf(os.Stderr, "testcluster node: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runNode runs kubelet and the scripted container runtime until the
// control plane closes the process's stdin (or dies).
func runNode(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read the node's configuration: %w", err)
	}
	var cfg nodeConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return fmt.Errorf("node configuration %s: %w", path, err)
	}
	klog.SetLoggerWithOptions(textlogger.NewLogger(textlogger.NewConfig(
		textlogger.Output(os.Stderr), textlogger.Verbosity(cfg.Verbosity))), klog.ContextualLogger(true))
	stopped := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stopped)
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := startNode(ctx, &cfg); err != nil {
		return fmt.Errorf("node %s: %w", cfg.Name, err)
	}
	<-stopped
	return nil
}

func startNode(ctx context.Context, cfg *nodeConfig) error {
	nodeIP, err := netip.ParseAddr(cfg.IP)
	if err != nil {
		return fmt.Errorf("node address %q: %w", cfg.IP, err)
	}
	pods, err := netip.ParsePrefix(cfg.PodPrefix)
	if err != nil {
		return fmt.Errorf("pod addresses %q: %w", cfg.PodPrefix, err)
	}
	if err := setupNodeNetwork(nodeIP, pods); err != nil {
		return err
	}
	ln, err := net.Listen("unix", cfg.KubeletSocket)
	if err != nil {
		return fmt.Errorf("listen for the control plane's connections to kubelet: %w", err)
	}
	kubeletAddr := net.JoinHostPort(cfg.IP, strconv.Itoa(cfg.KubeletPort))
	forward(ln, func() (net.Conn, error) { return net.Dial("tcp", kubeletAddr) })

	restCfg := &rest.Config{
		Host: cfg.Server, BearerToken: cfg.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: cfg.CAData},
		QPS:             200, Burst: 400, UserAgent: componentUserAgent + "kubelet " + cfg.Name,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", cfg.APISocket)
		},
	}
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	hb := rest.CopyConfig(restCfg)
	hb.Timeout, hb.QPS = 10*time.Second, -1
	heartbeat, err := kubernetes.NewForConfig(hb)
	if err != nil {
		return fmt.Errorf("heartbeat client: %w", err)
	}

	// The runtime reads each pod's spec (probes, ports, annotations) from
	// an informer of the node's own pods.
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = "spec.nodeName=" + cfg.Name
	}))
	podInformer := factory.Core().V1().Pods()
	synced := podInformer.Informer().HasSynced // registers it before Start
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), synced) {
		return fmt.Errorf("pod informer did not sync")
	}

	rt, err := newScriptedRuntime(cfg, pods, client, podInformer.Lister())
	if err != nil {
		return err
	}
	endpoint := "unix://" + filepath.Join(cfg.Dir, "cri.sock")
	runtimeService, imageService, err := rt.serve(ctx, endpoint)
	if err != nil {
		return err
	}

	flags, kc := kubemark.GetHollowKubeletConfig(&kubemark.HollowKubeletOptions{
		NodeName: cfg.Name, KubeletPort: cfg.KubeletPort, MaxPods: cfg.MaxPods, NodeLabels: cfg.Labels,
	})
	// GetHollowKubeletConfig made its directories under /tmp; use the
	// node's own, which the control plane removes.
	_ = os.RemoveAll(flags.RootDirectory)
	configureKubelet(cfg, flags, kc)
	if cfg.UserNamespace {
		if err := utilfeature.DefaultMutableFeatureGate.SetFromMap(map[string]bool{string(features.KubeletInUserNamespace): true}); err != nil {
			return fmt.Errorf("feature gate %s: %w", features.KubeletInUserNamespace, err)
		}
	}

	hk := kubemark.NewHollowKubelet(flags, kc, client, heartbeat, newMachine(cfg), imageService, runtimeService, newContainerManager())
	deps := hk.KubeletDeps
	// kubemark's hollow node fakes the prober and the event recorder; this
	// node runs kubelet's own: nil makes kubelet build them.
	deps.ProbeManager = nil
	deps.Recorder = nil
	deps.EventClient = client.CoreV1()
	deps.TLSOptions = &kubeletserver.TLSOptions{CertFile: cfg.CertFile, KeyFile: cfg.KeyFile}
	if err := kubeletapp.RunKubelet(ctx, &options.KubeletServer{KubeletFlags: *flags, KubeletConfiguration: *kc}, deps); err != nil {
		return fmt.Errorf("run kubelet: %w", err)
	}
	return nil
}
