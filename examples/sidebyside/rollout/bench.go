package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/pydeploy/pydeploy/internal/testcluster"
	"github.com/pydeploy/pydeploy/rollout"
)

const replicas = 3

// scenario is one kind of rollout, chosen by the image as the nodes'
// container runtime reads it (testcluster.ImageScenario).
type scenario struct {
	name  string
	image string
	// happy scenarios are measured from Available, the others from the
	// create.
	happy bool
}

var scenarios = []scenario{
	{name: "happy", image: "ghcr.io/acme/payments:1.4.0", happy: true},
	{name: "crashloop", image: "ghcr.io/acme/payments:crashloop-1.4.1"},
	{name: "imagepull", image: "ghcr.io/acme/imagepull/payments:1.4.1"},
}

// env is the control plane and the clients every run uses.
type env struct {
	cfg         config
	rest        *rest.Config
	cs          kubernetes.Interface
	kubeconfig  string
	cacheDir    string
	withKubectl bool
}

// outcome is one tool's result in one run.
type outcome struct {
	// end is when the tool returned.
	end     time.Time
	verdict string
	ok      bool
}

// runResult is one run of one scenario.
type runResult struct {
	created     time.Time
	availableAt time.Time // zero if the watch never saw it
	kubectl     *outcome  // nil without kubectl
	ours        outcome
}

func compare(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	withKubectl := true
	if _, err := exec.LookPath(cfg.kubectl); err != nil {
		withKubectl = false
	}
	m := probeMachine(ctx, cfg.kubectl, withKubectl)
	writeMachine(stdout, m)

	start := time.Now()
	c, err := testcluster.Start(ctx, testcluster.Options{})
	if err != nil {
		return fmt.Errorf("start the embedded control plane: %w", err)
	}
	defer func() {
		if err := c.Stop(); err != nil {
			fmt.Fprintf(stderr, "stop the control plane: %v\n", err)
		}
	}()
	tmp, err := os.MkdirTemp("", "sidebyside-rollout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	e := &env{cfg: cfg, rest: c.Config(), cs: c.Client(), kubeconfig: filepath.Join(tmp, "kubeconfig"),
		cacheDir: filepath.Join(tmp, "kubectl-cache"), withKubectl: withKubectl}
	if err := c.WriteKubeconfig(e.kubeconfig); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "control plane: internal/testcluster, started in %s (kubelet's own code on 3 nodes; scripted container runtime)\n",
		time.Since(start).Round(100*time.Millisecond))
	fmt.Fprintf(stdout, "Deployments: %d replicas, progressDeadlineSeconds %d (Kubernetes' default is 600: kubectl's failure verdicts would take 10 minutes)\n",
		replicas, int(cfg.progressDeadline.Seconds()))
	if !withKubectl {
		fmt.Fprintf(stdout, "kubectl: %q not found on PATH; measuring our side only\n", cfg.kubectl)
	}
	fmt.Fprintln(stdout)

	if _, err := e.runOnce(ctx, scenarios[0], "warmup"); err != nil {
		return fmt.Errorf("warm-up run: %w", err)
	}
	var rows []row
	for _, sc := range scenarios {
		// The happy path is measured from Available and, for the whole
		// picture, from the create; the failures from the create.
		measures := []*row{{scenario: sc.name, fromAvailable: sc.happy, kubectl: withKubectl}}
		if sc.happy {
			measures = append(measures, &row{scenario: sc.name, kubectl: withKubectl})
		}
		for i := 1; i <= cfg.runs; i++ {
			res, err := e.runOnce(ctx, sc, fmt.Sprint(i))
			if err != nil {
				return fmt.Errorf("%s run %d: %w", sc.name, i, err)
			}
			for _, r := range measures {
				r.add(res)
			}
			fmt.Fprintf(stdout, "%s run %d: %s\n", sc.name, i, res.describe(sc.happy))
		}
		for _, r := range measures {
			rows = append(rows, *r)
		}
	}
	fmt.Fprintln(stdout)
	writeTable(stdout, cfg.runs, rows)
	return nil
}

// runOnce creates a Deployment of the scenario in a fresh namespace, runs
// both tools on it concurrently, and deletes the namespace.
func (e *env) runOnce(ctx context.Context, sc scenario, id string) (runResult, error) {
	ns := fmt.Sprintf("sbs-%s-%s", sc.name, id)
	if _, err := e.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return runResult{}, fmt.Errorf("create namespace %s: %w", ns, err)
	}
	defer func() {
		// The namespace controller deletes the Deployment, its ReplicaSets
		// and pods, so failure loops stop costing CPU.
		_ = e.cs.CoreV1().Namespaces().Delete(context.WithoutCancel(ctx), ns, metav1.DeleteOptions{})
	}()
	created, err := e.cs.AppsV1().Deployments(ns).Create(ctx, deployment(sc, int32(e.cfg.progressDeadline.Seconds())), metav1.CreateOptions{})
	if err != nil {
		return runResult{}, fmt.Errorf("create deployment in %s: %w", ns, err)
	}
	res := runResult{created: time.Now()}
	u, err := toUnstructured(created)
	if err != nil {
		return runResult{}, err
	}

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	available := make(chan time.Time, 1)
	go e.watchAvailable(watchCtx, created, available)

	toolTimeout := e.cfg.progressDeadline + 2*time.Minute
	var wg sync.WaitGroup
	if e.withKubectl {
		wg.Go(func() {
			o := e.kubectlOnce(ctx, ns, created.Name, toolTimeout)
			res.kubectl = &o
		})
	}
	wg.Go(func() {
		res.ours = oursOnce(ctx, e.rest, u, toolTimeout)
	})
	wg.Wait()
	if ctx.Err() != nil {
		return runResult{}, ctx.Err()
	}
	if sc.happy {
		// The tools saw the status the watch looks for; give the watch a
		// moment to deliver it too.
		select {
		case t := <-available:
			res.availableAt = t
		case <-time.After(10 * time.Second):
		}
	}
	return res, nil
}

