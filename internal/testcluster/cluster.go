package testcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/server/v3/embed"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"
)

// Options configure a control plane. The zero value is ready to use.
type Options struct {
	// ReadyDelay is how long after binding a pod in the default scenario
	// becomes Ready; its containers start half way. Zero means 200ms.
	ReadyDelay time.Duration
	// SlowReadyDelay is ReadyDelay for the Slow scenario. Zero means 3s.
	SlowReadyDelay time.Duration
	// CrashLoopInterval is the pace of every failure loop: how long a
	// crash-looping container runs and then backs off, how often an image
	// pull is retried and a readiness probe fails. Zero means 500ms.
	CrashLoopInterval time.Duration
	// NodeName names the one fake node. Empty means "testcluster-node".
	NodeName string
	// LogOutput receives the control plane's logs (klog and etcd). Nil
	// keeps only the last lines, in memory, for LogTail.
	LogOutput io.Writer
	// Verbosity is the klog verbosity of those logs (default 0). klog is
	// process-wide: the first Start of the process sets it.
	Verbosity int
}

func (o Options) withDefaults() (Options, error) {
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"ReadyDelay", &o.ReadyDelay, 200 * time.Millisecond},
		{"SlowReadyDelay", &o.SlowReadyDelay, 3 * time.Second},
		{"CrashLoopInterval", &o.CrashLoopInterval, 500 * time.Millisecond},
	} {
		if *d.v < 0 {
			return o, fmt.Errorf("testcluster options: %s is %s: expected a positive duration, or zero for the default %s", d.name, *d.v, d.def)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.NodeName == "" {
		o.NodeName = "testcluster-node"
	}
	if o.Verbosity < 0 {
		return o, fmt.Errorf("testcluster options: Verbosity is %d: expected 0 or more", o.Verbosity)
	}
	return o, nil
}

// Timings says how long the parts of Start took, each measured from the
// call of Start.
type Timings struct {
	// EtcdReady is when embedded etcd served.
	EtcdReady time.Duration
	// APIServerHealthy is when kube-apiserver answered /healthz with ok.
	APIServerHealthy time.Duration
	// ControllersSynced is when the controllers' informers had synced, the
	// fake node existed and Start returned.
	ControllersSynced time.Duration
}

// hostIP is the fake node's (and its kubelet's) address.
const hostIP = "127.0.0.1"

// Cluster is a running control plane. Its methods are safe for concurrent
// use.
type Cluster struct {
	opts    Options
	dir     string
	logs    *logSink
	token   string
	timings Timings

	etcd     *embed.Etcd
	storage  *storagebackend.Config
	flags    []string
	ctrl     *controllers
	kubelet  *kubeletServer
	proxy    *frontProxy
	client   kubernetes.Interface
	stopOnce sync.Once
	stopErr  error

	mu  sync.Mutex // guards api; held while the API server restarts
	api *apiServer
}

// Start runs a control plane: etcd, kube-apiserver, the controllers, the
// pod driver and the fake kubelet, all in this process and on 127.0.0.1.
// Call Stop when done. ctx bounds the start only.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	t0 := time.Now()
	opts, err = opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, logs: newLogSink(opts.LogOutput)}
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Stop())
		}
	}()
	c.redirectKlog()
	if c.dir, err = os.MkdirTemp("", "testcluster-"); err != nil {
		return nil, fmt.Errorf("create the control plane's temp dir: %w", err)
	}

	var etcdURL string
	if c.etcd, etcdURL, err = startEtcd(ctx, c.dir, c.logs); err != nil {
		return nil, err
	}
	c.timings.EtcdReady = time.Since(t0)

	kubeletCert, err := newSelfSigned("testcluster-kubelet")
	if err != nil {
		return nil, err
	}
	kubeletCA := filepath.Join(c.dir, "kubelet-ca.crt")
	if err := os.WriteFile(kubeletCA, kubeletCert.certPEM, 0o600); err != nil {
		return nil, fmt.Errorf("write the fake kubelet's CA: %w", err)
	}
	c.storage = storagebackend.NewDefaultConfig("/registry", nil)
	c.storage.Transport.ServerList = []string{etcdURL}
	c.flags = []string{
		// No service-account controller runs to create tokens.
		"--disable-admission-plugins=ServiceAccount",
		// Logs come from the fake kubelet on the node's InternalIP.
		"--kubelet-preferred-address-types=InternalIP",
		"--kubelet-certificate-authority=" + kubeletCA,
	}
	if c.api, err = startAPIServer(c.storage, c.flags, c.logs); err != nil {
		return nil, err
	}
	c.timings.APIServerHealthy = time.Since(t0)

	be, err := newBackend(c.api.ts.ClientConfig)
	if err != nil {
		return nil, err
	}
	if c.token, err = randomToken(); err != nil {
		return nil, err
	}
	if c.proxy, err = startProxy(be, c.token); err != nil {
		be.close()
		return nil, err
	}
	if c.client, err = kubernetes.NewForConfig(c.Config()); err != nil {
		return nil, fmt.Errorf("client for the control plane: %w", err)
	}
	tm := timing{ready: opts.ReadyDelay, slow: opts.SlowReadyDelay, cadence: opts.CrashLoopInterval}
	if c.ctrl, err = startControllers(ctx, c.Config(), opts.NodeName, hostIP, tm); err != nil {
		return nil, err
	}
	if c.kubelet, err = startKubelet(kubeletCert, c.ctrl.factory.Core().V1().Pods().Lister()); err != nil {
		return nil, err
	}
	if err := c.createNode(ctx); err != nil {
		return nil, err
	}
	c.timings.ControllersSynced = time.Since(t0)
	return c, nil
}

