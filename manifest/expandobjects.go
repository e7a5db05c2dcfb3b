package manifest

import (
	"fmt"
	"sort"
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// ExpandObjects is [Expander.Objects] with the default options.
func ExpandObjects(objs []runtime.Object, lookup Lookup) ([]runtime.Object, error) {
	return Expander{Lookup: lookup}.Objects(objs)
}

// Objects returns deep copies of objs with ${NAME} references substituted in
// every string value (map keys are left alone). Substituting after parsing,
// rather than in the YAML text, means a value containing ": " or a newline
// stays a string and cannot add fields or objects. The inputs are not
// modified. Missing variables across all objects are reported together in
// one [*MissingVarsError]; a malformed reference is a [*SyntaxError] wrapped
// with the object and field path.
func (x Expander) Objects(objs []runtime.Object) ([]runtime.Object, error) {
	var missing, empty []string
	out := make([]runtime.Object, len(objs))
	for i, obj := range objs {
		if obj == nil {
			return nil, fmt.Errorf("object %d is nil", i+1)
		}
		expanded, err := x.object(obj, &missing, &empty)
		if err != nil {
			return nil, err
		}
		out[i] = expanded
	}
	if err := missingError(missing, empty); err != nil {
		return nil, err
	}
	return out, nil
}

func (x Expander) object(obj runtime.Object, missing, empty *[]string) (runtime.Object, error) {
	var content map[string]any
	if u, ok := obj.(*unstructured.Unstructured); ok {
		content = u.DeepCopy().Object
	} else {
		var err error
		if content, err = runtime.DefaultUnstructuredConverter.ToUnstructured(obj); err != nil {
			return nil, fmt.Errorf("%s: %w", describe(obj), err)
		}
	}
	walked, err := x.walk(content, "", missing, empty)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", describe(obj), err)
	}
	content = walked.(map[string]any)
	if _, ok := obj.(*unstructured.Unstructured); ok {
		return &unstructured.Unstructured{Object: content}, nil
	}
	out := obj.DeepCopyObject()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(content, out); err != nil {
		return nil, fmt.Errorf("%s: %w", describe(obj), err)
	}
	return out, nil
}

func (x Expander) walk(v any, path string, missing, empty *[]string) (any, error) {
	switch v := v.(type) {
	case string:
		s, err := x.expand(v, missing, empty)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", path, err)
		}
		return s, nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys) // the first syntax error reported must not depend on map order
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			nv, err := x.walk(v[k], p, missing, empty)
			if err != nil {
				return nil, err
			}
			v[k] = nv
		}
		return v, nil
	case []any:
		for i := range v {
			nv, err := x.walk(v[i], path+"["+strconv.Itoa(i)+"]", missing, empty)
			if err != nil {
				return nil, err
			}
			v[i] = nv
		}
		return v, nil
	default:
		return v, nil
	}
}
