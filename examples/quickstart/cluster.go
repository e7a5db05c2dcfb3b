package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pydeploy/pydeploy/internal/testcluster"
	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/rollout"
)

// brokenTag is the tag of the broken revision. On the embedded control
// plane, the nodes' container runtime (under kubelet's own code) makes
// containers crash for images whose name says "crashloop" — the scenario is
// data, as in a real incident the image would be.
const brokenTag = "crashloop-"

// brokenSHA is the commit of the broken revision.
const brokenSHA = "9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e"

// clusterSteps applies payments-api, waits, rolls out a broken revision,
// watches the waiter stop it, and undoes it.
func clusterSteps(ctx context.Context, o options, objs []runtime.Object, ims *images, s *story) error {
	cfg, stop, err := connect(ctx, o, s)
	if err != nil {
		return err
	}
	defer stop()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if err := ensureNamespace(ctx, cfg, o.namespace); err != nil {
		return err
	}

	s.step("apply payments-api (server-side apply, field manager %q) and wait", manifest.DefaultFieldManager)
	applied, err := applyAndWait(ctx, cfg, objs, o, s)
	if err != nil {
		return err
	}
	good := applied

	brokenImage, err := brokenImageOf(ctx, o, ims)
	if err != nil {
		return err
	}
	s.step("roll out a broken revision (commit %s): image %s, whose containers crash at start", short(brokenSHA), brokenImage)
	brokenObjs, err := buildObjects(o.namespace, brokenImage, brokenSHA, good.lockHash, s)
	if err != nil {
		return err
	}
	_, err = applyAndWait(ctx, cfg, brokenObjs, o, s)
	var failed *rollout.FailedError
	switch {
	case err == nil:
		return errors.New("the broken revision was reported ready; the waiter should have failed it")
	case !errors.As(err, &failed):
		return err
	}
	s.printf("the waiter stopped the rollout after %s (reason %s; the progress deadline was %ds away):",
		failed.Elapsed.Round(100*time.Millisecond), failed.Reason, progressDeadline(brokenObjs))
	s.printf("%s", err.Error())
	if len(failed.Pods) > 0 {
		s.printf("evidence:")
		s.printf("%s", failed.Pods[0].Details())
	}

	s.step("undo to the previous revision and wait")
	res, err := rollout.Undo(ctx, cs, o.namespace, "payments-api", 0, rollout.UndoOptions{})
	if err != nil {
		return err
	}
	s.printf("%s", res.String())
	dep, err := runtime.DefaultUnstructuredConverter.ToUnstructured(res.Deployment)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: dep}
	u.SetAPIVersion("apps/v1")
	u.SetKind("Deployment")
	if _, err := rollout.Wait(ctx, cfg, []*unstructured.Unstructured{u}, waitOptions(o, s)); err != nil {
		return fmt.Errorf("wait for the rollback: %w", err)
	}
	stamp, err := manifest.ReadStamp(res.Deployment)
	if err != nil {
		return err
	}
	s.printf("restored stamp: git %s, image %s, lock %s", short(stamp.GitSHA), stamp.Image, stamp.LockHash)
	running := res.Deployment.Spec.Template.Spec.Containers[0].Image
	s.printf("the pods run the previous digest again: %s (the broken revision's was %s)", digestOf(running), digestOf(brokenImage))
	if stamp.Image != good.image || stamp.LockHash != good.lockHash || running != good.image {
		return fmt.Errorf("the rollback restored image %s (stamp %s) and lock %s; want %s and %s", running, stamp.Image, stamp.LockHash, good.image, good.lockHash)
	}
	hist, err := rollout.History(ctx, cs, o.namespace, "payments-api")
	if err != nil {
		return err
	}
	s.step("rollout history (as kubectl rollout history prints it)")
	s.printf("%s", hist.String())
	return nil
}

