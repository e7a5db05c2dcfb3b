package deploy_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pydeploy/pydeploy/deploy"
	"github.com/pydeploy/pydeploy/manifest"
)

// FuzzBuild feeds arbitrary identity, image, port and env strings to Build:
// it must return a bundle or a *ValidationError, never panic, and a bundle
// must pass the structural schema check.
func FuzzBuild(f *testing.F) {
	f.Add("payments-api", "payments", "ghcr.io/acme/payments:3f2c1a9", "http", int32(8000), "DJANGO_DEBUG", "payments.wsgi:application")
	f.Add("1bad", "", "ghcr.io/acme/payments:${GIT_SHA}", "", int32(0), "1X", "")
	f.Add("a.b", "ns", "reg:5000/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "p-a-r-t-y-t-i-m-e-x", int32(70000), "SECRET", "m:f()")
	f.Fuzz(func(t *testing.T, name, ns, image, portName string, port int32, envName, app string) {
		b, err := deploy.NewApp(name, ns).WithImage(image).WithPort(port, portName).
			WithEnv(envName, "v").WithServer(deploy.Gunicorn(app)).Build()
		if err != nil {
			var ve *deploy.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("want a non-empty *ValidationError, got %v", err)
			}
			return
		}
		for _, o := range b.Objects() {
			if err := deploy.ValidateStructure(o); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzValidate feeds arbitrary YAML through manifest.Parse to Validate: it
// must return warnings and nil or a *ValidationError, never panic, whatever
// fields are missing or malformed.
func FuzzValidate(f *testing.F) {
	for _, gb := range goldenBundles {
		if data, err := os.ReadFile(filepath.Join("testdata", "bundles", gb.name+".yaml")); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n"))
	f.Add([]byte("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec: {schedule: '*/5 1-2,4 * JAN-mar mon'}\n"))
	f.Add([]byte("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x}\nspec: {behavior: {scaleUp: {}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := manifest.Parse(bytes.NewReader(data), manifest.ParseOptions{})
		if err != nil {
			return
		}
		_, err = deploy.Validate(objs...)
		var ve *deploy.ValidationError
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("want a *ValidationError, got %T %v", err, err)
		}
	})
}
