package manifest

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/api/resmap"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// LabelVersion is the recommended label for a workload's version; deploy
// sets it to the image tag unless told otherwise.
const LabelVersion = "app.kubernetes.io/version"

// followImages keeps stamps, version labels and spec-named Jobs truthful
// after an overlay:
// when a kustomization's images: entry replaced the image a pod template's
// stamp names (pydeploy.io/image), the stamp's image, and its digest, become
// the image the template now runs, on the template and on the object, and
// app.kubernetes.io/version follows when it was the old image's tag (an
// explicit version that was not a tag is left alone). Without a stamp
// nothing says which image a version label was derived from, so nothing
// changes. A Job named by its spec (NameFromSpecAnnotation) gets the name
// its final spec calls for.
func followImages(m resmap.ResMap) error {
	for _, r := range m.Resources() {
		gvk := r.GetGvk()
		path, ok := templatePaths[schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}]
		if !ok {
			continue
		}
		tmpl, err := r.Pipe(kyaml.Lookup(path...))
		if err != nil || tmpl == nil {
			continue
		}
		if err := followImage(&r.RNode, tmpl, len(path) > 0); err != nil {
			return fmt.Errorf("%s %q: %w", gvk.Kind, r.GetName(), err)
		}
		if base := r.GetAnnotations()[NameFromSpecAnnotation]; base != "" && gvk.Group == "batch" && gvk.Kind == "Job" {
			m, err := r.Map()
			if err != nil {
				return fmt.Errorf("job %q: %w", r.GetName(), err)
			}
			u := &unstructured.Unstructured{Object: m}
			if err := renameBySpec(u); err != nil {
				return err
			}
			if err := r.SetName(u.GetName()); err != nil {
				return fmt.Errorf("job %q: %w", r.GetName(), err)
			}
		}
	}
	return nil
}

func followImage(obj, tmpl *kyaml.RNode, hasTemplate bool) error {
	stamped := tmpl.GetAnnotations()[AnnotationImage]
	if stamped == "" {
		return nil
	}
	old, err := ParseImage(stamped)
	if err != nil {
		return nil // a stamp this package did not write; leave it
	}
	var images []string
	for _, field := range []string{"initContainers", "containers"} {
		list, _ := tmpl.Pipe(kyaml.Lookup("spec", field))
		if list == nil {
			continue
		}
		for _, c := range list.Content() {
			if n := kyaml.NewRNode(c).Field("image"); n != nil && n.Value != nil {
				images = append(images, kyaml.GetValue(n.Value))
			}
		}
	}
	digest := tmpl.GetAnnotations()[AnnotationImageDigest]
	var same []string // images of the stamped repository
	for _, img := range images {
		if runsImage(img, stamped, digest) {
			return nil
		}
		if p, err := ParseImage(img); err == nil && p.Name() == old.Name() {
			same = append(same, img)
		}
	}
	var next string
	switch {
	case len(same) == 1: // newTag or digest changed
		next = same[0]
	case len(images) == 1: // newName too
		next = images[0]
	default:
		return fmt.Errorf("an overlay replaced the stamped image %q and no single container runs its successor (containers run %q); stamp the overlay's output instead", stamped, images)
	}
	nextImg, err := ParseImage(next)
	if err != nil {
		return fmt.Errorf("an overlay replaced the stamped image %q with %q: %w", stamped, next, err)
	}
	nodes := []*kyaml.RNode{tmpl}
	if hasTemplate && obj.GetAnnotations()[AnnotationImage] == stamped {
		nodes = append(nodes, obj)
	}
	for _, n := range nodes {
		ann := n.GetAnnotations()
		ann[AnnotationImage] = next
		delete(ann, AnnotationImageDigest)
		if nextImg.Digest != "" {
			ann[AnnotationImageDigest] = nextImg.Digest
		}
		if err := n.SetAnnotations(ann); err != nil {
			return err
		}
	}
	if old.Tag == "" || nextImg.Tag == "" || old.Tag == nextImg.Tag {
		return nil
	}
	labelled := []*kyaml.RNode{obj}
	if hasTemplate && !selects(obj, LabelVersion) {
		labelled = append(labelled, tmpl)
	}
	for _, n := range labelled {
		labels := n.GetLabels()
		if labels[LabelVersion] != old.Tag {
			continue
		}
		labels[LabelVersion] = nextImg.Tag
		if err := n.SetLabels(labels); err != nil {
			return err
		}
	}
	return nil
}

// selects reports whether the workload's selector uses label key: then the
// template's label must not change.
func selects(obj *kyaml.RNode, key string) bool {
	for _, path := range [][]string{{"spec", "selector", "matchLabels", key}, {"spec", "selector", key}} {
		if n, _ := obj.Pipe(kyaml.Lookup(path...)); n != nil {
			return true
		}
	}
	return false
}
