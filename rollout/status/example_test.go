package status_test

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/pydeploy/pydeploy/rollout/status"
)

func parse(doc string) *unstructured.Unstructured {
	j, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		panic(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(j); err != nil {
		panic(err)
	}
	return u
}

func ExampleCompute() {
	d := parse(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: payments-api, namespace: prod, generation: 4}
spec: {replicas: 3}
status: {observedGeneration: 4, replicas: 3, updatedReplicas: 3, availableReplicas: 1}
`)
	r := status.Compute(d, status.Options{})
	fmt.Println(r.State, r.Reason)
	fmt.Println(r.Message)

	// The same object read from a cache that has not seen our write yet.
	r = status.Compute(d, status.Options{MinGeneration: 5})
	fmt.Println(r.State, r.Reason)
	// Output:
	// InProgress LessAvailable
	// Waiting for deployment "payments-api" rollout to finish: 1 of 3 updated replicas are available...
	// InProgress WriteNotObserved
}

func ExampleEvaluate() {
	d := parse(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: payments-api, namespace: prod, uid: d1, generation: 2}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: payments-api}}
    spec: {containers: [{name: app, image: "payments:v2"}]}
status: {observedGeneration: 2, replicas: 4, updatedReplicas: 1, availableReplicas: 3}
`)
	newRS := appsv1.ReplicaSet{}
	newRS.Name, newRS.Namespace, newRS.UID = "payments-api-7d9c", "prod", "rs2"
	newRS.Labels = map[string]string{"pod-template-hash": "7d9c"}
	newRS.OwnerReferences = ownedBy("Deployment", "payments-api", "d1")
	newRS.Spec.Template.Labels = map[string]string{"app": "payments-api", "pod-template-hash": "7d9c"}
	newRS.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Image: "payments:v2"}}

	pod := corev1.Pod{}
	pod.Name, pod.Namespace = "payments-api-7d9c-abcde", "prod"
	pod.OwnerReferences = ownedBy("ReplicaSet", newRS.Name, "rs2")
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: "app", RestartCount: 4,
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
			Reason: "CrashLoopBackOff", Message: "back-off 40s restarting failed container",
		}},
	}}

	obs := status.Observation{Object: d, Children: &status.Children{
		ReplicaSets: []appsv1.ReplicaSet{newRS},
		Pods:        []corev1.Pod{pod},
	}}
	r := status.Evaluate(obs, status.Options{Now: time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)})
	fmt.Println(r.State, r.Reason)

	for _, pf := range r.Pods {
		fmt.Println(pf.Pod, pf.Container, pf.RestartCount)
	}
	fmt.Println(r.Err())
	// Output:
	// Failed PodCrashLooping
	// payments-api-7d9c-abcde app 4
	// deployment "payments-api" cannot become ready: pod payments-api-7d9c-abcde container "app" is crash-looping (CrashLoopBackOff, 4 restarts): back-off 40s restarting failed container
}

func ownedBy(kind, name, uid string) []metav1.OwnerReference {
	yes := true
	return []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: kind, Name: name, UID: types.UID(uid), Controller: &yes}}
}
