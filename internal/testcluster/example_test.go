package testcluster_test

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

// Start a control plane, roll out a Deployment of three replicas through
// the real controllers, and read its status.
func ExampleStart() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := testcluster.Start(ctx, testcluster.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Stop()

	client := c.Client()
	if _, err := client.AppsV1().Deployments("default").Create(ctx, deploymentOf("default", "web", 3), metav1.CreateOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	var d *appsv1.Deployment
	err = wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		d, err = client.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		p := progressing(d)
		return d.Status.AvailableReplicas == 3 && p != nil && p.Reason == "NewReplicaSetAvailable", nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("updated=%d available=%d progressing=%s\n", d.Status.UpdatedReplicas, d.Status.AvailableReplicas, progressing(d).Reason)
	// Output: updated=3 available=3 progressing=NewReplicaSetAvailable
}

// A scenario is chosen by a keyword in the image reference.
func ExampleImageScenario() {
	for _, image := range []string{
		"example.com/web:1.4",
		"example.com/web:crashloop",
		"registry.local/imagepull/web:1",
		"example.com/web-oomkilled@sha256:0123",
	} {
		fmt.Printf("%s: %s\n", image, testcluster.ImageScenario(image))
	}
	// Output:
	// example.com/web:1.4: ready
	// example.com/web:crashloop: crashloop
	// registry.local/imagepull/web:1: imagepull
	// example.com/web-oomkilled@sha256:0123: oomkilled
}

// Scenarios in the grammar: a keyword, or clauses with options, checked
// and put in canonical form.
func ExampleParseScenario() {
	for _, s := range []string{"CrashLoop", "crash: exit=1, times=2", "pull:err=429;crash:pod=1", "crash:exit=300"} {
		sc, err := testcluster.ParseScenario(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(sc)
	}
	// Output:
	// crashloop
	// crash:exit=1,times=2
	// pull:err=429;crash:pod=1
	// scenario "crash:exit=300": clause crash: exit=300: expected an exit code 0-255
}
