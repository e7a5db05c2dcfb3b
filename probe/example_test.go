package probe_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/pydeploy/pydeploy/probe"
)

// localTarget points a Target at an httptest server and names its port
// "http", as a container port would be.
func localTarget(srv *httptest.Server) probe.Target {
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	n, _ := strconv.Atoi(port)
	return probe.Target{Host: host, Ports: map[string]int32{"http": int32(n)}}
}

// instantClock is a probe.Clock on which sleeping takes no time.
type instantClock struct{ now time.Time }

func (c *instantClock) Now() time.Time { return c.now }
func (c *instantClock) Sleep(ctx context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return context.Cause(ctx)
}

func ExampleHTTPGet() {
	p := probe.HTTPGet("/readyz", intstr.FromString("http")).
		WithHostHeader("shop.example.com").
		WithPeriod(5 * time.Second).
		WithTimeout(2 * time.Second).
		Probe()
	out, _ := yaml.Marshal(p)
	fmt.Print(string(out))
	// Output:
	// failureThreshold: 3
	// httpGet:
	//   httpHeaders:
	//   - name: Host
	//     value: shop.example.com
	//   path: /readyz
	//   port: http
	//   scheme: HTTP
	// periodSeconds: 5
	// successThreshold: 1
	// timeoutSeconds: 2
}

func ExampleStartup() {
	// A Django app that can take two minutes to run its checks and warm up.
	p := probe.Startup(probe.HTTPGet("/livez", intstr.FromInt32(8000)).WithPeriod(5*time.Second), 2*time.Minute)
	fmt.Printf("every %ds, up to %d times\n", p.PeriodSeconds, p.FailureThreshold)
	// Output:
	// every 5s, up to 24 times
}

func ExamplePython() {
	set, err := probe.Python(intstr.FromString("http"), probe.PythonOptions{
		ReadinessPath: "/readyz",
		LivenessPath:  "/livez",
		BootTime:      90 * time.Second,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range []struct {
		kind probe.Kind
		n    int32
	}{{probe.KindReadiness, set.Readiness.FailureThreshold}, {probe.KindLiveness, set.Liveness.FailureThreshold}, {probe.KindStartup, set.Startup.FailureThreshold}} {
		fmt.Println(p.kind, "failureThreshold", p.n)
	}
	_, err = probe.Python(intstr.FromString("http"), probe.PythonOptions{ReadinessPath: "/health", LivenessPath: "/health"})
	fmt.Println(err)
	// Output:
	// readinessProbe failureThreshold 3
	// livenessProbe failureThreshold 6
	// startupProbe failureThreshold 18
	// probe.livenessPath: Invalid value: "/health": must differ from readinessPath: identical liveness and readiness probes restart pods that are only busy (kube-score pod-probes-identical)
}

func ExampleValidate() {
	p := probe.HTTPGet("/livez", intstr.FromInt32(8000)).WithSuccessThreshold(2).Probe()
	fld := field.NewPath("spec", "containers").Index(0).Child("livenessProbe")
	for _, err := range probe.Validate(p, probe.KindLiveness, fld) {
		fmt.Println(err)
	}
	// Output:
	// spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1
}

func ExampleCheck() {
	// A service whose database is still down.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
	}))
	defer srv.Close()

	r := probe.Check(context.Background(), probe.HTTPGet("/readyz", intstr.FromString("http")).Probe(), localTarget(srv))
	fmt.Println(r.Outcome, r.StatusCode)
	fmt.Println(r.Event(probe.KindReadiness))
	fmt.Print(r.Body)
	// Output:
	// failure 503
	// Readiness probe failed: HTTP probe failed with statuscode: 503
	// database unavailable
}

func ExampleUntil() {
	// A service that becomes ready on its third probe.
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()

	p := probe.HTTPGet("/readyz", intstr.FromString("http")).WithInitialDelay(5 * time.Second).WithPeriod(10 * time.Second).Probe()
	v, err := probe.Until(context.Background(), p, localTarget(srv), probe.Options{
		Clock: &instantClock{}, // real CI runs leave Clock nil
		Observe: func(n int, r probe.Result) {
			if ev := r.Event(probe.KindReadiness); ev != "" {
				fmt.Printf("attempt %d: %s (%s)\n", n, r.Outcome, ev)
				return
			}
			fmt.Printf("attempt %d: %s\n", n, r.Outcome)
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("passed=%t after %d attempts, %s\n", v.Passed, v.Attempts, v.Elapsed)
	// Output:
	// attempt 1: failure (Readiness probe failed: HTTP probe failed with statuscode: 503)
	// attempt 2: failure (Readiness probe failed: HTTP probe failed with statuscode: 503)
	// attempt 3: success
	// passed=true after 3 attempts, 25s
}

// A Builder is a value: refining a shared base gives two probes and leaves
// the base as it was.
func ExampleBuilder_values() {
	base := probe.HTTPGet("/health", intstr.FromString("http")).WithTimeout(2 * time.Second)
	readiness := base.WithPeriod(5 * time.Second)
	liveness := base.WithFailureThreshold(6)
	fmt.Println(base.Probe().PeriodSeconds, base.Probe().FailureThreshold)
	fmt.Println(readiness.Probe().PeriodSeconds, liveness.Probe().FailureThreshold)
	// A zero period is what the API server silently replaces by 10s: it is
	// reported, not rendered.
	fmt.Println(base.WithPeriod(0).Err())
	// Output:
	// 10 3
	// 5 6
	// probe builder: WithPeriod (0s): periodSeconds must be greater than or equal to 1 (the API server would replace 0 by its default, 10)
}

// From turns a probe of the Set that Python or Django return back into a
// Builder, to refine it or hand it to deploy.App.WithReadiness.
func ExampleFrom() {
	set, _ := probe.Python(intstr.FromString("http"), probe.PythonOptions{ReadinessPath: "/readyz"})
	b := probe.From(set.Readiness).WithFailureThreshold(5)
	p := b.Probe()
	fmt.Println(p.HTTPGet.Path, p.PeriodSeconds, p.TimeoutSeconds, p.FailureThreshold)
	// Output: /readyz 5 2 5
}
