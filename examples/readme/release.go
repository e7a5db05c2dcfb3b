// Package readme holds the Go code README.md shows, so that every snippet
// there compiles, and runs (readme_test.go runs it on the embedded control
// plane and checks the README quotes it verbatim).
package readme

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/pydeploy/pydeploy/deploy"
	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/rollout"
)

// Release is a CI deploy step: build payments-api, stamp it, apply it,
// wait for it, and roll it back if its pods cannot become ready.
func Release(ctx context.Context, cfg *rest.Config, image, gitSHA, lockHash string) error {
	bundle, err := deploy.NewApp("payments-api", "shop").
		WithImage(image).
		WithServer(deploy.Gunicorn("payments.wsgi:application")).
		WithReplicas(3).
		Build()
	if err != nil {
		return err // every problem at once, each with its field path and check ID
	}
	objs := bundle.Objects()
	if err := manifest.StampObjects(objs, manifest.Stamp{GitSHA: gitSHA, Image: image, LockHash: lockHash}); err != nil {
		return err
	}
	res, err := manifest.Apply(ctx, cfg, objs, manifest.ApplyOptions{})
	if err != nil {
		return err
	}
	_, err = rollout.Wait(ctx, cfg, res.Unstructured(), rollout.Options{Timeout: 3 * time.Minute, LogLines: 20})
	switch rollout.ClassOf(err) {
	case rollout.Succeeded:
		return nil
	case rollout.PodFailure, rollout.ProgressDeadline:
		for _, p := range rollout.Problems(err) {
			for _, pod := range p.Pods {
				fmt.Print(pod.Details()) // kubelet's reason, exit code, events, log tail
			}
		}
		cs, cerr := kubernetes.NewForConfig(cfg)
		if cerr != nil {
			return errors.Join(err, cerr)
		}
		_, uerr := rollout.Undo(ctx, cs, "shop", "payments-api", 0, rollout.UndoOptions{})
		return errors.Join(err, uerr)
	}
	return err
}
