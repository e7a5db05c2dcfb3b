package manifest

import (
	"errors"
	"testing"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

var testVars = MapLookup(map[string]string{"GIT_SHA": "0b5e1d2", "REGION": "eu", "EMPTY": ""})

func TestExpand(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"no variables", "no variables"},
		{"ghcr.io/acme/web:${GIT_SHA}", "ghcr.io/acme/web:0b5e1d2"},
		{"${REGION}-${REGION}", "eu-eu"},
		{"cost: $$5 and $$${REGION}", "cost: $5 and $eu"},
		{"echo $HOME $1 $", "echo $HOME $1 $"},
		{"${GIT_SHA}${REGION}", "0b5e1d2eu"},
	}
	for _, tt := range tests {
		got, err := Expand(tt.in, testVars)
		assert.NilError(t, err, tt.in)
		assert.Equal(t, got, tt.want, tt.in)
	}
}

func TestExpandErrors(t *testing.T) {
	tests := []struct {
		in      string
		missing *MissingVarsError
		syntax  *SyntaxError
	}{
		{in: "${B} ${A} ${B} ${GIT_SHA}", missing: &MissingVarsError{Names: []string{"A", "B"}}},
		{in: "${EMPTY}-${NOPE}", missing: &MissingVarsError{Names: []string{"EMPTY", "NOPE"}, Empty: []string{"EMPTY"}}},
		{in: "abc ${GIT_SHA", syntax: &SyntaxError{Offset: 4, Reason: `"${" without a closing "}"`}},
		{in: "${}", syntax: &SyntaxError{Offset: 0}},
		{in: "x${1A}", syntax: &SyntaxError{Offset: 1}},
		{in: "${A:-default}", syntax: &SyntaxError{Offset: 0}},
	}
	for _, tt := range tests {
		got, err := Expand(tt.in, testVars)
		assert.Equal(t, got, "", tt.in)
		if tt.missing != nil {
			var m *MissingVarsError
			assert.Assert(t, errors.As(err, &m), "%q: %v", tt.in, err)
			assert.DeepEqual(t, m, tt.missing)
			continue
		}
		var s *SyntaxError
		assert.Assert(t, errors.As(err, &s), "%q: %v", tt.in, err)
		assert.Equal(t, s.Offset, tt.syntax.Offset, tt.in)
		if tt.syntax.Reason != "" {
			assert.Equal(t, s.Reason, tt.syntax.Reason)
		}
	}
}

func TestExpandMessages(t *testing.T) {
	_, err := Expand("${EMPTY} ${B} ${A}", testVars)
	assert.Error(t, err, "missing variables: A, B, EMPTY (set but empty: EMPTY)")
	_, err = Expand("${A:-x}", nil)
	assert.ErrorContains(t, err, `variable reference at offset 0: invalid variable name "A:-x"`)
	got, err := Expander{Lookup: testVars, AllowEmpty: true}.Expand("[${EMPTY}]")
	assert.NilError(t, err)
	assert.Equal(t, got, "[]")
	b, err := ExpandBytes([]byte("sha=${GIT_SHA}"), testVars)
	assert.NilError(t, err)
	assert.Equal(t, string(b), "sha=0b5e1d2")
}

func TestExpandObjects(t *testing.T) {
	d := service("web", "shop", "ghcr.io/acme/web:${GIT_SHA}")[0].(*appsv1.Deployment)
	d.Spec.Template.Spec.Containers[0].Env = append(d.Spec.Template.Spec.Containers[0].Env,
		corev1.EnvVar{Name: "REGION", Value: "${REGION}"}, corev1.EnvVar{Name: "SHELL_SNIPPET", Value: "echo $HOME"})
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w"},
		"spec":     map[string]any{"list": []any{"${REGION}", int64(3)}},
	}}
	before := d.DeepCopy()
	out, err := ExpandObjects([]runtime.Object{d, u}, testVars)
	assert.NilError(t, err)
	got := out[0].(*appsv1.Deployment)
	assert.Equal(t, got.Spec.Template.Spec.Containers[0].Image, "ghcr.io/acme/web:0b5e1d2")
	assert.DeepEqual(t, got.Spec.Template.Spec.Containers[0].Env[1:], []corev1.EnvVar{
		{Name: "REGION", Value: "eu"}, {Name: "SHELL_SNIPPET", Value: "echo $HOME"}})
	assert.DeepEqual(t, out[1].(*unstructured.Unstructured).Object["spec"], map[string]any{"list": []any{"eu", int64(3)}})
	assert.DeepEqual(t, d, before) // inputs untouched
	assert.Equal(t, u.Object["spec"].(map[string]any)["list"].([]any)[0], "${REGION}")
}

func TestExpandObjectsCannotInjectYAML(t *testing.T) {
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "cfg"},
		Data:       map[string]string{"motd": "${MOTD}"},
	}
	evil := "hi\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: stolen}"
	out, err := ExpandObjects([]runtime.Object{cm}, MapLookup(map[string]string{"MOTD": evil}))
	assert.NilError(t, err)
	y, err := RenderBytes(out...)
	assert.NilError(t, err)
	back, err := Parse(bytesReader(y), ParseOptions{})
	assert.NilError(t, err)
	assert.Equal(t, len(back), 1)
	assert.Equal(t, back[0].(*corev1.ConfigMap).Data["motd"], evil)
}

func TestExpandObjectsErrors(t *testing.T) {
	a := service("a", "shop", "ghcr.io/acme/a:${TAG_A}")
	b := service("b", "shop", "ghcr.io/acme/b:${TAG_B}")
	_, err := ExpandObjects(append(a, b...), testVars)
	assert.Error(t, err, "missing variables: TAG_A, TAG_B")

	bad := service("c", "shop", "ghcr.io/acme/c:${oops")[0]
	_, err = ExpandObjects([]runtime.Object{bad}, testVars)
	assert.Error(t, err, `Deployment "shop/c": field spec.template.spec.containers[0].image: variable reference at offset 15: "${" without a closing "}"`)
}
