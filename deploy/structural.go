package deploy

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/applyconfigurations"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
)

// typeConverter parses the OpenAPI schema embedded in client-go once (it is
// large); the converter is immutable afterwards, so sharing it changes no
// behaviour.
var typeConverter = sync.OnceValue(func() managedfields.TypeConverter {
	return applyconfigurations.NewTypeConverter(scheme.Scheme)
})

// StructureError lists what the embedded schema rejected in one object.
type StructureError struct {
	Kind string
	Errs field.ErrorList
}

// Error lists every schema violation.
func (e *StructureError) Error() string {
	return fmt.Sprintf("%s does not match the API schema: %s", e.Kind, e.Errs.ToAggregate().Error())
}

// ValidateStructure checks obj (typed or *unstructured.Unstructured, with
// apiVersion and kind set) against the OpenAPI schema that client-go embeds
// for apply configurations, offline. It catches wrong types (a string where
// an integer belongs), fields the schema does not declare, and duplicate
// keys in associative lists (two env vars or ports with the same name). It
// does not check values (names, ranges, enums): that is what Build's checks
// are for. The error is a *StructureError unless the kind is unknown.
func ValidateStructure(obj runtime.Object) error {
	return validateStructure(obj)
}

func validateStructure(obj runtime.Object, opts ...typed.ValidationOptions) error {
	gvk := obj.GetObjectKind().GroupVersionKind()
	if gvk.Empty() {
		return fmt.Errorf("object %T has no apiVersion/kind; set it with SetGroupVersionKind", obj)
	}
	_, err := typeConverter().ObjectToTyped(obj, opts...)
	if err == nil {
		return nil
	}
	var verrs typed.ValidationErrors
	if !errors.As(err, &verrs) {
		return fmt.Errorf("%s %s: %w", gvk.Kind, gvk.GroupVersion(), err)
	}
	se := &StructureError{Kind: gvk.Kind}
	for _, v := range verrs {
		se.Errs = append(se.Errs, field.Invalid(smdPath(v.Path), field.OmitValueType{}, v.ErrorMessage))
	}
	return se
}

// smdPath turns a structured-merge-diff path (".spec.template[...]") into a
// field.Path for uniform error lines.
func smdPath(p string) *field.Path {
	p = strings.TrimPrefix(p, ".")
	if p == "" {
		return field.NewPath("<root>")
	}
	return field.NewPath(p)
}
