package manifest

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// describe names an object for error messages: `Deployment "shop/web"`.
// It never fails; missing parts are shown as such.
func describe(obj runtime.Object) string {
	if isNil(obj) {
		return "nil object"
	}
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	if kind == "" {
		kind = fmt.Sprintf("%T", obj)
	}
	acc, err := meta.Accessor(obj)
	if err != nil {
		return kind
	}
	name := acc.GetName()
	if name == "" {
		name = "<no name>"
	}
	if ns := acc.GetNamespace(); ns != "" {
		name = ns + "/" + name
	}
	return fmt.Sprintf("%s %q", kind, name)
}

// checkTypeMeta verifies that obj carries apiVersion and kind and, for Go
// types registered in client-go's scheme, that they match the Go type.
func checkTypeMeta(obj runtime.Object) (schema.GroupVersionKind, error) {
	gvk := obj.GetObjectKind().GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		hint := ""
		if kinds, _, err := scheme.Scheme.ObjectKinds(obj); err == nil && len(kinds) > 0 {
			hint = fmt.Sprintf(" (for %T: apiVersion %q, kind %q; SetTypeMeta fills it in)",
				obj, kinds[0].GroupVersion().String(), kinds[0].Kind)
		}
		return gvk, fmt.Errorf("%s has no apiVersion/kind: set TypeMeta%s", describe(obj), hint)
	}
	if _, isUnstructured := obj.(runtime.Unstructured); isUnstructured {
		return gvk, nil
	}
	kinds, _, err := scheme.Scheme.ObjectKinds(obj)
	if err != nil {
		// A Go type client-go does not know: trust its TypeMeta.
		return gvk, nil
	}
	if slices.Contains(kinds, gvk) {
		return gvk, nil
	}
	return gvk, fmt.Errorf("%s: TypeMeta says apiVersion %q, kind %q, but the Go type %T is %s",
		describe(obj), gvk.GroupVersion().String(), gvk.Kind, obj, kinds[0].String())
}

// SetTypeMeta fills in apiVersion and kind of typed objects whose TypeMeta is
// empty, from client-go's scheme. Objects that already carry a kind are left
// alone; an object of a Go type the scheme does not know is an error.
func SetTypeMeta(objs ...runtime.Object) error {
	for i, obj := range objs {
		if obj == nil {
			return fmt.Errorf("object %d is nil", i+1)
		}
		if obj.GetObjectKind().GroupVersionKind().Kind != "" {
			continue
		}
		kinds, _, err := scheme.Scheme.ObjectKinds(obj)
		if err != nil {
			return fmt.Errorf("%s: cannot infer apiVersion/kind: %w", describe(obj), err)
		}
		obj.GetObjectKind().SetGroupVersionKind(kinds[0])
	}
	return nil
}
