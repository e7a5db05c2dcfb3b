package status

import (
	"fmt"
	"testing"
)

// BenchmarkEvaluateDeployment measures one verdict on a Deployment with two
// ReplicaSets, 100 pods and 300 events: the work a waiter does per change.
func BenchmarkEvaluateDeployment(b *testing.B) {
	docs := []string{deploy, oldRS, newRS}
	for i := range 100 {
		hash, status := "old", "phase: Running"
		if i%2 == 0 {
			hash, status = "new", starting
		}
		name := fmt.Sprintf("api-%s-%03d", hash, i)
		docs = append(docs, pod(name, hash, status))
		for j := range 3 {
			docs = append(docs, event(fmt.Sprintf("%s-e%d", name, j), name, "BackOff", "back-off", "2026-08-01T09:59:00Z"))
		}
	}
	obs := world(b, docs...)
	opts := Options{Now: now}
	b.ResetTimer()
	for b.Loop() {
		if r := Evaluate(obs, opts); r.State != InProgress {
			b.Fatalf("state %s: %s", r.State, r.Message)
		}
	}
	b.ReportMetric(float64(len(obs.Children.Pods)), "pods/op")
}
