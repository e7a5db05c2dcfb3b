package deploy

import (
	"fmt"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// clusterScoped lists the built-in kinds without a namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"CustomResourceDefinition": true, "StorageClass": true, "PriorityClass": true, "IngressClass": true,
	"RuntimeClass": true, "MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true, "MutatingAdmissionPolicy": true,
	"MutatingAdmissionPolicyBinding": true, "APIService": true, "CSIDriver": true, "CSINode": true,
	"VolumeAttachment": true, "CertificateSigningRequest": true, "FlowSchema": true,
	"PriorityLevelConfiguration": true, "GatewayClass": true, "DeviceClass": true, "VolumeAttributesClass": true,
}

// nameRule returns the name validation of a kind and an extra length
// limit (0: none) with its reason.
func nameRule(kind string) (apivalidation.ValidateNameFunc, int, string) {
	switch kind {
	case "Service":
		return apivalidation.NameIsDNS1035Label, 0, ""
	case "Namespace":
		return apivalidation.ValidateNamespaceName, 0, ""
	case "Job":
		return apivalidation.NameIsDNSSubdomain, 63, "the Job controller puts the name in its pods' batch.kubernetes.io/job-name label"
	case "CronJob":
		return apivalidation.NameIsDNSSubdomain, 52, "the CronJob controller appends an 11-character suffix to name each Job"
	}
	return apivalidation.NameIsDNSSubdomain, 0, ""
}

// checkMeta validates an object's name, namespace, labels, annotations and
// waivers, naming each bad label by its key.
func (v *validator) checkMeta(it *item) {
	m := it.meta
	md := field.NewPath("metadata")
	fn, limit, why := nameRule(it.kind())
	switch name := m.GetName(); {
	case name == "" && m.GetGenerateName() == "":
		v.add(it, CheckName, field.Required(md.Child("name"), "name or generateName is required"))
	case name != "":
		for _, msg := range fn(name, false) {
			v.add(it, CheckName, field.Invalid(md.Child("name"), name, msg))
		}
		if limit > 0 && len(name) > limit {
			v.add(it, CheckName, field.Invalid(md.Child("name"), name, fmt.Sprintf("must be no more than %d characters: %s", limit, why)))
		}
	}
	ns := m.GetNamespace()
	switch {
	case clusterScoped[it.kind()] && ns != "":
		v.add(it, CheckName, field.Forbidden(md.Child("namespace"), "not allowed on this type: "+it.kind()+" is cluster-scoped"))
	case clusterScoped[it.kind()]:
	case ns == "":
		v.add(it, CheckNamespace, field.Required(md.Child("namespace"),
			"the object lands in whatever namespace it is applied to; set metadata.namespace, or in a kustomize base leave it to the overlay's namespace: field (manifest.ApplyOptions.Namespace also fills it)"))
	default:
		for _, msg := range apivalidation.ValidateNamespaceName(ns, false) {
			v.add(it, CheckName, field.Invalid(md.Child("namespace"), ns, msg))
		}
	}
	v.add(it, CheckLabels, labelErrs(m.GetLabels(), md.Child("labels"))...)
	v.add(it, CheckLabels, apivalidation.ValidateAnnotations(m.GetAnnotations(), md.Child("annotations"))...)
	v.checkWaiverAnnotations(it)
}

// labelErrs validates labels with a path per key, so two bad values do not
// produce two identical lines.
func labelErrs(labels map[string]string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range sortedKeys(labels) {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(fld, k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(labels[k]) {
			errs = append(errs, field.Invalid(fld.Key(k), labels[k], msg))
		}
	}
	return errs
}

func (v *validator) checkWaiverAnnotations(it *item) {
	for _, k := range sortedKeys(it.meta.GetAnnotations()) {
		id, ok := strings.CutPrefix(k, WaiverAnnotationPrefix)
		if !ok {
			continue
		}
		fld := field.NewPath("metadata", "annotations").Key(k)
		switch _, known := LookupCheck(CheckID(id)); {
		case !known:
			v.add(it, CheckWaiver, field.NotFound(fld, id))
		case CheckID(id) == CheckWaiver:
			v.add(it, CheckWaiver, field.Forbidden(fld, "waiver checks cannot be waived"))
		case strings.TrimSpace(it.meta.GetAnnotations()[k]) == "":
			v.add(it, CheckWaiver, field.Required(fld, "a waiver needs a written reason"))
		}
	}
}
