package manifest

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"runtime/debug"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Module is the module path whose version [LibraryVersion] reports.
const Module = "github.com/pydeploy/pydeploy"

// AnnotationPrefix starts every annotation key pydeploy writes.
const AnnotationPrefix = "pydeploy.io/"

// Annotation keys written by [StampObjects].
const (
	AnnotationGitSHA      = "pydeploy.io/git-sha"
	AnnotationImage       = "pydeploy.io/image"
	AnnotationImageDigest = "pydeploy.io/image-digest"
	AnnotationLockHash    = "pydeploy.io/lock-hash"
	AnnotationVersion     = "pydeploy.io/pydeploy-version"
)

// ErrNoStamp is returned by [ReadStamp] for an object that was never stamped.
var ErrNoStamp = errors.New("object carries no pydeploy stamp")

// Stamp identifies exactly what a revision was built from. Empty fields are
// not written; a missing GitSHA is allowed (a build outside Git), but then
// the revision cannot be traced back to source.
type Stamp struct {
	// GitSHA is the commit the manifests were rendered from.
	GitSHA string
	// Image is the container image reference, ideally pinned.
	Image string
	// ImageDigest is the image's manifest digest ("sha256:…").
	ImageDigest string
	// LockHash is the content hash of the Python lock file.
	LockHash string
	// Version is the pydeploy library version; empty means
	// [LibraryVersion]. Set it for reproducible output in tests.
	Version string
}

// stampField ties a Stamp field to its annotation and, for the fields that
// describe the revision, its environment variable in the pod template.
type stampField struct {
	annotation string
	env        string // "" for fields kept off the pod template
	get        func(*Stamp) *string
}

// template reports whether the field goes into pod templates too. The
// library version does not: it describes the tool, not the revision, and a
// pod template change rolls every pod, so upgrading pydeploy would
// otherwise restart every service on its next deploy.
func (f stampField) template() bool { return f.env != "" }

var stampFields = []stampField{
	{AnnotationGitSHA, "PYDEPLOY_GIT_SHA", func(s *Stamp) *string { return &s.GitSHA }},
	{AnnotationImage, "PYDEPLOY_IMAGE", func(s *Stamp) *string { return &s.Image }},
	{AnnotationImageDigest, "PYDEPLOY_IMAGE_DIGEST", func(s *Stamp) *string { return &s.ImageDigest }},
	{AnnotationLockHash, "PYDEPLOY_LOCK_HASH", func(s *Stamp) *string { return &s.LockHash }},
	{AnnotationVersion, "", func(s *Stamp) *string { return &s.Version }},
}

// LibraryVersion is the version of module github.com/pydeploy/pydeploy that
// the running program was built with, as the importing module resolved it,
// or "(devel)" when it is unknown (tests, a replace to a local directory).
func LibraryVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	if info.Main.Path == Module && info.Main.Version != "" {
		return info.Main.Version
	}
	for _, dep := range info.Deps {
		if dep.Path != Module {
			continue
		}
		if dep.Replace != nil && dep.Replace.Version != "" {
			return dep.Replace.Version
		}
		if dep.Replace == nil && dep.Version != "" {
			return dep.Version
		}
	}
	return "(devel)"
}

// Validate checks the fields that have a fixed form: GitSHA is 7 to 64
// lower-case hex digits, Image passes [ParseImage], ImageDigest is a digest
// and, when Image carries a digest too, the same one.
func (s Stamp) Validate() error {
	var errs []error
	if s.GitSHA != "" && !isLowerHex(s.GitSHA, 7, 64) {
		errs = append(errs, fmt.Errorf("stamp git SHA %q: expected 7 to 64 lower-case hex digits", s.GitSHA))
	}
	var img Image
	if s.Image != "" {
		var err error
		if img, err = ParseImage(s.Image); err != nil {
			errs = append(errs, fmt.Errorf("stamp image: %w", err))
		}
	}
	if s.ImageDigest != "" {
		if _, err := (Image{Registry: "docker.io", Repository: "library/x"}).WithDigest(s.ImageDigest); err != nil {
			errs = append(errs, fmt.Errorf("stamp image digest %q: expected algorithm:hex, such as sha256:<64 hex digits>", s.ImageDigest))
		} else if img.Digest != "" && img.Digest != s.ImageDigest {
			errs = append(errs, fmt.Errorf("stamp image %q has digest %s but the stamp's image digest is %s", s.Image, img.Digest, s.ImageDigest))
		}
	}
	return errors.Join(errs...)
}

