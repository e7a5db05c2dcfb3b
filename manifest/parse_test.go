package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestParseRoundTrip(t *testing.T) {
	want, err := RenderBytes(bundle()...)
	assert.NilError(t, err)
	objs, err := Parse(bytes.NewReader(want), ParseOptions{})
	assert.NilError(t, err)
	assert.Equal(t, len(objs), len(bundle()))
	var types []string
	for _, o := range objs {
		types = append(types, fmt.Sprintf("%T", o))
	}
	assert.DeepEqual(t, types, []string{"*v1.Namespace", "*unstructured.Unstructured", "*v1.ServiceAccount", "*v1.Role",
		"*v1.ConfigMap", "*v1.Secret", "*v1.Service", "*v1.Deployment", "*v1.PodDisruptionBudget",
		"*v2.HorizontalPodAutoscaler", "*unstructured.Unstructured"})
	got, err := RenderBytes(objs...)
	assert.NilError(t, err)
	assert.Equal(t, string(got), string(want))
}

func TestParseForms(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		names []string
	}{
		{"empty input", "", nil},
		{"comments and empty documents", "# hello\n---\n---\n# only a comment\n...\n", nil},
		{"leading separator and CRLF", "---\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\n", []string{"ConfigMap/a"}},
		{"byte order mark", "\xef\xbb\xbfapiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n", []string{"ConfigMap/a"}},
		{"content on the marker line", "--- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n", []string{"ConfigMap/a"}},
		{"directive", "%YAML 1.2\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", []string{"ConfigMap/a"}},
		{"JSON stream", `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}` + "\n" +
			`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"}}`, []string{"ConfigMap/a", "Widget/w"}},
		{"List is flattened", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: d}\n",
			[]string{"ConfigMap/a", "Deployment/d"}},
		{"dashes inside a block scalar are content", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: |\n    ---\n    y\n", []string{"ConfigMap/a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Parse(strings.NewReader(tt.in), ParseOptions{})
			assert.NilError(t, err)
			var names []string
			for _, o := range objs {
				u, err := toUnstructured(o)
				assert.NilError(t, err)
				names = append(names, u.GetKind()+"/"+u.GetName())
			}
			assert.DeepEqual(t, names, tt.names)
		})
	}
}

func toUnstructured(o any) (*unstructured.Unstructured, error) {
	if u, ok := o.(*unstructured.Unstructured); ok {
		return u, nil
	}
	var u unstructured.Unstructured
	switch o := o.(type) {
	case *corev1.ConfigMap:
		u.SetKind(o.Kind)
		u.SetName(o.Name)
	case *appsv1.Deployment:
		u.SetKind(o.Kind)
		u.SetName(o.Name)
	default:
		return nil, fmt.Errorf("unexpected %T", o)
	}
	return &u, nil
}

func TestParseTyped(t *testing.T) {
	in := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n"
	objs, err := Parse(strings.NewReader(in), ParseOptions{})
	assert.NilError(t, err)
	d, ok := objs[0].(*appsv1.Deployment)
	assert.Assert(t, ok, "got %T", objs[0])
	assert.Equal(t, *d.Spec.Replicas, int32(3))
	assert.Equal(t, d.APIVersion+" "+d.Kind, "apps/v1 Deployment")
}

func TestParseErrors(t *testing.T) {
	type want struct {
		doc, line int
		field     string
		msg       string
	}
	tests := []struct {
		name string
		in   string
		opts ParseOptions
		want []want
	}{
		{
			name: "unknown fields located by line",
			in: "# header\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicaz: 3\n" +
				"  template:\n    spec:\n      containers:\n      - name: a\n        imagez: b\n",
			want: []want{
				{2, 8, "spec.replicaz", `unknown field "spec.replicaz"`},
				{2, 13, "spec.template.spec.containers[0].imagez", `unknown field "spec.template.spec.containers[0].imagez"`},
			},
		},
		{
			name: "duplicate key in a known kind",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
			want: []want{{1, 5, "", `yaml: key "name" already set in map`}},
		},
		{
			name: "duplicate key in an unknown kind",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  a: 1\n  a: 2\n",
			want: []want{{2, 11, "", `yaml: key "a" already set in map`}},
		},
		{
			name: "YAML syntax error in the third document",
			in:   "a: 1\n---\nb: 2\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n foo: [\n",
			want: []want{
				{1, 1, "", `object has no apiVersion or kind (apiVersion "", kind "")`},
				{2, 3, "", `object has no apiVersion or kind (apiVersion "", kind "")`},
				{3, 8, "", "yaml: did not find expected key"},
			},
		},
		{
			name: "wrong type names the field",
			in:   "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: three\n",
			want: []want{{1, 6, "spec.replicas", "decode Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"}},
		},
		{
			name: "not an object",
			in:   "- a\n- b\n",
			want: []want{{1, 1, "", "expected an object (a mapping with apiVersion and kind), found a list"}},
		},
		{
			name: "bad apiVersion",
			in:   "apiVersion: a/b/c\nkind: X\n",
			want: []want{{1, 1, "apiVersion", `invalid apiVersion "a/b/c": expected "version" or "group/version"`}},
		},
		{
			name: "JSON duplicate and syntax error",
			in:   `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"x":"1","x":"2"}}` + "\n\n" + `{"a":`,
			want: []want{
				{1, 1, "data.x", `duplicate field "data.x"`},
				{2, 3, "", "invalid JSON: unexpected EOF"},
			},
		},
		{
			name: "List item with an unknown field",
			in:   "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  dat: {}\n",
			want: []want{{1, 1, "items[0].dat", `items[0]: unknown field "dat"`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Parse(strings.NewReader(tt.in), tt.opts)
			assert.Assert(t, objs == nil)
			assert.Assert(t, err != nil)
			var got []want
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var pe *ParseError
				assert.Assert(t, errors.As(e, &pe), "%T is not a *ParseError: %v", e, e)
				got = append(got, want{pe.Doc, pe.Line, pe.Field, pe.Err.Error()})
			}
			assert.DeepEqual(t, got, tt.want, cmpAllowUnexported)
		})
	}
}

func TestParseAllowUnknownFields(t *testing.T) {
	in := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: first\n  name: second\nspec:\n  replicaz: 3\n"
	_, err := Parse(strings.NewReader(in), ParseOptions{})
	assert.ErrorContains(t, err, "already set")
	objs, err := Parse(strings.NewReader(in), ParseOptions{AllowUnknownFields: true})
	assert.NilError(t, err)
	assert.Equal(t, objs[0].(*appsv1.Deployment).Name, "second")
}

func TestParseErrorMessage(t *testing.T) {
	_, err := Parse(strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndataa: {}\n"), ParseOptions{})
	assert.Error(t, err, `document 1, line 4: unknown field "dataa"`)
}
