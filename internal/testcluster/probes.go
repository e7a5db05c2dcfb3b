package testcluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/klog/v2"
)

// portSpec is a port a container serves on its pod's address: one its
// probes use, or one it declares.
type portSpec struct {
	port      int32
	kind      string // "http", "https", "grpc" or "tcp"
	container string
}

// podPorts lists the ports of the pod's containers: those of HTTP and
// gRPC probes, then of TCP probes, then the declared ones (served as HTTP).
// A port used twice keeps its first kind.
func podPorts(pod *corev1.Pod) []portSpec {
	var out []portSpec
	seen := map[int32]bool{}
	add := func(c *corev1.Container, port int32, kind string) {
		if port > 0 && !seen[port] {
			seen[port] = true
			out = append(out, portSpec{port: port, kind: kind, container: c.Name})
		}
	}
	cs := allContainers(pod)
	for pass := range 3 {
		for i := range cs {
			c := &cs[i]
			if pass == 2 {
				for _, p := range c.Ports {
					if p.Protocol == "" || p.Protocol == corev1.ProtocolTCP {
						add(c, p.ContainerPort, "http")
					}
				}
				continue
			}
			for _, pr := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe, c.ReadinessProbe} {
				switch {
				case pr == nil:
				case pass == 0 && pr.HTTPGet != nil:
					kind := "http"
					if pr.HTTPGet.Scheme == corev1.URISchemeHTTPS {
						kind = "https"
					}
					add(c, resolvePort(c, pr.HTTPGet.Port), kind)
				case pass == 0 && pr.GRPC != nil:
					add(c, pr.GRPC.Port, "grpc")
				case pass == 1 && pr.TCPSocket != nil:
					add(c, resolvePort(c, pr.TCPSocket.Port), "tcp")
				}
			}
		}
	}
	return out
}

// resolvePort is a probe's port as a number, a named port looked up in
// the container's ports as kubelet does; 0 if it names none.
func resolvePort(c *corev1.Container, p intstr.IntOrString) int32 {
	if p.Type == intstr.Int {
		return p.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil {
		return int32(n)
	}
	return 0
}

// portServer serves one port of a running container.
type portServer struct {
	container string
	stop      func()
}

// startServersLocked opens the container's ports on the pod's address.
func (r *scriptedRuntime) startServersLocked(sb *sandbox, inst *instance) {
	for _, ps := range sb.ports {
		if ps.container != inst.container {
			continue
		}
		if old := sb.servers[ps.port]; old != nil {
			old.stop()
		}
		addr := net.JoinHostPort(sb.ip.String(), strconv.Itoa(int(ps.port)))
		stop, err := r.servePort(addr, ps.kind, inst)
		if err != nil {
			klog.ErrorS(err, "testcluster: probe listener", "pod", klog.KObj(sb.pod), "container", inst.container, "address", addr)
			continue
		}
		sb.servers[ps.port] = &portServer{container: inst.container, stop: stop}
	}
}

// stopServersLocked closes the container's ports: its probes now see
// "connection refused", as when its process is gone.
func (r *scriptedRuntime) stopServersLocked(sb *sandbox, container string) {
	for port, s := range sb.servers {
		if s.container == container {
			s.stop()
			delete(sb.servers, port)
		}
	}
}

// serveProbeTimeout bounds a probe request's reads.
const serveProbeTimeout = 10 * time.Second

func (r *scriptedRuntime) servePort(addr, kind string, inst *instance) (stop func(), err error) {
	if kind == "tcp" {
		return serveTCPGate(addr, inst), nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "grpc":
		srv := grpc.NewServer()
		healthpb.RegisterHealthServer(srv, healthServer{inst: inst})
		go func() { _ = srv.Serve(ln) }()
		return srv.Stop, nil
	case "https":
		ln = tls.NewListener(ln, r.cert.serverConfig())
	}
	srv := &http.Server{Handler: probeHandler(inst), ReadHeaderTimeout: serveProbeTimeout, ErrorLog: discardLog()}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, nil
}

// probeHandler answers every path: 200 when the container's scenario says
// its probes pass, else 503; each request is logged as the app's access
// log.
func probeHandler(inst *instance) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		code, body := http.StatusOK, "ok\n"
		if !inst.ready() {
			code, body = http.StatusServiceUnavailable, "service unavailable\n"
		}
		host, _, _ := net.SplitHostPort(req.RemoteAddr)
		writeLog(inst.logPath, stdout(fmt.Sprintf("%s - - %q %d %d \"-\" %q", host, req.Method+" "+req.URL.RequestURI()+" "+req.Proto, code, len(body), req.UserAgent())))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	})
}

// healthServer is the gRPC health service kubelet's gRPC probe calls.
type healthServer struct {
	healthpb.UnimplementedHealthServer
	inst *instance
}

// Check answers SERVING when the container's probes pass.
func (h healthServer) Check(context.Context, *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	st := healthpb.HealthCheckResponse_SERVING
	if !h.inst.ready() {
		st = healthpb.HealthCheckResponse_NOT_SERVING
	}
	return &healthpb.HealthCheckResponse{Status: st}, nil
}

// serveTCPGate listens on addr only while the container's probes pass: a
// TCP probe sees its connection accepted, or refused.
func serveTCPGate(addr string, inst *instance) func() {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		var ln net.Listener
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			switch ready := inst.ready(); {
			case ready && ln == nil:
				var err error
				if ln, err = net.Listen("tcp", addr); err == nil {
					go acceptAndClose(ln)
				}
			case !ready && ln != nil:
				_ = ln.Close()
				ln = nil
			}
			select {
			case <-ctx.Done():
				if ln != nil {
					_ = ln.Close()
				}
				return
			case <-tick.C:
			}
		}
	}()
	return cancel
}

func acceptAndClose(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_ = c.Close()
	}
}
