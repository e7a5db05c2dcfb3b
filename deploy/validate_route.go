package deploy

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// checkHTTPRouteSpec checks what the gateway-api CRD's schema and CEL rules
// would refuse and what leaves the route unattached.
func (v *validator) checkHTTPRouteSpec(it *item, r *gatewayv1.HTTPRoute) {
	spec := field.NewPath("spec")
	if len(r.Spec.ParentRefs) == 0 {
		v.add(it, CheckHTTPRoute, field.Required(spec.Child("parentRefs"), "attach the route to a Gateway, or no traffic reaches it"))
	}
	for i, p := range r.Spec.ParentRefs {
		if p.Name == "" {
			v.add(it, CheckHTTPRoute, field.Required(spec.Child("parentRefs").Index(i).Child("name"), ""))
		}
	}
	for i, h := range r.Spec.Hostnames {
		host := strings.TrimPrefix(string(h), "*.")
		for _, msg := range validation.IsDNS1123Subdomain(host) {
			v.add(it, CheckHTTPRoute, field.Invalid(spec.Child("hostnames").Index(i), string(h), msg))
		}
	}
	for i, rule := range r.Spec.Rules {
		rf := spec.Child("rules").Index(i)
		for j, m := range rule.Matches {
			if m.Path == nil || m.Path.Value == nil {
				continue
			}
			if !strings.HasPrefix(*m.Path.Value, "/") {
				v.add(it, CheckHTTPRoute, field.Invalid(rf.Child("matches").Index(j).Child("path", "value"), *m.Path.Value, "must be an absolute path"))
			}
		}
		for j, b := range rule.BackendRefs {
			bf := rf.Child("backendRefs").Index(j)
			isService := (b.Group == nil || *b.Group == "") && (b.Kind == nil || *b.Kind == "Service")
			if isService && b.Port == nil {
				v.add(it, CheckHTTPRoute, field.Required(bf.Child("port"), "a Service backend needs a port"))
			}
		}
	}
}

func (v *validator) relateRoutes() {
	for _, e := range typedItems[*gatewayv1.HTTPRoute](v) {
		r, it := e.obj, e.it
		for i, rule := range r.Spec.Rules {
			for j, b := range rule.BackendRefs {
				if (b.Group != nil && *b.Group != "") || (b.Kind != nil && *b.Kind != "Service") || b.Port == nil {
					continue
				}
				ns := it.meta.GetNamespace()
				if b.Namespace != nil {
					ns = string(*b.Namespace)
				}
				svc := v.findService(ns, string(b.Name))
				if svc == nil {
					continue
				}
				if !serviceHasPort(svc, "", *b.Port) {
					v.add(it, CheckHTTPRoute, field.Invalid(field.NewPath("spec", "rules").Index(i).Child("backendRefs").Index(j).Child("port"), *b.Port,
						fmt.Sprintf("Service %q has no port %d", b.Name, *b.Port)))
				}
			}
		}
	}
}