// klogRouter receives all klog output of the process once the first
// cluster starts, and passes it to the log sink of the latest running
// cluster, or to stderr when none runs. klog's logger is process-wide and
// may not be replaced while goroutines log, so it is installed only once.
var klogRouter struct {
	install  sync.Once
	mu       sync.Mutex
	clusters []*Cluster // running, latest last
}

type klogWriter struct{}

func (klogWriter) Write(p []byte) (int, error) {
	klogRouter.mu.Lock()
	var sink io.Writer = os.Stderr
	if n := len(klogRouter.clusters); n > 0 {
		sink = klogRouter.clusters[n-1].logs
	}
	klogRouter.mu.Unlock()
	return sink.Write(p)
}

// redirectKlog sends klog (used by every Kubernetes component) to the
// cluster's log sink instead of stderr, until Stop. The first cluster of
// the process sets klog's verbosity.
func (c *Cluster) redirectKlog() {
	klogRouter.mu.Lock()
	klogRouter.clusters = append(klogRouter.clusters, c)
	klogRouter.mu.Unlock()
	klogRouter.install.Do(func() {
		klog.SetLoggerWithOptions(textlogger.NewLogger(textlogger.NewConfig(
			textlogger.Output(klogWriter{}), textlogger.Verbosity(c.opts.Verbosity))), klog.ContextualLogger(true))
	})
}

// restoreKlog undoes redirectKlog.
func (c *Cluster) restoreKlog() {
	klogRouter.mu.Lock()
	defer klogRouter.mu.Unlock()
	klogRouter.clusters = slices.DeleteFunc(klogRouter.clusters, func(o *Cluster) bool { return o == c })
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate the client token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// createNode registers the fake node, Ready, with the fake kubelet's
// endpoint, as a kubelet does when it starts.
func (c *Cluster) createNode(ctx context.Context) error {
	name := c.opts.NodeName
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
	}}}
	created, err := c.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		created, err = c.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("register node %s: %w", name, err)
	}
	now := metav1.NewTime(time.Now())
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("8"),
		corev1.ResourceMemory: resource.MustParse("32Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
	created.Status = corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available", LastHeartbeatTime: now, LastTransitionTime: now},
			{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now},
		},
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: hostIP}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(c.kubelet.port())}},
		NodeInfo: corev1.NodeSystemInfo{
			KubeletVersion: "v1.37.2", ContainerRuntimeVersion: "containerd://2.1.0",
			OperatingSystem: "linux", Architecture: "amd64", OSImage: "testcluster",
		},
	}
	if _, err := c.client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("set the status of node %s: %w", name, err)
	}
	return nil
}

