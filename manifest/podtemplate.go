package manifest

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// podTemplate is a view of one pod template (or a Pod) that stamping and
// pinning edit: its annotations and its containers, init containers first.
type podTemplate struct {
	meta      *metav1.ObjectMeta
	init      []*corev1.Container
	main      []*corev1.Container
	writeBack func() error // for unstructured objects; nil for typed ones
}

func (pt podTemplate) containers() []*corev1.Container {
	return append(append([]*corev1.Container(nil), pt.init...), pt.main...)
}

// templatePaths says where the pod template lives in each workload kind;
// an empty path means the object is itself a Pod.
var templatePaths = map[schema.GroupKind][]string{
	{Group: "", Kind: "Pod"}:                   {},
	{Group: "", Kind: "PodTemplate"}:           {"template"},
	{Group: "", Kind: "ReplicationController"}: {"spec", "template"},
	{Group: "apps", Kind: "Deployment"}:        {"spec", "template"},
	{Group: "apps", Kind: "StatefulSet"}:       {"spec", "template"},
	{Group: "apps", Kind: "DaemonSet"}:         {"spec", "template"},
	{Group: "apps", Kind: "ReplicaSet"}:        {"spec", "template"},
	{Group: "batch", Kind: "Job"}:              {"spec", "template"},
	{Group: "batch", Kind: "CronJob"}:          {"spec", "jobTemplate", "spec", "template"},
}

func ptrs(cs []corev1.Container) []*corev1.Container {
	out := make([]*corev1.Container, len(cs))
	for i := range cs {
		out[i] = &cs[i]
	}
	return out
}

func typedTemplate(meta *metav1.ObjectMeta, spec *corev1.PodSpec) *podTemplate {
	return &podTemplate{meta: meta, init: ptrs(spec.InitContainers), main: ptrs(spec.Containers)}
}

// editPodTemplates calls fn on obj's pod template, if it has one, and keeps
// the changes. Objects without a pod template are left alone.
func editPodTemplates(obj runtime.Object, fn func(podTemplate) error) error {
	if isNil(obj) {
		return nil
	}
	var pt *podTemplate
	switch o := obj.(type) {
	case *corev1.Pod:
		pt = typedTemplate(&o.ObjectMeta, &o.Spec)
	case *corev1.PodTemplate:
		pt = typedTemplate(&o.Template.ObjectMeta, &o.Template.Spec)
	case *corev1.ReplicationController:
		if o.Spec.Template == nil {
			return nil
		}
		pt = typedTemplate(&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec)
	case *appsv1.Deployment:
		pt = typedTemplate(&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec)
	case *appsv1.StatefulSet:
		pt = typedTemplate(&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec)
	case *appsv1.DaemonSet:
		pt = typedTemplate(&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec)
	case *appsv1.ReplicaSet:
		pt = typedTemplate(&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec)
	case *batchv1.Job:
		pt = typedTemplate(&o.Spec.Template.ObjectMeta, &o.Spec.Template.Spec)
	case *batchv1.CronJob:
		pt = typedTemplate(&o.Spec.JobTemplate.Spec.Template.ObjectMeta, &o.Spec.JobTemplate.Spec.Template.Spec)
	case *unstructured.Unstructured:
		var err error
		if pt, err = unstructuredTemplate(o); err != nil {
			return fmt.Errorf("%s: %w", describe(obj), err)
		}
	}
	if pt == nil {
		return nil
	}
	if err := fn(*pt); err != nil {
		return err
	}
	if pt.writeBack != nil {
		if err := pt.writeBack(); err != nil {
			return fmt.Errorf("%s: %w", describe(obj), err)
		}
	}
	return nil
}

// readPodTemplates calls fn on a copy of obj's pod template.
func readPodTemplates(obj runtime.Object, fn func(podTemplate) error) error {
	if isNil(obj) {
		return fmt.Errorf("object is nil")
	}
	return editPodTemplates(obj.DeepCopyObject(), fn)
}

// unstructuredTemplate decodes only what stamping and pinning touch (the
// template's metadata and each container) and writes back only the fields
// they change (annotations, image, env), so unknown or newer fields
// elsewhere in the object survive untouched.
func unstructuredTemplate(u *unstructured.Unstructured) (*podTemplate, error) {
	path, ok := templatePaths[u.GroupVersionKind().GroupKind()]
	if !ok {
		return nil, nil
	}
	tmpl := u.Object
	for _, p := range path {
		next, ok := tmpl[p].(map[string]any)
		if !ok {
			return nil, nil
		}
		tmpl = next
	}
	pt := &podTemplate{meta: &metav1.ObjectMeta{}}
	if md, ok := tmpl["metadata"].(map[string]any); ok {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(md, pt.meta, true); err != nil {
			return nil, fmt.Errorf("pod template metadata: %w", err)
		}
	}
	spec, _ := tmpl["spec"].(map[string]any)
	var backs []func() error
	for _, list := range []struct {
		key string
		dst *[]*corev1.Container
	}{{"initContainers", &pt.init}, {"containers", &pt.main}} {
		items, _ := spec[list.key].([]any)
		for i, item := range items {
			cm, ok := item.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s[%d]: expected an object, found %T", list.key, i, item)
			}
			c := &corev1.Container{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(cm, c, true); err != nil {
				return nil, fmt.Errorf("%s[%d]: %w", list.key, i, err)
			}
			*list.dst = append(*list.dst, c)
			backs = append(backs, func() error { return writeContainer(cm, c) })
		}
	}
	pt.writeBack = func() error {
		if len(pt.meta.Annotations) > 0 {
			md, ok := tmpl["metadata"].(map[string]any)
			if !ok {
				md = map[string]any{}
				tmpl["metadata"] = md
			}
			ann := make(map[string]any, len(pt.meta.Annotations))
			for k, v := range pt.meta.Annotations {
				ann[k] = v
			}
			md["annotations"] = ann
		} else if md, ok := tmpl["metadata"].(map[string]any); ok {
			delete(md, "annotations")
		}
		for _, b := range backs {
			if err := b(); err != nil {
				return err
			}
		}
		return nil
	}
	return pt, nil
}

func writeContainer(cm map[string]any, c *corev1.Container) error {
	if c.Image != "" {
		cm["image"] = c.Image
	}
	if len(c.Env) == 0 {
		delete(cm, "env")
		return nil
	}
	env := make([]any, len(c.Env))
	for i := range c.Env {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&c.Env[i])
		if err != nil {
			return fmt.Errorf("container %q env %q: %w", c.Name, c.Env[i].Name, err)
		}
		env[i] = m
	}
	cm["env"] = env
	return nil
}
