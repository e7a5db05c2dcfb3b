package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/pydeploy/pydeploy/manifest"
	"gotest.tools/v3/assert"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// undoPatches returns the patches the fake clientset received.
func undoPatches(cs *fake.Clientset) []k8stesting.PatchActionImpl {
	var out []k8stesting.PatchActionImpl
	for _, a := range cs.Actions() {
		if p, ok := a.(k8stesting.PatchActionImpl); ok {
			out = append(out, p)
		}
	}
	return out
}

func TestUndoRestoresTemplateAndAnnotations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		toRevision int64
		want       int
	}{
		{"previous", 0, 2},
		{"specific", 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs := historyCluster()
			res, err := Undo(context.Background(), cs, "shop", "web", tc.toRevision, UndoOptions{})
			assert.NilError(t, err)
			assert.Assert(t, !res.Skipped)
			assert.Equal(t, res.Revision.Number, int64(tc.want))
			assert.Equal(t, res.Revision.Stamp.GitSHA, fmt.Sprintf("%07d", tc.want))
			assert.Equal(t, res.String(), "deployment.apps/web rolled back")

			// The template comes back without pod-template-hash, and the
			// annotations are the ReplicaSet's, except the bookkeeping
			// ones: the Deployment keeps its revision, and the
			// ReplicaSet's desired/max replicas are not copied.
			assert.DeepEqual(t, res.Deployment.Spec.Template, historyTemplate(tc.want))
			assert.DeepEqual(t, res.Deployment.Annotations, map[string]string{
				RevisionAnnotation:        "3",
				ChangeCauseAnnotation:     fmt.Sprintf("deploy %d", tc.want),
				manifest.AnnotationGitSHA: fmt.Sprintf("%07d", tc.want),
			})
			stored, err := cs.AppsV1().Deployments("shop").Get(context.Background(), "web", metav1.GetOptions{})
			assert.NilError(t, err)
			assert.DeepEqual(t, stored.Spec.Template, historyTemplate(tc.want))

			// One server-side apply as the release's manager, forced, and
			// conditional on the resourceVersion read.
			ps := undoPatches(cs)
			assert.Equal(t, len(ps), 1)
			assert.Equal(t, ps[0].PatchType, types.ApplyPatchType)
			assert.Assert(t, ps[0].PatchOptions.DryRun == nil)
			assert.Equal(t, ps[0].PatchOptions.FieldManager, manifest.DefaultFieldManager)
			assert.Assert(t, ps[0].PatchOptions.Force != nil && *ps[0].PatchOptions.Force)
			var sent struct {
				Metadata struct{ ResourceVersion string }
			}
			assert.NilError(t, json.Unmarshal(ps[0].Patch, &sent))
			assert.Assert(t, sent.Metadata.ResourceVersion != "")
		})
	}
}

func TestUndoRefusals(t *testing.T) {
	t.Parallel()
	paused := historyDeployment(3)
	paused.Spec.Paused = true
	single := []runtime.Object{historyDeployment(1), historyReplicaSet(1)}

	tests := []struct {
		name       string
		objs       []runtime.Object
		toRevision int64
		is         error
		notFound   int64
		msg        string
	}{
		{
			name: "paused", objs: []runtime.Object{paused, historyReplicaSet(2), historyReplicaSet(3)},
			is:  ErrRollbackPaused,
			msg: `deployment "web" in namespace "shop": you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again`,
		},
		{
			name: "unknown revision", objs: historyObjects(3), toRevision: 9, notFound: 9,
			msg: `deployment "web" in namespace "shop": unable to find specified revision 9 in history`,
		},
		{
			name: "negative revision", objs: historyObjects(3), toRevision: -1, notFound: -1,
			msg: `unable to find specified revision -1 in history`,
		},
		{
			name: "nothing to go back to", objs: single, is: ErrNoHistory,
			msg: `deployment "web" in namespace "shop": no rollout history found`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs := fake.NewClientset(tc.objs...)
			res, err := Undo(context.Background(), cs, "shop", "web", tc.toRevision, UndoOptions{})
			assert.Error(t, err, tc.msg)
			assert.Assert(t, res == nil)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			if tc.notFound != 0 {
				var nf *RevisionNotFoundError
				assert.Assert(t, errors.As(err, &nf))
				assert.Equal(t, nf.Revision, tc.notFound)
			}
			assert.Equal(t, len(undoPatches(cs)), 0)
		})
	}
}

