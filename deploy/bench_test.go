package deploy_test

import (
	"testing"
)

func BenchmarkBuild(b *testing.B) {
	a := payments()
	if _, err := a.Build(); err != nil { // warm the schema cache outside the loop
		b.Fatal(err)
	}
	b.ReportAllocs()
	var objs int
	for b.Loop() {
		bundle, err := a.Build()
		if err != nil {
			b.Fatal(err)
		}
		objs = len(bundle.Objects())
	}
	b.ReportMetric(float64(objs), "objects/op")
}
