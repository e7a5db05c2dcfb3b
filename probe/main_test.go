package probe

import (
	"net"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

// TestMain proves that probes leave no goroutines behind: no lingering
// transports, gRPC channels or exec waiters.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// target returns a Target for srv and the port it listens on.
func target(t *testing.T, srv *httptest.Server) (Target, int32) {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatalf("parse server URL %q: %v", srv.URL, err)
	}
	host, portStr, err := net.SplitHostPort(u.Host)
	if err != nil {
		t.Fatalf("split %q: %v", u.Host, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		t.Fatalf("port %q: %v", portStr, err)
	}
	return Target{Host: host, Ports: map[string]int32{"http": int32(port)}}, int32(port)
}
