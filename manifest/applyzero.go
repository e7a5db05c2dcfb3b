package manifest

import (
	"fmt"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// withoutZeroStructs returns obj as unstructured content without the empty
// objects ("strategy: {}", "resources: {}") that encoding/json writes for
// zero-valued non-pointer struct fields of typed Go objects. Sent with
// server-side apply they would make the field manager own those fields
// although the author never set them (kubernetes/kubernetes#95989). An
// empty object the author did set, such as "emptyDir: {}", comes from a
// pointer field and is kept. Unstructured objects are returned unchanged.
func withoutZeroStructs(obj runtime.Object) (runtime.Object, error) {
	if _, ok := obj.(runtime.Unstructured); ok {
		return obj, nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", describe(obj), err)
	}
	pruneZeroStructs(reflect.ValueOf(obj), m)
	return &unstructured.Unstructured{Object: m}, nil
}

// pruneZeroStructs walks the Go value v and its JSON form j together and
// deletes from j every empty object that stands for a zero struct field.
func pruneZeroStructs(v reflect.Value, j any) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		m, ok := j.(map[string]any)
		if !ok {
			return
		}
		pruneStructFields(v, m)
	case reflect.Slice, reflect.Array:
		items, ok := j.([]any)
		if !ok || len(items) != v.Len() {
			return
		}
		for i := range items {
			pruneZeroStructs(v.Index(i), items[i])
		}
	case reflect.Map:
		m, ok := j.(map[string]any)
		if !ok || v.Type().Key().Kind() != reflect.String {
			return
		}
		for _, k := range v.MapKeys() {
			pruneZeroStructs(v.MapIndex(k), m[k.String()])
		}
	}
}

func pruneStructFields(v reflect.Value, m map[string]any) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		fv := v.Field(i)
		if f.Anonymous && name == "" || strings.Contains(","+opts+",", ",inline,") {
			pruneZeroStructs(fv, m)
			continue
		}
		if name == "" {
			name = f.Name
		}
		child, present := m[name]
		if !present {
			continue
		}
		if cm, isMap := child.(map[string]any); isMap && len(cm) == 0 &&
			fv.Kind() == reflect.Struct && fv.IsZero() {
			delete(m, name)
			continue
		}
		pruneZeroStructs(fv, child)
	}
}
