package status

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// FuzzCompute feeds arbitrary documents to every rule: no panic, a known
// State, and Err non-nil exactly for Failed.
func FuzzCompute(f *testing.F) {
	for _, s := range []string{deploy, oldRS, pod("p", "h", crashLooping), `
apiVersion: batch/v1
kind: Job
metadata: {name: j}
status: {conditions: [{type: Failed, status: "True"}]}`, `
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, generation: 2}
status: {observedGeneration: "x", conditions: [1, {type: Ready}]}`, `
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {selector: {a: b}, type: 7}`} {
		f.Add([]byte(s), int64(0))
	}
	valid := map[State]bool{Current: true, InProgress: true, Failed: true, Terminating: true, Unknown: true}
	f.Fuzz(func(t *testing.T, doc []byte, minGen int64) {
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(j); err != nil {
			return
		}
		opts := Options{MinGeneration: minGen, Now: time.Unix(1e9, 0)}
		for _, obs := range []Observation{{Object: u}, {Object: u, Children: &Children{}}} {
			r := Evaluate(obs, opts)
			if !valid[r.State] {
				t.Fatalf("unexpected state %q for %s", r.State, doc)
			}
			if (r.Err() != nil) != (r.State == Failed) {
				t.Fatalf("Err() = %v for state %s", r.Err(), r.State)
			}
			if r.Message == "" {
				t.Fatalf("empty message for %s", doc)
			}
		}
	})
}
