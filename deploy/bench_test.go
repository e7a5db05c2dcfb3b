package deploy_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pydeploy/pydeploy/deploy"
	"github.com/pydeploy/pydeploy/manifest"
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

// BenchmarkValidate measures Validate on the Django bundle with its
// migration Job, parsed from its golden YAML (7 objects).
func BenchmarkValidate(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "bundles", "django-web-migration.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	objs, err := manifest.Parse(bytes.NewReader(data), manifest.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := deploy.Validate(objs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(objs)), "objects/op")
}
