package manifest

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
)

// Resolver finds the digest an image tag currently points to.
// [RegistryResolver] asks a registry; tests and air-gapped pipelines can
// supply a table.
type Resolver interface {
	// Digest returns the manifest digest of img's tag, such as
	// "sha256:…". img has a tag and no digest.
	Digest(ctx context.Context, img Image) (string, error)
}

// PinImage returns img with the digest its tag resolves to through r. An
// image that already has a digest is returned unchanged, without asking r:
// a digest is the pin. The digest r returns is checked for format.
func PinImage(ctx context.Context, img Image, r Resolver) (Image, error) {
	if img.Pinned() {
		return img, nil
	}
	if img.Tag == "" {
		return Image{}, fmt.Errorf("image %q: %w", img.Name(), ErrNoTag)
	}
	d, err := r.Digest(ctx, img)
	if err != nil {
		return Image{}, fmt.Errorf("pin image %q: %w", img, err)
	}
	pinned, err := img.WithDigest(d)
	if err != nil {
		return Image{}, fmt.Errorf("pin image %q: resolver returned an invalid digest: %w", img, err)
	}
	return pinned, nil
}

// PinObjects rewrites the image of every container and init container in
// the pod templates of objs (Deployment, StatefulSet, DaemonSet, ReplicaSet,
// Job, CronJob, Pod, ReplicationController, PodTemplate; typed or
// unstructured) to "registry/repository:tag@digest", resolving each distinct
// image once. Every image must pass [ParseImage]. Objects are modified in
// place only when every image resolves, so a failure leaves them untouched.
func PinObjects(ctx context.Context, objs []runtime.Object, r Resolver) error {
	pinned := map[string]string{} // image as written -> pinned reference
	collect := func(obj runtime.Object, pt podTemplate) error {
		for _, c := range pt.containers() {
			if _, done := pinned[c.Image]; done {
				continue
			}
			img, err := ParseImage(c.Image)
			if err != nil {
				return fmt.Errorf("%s: container %q: %w", describe(obj), c.Name, err)
			}
			p, err := PinImage(ctx, img, r)
			if err != nil {
				return fmt.Errorf("%s: container %q: %w", describe(obj), c.Name, err)
			}
			pinned[c.Image] = p.String()
		}
		return nil
	}
	for _, obj := range objs {
		if err := readPodTemplates(obj, func(pt podTemplate) error { return collect(obj, pt) }); err != nil {
			return err
		}
	}
	for _, obj := range objs {
		err := editPodTemplates(obj, func(pt podTemplate) error {
			for _, c := range pt.containers() {
				c.Image = pinned[c.Image]
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
