package image

import (
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/deploy"
)

func TestProcessFromDeployPreset(t *testing.T) {
	t.Parallel()
	b, err := deploy.NewApp("payments-api", "shop").WithImage("ghcr.io/acme/payments:1.0").
		WithServer(deploy.Gunicorn("payments.wsgi:application")).WithPort(8000, "http").Build()
	assert.NilError(t, err)
	p, err := ProcessFrom(b.Deployment, "")
	assert.NilError(t, err)
	assert.DeepEqual(t, p.Entrypoint, b.Deployment.Spec.Template.Spec.Containers[0].Command)
	assert.Equal(t, p.Entrypoint[0], "gunicorn")
	assert.Equal(t, p.User, "10001")
	var spec Spec
	p.Apply(&spec)
	assert.DeepEqual(t, spec.Entrypoint, p.Entrypoint)
	assert.Equal(t, spec.User, "10001")
	_, err = ProcessFrom(b.Deployment, "sidecar")
	assert.ErrorContains(t, err, `Deployment shop/payments-api has no container "sidecar"`)
}
