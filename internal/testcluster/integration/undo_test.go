package integration

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/pydeploy/pydeploy/internal/testcluster"
	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/rollout"
)

// undoStamp is the stamp of release n.
func undoStamp(n int) manifest.Stamp {
	return manifest.Stamp{
		GitSHA:      fmt.Sprintf("%040x", n),
		Image:       fmt.Sprintf("example.com/web:1.%d", n),
		ImageDigest: fmt.Sprintf("sha256:%064x", n),
		LockHash:    fmt.Sprintf("sha256:%064x", 100+n),
		Version:     "v0.1.0",
	}
}

// undoRelease is release n of Deployment web: its image, change cause and
// stamp all say n.
func undoRelease(t *testing.T, n int) []runtime.Object {
	t.Helper()
	labels := map[string]string{"app.kubernetes.io/name": "web"}
	replicas := int32(2)
	d := &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: labels, Annotations: map[string]string{
			rollout.ChangeCauseAnnotation: fmt.Sprintf("release 1.%d", n),
		}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: undoStamp(n).Image,
				}}},
			},
		},
	}
	objs := []runtime.Object{d}
	assert.NilError(t, manifest.StampObjects(objs, undoStamp(n)))
	return objs
}

// undoWaitHistory waits until the history of ns/web has exactly the
// revisions want and returns it.
func undoWaitHistory(t *testing.T, c *testcluster.Cluster, ns string, want ...int64) rollout.Revisions {
	t.Helper()
	var revs rollout.Revisions
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 30*time.Second, true,
		func(ctx context.Context) (bool, error) {
			var err error
			revs, err = rollout.History(ctx, c.Client(), ns, "web")
			if err != nil {
				return false, err
			}
			if len(revs) != len(want) {
				return false, nil
			}
			for i, r := range revs {
				if r.Number != want[i] {
					return false, nil
				}
			}
			// The controller has caught up with the Deployment's template.
			return revs[len(revs)-1].Current, nil
		})
	assert.NilError(t, err, "history of %s/web is %v, want revisions %v", ns, revs, want)
	return revs
}

// undoReleases applies releases 1..n to a new namespace, one revision each.
func undoReleases(t *testing.T, n int) (*testcluster.Cluster, string) {
	t.Helper()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	var want []int64
	for i := 1; i <= n; i++ {
		_, err := manifest.Apply(context.Background(), c.Config(), undoRelease(t, i), manifest.ApplyOptions{Namespace: ns})
		assert.NilError(t, err)
		want = append(want, int64(i))
		undoWaitHistory(t, c, ns, want...)
	}
	return c, ns
}

// kubectlHistory runs `kubectl rollout history` against the cluster and
// returns its table, or "" when kubectl is not installed.
func kubectlHistory(t *testing.T, c *testcluster.Cluster, ns string) string {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl not on PATH; skipping the side-by-side comparison")
		return ""
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	assert.NilError(t, c.WriteKubeconfig(kubeconfig))
	out, err := exec.Command(kubectl, "--kubeconfig", kubeconfig, "-n", ns, "rollout", "history", "deployment/web").CombinedOutput()
	assert.NilError(t, err, "%s", out)
	// kubectl prints "deployment.apps/web " above the table and a blank
	// line after it.
	first, table, _ := strings.Cut(string(out), "\n")
	assert.Equal(t, strings.TrimSpace(first), "deployment.apps/web")
	return strings.TrimRight(table, "\n") + "\n"
}

func TestHistoryLikeKubectl(t *testing.T) {
	c, ns := undoReleases(t, 3)
	revs, err := rollout.History(context.Background(), c.Client(), ns, "web")
	assert.NilError(t, err)
	assert.Equal(t, revs.String(), "REVISION  CHANGE-CAUSE\n1         release 1.1\n2         release 1.2\n3         release 1.3\n")
	for i, r := range revs {
		n := i + 1
		assert.DeepEqual(t, r.Stamp, undoStamp(n))
		assert.Equal(t, r.Template.Spec.Containers[0].Image, undoStamp(n).Image)
		assert.Equal(t, r.Current, n == 3)
	}
	if want := kubectlHistory(t, c, ns); want != "" {
		assert.Equal(t, revs.String(), want)
	}

	// The deployment controller copied the Deployment's annotations, the
	// stamp among them, to each ReplicaSet: that is what Undo restores.
	rs, err := c.Client().AppsV1().ReplicaSets(ns).Get(context.Background(), revs[0].ReplicaSet, metav1.GetOptions{})
	assert.NilError(t, err)
	assert.Equal(t, rs.Annotations[manifest.AnnotationGitSHA], undoStamp(1).GitSHA)
	assert.Equal(t, rs.Annotations[manifest.AnnotationLockHash], undoStamp(1).LockHash)
}