func isLowerHex(s string, minLen, maxLen int) bool {
	if len(s) < minLen || len(s) > maxLen {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// StampObjects records s on objs, in place: as pydeploy.io/* annotations on
// every object and on every pod template, and, in every container and init
// container, as PYDEPLOY_* environment variables that read those pod
// annotations through the downward API (fieldRef
// metadata.annotations['pydeploy.io/git-sha']), so the service can log its
// version at startup and the values cannot disagree with the annotations.
// The library version (Stamp.Version) is recorded on the objects' own
// metadata only, never in a pod template: upgrading pydeploy changes no pod
// template and so rolls no pod.
//
// A stamp cannot lie about the image: when Stamp.Image is set and objs hold
// pod templates, at least one of their containers (or init containers) must
// run it — the same repository with the same tag, or the same digest
// (Stamp.ImageDigest counts) — else StampObjects fails naming the images
// the containers run.
//
// Stamping is idempotent; stamping again replaces the values, and a field
// left empty removes its annotation and variable. A container that already
// sets one of the PYDEPLOY_* names itself is an error: the stamp would
// silently override or be overridden. Because the stamp is part of the pod
// template, a new GitSHA rolls the pods even when the image is unchanged;
// that is what lets a rollback restore the exact revision. For the same
// reason a Job named by its spec (NameFromSpecAnnotation, such as deploy's
// migration Job) is renamed after its template changed: a Job's template
// is immutable.
func StampObjects(objs []runtime.Object, s Stamp) error {
	if s.Version == "" {
		s.Version = LibraryVersion()
	}
	if err := s.Validate(); err != nil {
		return err
	}
	// Check every object before changing any, so a clash leaves all untouched.
	var images []string // "deployment "x" container "app": image", for the error
	runs := s.Image == ""
	for i, obj := range objs {
		if isNil(obj) {
			return fmt.Errorf("object %d is nil", i+1)
		}
		if _, err := meta.Accessor(obj); err != nil {
			return fmt.Errorf("%s: %w", describe(obj), err)
		}
		if err := writableMetadata(obj); err != nil {
			return err
		}
		err := readPodTemplates(obj, func(pt podTemplate) error {
			for _, c := range pt.containers() {
				runs = runs || runsImage(c.Image, s.Image, s.ImageDigest)
				images = append(images, fmt.Sprintf("%s container %q runs %q", describe(obj), c.Name, c.Image))
			}
			return checkEnvClash(obj, pt)
		})
		if err != nil {
			return err
		}
	}
	if !runs && len(images) > 0 {
		return fmt.Errorf("stamp image %q is run by no container: %s; stamp the image the objects deploy",
			s.Image, strings.Join(images, "; "))
	}
	for _, obj := range objs {
		acc, _ := meta.Accessor(obj)
		acc.SetAnnotations(stampAnnotations(acc.GetAnnotations(), s, false))
		// A bare Pod is its own template; the library version stays on it.
		inTemplate := obj.GetObjectKind().GroupVersionKind().GroupKind() != schema.GroupKind{Kind: "Pod"}
		err := editPodTemplates(obj, func(pt podTemplate) error {
			pt.meta.Annotations = stampAnnotations(pt.meta.Annotations, s, inTemplate)
			for _, c := range pt.containers() {
				c.Env = stampEnv(c.Env, s)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := renameBySpec(obj); err != nil {
			return err
		}
	}
	return nil
}

// runsImage reports whether a container's image reference is the stamped
// image: the same repository, and the same tag or the same digest.
func runsImage(container, image, digest string) bool {
	if container == image {
		return true
	}
	c, err1 := ParseImage(container)
	want, err2 := ParseImage(image)
	if err1 != nil || err2 != nil || c.Name() != want.Name() {
		return false
	}
	if want.Digest == "" {
		want.Digest = digest
	}
	return (c.Digest != "" && c.Digest == want.Digest) || (c.Tag != "" && c.Tag == want.Tag && (c.Digest == "" || want.Digest == ""))
}

// stampAnnotations writes s's annotations into ann; inTemplate leaves out
// (and removes) the fields that do not belong in a pod template.
func stampAnnotations(ann map[string]string, s Stamp, inTemplate bool) map[string]string {
	out := make(map[string]string, len(ann)+len(stampFields))
	maps.Copy(out, ann)
	for _, f := range stampFields {
		if v := *f.get(&s); v != "" && (f.template() || !inTemplate) {
			out[f.annotation] = v
		} else {
			delete(out, f.annotation)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func stampEnvVar(f stampField) corev1.EnvVar {
	return corev1.EnvVar{Name: f.env, ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['" + f.annotation + "']"},
	}}
}

// isStampEnv reports whether e is exactly the variable StampObjects writes.
func isStampEnv(e corev1.EnvVar, f stampField) bool {
	return e.Name == f.env && e.Value == "" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil &&
		e.ValueFrom.ConfigMapKeyRef == nil && e.ValueFrom.SecretKeyRef == nil && e.ValueFrom.ResourceFieldRef == nil &&
		e.ValueFrom.FieldRef.FieldPath == stampEnvVar(f).ValueFrom.FieldRef.FieldPath
}

func checkEnvClash(obj runtime.Object, pt podTemplate) error {
	for _, c := range pt.containers() {
		for _, e := range c.Env {
			for _, f := range stampFields {
				if f.template() && e.Name == f.env && !isStampEnv(e, f) {
					return fmt.Errorf("%s: container %q sets %s itself; remove it, the stamp provides it from annotation %s",
						describe(obj), c.Name, f.env, f.annotation)
				}
			}
		}
	}
	return nil
}

// stampEnv keeps the user's variables in order, updates stamp variables in
// place, appends new ones in a fixed order and drops those now unset.
func stampEnv(env []corev1.EnvVar, s Stamp) []corev1.EnvVar {
	out := make([]corev1.EnvVar, 0, len(env)+len(stampFields))
	present := map[string]bool{}
	for _, e := range env {
		f, isStamp := stampFieldByEnv(e.Name)
		if isStamp {
			if *f.get(&s) == "" || present[e.Name] {
				continue
			}
			present[e.Name] = true
			e = stampEnvVar(f)
		}
		out = append(out, e)
	}
	for _, f := range stampFields {
		if f.template() && *f.get(&s) != "" && !present[f.env] {
			out = append(out, stampEnvVar(f))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func stampFieldByEnv(name string) (stampField, bool) {
	for _, f := range stampFields {
		if f.template() && f.env == name {
			return f, true
		}
	}
	return stampField{}, false
}

// ReadStamp returns the stamp recorded on obj. For workloads it reads the
// pod template, which is what the running pods (and a ReplicaSet kept for
// rollback) carry, and the library version from the object's own metadata;
// for other objects, their own annotations. An object without any
// pydeploy.io stamp annotation gives [ErrNoStamp]; a nil or malformed
// object gives an error, never a panic.
func ReadStamp(obj runtime.Object) (Stamp, error) {
	if isNil(obj) {
		return Stamp{}, fmt.Errorf("object is nil")
	}
	acc, err := meta.Accessor(obj)
	if err != nil {
		return Stamp{}, fmt.Errorf("%s: %w", describe(obj), err)
	}
	own := acc.GetAnnotations()
	ann := own
	err = readPodTemplates(obj, func(pt podTemplate) error {
		ann = pt.meta.Annotations
		return nil
	})
	if err != nil {
		return Stamp{}, err
	}
	var s Stamp
	found := false
	for _, f := range stampFields {
		from := ann
		if !f.template() {
			from = own
		}
		if v, ok := from[f.annotation]; ok {
			*f.get(&s) = v
			found = true
		}
	}
	if !found {
		return Stamp{}, fmt.Errorf("%s: %w", describe(obj), ErrNoStamp)
	}
	return s, nil
}

// writableMetadata makes sure annotations can be set on obj: an
// unstructured object whose metadata is null gets an empty one, and one
// whose metadata is not an object is an error (unstructured's setters
// would silently drop the stamp).
func writableMetadata(obj runtime.Object) error {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil
	}
	switch md := u.Object["metadata"].(type) {
	case map[string]any:
		if a, ok := md["annotations"]; ok && a != nil {
			if _, ok := a.(map[string]any); !ok {
				return fmt.Errorf("%s: metadata.annotations is a %T, expected an object", describe(obj), a)
			}
		}
	case nil:
		u.Object["metadata"] = map[string]any{}
	default:
		return fmt.Errorf("%s: metadata is a %T, expected an object", describe(obj), md)
	}
	return nil
}

// isNil reports whether obj is nil or a nil pointer in an interface.
func isNil(obj runtime.Object) bool {
	if obj == nil {
		return true
	}
	v := reflect.ValueOf(obj)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
