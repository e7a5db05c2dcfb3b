package probe

import (
	"context"
	"net"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// checkTCP mirrors kubelet's DoTCPProbe: success when the connection is
// accepted (an immediate close by the server still counts), the dial error
// as the message otherwise.
func checkTCP(ctx context.Context, action *corev1.TCPSocketAction, t Target, timeout time.Duration) Result {
	host, err := t.host(action.Host)
	if err != nil {
		return Result{Outcome: Unknown, Err: err}
	}
	port, err := t.resolvePort(action.Port)
	if err != nil {
		return Result{Outcome: Unknown, Err: err}
	}
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return Result{Outcome: Failure, Message: err.Error()}
	}
	// kubelet only logs a failed close; the connection was accepted.
	_ = conn.Close()
	return Result{Outcome: Success}
}
