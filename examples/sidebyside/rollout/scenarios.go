package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/pydeploy/pydeploy/internal/testcluster"
	"github.com/pydeploy/pydeploy/rollout/status"
)

const (
	replicas       = 3
	deploymentName = "payments-api"
	goodImage      = "ghcr.io/acme/payments:1.4.0"
	nextImage      = "ghcr.io/acme/payments:1.4.1"

	scaleUpName = "scale-up"
	// maxScaleUpRuns: testcluster runs at most 15 nodes and starts 3; the
	// scale-up scenario adds one per run.
	maxScaleUpRuns = 12
	// scaleUpDelay is the new node's provisioning time after the
	// announcement: longer than rollout.Wait's Unschedulable grace (15 s),
	// so only the announcement keeps it from failing the rollout.
	scaleUpDelay = 25 * time.Second
)

// expect is the right verdict of a scenario.
type expect struct {
	success bool
	// reason is rollout.Wait's reason for a failure.
	reason status.Reason
}

func (x expect) String() string {
	if x.success {
		return "success"
	}
	return "failure"
}

// scenario is one kind of rollout.
type scenario struct {
	name     string
	expected expect
	// image of the measured Deployment.
	image string
	// annotation, when set, is the pod template's
	// testcluster.ScenarioAnnotation.
	annotation string
	// shape adjusts the measured Deployment; id names the run.
	shape func(d *appsv1.Deployment, id string)
	// before prepares the namespace before the measured step; with it the
	// measured step is an update of the Deployment before returns.
	before func(ctx context.Context, e *env, ns string) (*appsv1.Deployment, error)
	// during runs alongside the tools, until ctx ends; its error says the
	// scenario did not happen as it should.
	during func(ctx context.Context, e *env, ns, id string) error
	// happened, when set, checks after the run that the scenario's
	// condition occurred; a non-empty note says it did not.
	happened func(ctx context.Context, e *env, ns string) string
}

var scenarios = []scenario{
	{name: "happy", expected: expect{success: true}, image: goodImage},
	{name: "crashloop", expected: expect{reason: status.PodCrashLooping}, image: "ghcr.io/acme/payments:crashloop-1.4.1"},
	{name: "imagepull", expected: expect{reason: status.ImagePullFailed}, image: "ghcr.io/acme/imagepull/payments:1.4.1"},
	{name: "unschedulable", expected: expect{reason: status.Unschedulable}, image: nextImage, shape: requestCPU("64")},
	{name: "readiness", expected: expect{reason: status.ReadinessFailing}, image: "ghcr.io/acme/payments:readinessfail-1.4.1"},
	{name: "missing-config", expected: expect{reason: status.CreateContainerConfigError}, image: nextImage, shape: envFromConfigMap("payments-config")},
	{name: "crash-once", expected: expect{success: true}, image: nextImage, annotation: "crash:times=1"},
	{name: "crash-twice", expected: expect{success: true}, image: nextImage, annotation: "crash:times=2"},
	{name: "oom-once", expected: expect{success: true}, image: nextImage, annotation: "oom:times=1"},
	{name: "pull-429", expected: expect{success: true}, image: nextImage, annotation: "pull:err=429"},
	{name: "quota-surge", expected: expect{success: true}, image: nextImage, shape: surgeStrategy, before: quotaAndFirstRevision, happened: quotaRefused},
	{name: scaleUpName, expected: expect{success: true}, image: nextImage, shape: nodePool, during: autoscale},
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, sc := range scenarios {
		names[i] = sc.name
	}
	return names
}

// deployment is the scenario's Deployment: 3 replicas, port 8000 with an
// HTTP readiness probe (Kubernetes' default period, as pydeploy's probe
// package writes it).
func deployment(sc scenario, ns, id string, progressDeadline int32) *appsv1.Deployment {
	labels := map[string]string{"app.kubernetes.io/name": deploymentName}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: deploymentName, Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas:                new(int32(replicas)),
			ProgressDeadlineSeconds: new(progressDeadline),
			Selector:                &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:  "app",
					Image: sc.image,
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8000}},
					// Without a readiness probe a running container counts
					// as ready, and kubelet runs a crash-looping one between
					// its exits: every tool would call that rolled out.
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
						Path: "/health/ready", Port: intstr.FromString("http")}}},
				}}},
			},
		},
	}
	if sc.annotation != "" {
		d.Spec.Template.Annotations = map[string]string{testcluster.ScenarioAnnotation: sc.annotation}
	}
	if sc.shape != nil {
		sc.shape(d, id)
	}
	return d
}

