package testcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/apimachinery/pkg/api/resource"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"
)

// Options configure a control plane. The zero value is ready to use.
type Options struct {
	// Nodes is how many nodes run kubelet. Zero means 3.
	Nodes int
	// NodeCPUs is each node's CPU capacity, in cores. Zero means 4.
	NodeCPUs int
	// NodeMemory is each node's memory capacity, a quantity such as "8Gi".
	// Empty means "8Gi".
	NodeMemory string
	// MaxPods is how many pods each node's kubelet admits. Zero means 250.
	MaxPods int
	// SlowReadyDelay is how long the image pull of the Slow scenario
	// takes. Zero means 3s.
	SlowReadyDelay time.Duration
	// NodeName prefixes the nodes' names: NodeName-1, NodeName-2, ….
	// Empty means "testcluster-node".
	NodeName string
	// LogOutput receives the control plane's logs (klog, etcd, and the
	// nodes' kubelets). Nil keeps only the last lines, in memory, for
	// LogTail.
	LogOutput io.Writer
	// Verbosity is the klog verbosity of those logs (default 0). klog is
	// process-wide: the first Start of the process sets it.
	Verbosity int
}

func (o Options) withDefaults() (Options, error) {
	for _, d := range []struct {
		name string
		v    *int
		def  int
	}{{"Nodes", &o.Nodes, 3}, {"NodeCPUs", &o.NodeCPUs, 4}, {"MaxPods", &o.MaxPods, 250}} {
		if *d.v < 0 {
			return o, fmt.Errorf("testcluster options: %s is %d: expected a positive number, or zero for the default %d", d.name, *d.v, d.def)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if o.Nodes > maxNodes {
		return o, fmt.Errorf("testcluster options: Nodes is %d: expected at most %d", o.Nodes, maxNodes)
	}
	if o.NodeMemory == "" {
		o.NodeMemory = "8Gi"
	}
	if q, err := resource.ParseQuantity(o.NodeMemory); err != nil || q.Sign() <= 0 {
		return o, fmt.Errorf("testcluster options: NodeMemory is %q: expected a positive quantity such as 8Gi", o.NodeMemory)
	}
	switch {
	case o.SlowReadyDelay < 0:
		return o, fmt.Errorf("testcluster options: SlowReadyDelay is %s: expected a positive duration, or zero for the default 3s", o.SlowReadyDelay)
	case o.SlowReadyDelay == 0:
		o.SlowReadyDelay = 3 * time.Second
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
	// ControllersSynced is when the controllers' and kube-scheduler's
	// informers had synced.
	ControllersSynced time.Duration
	// NodesReady is when every node reported Ready and Start returned.
	NodesReady time.Duration
}

// Cluster is a running control plane and its nodes. Its methods are safe
// for concurrent use.
type Cluster struct {
	opts    Options
	dir     string
	logs    *logSink
	token   string
	timings Timings
	hostIP  net.IP     // every node's address
	apiFwd  *forwarder // the nodes' way to the front proxy

	etcd     *embed.Etcd
	storage  *storagebackend.Config
	flags    []string
	ctrl     *controllers
	sched    *kubeScheduler
	proxy    *frontProxy
	client   kubernetes.Interface
	stopOnce sync.Once
	stopErr  error

	nodesMu  sync.Mutex
	nodes    []*nodeProc
	stopping bool

	mu  sync.Mutex // guards api; held while the API server restarts
	api *apiServer
}

// Start runs a control plane: etcd, kube-apiserver, kube-scheduler and the
// controllers in this process, and each node (kubelet and its scripted
// container runtime) in a child process, all on loopback addresses. It
// returns once every node is Ready. Call Stop when done. ctx bounds the
// start only.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	t0 := time.Now()
	if os.Getenv(nodeEnv) != "" {
		return nil, errors.New("testcluster: this process was started as a node of another control plane and may not start one; " +
			"testcluster's init function (or RunNodeIfChild) should have run the node")
	}
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
	if c.hostIP, err = utilnet.ChooseHostInterface(); err != nil {
		return nil, fmt.Errorf("testcluster: the nodes need this machine's address on a network interface other than loopback (kubelet refuses a loopback node address): %w", err)
	}
	if c.dir, err = os.MkdirTemp("", "testcluster-"); err != nil {
		return nil, fmt.Errorf("create the control plane's temp dir: %w", err)
	}

	var etcdURL string
	if c.etcd, etcdURL, err = startEtcd(ctx, c.dir, c.logs); err != nil {
		return nil, err
	}
	c.timings.EtcdReady = time.Since(t0)

	if err := c.writeKubeletCert(); err != nil {
		return nil, err
	}
	c.storage = storagebackend.NewDefaultConfig("/registry", nil)
	c.storage.Transport.ServerList = []string{etcdURL}
	c.flags = []string{
		// RBAC decides, as on a real cluster: the cluster's own clients are
		// cluster admins (system:masters), and a test that impersonates a
		// user (rest.Config.Impersonate) gets what its Roles grant.
		"--authorization-mode=RBAC",
		// No service-account controller runs to create tokens.
		"--disable-admission-plugins=ServiceAccount",
		// pods/log and the like go to each node's kubelet on its address.
		"--kubelet-preferred-address-types=InternalIP",
		"--kubelet-certificate-authority=" + filepath.Join(c.dir, "kubelet.crt"),
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
	ln, err := net.Listen("unix", c.apiSocket())
	if err != nil {
		return nil, fmt.Errorf("listen for the nodes' connections to kube-apiserver: %w", err)
	}
	c.apiFwd = forward(ln, func() (net.Conn, error) { return net.Dial("tcp", c.proxy.addr) })
	if c.ctrl, err = startControllers(ctx, c.componentConfig("kube-controller-manager")); err != nil {
		return nil, err
	}
	if c.sched, err = startScheduler(ctx, c.componentConfig("kube-scheduler")); err != nil {
		return nil, err
	}
	c.timings.ControllersSynced = time.Since(t0)
	if err := c.startNodes(ctx); err != nil {
		return nil, err
	}
	c.timings.NodesReady = time.Since(t0)
	return c, nil
}

// apiSocket is where the nodes, each in a network namespace of its own,
// reach the front proxy.
func (c *Cluster) apiSocket() string { return filepath.Join(c.dir, "api.sock") }

// writeKubeletCert writes the kubelets' serving certificate, valid for
// the nodes' address; kube-apiserver trusts it.
func (c *Cluster) writeKubeletCert() error {
	cert, err := newSelfSigned("testcluster-kubelet", []net.IP{c.hostIP})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.dir, "kubelet.crt"), cert.certPEM, 0o600); err != nil {
		return fmt.Errorf("write the kubelets' certificate: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, "kubelet.key"), cert.keyPEM, 0o600); err != nil {
		return fmt.Errorf("write the kubelets' key: %w", err)
	}
	return nil
}

// startNodes starts Options.Nodes nodes at once and waits until all are
// Ready.
func (c *Cluster) startNodes(ctx context.Context) error {
	c.nodesMu.Lock()
	for n := 1; n <= c.opts.Nodes; n++ {
		p, err := c.startNode(n, NodeOptions{})
		if err != nil {
			c.nodesMu.Unlock()
			return err
		}
		c.nodes = append(c.nodes, p)
	}
	nodes := slices.Clone(c.nodes)
	c.nodesMu.Unlock()
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, p := range nodes {
		wg.Go(func() { errs[i] = c.waitReady(ctx, p) })
	}
	wg.Wait()
	return errors.Join(errs...)
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

// componentConfig is Config for one of the cluster's own components.
func (c *Cluster) componentConfig(name string) *rest.Config {
	cfg := c.Config()
	cfg.UserAgent = componentUserAgent + name
	return cfg
}

// Client returns a clientset for Config.
func (c *Cluster) Client() kubernetes.Interface { return c.client }

// NodeName is the name of the first node.
func (c *Cluster) NodeName() string { return c.opts.NodeName + "-1" }

// NodeNames lists the names of the cluster's nodes, in the order they
// were started.
func (c *Cluster) NodeNames() []string {
	c.nodesMu.Lock()
	defer c.nodesMu.Unlock()
	names := make([]string, len(c.nodes))
	for i, p := range c.nodes {
		names[i] = p.name
	}
	return names
}

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
// past every resourceVersion clients hold, and every client had lost its
// connection: a watch from any resourceVersion seen so far answers with an
// ERROR event carrying a 410 Expired "too old resource version" Status, as
// the API server's watch cache does, so client-go informers relist; and
// the open watches of every client but the cluster's own components are
// cut (theirs stay open, as a compaction leaves open watches: cutting them
// too would make kube-scheduler and the kubelets back off for half a
// minute). It returns how many open watches it cut.
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
		c.nodesMu.Lock()
		c.stopping = true
		nodes := c.nodes
		c.nodesMu.Unlock()
		for _, p := range nodes {
			p.stop()
		}
		if c.apiFwd != nil {
			c.apiFwd.close()
		}
		if c.sched != nil {
			c.sched.stop()
		}
		if c.ctrl != nil {
			c.ctrl.stop()
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