// brokenImageOf builds and pushes the broken revision's image: the same lock,
// a source whose settings read DATABASE_URL without a default.
func brokenImageOf(ctx context.Context, o options, ims *images) (string, error) {
	proc, err := serverProcess(o.namespace)
	if err != nil {
		return "", err
	}
	pinned, built, err := ims.build(ctx, brokenTag+short(brokenSHA), brokenSHA, proc, func(dir string) error {
		p := filepath.Join(dir, "payments", "main.py")
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		broken := strings.Replace(string(data), `os.environ.get("DATABASE_URL", "postgresql://payments@db/payments")`, `os.environ["DATABASE_URL"]`, 1)
		return os.WriteFile(p, []byte(broken), 0o644)
	})
	if err != nil {
		return "", err
	}
	built.Close()
	return pinned, nil
}

// digestOf is the digest of a pinned reference.
func digestOf(ref string) string {
	_, d, _ := strings.Cut(ref, "@")
	return d
}

// progressDeadline is the Deployment's progressDeadlineSeconds, the moment
// kubectl rollout status would have reported the failure.
func progressDeadline(objs []runtime.Object) int32 {
	for _, o := range objs {
		if d, ok := o.(*appsv1.Deployment); ok && d.Spec.ProgressDeadlineSeconds != nil {
			return *d.Spec.ProgressDeadlineSeconds
		}
	}
	return 600
}

type revision struct {
	image, lockHash string
}

// applyAndWait applies objs and waits for them, printing progress.
func applyAndWait(ctx context.Context, cfg *rest.Config, objs []runtime.Object, o options, s *story) (revision, error) {
	res, err := manifest.Apply(ctx, cfg, objs, manifest.ApplyOptions{Namespace: o.namespace})
	if err != nil {
		return revision{}, err
	}
	var rev revision
	for _, a := range res.Objects {
		s.printf("%s", a.String())
		if a.Object.GetKind() == "Deployment" {
			st, err := manifest.ReadStamp(a.Object)
			if err == nil {
				rev = revision{image: st.Image, lockHash: st.LockHash}
			}
		}
	}
	_, err = rollout.Wait(ctx, cfg, res.Unstructured(), waitOptions(o, s))
	return rev, err
}

func waitOptions(o options, s *story) rollout.Options {
	return rollout.Options{
		Timeout:  o.timeout,
		LogLines: 5,
		Progress: func(e rollout.Event) {
			// The outcome is printed by the caller, once, with its evidence.
			if e.Type != rollout.Failed && e.Type != rollout.Finished {
				s.printf("%s", e.String())
			}
		},
	}
}

// connect returns the cluster to use: the kubeconfig's, or an embedded
// control plane started for this run.
func connect(ctx context.Context, o options, s *story) (*rest.Config, func(), error) {
	if o.kubeconfig != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
		if err != nil {
			return nil, nil, fmt.Errorf("kubeconfig %s: %w", o.kubeconfig, err)
		}
		s.step("using the cluster of %s", o.kubeconfig)
		return cfg, func() {}, nil
	}
	start := time.Now()
	c, err := testcluster.Start(ctx, testcluster.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("start the embedded control plane: %w", err)
	}
	s.step("started an embedded control plane (etcd, kube-apiserver, kube-scheduler, controllers, 3 nodes running kubelet) in %s",
		time.Since(start).Round(100*time.Millisecond))
	if path := os.Getenv("QUICKSTART_KUBECONFIG"); path != "" {
		if err := c.WriteKubeconfig(path); err == nil {
			s.printf("kubeconfig for kubectl written to %s", path)
		}
	}
	return c.Config(), func() {
		if err := c.Stop(); err != nil {
			s.printf("stopping the control plane: %v", err)
		}
	}, nil
}

// ensureNamespace creates the namespace with server-side apply.
func ensureNamespace(ctx context.Context, cfg *rest.Config, ns string) error {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns},
	}}
	_, err := manifest.Apply(ctx, cfg, []runtime.Object{obj}, manifest.ApplyOptions{})
	return err
}
