package rollout_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/pydeploy/pydeploy/rollout"
)

// BenchmarkWait200 waits, through informers on a fake dynamic client, for
// 200 Deployments that are already rolled out, with their ReplicaSets and
// pods. It reports the list and watch calls (one each per kind, not per
// object) and the memory a wait allocates.
func BenchmarkWait200(b *testing.B) {
	var objs []runtime.Object
	var applied200 []*unstructured.Unstructured
	for i := range 200 {
		name := fmt.Sprintf("svc-%03d", i)
		d := dep{name: name, gen: 1, observed: 1, rev: "1", spec: 1, replicas: 1, updated: 1, available: 1}
		objs = append(objs, unstructuredOf(b, d.yaml()))
		applied200 = append(applied200, unstructuredOf(b, applied(name, 1)))
	}
	dyn := fakeDynamic(objs...)
	w := rollout.NewWaiter(rollout.NewSource(dyn, kubefake.NewClientset(), fakeMapper()), rollout.Options{Timeout: time.Minute})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := w.Wait(context.Background(), applied200); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(dyn.Actions()))/float64(b.N), "requests/op")
}
