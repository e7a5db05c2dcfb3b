package testcluster_test

import (
	"context"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

func podTemplate(labels map[string]string, image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
	}
}

// The statefulset and daemonset controllers run: a StatefulSet gets its
// ordered pods, a DaemonSet one pod on each node.
func TestStatefulSetAndDaemonSet(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	ctx := context.Background()
	labels := map[string]string{"app": "db"}
	_, err := client.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db"},
		Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](2), Selector: &metav1.LabelSelector{MatchLabels: labels},
			ServiceName: "db", Template: podTemplate(labels, "example.com/db:1")},
	}, metav1.CreateOptions{})
	assert.NilError(t, err)
	agent := map[string]string{"app": "agent"}
	_, err = client.AppsV1().DaemonSets(ns).Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent"},
		Spec:       appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: agent}, Template: podTemplate(agent, "example.com/agent:1")},
	}, metav1.CreateOptions{})
	assert.NilError(t, err)
	waitFor(t, time.Minute, "the StatefulSet's and the DaemonSet's pods ready", func(ctx context.Context) (bool, error) {
		s, err := client.AppsV1().StatefulSets(ns).Get(ctx, "db", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		d, err := client.AppsV1().DaemonSets(ns).Get(ctx, "agent", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return s.Status.ReadyReplicas == 2 && d.Status.DesiredNumberScheduled > 0 &&
			d.Status.NumberReady == d.Status.DesiredNumberScheduled, nil
	})
	for _, name := range []string{"db-0", "db-1"} {
		_, err := client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		assert.NilError(t, err)
	}
	d, err := client.AppsV1().DaemonSets(ns).Get(ctx, "agent", metav1.GetOptions{})
	assert.NilError(t, err)
	// TestAddNode may add a node meanwhile.
	assert.Check(t, d.Status.DesiredNumberScheduled >= 3, "%d", d.Status.DesiredNumberScheduled)
}

// The garbage collector runs: deleting a Deployment in the background
// deletes its ReplicaSet and pods.
func TestGarbageCollector(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	ctx := context.Background()
	_, err := client.AppsV1().Deployments(ns).Create(ctx, deploymentOf(ns, "web", 2), metav1.CreateOptions{})
	assert.NilError(t, err)
	rolledOut(t, client, ns, 2)
	assert.NilError(t, client.AppsV1().Deployments(ns).Delete(ctx, "web", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}))
	waitFor(t, time.Minute, "the ReplicaSet and pods to go", func(ctx context.Context) (bool, error) {
		rss, err := client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		return len(rss.Items) == 0 && len(pods.Items) == 0, err
	})
}

// AddNode brings a node as a cluster autoscaler would: a pod no node fit
// is scheduled on it.
func TestAddNode(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	ctx := context.Background()
	p := podOf(ns, "big", "example.com/app:1", nil)
	p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("6")}
	create(t, client, p)
	podUntil(t, client, ns, "big", "unschedulable", 20*time.Second, func(p *corev1.Pod) bool {
		return condition(p, corev1.PodScheduled).Reason == "Unschedulable"
	})
	start := time.Now()
	name, err := c.AddNode(ctx, testcluster.NodeOptions{CPUs: 8, Labels: map[string]string{"pool": "big"}})
	assert.NilError(t, err)
	t.Logf("node %s ready after %s", name, time.Since(start))
	node, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	assert.NilError(t, err)
	assert.Equal(t, node.Labels["pool"], "big")
	assert.Equal(t, node.Status.Capacity.Cpu().String(), "8")
	assert.Equal(t, node.Status.Capacity.Memory().String(), "8Gi")
	assert.Equal(t, node.Status.Capacity.StorageEphemeral().String(), "100Gi")
	pod := podUntil(t, client, ns, "big", "running on the new node", time.Minute, ready)
	assert.Equal(t, pod.Spec.NodeName, name)
}