func TestUndoRestoresRevisionAndStamp(t *testing.T) {
	c, ns := undoReleases(t, 3)
	ctx := context.Background()
	before, err := c.Client().AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	assert.NilError(t, err)

	res, err := rollout.Undo(ctx, c.Client(), ns, "web", 0, rollout.UndoOptions{})
	assert.NilError(t, err)
	assert.Equal(t, res.String(), "deployment.apps/web rolled back")
	assert.Equal(t, res.Revision.Number, int64(2))
	assertRelease(t, res.Deployment, 2)
	assert.Assert(t, res.Deployment.Generation > before.Generation)

	// The controller reuses revision 2's ReplicaSet as revision 4.
	revs := undoWaitHistory(t, c, ns, 1, 3, 4)
	assert.Equal(t, revs[2].ReplicaSet, res.Revision.ReplicaSet)
	assert.DeepEqual(t, revs[2].Stamp, undoStamp(2))
	assert.Equal(t, revs.String(), "REVISION  CHANGE-CAUSE\n1         release 1.1\n3         release 1.3\n4         release 1.2\n")
	if want := kubectlHistory(t, c, ns); want != "" {
		assert.Equal(t, revs.String(), want)
	}

	res, err = rollout.Undo(ctx, c.Client(), ns, "web", 1, rollout.UndoOptions{})
	assert.NilError(t, err)
	assert.Equal(t, res.Revision.Number, int64(1))
	assertRelease(t, res.Deployment, 1)
	undoWaitHistory(t, c, ns, 3, 4, 5)
	live, err := c.Client().AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	assert.NilError(t, err)
	assertRelease(t, live, 1)
}

// assertRelease checks that d runs release n: template, stamp on the
// template and on the Deployment, and change cause.
func assertRelease(t *testing.T, d *appsv1.Deployment, n int) {
	t.Helper()
	assert.Equal(t, d.Spec.Template.Spec.Containers[0].Image, undoStamp(n).Image)
	s, err := manifest.ReadStamp(d)
	assert.NilError(t, err)
	assert.DeepEqual(t, s, undoStamp(n))
	assert.Equal(t, d.Annotations[manifest.AnnotationGitSHA], undoStamp(n).GitSHA)
	assert.Equal(t, d.Annotations[manifest.AnnotationImageDigest], undoStamp(n).ImageDigest)
	assert.Equal(t, d.Annotations[rollout.ChangeCauseAnnotation], fmt.Sprintf("release 1.%d", n))
	_, hashed := d.Spec.Template.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
	assert.Assert(t, !hashed, "pod-template-hash copied into the Deployment's template")
}

