package deploy_test

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/pydeploy/pydeploy/deploy"
)

func unstructuredFrom(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	assert.NilError(t, yaml.Unmarshal([]byte(doc), &m))
	return &unstructured.Unstructured{Object: m}
}

func TestValidateStructure(t *testing.T) {
	t.Parallel()
	b := mustBuild(t, payments())
	for _, o := range b.Objects() {
		assert.NilError(t, deploy.ValidateStructure(o))
	}

	cases := []struct {
		name string
		doc  string
		want string // substring of the error
	}{
		{"wrong type", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  replicas: "three"
`, "spec.replicas"},
		{"unknown field", `
apiVersion: v1
kind: Service
metadata: {name: x}
spec:
  prots: []
`, "prots"},
		{"duplicate list key", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  template:
    spec:
      containers:
      - name: app
        env:
        - {name: A, value: "1"}
        - {name: A, value: "2"}
`, "duplicate entries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := deploy.ValidateStructure(unstructuredFrom(t, tc.doc))
			var se *deploy.StructureError
			assert.Assert(t, errors.As(err, &se), "want *StructureError, got %v", err)
			assert.ErrorContains(t, err, tc.want)
		})
	}

	// Values are not the schema's business: an invalid name passes.
	svc := &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: metav1.ObjectMeta{Name: "Not_Valid"}}
	assert.NilError(t, deploy.ValidateStructure(svc))
	// Objects without TypeMeta are refused with a hint.
	assert.ErrorContains(t, deploy.ValidateStructure(&corev1.Service{}), "SetGroupVersionKind")
}
