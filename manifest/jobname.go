package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// NameFromSpecAnnotation on a Job says that its name is the annotation's
// value followed by "-" and a hash of its spec (JobSpecHash). A Job's pod
// template is immutable, so a Job whose spec changes needs a new name;
// deploy names a release's migration Job this way, and StampObjects and
// Kustomize rename such a Job after they change its spec (a new stamp, an
// overlay's image), so that every release with a new stamp runs its own
// Job while re-applying the same release leaves the finished one alone.
const NameFromSpecAnnotation = "pydeploy.io/name-from-spec"

// JobSpecHash is a short, stable hash of a Job spec: 10 hex digits of the
// SHA-256 of its JSON encoding.
func JobSpecHash(spec batchv1.JobSpec) string {
	raw, err := json.Marshal(spec)
	if err != nil {
		// A JobSpec of plain fields always encodes; keep a name anyway.
		return "0000000000"
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])[:10]
}

// renameBySpec gives a Job carrying NameFromSpecAnnotation the name its
// current spec calls for. Other objects are left alone.
func renameBySpec(obj runtime.Object) error {
	switch j := obj.(type) {
	case *batchv1.Job:
		if base := j.Annotations[NameFromSpecAnnotation]; base != "" {
			j.Name = base + "-" + JobSpecHash(j.Spec)
		}
	case *unstructured.Unstructured:
		gvk := j.GroupVersionKind()
		base := j.GetAnnotations()[NameFromSpecAnnotation]
		if gvk.Group != "batch" || gvk.Kind != "Job" || base == "" {
			return nil
		}
		var typed batchv1.Job
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(j.Object, &typed); err != nil {
			return fmt.Errorf("%s: read the Job to name it by its spec: %w", describe(obj), err)
		}
		j.SetName(base + "-" + JobSpecHash(typed.Spec))
	}
	return nil
}
