package testcluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// NodeOptions describe a node added with AddNode. The zero value is a node
// like those Start makes.
type NodeOptions struct {
	// CPUs is the node's CPU capacity, in cores. Zero means Options.NodeCPUs.
	CPUs int
	// Memory is the node's memory capacity, a quantity such as "8Gi".
	// Empty means Options.NodeMemory.
	Memory string
	// Labels are added to the node's labels.
	Labels map[string]string
}

// nodeReadyTimeout bounds the wait for a new node to report Ready.
const nodeReadyTimeout = 2 * time.Minute

// maxNodes is the most nodes a control plane has (the pod ranges of
// podPrefix run out after).
const maxNodes = 15

// nodeProc is a node: a child process, in a network namespace of its own,
// running kubelet and its container runtime.
type nodeProc struct {
	name    string
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	out     *logSink   // its own output, for errors
	kubelet *forwarder // the machine's address and the kubelet's port, to the node's kubelet
}

// startNode starts node number n (1-based) as a child process.
func (c *Cluster) startNode(n int, no NodeOptions) (*nodeProc, error) {
	cfg, err := c.nodeConfig(n, no)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("node %s: %w", cfg.Name, err)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("node %s: encode its configuration: %w", cfg.Name, err)
	}
	path := filepath.Join(cfg.Dir, "node.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("node %s: write its configuration: %w", cfg.Name, err)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("node %s: find this program's binary to run the node: %w", cfg.Name, err)
	}
	p := &nodeProc{name: cfg.Name, exited: make(chan struct{}), out: newLogSink(nil)}
	// kube-apiserver reaches kubelet at the node's address (the machine's)
	// and the kubelet's port: this process listens there and forwards into
	// the node's namespace.
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.IP, strconv.Itoa(cfg.KubeletPort)))
	if err != nil {
		return nil, fmt.Errorf("node %s: listen for its kubelet: %w", cfg.Name, err)
	}
	p.kubelet = forward(ln, func() (net.Conn, error) { return net.Dial("unix", cfg.KubeletSocket) })
	// The node runs until Stop kills it; should this process die first,
	// the node sees its stdin close and exits.
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), nodeEnv+"="+path, "TMPDIR="+cfg.Dir)
	if _, err := cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("node %s: %w", cfg.Name, err)
	}
	w := io.MultiWriter(&prefixWriter{prefix: "node " + cfg.Name + ": ", w: c.logs}, p.out)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	if cfg.UserNamespace {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	if err := cmd.Start(); err != nil {
		p.kubelet.close()
		return nil, fmt.Errorf("node %s: start %s in a new network namespace: %w", cfg.Name, exe, err)
	}
	p.cmd = cmd
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// nodeConfig is the configuration of node number n.
func (c *Cluster) nodeConfig(n int, no NodeOptions) (*nodeConfig, error) {
	if n > maxNodes {
		return nil, fmt.Errorf("add node %d: a control plane has at most %d nodes", n, maxNodes)
	}
	cpus, memory := no.CPUs, no.Memory
	if cpus == 0 {
		cpus = c.opts.NodeCPUs
	}
	if memory == "" {
		memory = c.opts.NodeMemory
	}
	if cpus < 0 {
		return nil, fmt.Errorf("node options: CPUs is %d: expected a positive number of cores", cpus)
	}
	mem, err := resource.ParseQuantity(memory)
	if err != nil || mem.Sign() <= 0 {
		return nil, fmt.Errorf("node options: Memory is %q: expected a positive quantity such as 8Gi", memory)
	}
	name := c.opts.NodeName + "-" + strconv.Itoa(n)
	labels := map[string]string{
		corev1.LabelTopologyZone: fmt.Sprintf("zone-%c", 'a'+(n-1)%3),
	}
	maps.Copy(labels, no.Labels)
	port, err := freePort(c.hostIP)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", name, err)
	}
	cfg := c.Config()
	dir := filepath.Join(c.dir, "n"+strconv.Itoa(n))
	return &nodeConfig{
		Name: name, IP: c.hostIP.String(), KubeletPort: port, PodPrefix: podPrefix(n).String(),
		CPUs: cpus, Memory: mem.Value(), MaxPods: c.opts.MaxPods, Labels: labels,
		Dir:    dir,
		Server: cfg.Host, CAData: cfg.CAData, Token: cfg.BearerToken,
		APISocket: c.apiSocket(), KubeletSocket: filepath.Join(dir, "kubelet.sock"),
		CertFile: filepath.Join(c.dir, "kubelet.crt"), KeyFile: filepath.Join(c.dir, "kubelet.key"),
		SlowPull: c.opts.SlowReadyDelay, Verbosity: c.opts.Verbosity,
		UserNamespace: os.Geteuid() != 0 || !canReadKmsg(),
	}, nil
}