func deployment(sc scenario, progressDeadline int32) *appsv1.Deployment {
	labels := map[string]string{"app.kubernetes.io/name": "payments-api"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "payments-api", Labels: labels},
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
					// its exits: both tools would call that rolled out.
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
						Path: "/health/ready", Port: intstr.FromString("http")}}},
				}}},
			},
		},
	}
}

// watchAvailable sends the time the Deployment is first seen Available with
// every replica updated and available, for the generation created.
func (e *env) watchAvailable(ctx context.Context, created *appsv1.Deployment, out chan<- time.Time) {
	w, err := e.cs.AppsV1().Deployments(created.Namespace).Watch(ctx, metav1.ListOptions{
		FieldSelector:   "metadata.name=" + created.Name,
		ResourceVersion: created.ResourceVersion,
	})
	if err != nil {
		return
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		d, ok := ev.Object.(*appsv1.Deployment)
		if ok && isAvailable(d) {
			out <- time.Now()
			return
		}
	}
}

func isAvailable(d *appsv1.Deployment) bool {
	if d.Status.ObservedGeneration != d.Generation || d.Status.UpdatedReplicas != replicas || d.Status.AvailableReplicas != replicas {
		return false
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// kubectlOnce runs kubectl rollout status and reads its verdict.
func (e *env) kubectlOnce(ctx context.Context, ns, name string, timeout time.Duration) outcome {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, e.cfg.kubectl, "--kubeconfig", e.kubeconfig, "--cache-dir", e.cacheDir,
		"rollout", "status", "deployment/"+name, "-n", ns, fmt.Sprintf("--timeout=%s", timeout))
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return outcome{end: time.Now(), verdict: kubectlVerdict(err, out.String()), ok: err == nil}
}

// kubectlVerdict names what kubectl decided, from its exit status and output.
func kubectlVerdict(err error, output string) string {
	switch {
	case err == nil && strings.Contains(output, "successfully rolled out"):
		return "rolled out"
	case strings.Contains(output, "exceeded its progress deadline"):
		return "progress deadline exceeded"
	case strings.Contains(output, "timed out"):
		return "timed out"
	case err != nil:
		return fmt.Sprintf("%v: %s", err, lastLine(output))
	}
	return "exit 0: " + lastLine(output)
}

// oursOnce runs rollout.Wait and reads its verdict.
func oursOnce(ctx context.Context, cfg *rest.Config, u *unstructured.Unstructured, timeout time.Duration) outcome {
	_, err := rollout.Wait(ctx, cfg, []*unstructured.Unstructured{u}, rollout.Options{Timeout: timeout})
	return outcome{end: time.Now(), verdict: oursVerdict(err), ok: err == nil}
}

func oursVerdict(err error) string {
	var (
		deadline *rollout.ProgressDeadlineError
		failed   *rollout.FailedError
		timeout  *rollout.TimeoutError
	)
	switch {
	case err == nil:
		return "rolled out"
	case errors.As(err, &deadline):
		return "progress deadline exceeded"
	case errors.As(err, &failed):
		return string(failed.Reason)
	case errors.As(err, &timeout):
		return "timed out"
	}
	return "error: " + lastLine(err.Error())
}

func toUnstructured(d *appsv1.Deployment) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(d)
	if err != nil {
		return nil, fmt.Errorf("convert deployment %s/%s: %w", d.Namespace, d.Name, err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion("apps/v1")
	u.SetKind("Deployment")
	return u, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// describe is the one-line account of a run.
func (r runResult) describe(happy bool) string {
	measure := func(o outcome) string {
		if happy {
			if r.availableAt.IsZero() {
				return fmt.Sprintf("%s after create, Available not seen (%s)", fmtDuration(o.end.Sub(r.created)), o.verdict)
			}
			return fmt.Sprintf("%s after Available, %s after create (%s)", fmtDuration(o.end.Sub(r.availableAt)), fmtDuration(o.end.Sub(r.created)), o.verdict)
		}
		return fmt.Sprintf("%s after create (%s)", fmtDuration(o.end.Sub(r.created)), o.verdict)
	}
	s := "ours " + measure(r.ours)
	if r.kubectl != nil {
		s = "kubectl " + measure(*r.kubectl) + "; " + s
	}
	return s
}
