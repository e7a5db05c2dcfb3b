package deploy_test

import (
	"bytes"
	"testing"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/pydeploy/pydeploy/deploy"
)

const paymentsImage = "ghcr.io/acme/payments:3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f"

// payments is the quickstart's payments-api spec.
func payments() deploy.App {
	return deploy.NewApp("payments-api", "payments").
		WithImage(paymentsImage).
		WithServer(deploy.Gunicorn("payments.wsgi:application").WithWorkers(4)).
		WithReplicas(3).
		WithPort(8000, "http").
		WithReadinessPath("/health/ready").
		WithPartOf("payments")
}

func mustBuild(t testing.TB, a deploy.App) *deploy.Bundle {
	t.Helper()
	b, err := a.Build()
	assert.NilError(t, err)
	return b
}

// render writes the objects as multi-document YAML, in order.
func render(t testing.TB, objs []runtime.Object) []byte {
	t.Helper()
	var buf bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			buf.WriteString("---\n")
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		assert.NilError(t, err)
		delete(m, "status") // server-owned; manifest.Render drops it too
		y, err := yaml.Marshal(m)
		assert.NilError(t, err)
		buf.Write(y)
	}
	return buf.Bytes()
}

// goldenFile compares got with testdata/name; go test ./deploy -update
// rewrites it (gotest.tools/v3/golden).
func goldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Assert(t, string(got), name)
}
