package probe

import (
	"net"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func listen(t *testing.T) (net.Listener, int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	return l, int32(l.Addr().(*net.TCPAddr).Port)
}

// closedPort returns a port on 127.0.0.1 that nothing listens on.
func closedPort(t *testing.T) int32 {
	t.Helper()
	l, port := listen(t)
	assert.NilError(t, l.Close())
	return port
}

func TestCheckTCP(t *testing.T) {
	t.Parallel()
	l, open := listen(t)
	t.Cleanup(func() { l.Close() })
	// Accept and close at once: kubelet still counts the probe healthy.
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closed := closedPort(t)
	tgt := Target{Host: "127.0.0.1", Ports: map[string]int32{"db": open}}

	tests := []struct {
		name string
		p    *corev1.Probe
		want Outcome
		msg  string
	}{
		{"open", TCP(intstr.FromInt32(open)).Probe(), Success, ""},
		{"named", TCP(intstr.FromString("db")).Probe(), Success, ""},
		{"closed", TCP(intstr.FromInt32(closed)).Probe(), Failure, "dial tcp 127.0.0.1:" + strconv.Itoa(int(closed)) + ": connect: connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Check(t.Context(), tc.p, tgt)
			assert.Equal(t, r.Outcome, tc.want)
			assert.Equal(t, r.Message, tc.msg)
		})
	}
}

// healthServer starts a gRPC server on 127.0.0.1 with the standard health
// service: "" and "app.Greeter" SERVING, "app.Batch" NOT_SERVING.
func healthServer(t *testing.T, opts ...grpc.ServerOption) int32 {
	t.Helper()
	l, port := listen(t)
	srv := grpc.NewServer(opts...)
	h := health.NewServer()
	h.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	h.SetServingStatus("app.Greeter", healthpb.HealthCheckResponse_SERVING)
	h.SetServingStatus("app.Batch", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(srv, h)
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	return port
}

func TestCheckGRPC(t *testing.T) {
	t.Parallel()
	port := healthServer(t)

	bare, barePort := listen(t) // a gRPC server without the health service
	bareSrv := grpc.NewServer()
	go bareSrv.Serve(bare)
	t.Cleanup(bareSrv.Stop)

	down := closedPort(t)
	tgt := Target{Host: "127.0.0.1"}
	tests := []struct {
		name string
		p    *corev1.Probe
		want Outcome
		msg  string
	}{
		{"server SERVING", GRPC(port).Probe(), Success, "service healthy"},
		{"service SERVING", GRPC(port).WithService("app.Greeter").Probe(), Success, "service healthy"},
		{"service NOT_SERVING", GRPC(port).WithService("app.Batch").Probe(), Failure, `service unhealthy (responded with "NOT_SERVING")`},
		{"unknown service", GRPC(port).WithService("app.Nope").Probe(), Failure, "error: health rpc probe failed: rpc error: code = NotFound desc = unknown service"},
		{"no health service", GRPC(barePort).Probe(), Failure,
			"error: this server does not implement the grpc health protocol (grpc.health.v1.Health): unknown service grpc.health.v1.Health"},
		{"server down", GRPC(down).Probe(), Failure,
			`timeout: failed to connect service "127.0.0.1:` + strconv.Itoa(int(down)) + `" within 1s: context deadline exceeded`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			r := Check(t.Context(), tc.p, tgt)
			assert.Equal(t, r.Outcome, tc.want, "%+v", r)
			assert.Equal(t, r.Message, tc.msg)
			assert.Assert(t, time.Since(start) < 5*time.Second)
		})
	}
}

func TestCheckGRPCTLS(t *testing.T) {
	t.Parallel()
	// Borrow httptest's self-signed certificate; kubelet does not verify it.
	donor := httptest.NewUnstartedServer(nil)
	donor.StartTLS()
	cert := donor.TLS.Certificates[0]
	donor.Close()
	port := healthServer(t, grpc.Creds(credentials.NewServerTLSFromCert(&cert)))

	p := GRPC(port).Probe()
	p.GRPC.Mode = new(corev1.GRPCProbeModeTLS)
	r := Check(t.Context(), p, Target{Host: "127.0.0.1"})
	assert.Equal(t, r.Outcome, Success, "%+v", r)

	p.GRPC.Mode = new(corev1.GRPCProbeModePlaintext)
	r = Check(t.Context(), p, Target{Host: "127.0.0.1"})
	assert.Equal(t, r.Outcome, Failure)
	assert.Assert(t, is.Contains(r.Message, "failed to connect service"))
}