// freePort is a TCP port free on ip a moment ago, for a kubelet: the
// nodes share the machine's address, so each kubelet has a port of its
// own. (The control plane then listens there itself, for the forwarder.)
func freePort(ip net.IP) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port for kubelet on %s: %w", ip, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, fmt.Errorf("find a free port for kubelet on %s: %w", ip, err)
	}
	return port, nil
}

// canReadKmsg reports whether this process may read the kernel log, which
// kubelet's OOM watcher reads. Where it may not, or where this process is
// not root (a network namespace needs CAP_SYS_ADMIN), nodes run in a user
// namespace of their own too, where kubelet (with KubeletInUserNamespace)
// tolerates an unreadable kernel log.
func canReadKmsg() bool {
	f, err := os.Open("/dev/kmsg")
	if err != nil {
		return false
	}
	_ = f.Close()
	return true
}

// waitReady waits until the node reports Ready and has no taint left (the
// node lifecycle controller lifts the not-ready taint kube-apiserver put
// on it), or its process ends.
func (c *Cluster) waitReady(ctx context.Context, p *nodeProc) error {
	ctx, cancel := context.WithTimeout(ctx, nodeReadyTimeout)
	defer cancel()
	err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		select {
		case <-p.exited:
			return false, fmt.Errorf("its process ended (%w)", p.waitErr)
		default:
		}
		node, err := c.client.CoreV1().Nodes().Get(ctx, p.name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		if len(node.Spec.Taints) > 0 {
			return false, nil
		}
		for _, cond := range node.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				return cond.Status == corev1.ConditionTrue, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("node %s did not become Ready: %w; its last output:\n%s", p.name, err, p.out.tail(100))
	}
	return nil
}

// stop kills the node's process and waits for it.
func (p *nodeProc) stop() {
	if p.cmd != nil {
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.kubelet.close()
}

// AnnounceScaleUp writes the event cluster-autoscaler writes on a pending
// pod it scales node group up for ("TriggeredScaleUp": "pod triggered
// scale-up: [{group from->to (max: 10)}]"), so a waiter can tell an
// Unschedulable pod that help is coming. AddNode then brings the node.
func (c *Cluster) AnnounceScaleUp(ctx context.Context, pod *corev1.Pod, group string, from, to int) error {
	now := metav1.Now()
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: pod.Name + ".", Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name,
			UID: pod.UID, ResourceVersion: pod.ResourceVersion},
		Reason: "TriggeredScaleUp", Type: corev1.EventTypeNormal,
		Message:        fmt.Sprintf("pod triggered scale-up: [{%s %d->%d (max: 10)}]", group, from, to),
		Source:         corev1.EventSource{Component: "cluster-autoscaler"},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
	if _, err := c.Client().CoreV1().Events(pod.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("write the TriggeredScaleUp event on pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return nil
}

// AddNode starts one more node, as a cluster autoscaler would, and returns
// its name once it is Ready.
func (c *Cluster) AddNode(ctx context.Context, no NodeOptions) (string, error) {
	c.nodesMu.Lock()
	if c.stopping {
		c.nodesMu.Unlock()
		return "", errors.New("add node: the cluster is stopped")
	}
	p, err := c.startNode(len(c.nodes)+1, no)
	if err != nil {
		c.nodesMu.Unlock()
		return "", err
	}
	c.nodes = append(c.nodes, p)
	c.nodesMu.Unlock()
	if err := c.waitReady(ctx, p); err != nil {
		return "", err
	}
	return p.name, nil
}

// prefixWriter writes each line to w with a prefix.
type prefixWriter struct {
	prefix  string
	w       io.Writer
	partial []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		line := append([]byte(p.prefix), p.partial[:i+1]...)
		_, _ = p.w.Write(line)
		p.partial = p.partial[i+1:]
	}
	return len(b), nil
}