func TestUndoRefusesAndSkips(t *testing.T) {
	c, ns := undoReleases(t, 2)
	ctx := context.Background()
	deps := c.Client().AppsV1().Deployments(ns)

	_, err := rollout.Undo(ctx, c.Client(), ns, "web", 42, rollout.UndoOptions{})
	var nf *rollout.RevisionNotFoundError
	assert.Assert(t, errors.As(err, &nf), "%v", err)
	assert.Error(t, err, `deployment "web" in namespace "`+ns+`": unable to find specified revision 42 in history`)

	res, err := rollout.Undo(ctx, c.Client(), ns, "web", 2, rollout.UndoOptions{})
	assert.NilError(t, err)
	assert.Assert(t, res.Skipped)
	assert.Equal(t, res.String(), "deployment.apps/web skipped rollback (current template already matches revision 2)")

	// A server-side dry run changes nothing.
	res, err = rollout.Undo(ctx, c.Client(), ns, "web", 1, rollout.UndoOptions{DryRun: true})
	assert.NilError(t, err)
	assertRelease(t, res.Deployment, 1)
	live, err := deps.Get(ctx, "web", metav1.GetOptions{})
	assert.NilError(t, err)
	assertRelease(t, live, 2)

	_, err = deps.Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"paused":true}}`), metav1.PatchOptions{})
	assert.NilError(t, err)
	_, err = rollout.Undo(ctx, c.Client(), ns, "web", 1, rollout.UndoOptions{})
	assert.ErrorIs(t, err, rollout.ErrRollbackPaused)
	live, err = deps.Get(ctx, "web", metav1.GetOptions{})
	assert.NilError(t, err)
	assertRelease(t, live, 2)
}

// TestApplyAfterUndo: Undo applies as the release's field manager, so the
// release after an automatic undo applies without Force, with no conflict,
// and every field it sets is its own again.
func TestApplyAfterUndo(t *testing.T) {
	c, ns := undoReleases(t, 2)
	ctx := context.Background()
	res, err := rollout.Undo(ctx, c.Client(), ns, "web", 0, rollout.UndoOptions{})
	assert.NilError(t, err)
	assert.Assert(t, !res.Replaced)
	assertRelease(t, res.Deployment, 1)
	for _, mf := range res.Deployment.ManagedFields {
		if mf.Operation == metav1.ManagedFieldsOperationUpdate {
			assert.Assert(t, mf.Subresource == "status" || strings.HasPrefix(mf.Manager, "kube-controller-manager") || mf.Manager == "testcluster",
				"after Undo, manager %q (%s) owns fields of the Deployment", mf.Manager, mf.Operation)
		}
	}
	undoWaitHistory(t, c, ns, 2, 3)

	out, err := manifest.Apply(ctx, c.Config(), undoRelease(t, 3), manifest.ApplyOptions{Namespace: ns})
	assert.NilError(t, err, "the release after an undo must apply without Force")
	assertRelease(t, toDeployment(t, out.Objects[0].Object.Object), 3)
	undoWaitHistory(t, c, ns, 2, 3, 4)
}

// TestUndoKeepsConcurrentWrites: an annotation another writer owns is not
// Undo's to replace, and a write that lands between Undo's read and its
// apply makes the apply conflict (it is conditional on the resourceVersion
// read) and be recomputed from a fresh read: nothing is lost.
func TestUndoKeepsConcurrentWrites(t *testing.T) {
	c, ns := undoReleases(t, 2)
	ctx := context.Background()
	deps := c.Client().AppsV1().Deployments(ns)
	annotate := func(key, value string) {
		t.Helper()
		_, err := deps.Patch(ctx, "web", types.MergePatchType, []byte(fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, key, value)),
			metav1.PatchOptions{FieldManager: "kubectl-annotate"})
		assert.NilError(t, err)
	}
	annotate("team.example.com/owner", "payments")

	var raced, applies atomic.Int32
	cfg := c.Config()
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if req.Method == http.MethodPatch && strings.HasSuffix(req.URL.Path, "/deployments/web") {
				applies.Add(1)
			}
			resp, err := rt.RoundTrip(req)
			if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/deployments/web") && raced.Add(1) == 1 {
				annotate("race.example.com/note", "written during undo")
			}
			return resp, err
		})
	}
	cs, err := kubernetes.NewForConfig(cfg)
	assert.NilError(t, err)
	res, err := rollout.Undo(ctx, cs, ns, "web", 0, rollout.UndoOptions{})
	assert.NilError(t, err)
	// The first apply conflicted with the concurrent write; the controller's
	// own status writes may make a later one conflict too.
	assert.Assert(t, applies.Load() >= 2, "the first apply should have conflicted with the concurrent write")
	assertRelease(t, res.Deployment, 1)
	assert.Equal(t, res.Deployment.Annotations["team.example.com/owner"], "payments")
	assert.Equal(t, res.Deployment.Annotations["race.example.com/note"], "written during undo")
}

func toDeployment(t *testing.T, m map[string]any) *appsv1.Deployment {
	t.Helper()
	var d appsv1.Deployment
	assert.NilError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(m, &d))
	return &d
}
