package status

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// now is the fixed clock of every test that measures a grace period.
var now = time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)

func obj(t testing.TB, doc string) *unstructured.Unstructured {
	t.Helper()
	// Through JSON, as the API server sends it, so numbers are int64.
	j, err := yaml.YAMLToJSONStrict([]byte(doc))
	assert.NilError(t, err)
	u := &unstructured.Unstructured{}
	assert.NilError(t, u.UnmarshalJSON(j))
	return u
}

// typed parses one YAML document into a typed API object.
func typed[T any](t testing.TB, doc string) T {
	t.Helper()
	var v T
	assert.NilError(t, yaml.UnmarshalStrict([]byte(doc), &v))
	return v
}

// want is the part of a Result most tables compare.
type want struct {
	State   State
	Reason  Reason
	Message string
}

func got(r Result) want { return want{r.State, r.Reason, r.Message} }

// world parses a multi-document YAML fixture: the first document is the
// object to judge, the rest are its children, sorted into Children by kind.
// With a single argument Children is nil; pass "" to mean "listed, none".
func world(t testing.TB, docs ...string) Observation {
	t.Helper()
	obs := Observation{}
	if len(docs) > 1 {
		obs.Children = &Children{}
	}
	for i, d := range splitDocs(docs) {
		if i == 0 {
			obs.Object = obj(t, d)
			continue
		}
		c := obs.Children
		switch kind := obj(t, d).GetKind(); kind {
		case "ReplicaSet":
			c.ReplicaSets = append(c.ReplicaSets, typed[appsv1.ReplicaSet](t, d))
		case "Pod":
			c.Pods = append(c.Pods, typed[corev1.Pod](t, d))
		case "Event":
			c.Events = append(c.Events, typed[corev1.Event](t, d))
		case "ControllerRevision":
			c.ControllerRevisions = append(c.ControllerRevisions, typed[appsv1.ControllerRevision](t, d))
		case "EndpointSlice":
			c.EndpointSlices = append(c.EndpointSlices, typed[discoveryv1.EndpointSlice](t, d))
		default:
			t.Fatalf("fixture document %d has unexpected kind %q", i, kind)
		}
	}
	return obs
}

func splitDocs(docs []string) []string {
	var out []string
	for _, d := range docs {
		for part := range strings.SplitSeq(d, "\n---\n") {
			if strings.TrimSpace(part) != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func unstructuredString(m map[string]any, fields ...string) (string, bool, error) {
	return unstructured.NestedString(m, fields...)
}
