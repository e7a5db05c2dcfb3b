package integration

import (
	"context"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

func job(ns, name string) *batchv1.Job {
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr.To[int32](0),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "migrate", Image: "example.com/migrate:1"}},
			}},
		},
	}
}

type batchCondition struct{ typ, reason string }

// finishJob writes the status the Job controller would write when the Job
// ends, conditions in the order the API server's validation wants.
func finishJob(t *testing.T, client kubernetes.Interface, ns, name string, conds []batchCondition, failed bool) {
	ctx := context.Background()
	j, err := client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Errorf("reading job %s/%s: %v", ns, name, err)
		return
	}
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	start := metav1.NewTime(now.Add(-time.Second))
	j.Status.StartTime = &start
	if failed {
		j.Status.Failed = 1
	} else {
		j.Status.Succeeded = 1
		j.Status.CompletionTime = &now
	}
	for _, c := range conds {
		j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{
			Type: batchv1.JobConditionType(c.typ), Status: corev1.ConditionTrue, Reason: c.reason,
			Message: "set by the integration test", LastProbeTime: now, LastTransitionTime: now,
		})
	}
	if _, err := client.BatchV1().Jobs(ns).UpdateStatus(ctx, j, metav1.UpdateOptions{}); err != nil {
		t.Errorf("writing status of job %s/%s: %v", ns, name, err)
	}
}

// endpointSlice writes the EndpointSlice the EndpointSlice controller would
// write for a Service with one ready pod.
func endpointSlice(t *testing.T, client kubernetes.Interface, ns, svc string) {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: svc + "-abc12", Namespace: ns,
			Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{"10.0.0.7"},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		}},
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](80)}},
	}
	if _, err := client.DiscoveryV1().EndpointSlices(ns).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Errorf("creating endpoint slice for service %s/%s: %v", ns, svc, err)
	}
}
