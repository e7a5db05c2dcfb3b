package testcluster

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// shared is the one control plane of a test binary (see Main and Shared).
var shared struct {
	mu      sync.Mutex
	inMain  bool
	opts    Options
	cluster *Cluster
	err     error
}

// Main runs the tests of m, to be called from TestMain; tests get one
// control plane, started on the first call of Shared and stopped after the
// last test. Unless the command line sets -test.parallel, it runs up to 16
// parallel tests at once: they mostly wait on kubelet's timers. When the tests passed it then checks, with VerifyNoLeaks, that
// no goroutine was left behind, and fails the run if one was. It returns
// the exit code for os.Exit.
//
//	func TestMain(m *testing.M) { os.Exit(testcluster.Main(m, testcluster.Options{})) }
func Main(m *testing.M, opts Options) int {
	RunNodeIfChild()
	raiseParallel()
	shared.mu.Lock()
	shared.inMain, shared.opts = true, opts
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cluster != nil {
		if err := shared.cluster.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testcluster: stop the shared control plane: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
		shared.cluster = nil
	}
	shared.inMain = false
	if code == 0 {
		if err := VerifyNoLeaks(); err != nil {
			fmt.Fprintf(os.Stderr, "testcluster: goroutines left after the control plane stopped: %v\n", err)
			code = 1
		}
	}
	return code
}

// testParallel is the -test.parallel Main uses unless given one: tests on
// the control plane mostly wait on kubelet's timers (probe periods,
// restart back-off), not on the CPU, so many may run at once.
const testParallel = 16

// raiseParallel sets -test.parallel to testParallel unless the command
// line set it.
func raiseParallel() {
	if !flag.Parsed() {
		flag.Parse()
	}
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if f := flag.Lookup("test.parallel"); f != nil && !set {
		_ = f.Value.Set(strconv.Itoa(testParallel))
	}
}

// Shared returns the test binary's control plane, starting it on first use.
// It fails t if TestMain does not use Main, or if the control plane does not
// start.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.inMain {
		t.Fatal("testcluster.Shared: TestMain must run the tests with testcluster.Main(m, opts), which stops the control plane after them")
	}
	if shared.cluster == nil && shared.err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared.cluster, shared.err = Start(ctx, shared.opts)
	}
	if shared.err != nil {
		t.Fatalf("testcluster: start the shared control plane: %v", shared.err)
	}
	return shared.cluster
}

var nsSeq atomic.Int64

var nsInvalid = regexp.MustCompile(`[^a-z0-9-]+`)

// NewNamespace creates a namespace for test t, named after the test, and
// deletes it when the test ends. If the test failed, the control plane's
// last log lines are added to the test log.
func (c *Cluster) NewNamespace(t testing.TB) string {
	t.Helper()
	base := strings.Trim(nsInvalid.ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	if len(base) > 48 {
		base = strings.TrimRight(base[:48], "-")
	}
	if base == "" {
		base = "test"
	}
	name := fmt.Sprintf("%s-%d", base, nsSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"testcluster.pydeploy.io/test": base}}}
	if _, err := c.Client().CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testcluster: last control plane log lines:\n%s", c.LogTail(100))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Client().CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Errorf("delete namespace %s: %v", name, err)
		}
	})
	return name
}
