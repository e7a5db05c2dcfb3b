package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
)

// checkGRPC mirrors kubelet's gRPC prober: a blocking connect and one
// grpc.health.v1.Health/Check call, both within timeoutSeconds, with
// kubelet's messages. gRPC probes always go to the pod IP (Target.Host).
func checkGRPC(ctx context.Context, action *corev1.GRPCAction, t Target, timeout time.Duration) Result {
	host, err := t.host("")
	if err != nil {
		return Result{Outcome: Unknown, Err: err}
	}
	service := derefString(action.Service)
	creds := insecure.NewCredentials()
	if action.Mode != nil && *action.Mode == corev1.GRPCProbeModeTLS {
		creds = credentials.NewTLS(&tls.Config{InsecureSkipVerify: true}) //nolint:gosec // kubelet does not verify probe certificates.
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	addr := net.JoinHostPort(host, strconv.Itoa(int(action.Port)))
	conn, err := dialBlocking(ctx, addr,
		grpc.WithUserAgent(UserAgent),
		grpc.WithTransportCredentials(creds),
	)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return Result{Outcome: Failure, Message: fmt.Sprintf("timeout: failed to connect service %q within %v: %+v", addr, timeout, err)}
		}
		return Result{Outcome: Failure, Message: fmt.Sprintf("error: failed to connect service at %q: %+v", addr, err)}
	}
	defer func() { _ = conn.Close() }()

	resp, err := healthpb.NewHealthClient(conn).Check(metadata.NewOutgoingContext(ctx, make(metadata.MD)), &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		if st, ok := status.FromError(err); ok {
			switch st.Code() {
			case codes.Unimplemented:
				return Result{Outcome: Failure, Message: fmt.Sprintf("error: this server does not implement the grpc health protocol (grpc.health.v1.Health): %s", st.Message())}
			case codes.DeadlineExceeded:
				return Result{Outcome: Failure, Message: fmt.Sprintf("timeout: health rpc did not complete within %v", timeout)}
			}
		}
		return Result{Outcome: Failure, Message: fmt.Sprintf("error: health rpc probe failed: %+v", err)}
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return Result{Outcome: Failure, Message: fmt.Sprintf("service unhealthy (responded with %q)", resp.GetStatus().String())}
	}
	return Result{Outcome: Success, Message: "service healthy"}
}

// dialBlocking does what kubelet's grpc.DialContext(..., grpc.WithBlock())
// does, without the deprecated API: connect with the passthrough resolver
// and wait until the channel is ready or ctx ends, returning ctx.Err() then.
func dialBlocking(ctx context.Context, addr string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	cc, err := grpc.NewClient("passthrough:///"+addr, opts...)
	if err != nil {
		return nil, err
	}
	for {
		s := cc.GetState()
		if s == connectivity.Idle {
			cc.Connect()
		}
		if s == connectivity.Ready {
			return cc, nil
		}
		if !cc.WaitForStateChange(ctx, s) {
			_ = cc.Close()
			return nil, ctx.Err()
		}
	}
}
