package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	goruntime "runtime"
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// serverMetadata lists metadata fields the API server populates. They are
// never part of a desired state, so Render drops them.
var serverMetadata = []string{
	"creationTimestamp", "deletionGracePeriodSeconds", "deletionTimestamp",
	"generation", "managedFields", "resourceVersion", "selfLink", "uid",
}

// serverAnnotations are written by kubectl and controllers, not by authors.
var serverAnnotations = []string{
	"deployment.kubernetes.io/revision",
	"kubectl.kubernetes.io/last-applied-configuration",
}

// Render writes objs to w as multi-document YAML separated by "---\n", in
// apply order (the order Apply uses; see KindOrder): Namespace,
// CustomResourceDefinition, cluster-wide classes, ServiceAccount, RBAC,
// ResourceQuota and LimitRange, NetworkPolicy, ConfigMap and Secret,
// PersistentVolume(Claim)s, Service, Jobs marked pre-workload
// (PhaseAnnotation), the workloads (DaemonSet, Pod, ..., Deployment,
// StatefulSet, Job, CronJob), PodDisruptionBudget and
// HorizontalPodAutoscaler, Ingress and Gateway API routes, APIService,
// kinds the table does not know (alphabetically), and admission webhooks
// and policies last. Objects of one kind are ordered by namespace, then
// name. Keys within an object are sorted.
//
// Every object must carry apiVersion and kind (see [SetTypeMeta]) and a
// name; two objects with the same group, kind, namespace and name are an
// error. Server-populated fields are dropped: the top-level status, any empty
// nested status (StatefulSet volume claim templates), metadata
// creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds,
// generation, managedFields, resourceVersion, selfLink and uid, and the
// kubectl last-applied-configuration and deployment revision annotations.
// The objects themselves are not modified.
//
// The output is a pure function of the objects' contents: the same objects,
// in any order, give the same bytes.
func Render(w io.Writer, objs ...runtime.Object) error {
	docs, err := renderDocs(objs)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for i, d := range docs {
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(d.yaml)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write manifests: %w", err)
	}
	return nil
}

// RenderBytes is [Render] into a byte slice.
func RenderBytes(objs ...runtime.Object) ([]byte, error) {
	var buf bytes.Buffer
	if err := Render(&buf, objs...); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// parallelThreshold is the number of objects per extra rendering goroutine.
const parallelThreshold = 64

// renderedDoc is one object rendered, with the identity it is sorted by.
type renderedDoc struct {
	gvk         schema.GroupVersionKind
	namespace   string
	name        string
	preWorkload bool // a Job marked with PhaseAnnotation
	yaml        []byte
}

func (d renderedDoc) String() string {
	id := d.name
	if d.namespace != "" {
		id = d.namespace + "/" + d.name
	}
	return fmt.Sprintf("%s %q", d.gvk.Kind, id)
}

func renderDocs(objs []runtime.Object) ([]renderedDoc, error) {
	docs := make([]renderedDoc, len(objs))
	errs := make([]error, len(objs))
	// Encoding dominates and objects are independent: spread large sets
	// over the available CPUs. Results are sorted afterwards, so the
	// output does not depend on scheduling.
	workers := min(goruntime.GOMAXPROCS(0), len(objs)/parallelThreshold+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(objs); i += workers {
				docs[i], errs[i] = renderDoc(objs[i])
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("object %d: %w", i+1, err)
		}
	}
	sort.Slice(docs, func(i, j int) bool { return lessDoc(docs[i], docs[j]) })
	for i := 1; i < len(docs); i++ {
		a, b := docs[i-1], docs[i]
		if a.gvk.GroupKind() == b.gvk.GroupKind() && a.namespace == b.namespace && a.name == b.name {
			return nil, fmt.Errorf("duplicate object %s (apiVersion %q and %q)", b, a.gvk.GroupVersion(), b.gvk.GroupVersion())
		}
	}
	return docs, nil
}

func renderDoc(obj runtime.Object) (renderedDoc, error) {
	if obj == nil {
		return renderedDoc{}, fmt.Errorf("object is nil")
	}
	gvk, err := checkTypeMeta(obj)
	if err != nil {
		return renderedDoc{}, err
	}
	m, err := cleanedMap(obj)
	if err != nil {
		return renderedDoc{}, fmt.Errorf("%s: %w", describe(obj), err)
	}
	md, _ := m["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	namespace, _ := md["namespace"].(string)
	if name == "" {
		return renderedDoc{}, fmt.Errorf("%s has no metadata.name", describe(obj))
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		return renderedDoc{}, fmt.Errorf("%s: encode YAML: %w", describe(obj), err)
	}
	pre := false
	if gvk.Kind == "Job" {
		ann := map[string]string{}
		if a, ok := md["annotations"].(map[string]any); ok {
			for k, v := range a {
				if s, ok := v.(string); ok {
					ann[k] = s
				}
			}
		}
		pre = isPreWorkload(ann)
	}
	return renderedDoc{gvk: gvk, namespace: namespace, name: name, preWorkload: pre, yaml: out}, nil
}

// cleanedMap returns obj as a generic JSON map without server-populated
// fields. Numbers stay json.Number so large integers survive exactly.
func cleanedMap(obj runtime.Object) (map[string]any, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		for _, f := range serverMetadata {
			delete(md, f)
		}
		if ann, ok := md["annotations"].(map[string]any); ok {
			for _, a := range serverAnnotations {
				delete(ann, a)
			}
			if len(ann) == 0 {
				delete(md, "annotations")
			}
		}
	}
	dropNestedNoise(m)
	return m, nil
}

// dropNestedNoise removes `creationTimestamp: null` from embedded metadata
// (pod and volume claim templates) and empty `status: {}` from embedded
// objects, both artefacts of Go zero values.
func dropNestedNoise(v any) {
	switch v := v.(type) {
	case map[string]any:
		if md, ok := v["metadata"].(map[string]any); ok {
			if ts, present := md["creationTimestamp"]; present && ts == nil {
				delete(md, "creationTimestamp")
			}
		}
		if st, ok := v["status"].(map[string]any); ok && len(st) == 0 {
			delete(v, "status")
		}
		for _, child := range v {
			dropNestedNoise(child)
		}
	case []any:
		for _, child := range v {
			dropNestedNoise(child)
		}
	}
}

func lessDoc(a, b renderedDoc) bool {
	ra, rb := rank(a.gvk.Kind, a.preWorkload), rank(b.gvk.Kind, b.preWorkload)
	switch {
	case ra[0] != rb[0]:
		return ra[0] < rb[0]
	case ra[1] != rb[1]:
		return ra[1] < rb[1]
	case a.gvk.Kind != b.gvk.Kind:
		return a.gvk.Kind < b.gvk.Kind
	case a.gvk.Group != b.gvk.Group:
		return a.gvk.Group < b.gvk.Group
	case a.namespace != b.namespace:
		return a.namespace < b.namespace
	case a.name != b.name:
		return a.name < b.name
	case a.gvk.Version != b.gvk.Version:
		return a.gvk.Version < b.gvk.Version
	}
	// Identical identities are reported as duplicates; fall back to the
	// bytes so the order (and the error) is still deterministic.
	return bytes.Compare(a.yaml, b.yaml) < 0
}
