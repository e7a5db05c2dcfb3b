package manifest

import (
	"errors"
	"fmt"
	"runtime/debug"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

// Module is the module path whose version [LibraryVersion] reports.
const Module = "github.com/pydeploy/pydeploy"

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

// stampField ties a Stamp field to its annotation and environment variable.
type stampField struct {
	annotation string
	env        string
	get        func(*Stamp) *string
}

var stampFields = []stampField{
	{AnnotationGitSHA, "PYDEPLOY_GIT_SHA", func(s *Stamp) *string { return &s.GitSHA }},
	{AnnotationImage, "PYDEPLOY_IMAGE", func(s *Stamp) *string { return &s.Image }},
	{AnnotationImageDigest, "PYDEPLOY_IMAGE_DIGEST", func(s *Stamp) *string { return &s.ImageDigest }},
	{AnnotationLockHash, "PYDEPLOY_LOCK_HASH", func(s *Stamp) *string { return &s.LockHash }},
	{AnnotationVersion, "PYDEPLOY_VERSION", func(s *Stamp) *string { return &s.Version }},
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
//
// Stamping is idempotent; stamping again replaces the values, and a field
// left empty removes its annotation and variable. A container that already
// sets one of the PYDEPLOY_* names itself is an error: the stamp would
// silently override or be overridden. Because the stamp is part of the pod
// template, a new GitSHA rolls the pods even when the image is unchanged;
// that is what lets a rollback restore the exact revision.
func StampObjects(objs []runtime.Object, s Stamp) error {
	if s.Version == "" {
		s.Version = LibraryVersion()
	}
	if err := s.Validate(); err != nil {
		return err
	}
	// Check every object before changing any, so a clash leaves all untouched.
	for i, obj := range objs {
		if obj == nil {
			return fmt.Errorf("object %d is nil", i+1)
		}
		if _, err := meta.Accessor(obj); err != nil {
			return fmt.Errorf("%s: %w", describe(obj), err)
		}
		if err := readPodTemplates(obj, func(pt podTemplate) error { return checkEnvClash(obj, pt) }); err != nil {
			return err
		}
	}
	for _, obj := range objs {
		acc, _ := meta.Accessor(obj)
		acc.SetAnnotations(stampAnnotations(acc.GetAnnotations(), s))
		err := editPodTemplates(obj, func(pt podTemplate) error {
			pt.meta.Annotations = stampAnnotations(pt.meta.Annotations, s)
			for _, c := range pt.containers() {
				c.Env = stampEnv(c.Env, s)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func stampAnnotations(ann map[string]string, s Stamp) map[string]string {
	out := make(map[string]string, len(ann)+len(stampFields))
	for k, v := range ann {
		out[k] = v
	}
	for _, f := range stampFields {
		if v := *f.get(&s); v != "" {
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
				if e.Name == f.env && !isStampEnv(e, f) {
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
		if *f.get(&s) != "" && !present[f.env] {
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
		if f.env == name {
			return f, true
		}
	}
	return stampField{}, false
}

// ReadStamp returns the stamp recorded on obj. For workloads it reads the
// pod template, which is what the running pods (and a ReplicaSet kept for
// rollback) carry; for other objects, their own annotations. An object
// without any pydeploy.io stamp annotation gives [ErrNoStamp].
func ReadStamp(obj runtime.Object) (Stamp, error) {
	if obj == nil {
		return Stamp{}, fmt.Errorf("object is nil")
	}
	acc, err := meta.Accessor(obj)
	if err != nil {
		return Stamp{}, fmt.Errorf("%s: %w", describe(obj), err)
	}
	ann := acc.GetAnnotations()
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
		if v, ok := ann[f.annotation]; ok {
			*f.get(&s) = v
			found = true
		}
	}
	if !found {
		return Stamp{}, fmt.Errorf("%s: %w", describe(obj), ErrNoStamp)
	}
	return s, nil
}
