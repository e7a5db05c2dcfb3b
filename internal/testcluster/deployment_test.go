package testcluster_test

import (
	"context"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

// deploymentOf is a Deployment of example.com/web:1 with the given replicas.
func deploymentOf(ns, name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: new(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.com/web:1"}}},
			},
		},
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := wait.PollUntilContextCancel(ctx, 20*time.Millisecond, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func progressing(d *appsv1.Deployment) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == appsv1.DeploymentProgressing {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// rolledOut waits until the Deployment "web" is fully rolled out, as
// kubectl rollout status defines it, and returns it.
func rolledOut(t *testing.T, client kubernetes.Interface, ns string, replicas int32) *appsv1.Deployment {
	t.Helper()
	const name = "web"
	var d *appsv1.Deployment
	waitFor(t, 30*time.Second, "deployment "+ns+"/"+name+" to roll out", func(ctx context.Context) (bool, error) {
		var err error
		d, err = client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		p := progressing(d)
		return d.Status.ObservedGeneration >= d.Generation &&
			d.Status.UpdatedReplicas == replicas && d.Status.AvailableReplicas == replicas &&
			d.Status.Replicas == replicas && p != nil && p.Reason == "NewReplicaSetAvailable", nil
	})
	return d
}

func TestDeploymentRollsOut(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	ctx := context.Background()
	client := c.Client()

	_, err := client.AppsV1().Deployments(ns).Create(ctx, deploymentOf(ns, "web", 3), metav1.CreateOptions{})
	assert.NilError(t, err)
	d := rolledOut(t, client, ns, 3)
	assert.Equal(t, d.Status.UpdatedReplicas, int32(3))
	assert.Equal(t, d.Status.AvailableReplicas, int32(3))
	assert.Equal(t, d.Status.ReadyReplicas, int32(3))
	assert.Equal(t, progressing(d).Status, corev1.ConditionTrue)

	// A second revision replaces every pod and scales the old ReplicaSet
	// down, through the real controllers.
	d.Spec.Template.Spec.Containers[0].Image = "example.com/web:2"
	_, err = client.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
	assert.NilError(t, err)
	rolledOut(t, client, ns, 3)
	waitFor(t, 30*time.Second, "old pods to go", func(ctx context.Context) (bool, error) {
		pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, p := range pods.Items {
			if p.Spec.Containers[0].Image != "example.com/web:2" {
				return false, nil
			}
		}
		return len(pods.Items) == 3, nil
	})
}

func TestTimings(t *testing.T) {
	c := testcluster.Shared(t)
	tm := c.Timings()
	t.Logf("etcd ready %s, kube-apiserver healthy %s, controllers synced %s, nodes ready %s",
		tm.EtcdReady, tm.APIServerHealthy, tm.ControllersSynced, tm.NodesReady)
	assert.Assert(t, 0 < tm.EtcdReady && tm.EtcdReady <= tm.APIServerHealthy &&
		tm.APIServerHealthy <= tm.ControllersSynced && tm.ControllersSynced <= tm.NodesReady)
}

// ResourceQuota admission and the quota controller run: a Deployment over
// quota reports ReplicaFailure (FailedCreate) from the replicaset controller.
func TestDeploymentOverQuota(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	ctx := context.Background()
	client := c.Client()
	quota := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "pods", Namespace: ns},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1")}},
	}
	_, err := client.CoreV1().ResourceQuotas(ns).Create(ctx, quota, metav1.CreateOptions{})
	assert.NilError(t, err)
	waitFor(t, 30*time.Second, "the quota controller to fill in usage", func(ctx context.Context) (bool, error) {
		q, err := client.CoreV1().ResourceQuotas(ns).Get(ctx, "pods", metav1.GetOptions{})
		_, ok := q.Status.Used[corev1.ResourcePods]
		return err == nil && ok, err
	})

	_, err = client.AppsV1().Deployments(ns).Create(ctx, deploymentOf(ns, "web", 3), metav1.CreateOptions{})
	assert.NilError(t, err)
	var failure appsv1.DeploymentCondition
	waitFor(t, 30*time.Second, "ReplicaFailure on the deployment", func(ctx context.Context) (bool, error) {
		d, err := client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, cond := range d.Status.Conditions {
			if cond.Type == appsv1.DeploymentReplicaFailure {
				failure = cond
				return true, nil
			}
		}
		return false, nil
	})
	assert.Equal(t, failure.Status, corev1.ConditionTrue)
	assert.Equal(t, failure.Reason, "FailedCreate")
	assert.Assert(t, is.Contains(failure.Message, "exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1"), failure.Message)
}
