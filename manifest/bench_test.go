package manifest

import (
	"fmt"
	"io"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

// BenchmarkRender1000Services renders 1,000 services, each a Deployment, a
// Service and a PodDisruptionBudget, as one multi-document stream.
func BenchmarkRender1000Services(b *testing.B) {
	const services = 1000
	objs := make([]runtime.Object, 0, 3*services)
	for i := range services {
		objs = append(objs, service(fmt.Sprintf("svc-%04d", i), fmt.Sprintf("team-%02d", i%20),
			fmt.Sprintf("ghcr.io/acme/svc-%04d:1.%d.0@%s", i, i%7, testDigest))...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := Render(io.Discard, objs...); err != nil {
			b.Fatal(err)
		}
	}
	perObject := float64(b.Elapsed().Nanoseconds()) / float64(b.N*len(objs))
	b.ReportMetric(perObject, "ns/object")
	b.ReportMetric(1e9/perObject, "objects/s")
}