// Config returns a new client configuration for the cluster, as a cluster
// admin. It stays valid across RestartAPIServer: it points at a fixed
// 127.0.0.1 address in front of the API server.
func (c *Cluster) Config() *rest.Config {
	return &rest.Config{
		Host:            "https://" + c.proxy.addr,
		BearerToken:     c.token,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.proxy.cert.certPEM},
		QPS:             1000,
		Burst:           10000,
	}
}

// Client returns a clientset for Config.
func (c *Cluster) Client() kubernetes.Interface { return c.client }

// NodeName is the name of the fake node pods are bound to.
func (c *Cluster) NodeName() string { return c.opts.NodeName }

// Timings reports how long Start took to reach each stage.
func (c *Cluster) Timings() Timings { return c.timings }

// LogTail returns the last n lines the control plane logged (all lines
// kept, up to 2000, if n <= 0).
func (c *Cluster) LogTail(n int) string { return c.logs.tail(n) }

// RestartAPIServer stops kube-apiserver and starts a new one against the
// same etcd. While it restarts, connections to the cluster's address are
// refused and open requests and watches are cut, as with a real restart;
// afterwards the same address, CA and token work again, so clients made
// from Config before the restart keep working.
func (c *Cluster) RestartAPIServer(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.api == nil {
		return errors.New("restart kube-apiserver: the cluster is stopped")
	}
	if old := c.proxy.pause(); old != nil {
		old.close()
	}
	stopErr := c.api.stop()
	c.api = nil
	api, err := startAPIServer(c.storage, c.flags, c.logs)
	if err != nil {
		return errors.Join(stopErr, err)
	}
	c.api = api
	be, err := newBackend(api.ts.ClientConfig)
	if err != nil {
		return err
	}
	if err := c.proxy.resume(ctx, be); err != nil {
		be.close()
		return err
	}
	return nil
}

// ExpireWatches makes the cluster behave as if etcd had just been compacted
// past every resourceVersion clients hold: open watches are cut, and a
// watch from any resourceVersion seen so far answers with an ERROR event
// carrying a 410 Expired "too old resource version" Status, as the API
// server's watch cache does, so client-go informers relist. It returns how
// many open watches it cut.
func (c *Cluster) ExpireWatches(ctx context.Context) (int, error) {
	// A write moves etcd's revision past everything handed out so far, so
	// that a relist returns a resourceVersion that is not expired.
	resp, err := c.etcd.Server.Put(ctx, &etcdserverpb.PutRequest{Key: []byte("/testcluster/expire-watches"), Value: []byte(time.Now().UTC().Format(time.RFC3339Nano))})
	if err != nil {
		return 0, fmt.Errorf("expire watches: write to etcd: %w", err)
	}
	return c.proxy.expire(uint64(resp.Header.Revision - 1)), nil
}

// Stop shuts everything down and removes the temp dir. It leaves no
// goroutines, listeners or files behind, and is safe to call more than once.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		if c.ctrl != nil {
			c.ctrl.stop()
		}
		if c.kubelet != nil {
			c.kubelet.stop()
		}
		c.mu.Lock()
		if c.proxy != nil {
			if be := c.proxy.pause(); be != nil {
				be.close()
			}
		}
		if c.api != nil {
			errs = append(errs, c.api.stop())
			c.api = nil
		}
		c.mu.Unlock()
		if c.etcd != nil {
			c.etcd.Close()
			<-c.etcd.Server.StopNotify()
		}
		if c.dir != "" {
			if err := os.RemoveAll(c.dir); err != nil {
				errs = append(errs, fmt.Errorf("remove %s: %w", c.dir, err))
			}
		}
		c.restoreKlog()
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}