// historyObjects is historyCluster's content without the distractors.
func historyObjects(n int) []runtime.Object {
	objs := []runtime.Object{historyDeployment(n)}
	for i := 1; i <= n; i++ {
		objs = append(objs, historyReplicaSet(i))
	}
	return objs
}

func TestUndoSkipsWhenTemplateMatches(t *testing.T) {
	t.Parallel()
	// The Deployment was changed back to revision 1's template by hand, so
	// the controller has not numbered a new revision yet: revision 2 (the
	// "previous") is what the Deployment already runs.
	d := historyDeployment(2)
	d.Spec.Template = historyTemplate(2)
	objs := []runtime.Object{d, historyReplicaSet(1), historyReplicaSet(2)}
	cs := fake.NewClientset(objs...)
	res, err := Undo(context.Background(), cs, "shop", "web", 2, UndoOptions{})
	assert.NilError(t, err)
	assert.Assert(t, res.Skipped)
	assert.Equal(t, res.String(), "deployment.apps/web skipped rollback (current template already matches revision 2)")
	assert.Equal(t, res.Deployment.Name, "web")
	assert.Equal(t, len(undoPatches(cs)), 0)
}

func TestUndoDryRun(t *testing.T) {
	t.Parallel()
	cs := historyCluster()
	res, err := Undo(context.Background(), cs, "shop", "web", 0, UndoOptions{DryRun: true})
	assert.NilError(t, err)
	assert.Equal(t, res.String(), "deployment.apps/web rolled back (server dry run)")
	ps := undoPatches(cs)
	assert.Equal(t, len(ps), 1)
	assert.DeepEqual(t, ps[0].PatchOptions.DryRun, []string{metav1.DryRunAll})
}

func TestUndoWrapsAPIErrors(t *testing.T) {
	t.Parallel()
	t.Run("missing deployment", func(t *testing.T) {
		t.Parallel()
		_, err := Undo(context.Background(), fake.NewClientset(), "shop", "web", 0, UndoOptions{})
		assert.ErrorContains(t, err, `get deployment "web" in namespace "shop"`)
		assert.Assert(t, apierrors.IsNotFound(err))
	})
	t.Run("patch refused", func(t *testing.T) {
		t.Parallel()
		cs := historyCluster()
		cs.PrependReactor("patch", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("try again"))
		})
		_, err := Undo(context.Background(), cs, "shop", "web", 1, UndoOptions{})
		assert.ErrorContains(t, err, `restore revision 1 of deployment "web" in namespace "shop": `)
		assert.Assert(t, apierrors.IsConflict(err))
	})
}

// A write between Undo's read and its apply makes the apply conflict (it
// carries the resourceVersion read); Undo reads again and succeeds.
func TestUndoRetriesOnConflict(t *testing.T) {
	t.Parallel()
	cs := historyCluster()
	var applies int
	cs.PrependReactor("patch", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		applies++
		if applies == 1 {
			return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("the object has been modified"))
		}
		return false, nil, nil
	})
	res, err := Undo(context.Background(), cs, "shop", "web", 0, UndoOptions{})
	assert.NilError(t, err)
	assert.Equal(t, applies, 2)
	assert.Equal(t, res.Revision.Number, int64(2))
	var gets int
	for _, a := range cs.Actions() {
		if a.GetVerb() == "get" && a.GetResource().Resource == "deployments" {
			gets++
		}
	}
	assert.Equal(t, gets, 2, "each attempt reads the Deployment afresh")
}
