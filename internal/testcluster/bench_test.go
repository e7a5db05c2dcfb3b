package testcluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

// BenchmarkRollouts rolls out 200 Deployments of 2 replicas at once through
// the real controllers and the pod driver, and reports how long all of them
// took to become available.
func BenchmarkRollouts(b *testing.B) {
	const deployments, replicas = 200, 2
	c := testcluster.Shared(b)
	client := c.Client()
	ctx := context.Background()
	for b.Loop() {
		ns := c.NewNamespace(b)
		start := time.Now()
		for i := range deployments {
			d := deploymentOf(ns, fmt.Sprintf("web-%03d", i), replicas)
			if _, err := client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
			list, err := client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			done := 0
			for i := range list.Items {
				d := &list.Items[i]
				if p := progressing(d); p != nil && p.Reason == "NewReplicaSetAvailable" && d.Status.AvailableReplicas == replicas {
					done++
				}
			}
			return done == deployments, nil
		})
		if err != nil {
			b.Fatalf("waiting for %d deployments: %v", deployments, err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/200-rollouts")
	}
}