func requestCPU(cpu string) func(*appsv1.Deployment, string) {
	return func(d *appsv1.Deployment, _ string) {
		d.Spec.Template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}
	}
}

func envFromConfigMap(name string) func(*appsv1.Deployment, string) {
	return func(d *appsv1.Deployment, _ string) {
		d.Spec.Template.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{
			ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}}
	}
}

// surgeStrategy lets the controller scale the old ReplicaSet down while
// the surge pod is refused. The rollout completes by itself, but when
// depends on the replicaset controller's exponential back-off of refused
// creates: usually seconds, sometimes minutes (the new pods, starting while
// the last old pod holds the quota, wake it for more refused tries; see
// the integration test TestScenarioQuotaDuringSurge, which lets every old
// pod go at once to stay deterministic). Both outcomes are Kubernetes'
// own, and the three tools must agree on them.
func surgeStrategy(d *appsv1.Deployment, _ string) {
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{
		MaxSurge: new(intstr.FromInt32(1)), MaxUnavailable: new(intstr.FromInt32(2)),
	}}
}

// quotaAndFirstRevision writes a ResourceQuota that fits exactly the 3
// pods and rolls out a first revision, so that the measured update's surge
// pod exceeds the quota.
func quotaAndFirstRevision(ctx context.Context, e *env, ns string) (*appsv1.Deployment, error) {
	quota := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "pods", Namespace: ns},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse(fmt.Sprint(replicas))}},
	}
	if _, err := e.cs.CoreV1().ResourceQuotas(ns).Create(ctx, quota, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create resource quota %s/pods: %w", ns, err)
	}
	first := scenario{image: goodImage, shape: surgeStrategy}
	d, err := e.cs.AppsV1().Deployments(ns).Create(ctx, deployment(first, ns, "", e.progressDeadline()), metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create the first revision in %s: %w", ns, err)
	}
	// A poll, not one of the tools, so that the set-up favours none.
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		d, err = e.cs.AppsV1().Deployments(ns).Get(ctx, deploymentName, metav1.GetOptions{})
		return err == nil && isComplete(d), nil
	})
	if err != nil {
		return nil, fmt.Errorf("the first revision in %s did not roll out: %w", ns, err)
	}
	return d, nil
}

// isComplete is what every tool waits for: the generation observed, every
// replica updated and available, none left over.
func isComplete(d *appsv1.Deployment) bool {
	s := d.Status
	return s.ObservedGeneration == d.Generation && s.UpdatedReplicas == replicas &&
		s.AvailableReplicas == replicas && s.Replicas == replicas
}

// quotaRefused says when the quota never refused a pod.
func quotaRefused(ctx context.Context, e *env, ns string) string {
	events, err := e.cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Sprintf("could not list events to check the quota refused a pod: %v", err)
	}
	for _, ev := range events.Items {
		if ev.Reason == "FailedCreate" && strings.Contains(ev.Message, "exceeded quota") {
			return ""
		}
	}
	return "not exercised: the quota refused no pod (no FailedCreate exceeded quota event)"
}

// nodePool makes the pods select a node pool of their own, which no node
// has until autoscale adds one.
func nodePool(d *appsv1.Deployment, id string) {
	d.Spec.Template.Spec.NodeSelector = map[string]string{"pool": poolName(id)}
}

func poolName(id string) string { return "sbs-pool-" + id }

// autoscale plays cluster-autoscaler for the pods in ns: once all are
// Unschedulable it writes its TriggeredScaleUp event on each, and after
// scaleUpDelay it adds a node of their pool.
func autoscale(ctx context.Context, e *env, ns, id string) error {
	var pods []corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := e.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(list.Items) < replicas {
			return false, nil
		}
		for _, p := range list.Items {
			if !unschedulable(&p) {
				return false, nil
			}
		}
		pods = list.Items
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("not exercised: the pods were not all Unschedulable within a minute: %w", err)
	}
	for i := range pods {
		if err := e.cluster.AnnounceScaleUp(ctx, &pods[i], pods[i].Spec.NodeSelector["pool"], 0, 1); err != nil {
			return err
		}
	}
	select {
	case <-ctx.Done():
		return fmt.Errorf("the run ended before the new node came: %w", ctx.Err())
	case <-time.After(scaleUpDelay): // the node's provisioning time
	}
	_, err = e.cluster.AddNode(ctx, testcluster.NodeOptions{CPUs: 8, Labels: map[string]string{"pool": poolName(id)}})
	return err
}

func unschedulable(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable {
			return true
		}
	}
	return false
}
