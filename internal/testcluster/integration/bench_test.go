package integration

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/pydeploy/pydeploy/internal/testcluster"
	"github.com/pydeploy/pydeploy/rollout"
)

// rolledOut is kubectl's criterion, which Wait applies too.
func rolledOut(d *appsv1.Deployment) bool {
	s := d.Status
	return d.Generation <= s.ObservedGeneration && d.Spec.Replicas != nil &&
		s.UpdatedReplicas == *d.Spec.Replicas && s.Replicas == s.UpdatedReplicas && s.AvailableReplicas == s.UpdatedReplicas
}

// observe watches one Deployment and sends the moment the API server's
// watch first shows it rolled out (Available with every replica updated).
func observe(ctx context.Context, b *testing.B, c *testcluster.Cluster, ns, name string) <-chan time.Time {
	w, err := c.Client().AppsV1().Deployments(ns).Watch(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String(),
	})
	if err != nil {
		b.Fatalf("watching deployment %s: %v", name, err)
	}
	at := make(chan time.Time, 1)
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			if d, ok := ev.Object.(*appsv1.Deployment); ok && ev.Type != watch.Deleted && rolledOut(d) {
				at <- time.Now()
				return
			}
		}
	}()
	return at
}

// BenchmarkWaitLatency measures how long after the API server shows the
// Deployment rolled out (3 replicas available) Wait returns. The rollout
// itself is the control plane's and not measured; p50-ms and p90-ms are.
func BenchmarkWaitLatency(b *testing.B) {
	c, ns := cluster(b)
	w := waiter(b, c.Config(), rollout.Options{Timeout: time.Minute})
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		name := fmt.Sprintf("payments-api-%d", i)
		at := observe(ctx, b, c, ns, name)
		objs := apply(b, c.Config(), deployment(ns, name, "example.com/payments:1", 3))
		if _, err := w.Wait(ctx, objs); err != nil {
			b.Fatal(err)
		}
		returned := time.Now()
		select {
		case seen := <-at:
			lat = append(lat, returned.Sub(seen))
		case <-time.After(10 * time.Second):
			b.Fatalf("the observer never saw deployment %s rolled out", name)
		}
		cancel()
	}
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*9/10]), "p90-ms")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkWait200 waits for 200 Deployments per iteration and reports the
// API requests the Waiter sent (they must not grow with the objects) and
// the memory allocated meanwhile. The control plane runs in the same
// process, so alloc-MB counts its allocations too; BenchmarkWait200 in
// package rollout measures the Waiter alone.
func BenchmarkWait200(b *testing.B) {
	c, ns := cluster(b)
	var n counter
	w := waiter(b, n.wrap(c.Config()), rollout.Options{Timeout: 5 * time.Minute})
	var requests, alloc float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		objs := make([]kruntime.Object, 200)
		for j := range objs {
			objs[j] = bare(deployment(ns, fmt.Sprintf("svc-%d-%03d", i, j), "example.com/svc:1", 1))
		}
		applied := apply(b, c.Config(), objs...)
		n.n.Store(0)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		if _, err := w.Wait(context.Background(), applied); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.ReadMemStats(&after)
		requests += float64(n.n.Load())
		alloc += float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20)
		b.StartTimer()
	}
	b.ReportMetric(requests/float64(b.N), "requests/op")
	b.ReportMetric(alloc/float64(b.N), "alloc-MB/op")
}
