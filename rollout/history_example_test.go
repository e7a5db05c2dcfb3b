package rollout_test

import (
	"context"
	"fmt"

	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/rollout"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
)

// exampleCluster is what the deployment controller leaves after three
// rollouts of shop/web: the Deployment at revision 3 and one ReplicaSet per
// revision, each with the change cause and stamp it was rolled out with.
func exampleCluster() *fake.Clientset {
	labels := map[string]string{"app": "web"}
	template := func(n int) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{
				Labels:      map[string]string{"app": "web"},
				Annotations: map[string]string{manifest.AnnotationGitSHA: fmt.Sprintf("%07d", n)},
			},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: fmt.Sprintf("ghcr.io/acme/web:1.%d", n)}}},
		}
	}
	objs := []runtime.Object{&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "web-uid",
			Annotations: map[string]string{rollout.RevisionAnnotation: "3", rollout.ChangeCauseAnnotation: "release 1.3"}},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template(3)},
	}}
	for n := 1; n <= 3; n++ {
		objs = append(objs, &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("web-%d", n), Namespace: "shop", UID: types.UID(fmt.Sprint(n)), Labels: labels,
				Annotations: map[string]string{
					rollout.RevisionAnnotation:    fmt.Sprint(n),
					rollout.ChangeCauseAnnotation: fmt.Sprintf("release 1.%d", n),
					manifest.AnnotationGitSHA:     fmt.Sprintf("%07d", n),
				},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "web-uid", Controller: new(true)}},
			},
			Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template(n)},
		})
	}
	return fake.NewClientset(objs...)
}

func ExampleHistory() {
	cs := exampleCluster()
	revs, err := rollout.History(context.Background(), cs, "shop", "web")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(revs)
	for _, r := range revs {
		fmt.Println(r.Number, r.ReplicaSet, r.Stamp.GitSHA, r.Current)
	}
	// Output:
	// REVISION  CHANGE-CAUSE
	// 1         release 1.1
	// 2         release 1.2
	// 3         release 1.3
	// 1 web-1 0000001 false
	// 2 web-2 0000002 false
	// 3 web-3 0000003 true
}

func ExampleUndo() {
	cs := exampleCluster()
	res, err := rollout.Undo(context.Background(), cs, "shop", "web", 0, rollout.UndoOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res)
	d := res.Deployment
	fmt.Println(d.Spec.Template.Spec.Containers[0].Image, d.Annotations[manifest.AnnotationGitSHA])

	_, err = rollout.Undo(context.Background(), cs, "shop", "web", 7, rollout.UndoOptions{})
	fmt.Println(err)
	// Output:
	// deployment.apps/web rolled back
	// ghcr.io/acme/web:1.2 0000002
	// deployment "web" in namespace "shop": unable to find specified revision 7 in history
}
