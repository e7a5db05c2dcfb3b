package rollout

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pydeploy/pydeploy/manifest"
	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
)

// historyLabels select the fixture Deployment's pods.
var historyLabels = map[string]string{"app.kubernetes.io/name": "web"}

// historyTemplate is the pod template of revision n, stamped with a git
// SHA derived from n.
func historyTemplate(n int) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{
			Labels: map[string]string{"app.kubernetes.io/name": "web"},
			Annotations: map[string]string{
				manifest.AnnotationGitSHA:      fmt.Sprintf("%07d", n),
				manifest.AnnotationImageDigest: fmt.Sprintf("sha256:%064d", n),
			},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: fmt.Sprintf("ghcr.io/acme/web:%d", n),
		}}},
	}
}

// historyDeployment is Deployment shop/web at revision current.
func historyDeployment(current int) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web", Namespace: "shop", UID: "dep-uid", ResourceVersion: "41",
			Annotations: map[string]string{
				RevisionAnnotation:        fmt.Sprint(current),
				manifest.AnnotationGitSHA: fmt.Sprintf("%07d", current),
				ChangeCauseAnnotation:     fmt.Sprintf("deploy %d", current),
			},
		},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: historyLabels},
			Template: historyTemplate(current),
		},
	}
}

// historyReplicaSet is the ReplicaSet of revision n, owned by the fixture
// Deployment, carrying the annotations the deployment controller copies.
func historyReplicaSet(n int) *appsv1.ReplicaSet {
	tmpl := historyTemplate(n)
	hash := fmt.Sprintf("hash%d", n)
	tmpl.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-" + hash, Namespace: "shop", UID: types.UID("rs-" + hash),
			CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 1, n, 0, 0, 0, time.UTC)),
			Labels:            tmpl.Labels,
			Annotations: map[string]string{
				RevisionAnnotation:                          fmt.Sprint(n),
				ChangeCauseAnnotation:                       fmt.Sprintf("deploy %d", n),
				manifest.AnnotationGitSHA:                   fmt.Sprintf("%07d", n),
				"deployment.kubernetes.io/desired-replicas": "2",
				"deployment.kubernetes.io/max-replicas":     "3",
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "dep-uid",
				Controller: new(true),
			}},
		},
		Spec: appsv1.ReplicaSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: tmpl.Labels},
			Template: tmpl,
		},
	}
}

// historyRevisions is how many revisions historyCluster holds.
const historyRevisions = 3

// historyCluster is a fake clientset with revisions 1..3 of shop/web, at
// revision 3, plus ReplicaSets History must ignore.
func historyCluster() *fake.Clientset {
	n := historyRevisions
	objs := []runtime.Object{historyDeployment(n)}
	for i := 1; i <= n; i++ {
		objs = append(objs, historyReplicaSet(i))
	}
	orphan := historyReplicaSet(99)
	orphan.Name, orphan.UID, orphan.OwnerReferences = "web-orphan", "orphan", nil
	foreign := historyReplicaSet(98)
	foreign.Name, foreign.UID = "web-foreign", "foreign"
	foreign.OwnerReferences[0].UID = "other-deployment"
	elsewhere := historyReplicaSet(97)
	elsewhere.Namespace = "other"
	garbled := historyReplicaSet(96)
	garbled.Name, garbled.UID = "web-garbled", "garbled"
	garbled.Annotations[RevisionAnnotation] = "ninety-six"
	return fake.NewClientset(append(objs, orphan, foreign, elsewhere, garbled)...)
}

func TestHistoryListsRevisionsLikeKubectl(t *testing.T) {
	t.Parallel()
	cs := historyCluster()
	revs, err := History(context.Background(), cs, "shop", "web")
	assert.NilError(t, err)

	type row struct {
		Number      int64
		ChangeCause string
		ReplicaSet  string
		GitSHA      string
		Current     bool
	}
	var got []row
	for _, r := range revs {
		got = append(got, row{r.Number, r.ChangeCause, r.ReplicaSet, r.Stamp.GitSHA, r.Current})
	}
	assert.DeepEqual(t, got, []row{
		{1, "deploy 1", "web-hash1", "0000001", false},
		{2, "deploy 2", "web-hash2", "0000002", false},
		{3, "deploy 3", "web-hash3", "0000003", true},
	})
	assert.Equal(t, revs.String(), "REVISION  CHANGE-CAUSE\n1         deploy 1\n2         deploy 2\n3         deploy 3\n")
	assert.DeepEqual(t, revs[0].Template, historyReplicaSet(1).Spec.Template)
	assert.Equal(t, revs[2].Stamp.ImageDigest, fmt.Sprintf("sha256:%064d", 3))

	r, ok := revs.Find(2)
	assert.Assert(t, ok)
	assert.Equal(t, r.ReplicaSet, "web-hash2")
	_, ok = revs.Find(7)
	assert.Assert(t, !ok)
}

func TestHistoryEdgeCases(t *testing.T) {
	t.Parallel()
	unstamped := historyReplicaSet(1)
	delete(unstamped.Spec.Template.Annotations, manifest.AnnotationGitSHA)
	delete(unstamped.Spec.Template.Annotations, manifest.AnnotationImageDigest)
	delete(unstamped.Annotations, ChangeCauseAnnotation)
	unstamped.Spec.Template.Annotations[ChangeCauseAnnotation] = "from the template"

	noRevision := historyReplicaSet(2)
	delete(noRevision.Annotations, RevisionAnnotation)
	delete(noRevision.Annotations, ChangeCauseAnnotation)

	tests := []struct {
		name string
		objs []runtime.Object
		want string
		rev0 Revision
	}{
		{
			name: "no replicasets",
			objs: []runtime.Object{historyDeployment(1)},
			want: "No rollout history found.",
		},
		{
			name: "cause from the template, no stamp, missing revision counts as 0",
			objs: []runtime.Object{historyDeployment(1), unstamped, noRevision},
			want: "REVISION  CHANGE-CAUSE\n0         <none>\n1         from the template\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			revs, err := History(context.Background(), fake.NewClientset(tc.objs...), "shop", "web")
			assert.NilError(t, err)
			assert.Equal(t, revs.String(), tc.want)
			for _, r := range revs {
				if r.Number == 1 {
					assert.DeepEqual(t, r.Stamp, manifest.Stamp{})
				}
			}
		})
	}
}

func TestHistoryDuplicateRevisionNewerWins(t *testing.T) {
	t.Parallel()
	older := historyReplicaSet(1)
	newer := historyReplicaSet(2)
	newer.Annotations[RevisionAnnotation] = "1"
	revs, err := History(context.Background(), fake.NewClientset(historyDeployment(5), newer, older), "shop", "web")
	assert.NilError(t, err)
	assert.DeepEqual(t, revs, Revisions{{
		Number: 1, ChangeCause: "deploy 2", ReplicaSet: "web-hash2", Template: newer.Spec.Template,
		Stamp: manifest.Stamp{GitSHA: "0000002", ImageDigest: fmt.Sprintf("sha256:%064d", 2)},
	}}, cmp.Comparer(func(a, b metav1.Time) bool { return a.Equal(&b) }))
}

func TestHistoryMissingDeployment(t *testing.T) {
	t.Parallel()
	_, err := History(context.Background(), fake.NewClientset(), "shop", "web")
	assert.ErrorContains(t, err, `get deployment "web" in namespace "shop": `)
	assert.Assert(t, apierrors.IsNotFound(err))
}
