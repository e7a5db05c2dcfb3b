package integration

import (
	"bytes"
	"context"
	"net/http"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	"github.com/pydeploy/pydeploy/internal/testcluster"
	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/rollout"
)

// deployment is a Deployment of image with the given replicas, in the shape
// pydeploy's deploy package produces: port 8000 with an HTTP readiness
// probe on /healthz (every second here, so tests run quickly).
func deployment(ns, name, image string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app.kubernetes.io/name": name}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: new(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{appContainer(image)}},
			},
		},
	}
}

// appContainer is the container "app": image, port 8000 named http, and a
// readiness probe on it.
func appContainer(image string) corev1.Container {
	return corev1.Container{
		Name: "app", Image: image,
		Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: 8000}},
		ReadinessProbe: readiness("http"),
	}
}

func readiness(port string) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString(port)}},
		PeriodSeconds: 1,
	}
}

// bare is d without readiness probes: running counts as ready, and no
// probe traffic (TestWait200's 200 pods).
func bare(d *appsv1.Deployment) *appsv1.Deployment {
	for i := range d.Spec.Template.Spec.Containers {
		d.Spec.Template.Spec.Containers[i].ReadinessProbe = nil
	}
	return d
}

// scripted sets the pod template's scenario annotation.
func scripted(d *appsv1.Deployment, scenario string) *appsv1.Deployment {
	if d.Spec.Template.Annotations == nil {
		d.Spec.Template.Annotations = map[string]string{}
	}
	d.Spec.Template.Annotations[testcluster.ScenarioAnnotation] = scenario
	return d
}

// apply server-side applies objs with manifest.Apply and returns what the
// API server returned, the input Wait expects.
func apply(t testing.TB, cfg *rest.Config, objs ...runtime.Object) []*unstructured.Unstructured {
	t.Helper()
	res, err := manifest.Apply(context.Background(), cfg, objs, manifest.ApplyOptions{Force: true})
	assert.NilError(t, err)
	out := make([]*unstructured.Unstructured, len(res.Objects))
	for i, a := range res.Objects {
		out[i] = a.Object
	}
	return out
}

// counter counts the requests a rest.Config sends.
type counter struct{ n atomic.Int64 }

func (c *counter) wrap(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			c.n.Add(1)
			return rt.RoundTrip(r)
		})
	})
	return cfg
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// waiter builds a Waiter on the cluster through cfg.
func waiter(t testing.TB, cfg *rest.Config, opts rollout.Options) *rollout.Waiter {
	t.Helper()
	w, err := rollout.NewForConfig(cfg, opts)
	assert.NilError(t, err)
	return w
}

// testCtx returns a context labelled with the test's name: the goroutines
// of a Wait inherit the label, so noLeaks can tell them from those of
// other tests running in parallel.
func testCtx(t testing.TB) context.Context {
	return pprof.WithLabels(context.Background(), pprof.Labels("test", t.Name()))
}

// labelled returns the stacks of goroutines a Wait of test t started
// (they carry rollout.ProfileLabel and the test label), leaving out the
// HTTP transport's idle connections, which belong to client-go's shared
// transport, not to a Wait.
func labelled(t testing.TB) []string {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
	var out []string
	for g := range strings.SplitSeq(buf.String(), "\n\n") {
		if !strings.Contains(g, `"`+rollout.ProfileLabel+`":"wait"`) || !strings.Contains(g, `"test":"`+t.Name()+`"`) {
			continue
		}
		if strings.Contains(g, "net/http.(*persistConn)") || strings.Contains(g, "http2.(*ClientConn).readLoop") {
			continue
		}
		out = append(out, g)
	}
	return out
}

// noLeaks fails t unless every goroutine a Wait started has ended; the
// shared control plane's own goroutines are not counted (TestMain checks
// everything with goleak once it has stopped).
func noLeaks(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var left []string
	for {
		if left = labelled(t); len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		// Goroutines unwind asynchronously after Close; give them a moment.
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%d goroutines of a Wait still run:\n%s", len(left), strings.Join(left, "\n\n"))
}

// cluster returns the shared control plane and a fresh namespace.
func cluster(t testing.TB) (*testcluster.Cluster, string) {
	t.Helper()
	c := testcluster.Shared(t)
	return c, c.NewNamespace(t)
}

// applyQuota applies a ResourceQuota and waits until the resourcequota
// controller has written its status: until then the API server's quota
// admission does not apply it (it matches on status.hard), and pods
// created meanwhile are admitted, as on any cluster.
func applyQuota(t *testing.T, c *testcluster.Cluster, q *corev1.ResourceQuota) {
	t.Helper()
	apply(t, c.Config(), q)
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := c.Client().CoreV1().ResourceQuotas(q.Namespace).Get(ctx, q.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return len(got.Status.Hard) > 0, nil
	})
	assert.NilError(t, err, "resourcequota %s/%s: no status from the resourcequota controller", q.Namespace, q.Name)
}
