package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/status"
)

var deploymentKind = schema.GroupKind{Group: "apps", Kind: "Deployment"}

// undoCandidates returns the Deployments a failed wait leaves to roll back,
// sorted by namespace and name: those that failed (a pod failure or the
// progress deadline) and, at a timeout or stall, those that had not
// finished. A superseded Deployment runs someone else's newer rollout, and
// a paused one cannot be rolled back, so neither is a candidate.
func undoCandidates(err error) []status.Object {
	seen := map[status.Object]bool{}
	add := func(o status.Object) {
		if o.GroupKind == deploymentKind {
			seen[o] = true
		}
	}
	for _, p := range rollout.Problems(err) {
		switch p.Class {
		case rollout.PodFailure, rollout.ObjectFailed, rollout.ProgressDeadline, rollout.Stalled, rollout.Timeout:
			add(p.Object)
		}
	}
	out := make([]status.Object, 0, len(seen))
	for o := range seen {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// undoFailed rolls back the Deployments the failure names to their previous
// revision, waits for the rollbacks under a fresh -timeout (the first may be
// spent), reports each, and returns the ones rolled back.
func undoFailed(ctx context.Context, cl *cluster, o *options, failure error, rep *reporter) []string {
	candidates := undoCandidates(failure)
	if len(candidates) == 0 {
		rep.note("-undo-on-failure: no Deployment to roll back")
		return nil
	}
	cs, err := kubernetes.NewForConfig(cl.cfg)
	if err != nil {
		rep.note("-undo-on-failure: %v", err)
		return nil
	}
	undoCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	var rolledBack []string
	var waitFor []*unstructured.Unstructured
	for _, obj := range candidates {
		res, err := rollout.Undo(undoCtx, cs, obj.Namespace, obj.Name, 0, rollout.UndoOptions{})
		switch {
		case errors.Is(err, rollout.ErrNoHistory):
			rep.undone(obj, fmt.Sprintf("%s: not rolled back: it has no earlier revision (this was its first rollout)", obj))
			continue
		case err != nil:
			rep.undone(obj, fmt.Sprintf("%s: rollback failed: %v", obj, err))
			continue
		}
		msg := fmt.Sprintf("%s to revision %d", res.String(), res.Revision.Number)
		if img := res.Revision.Stamp.Image; img != "" {
			msg += fmt.Sprintf(" (image %s)", img)
		}
		rep.undone(obj, msg)
		u, err := toUnstructured(res)
		if err != nil {
			rep.undone(obj, fmt.Sprintf("%s: cannot wait for the rollback: %v", obj, err))
			continue
		}
		waitFor = append(waitFor, u)
		rolledBack = append(rolledBack, fmt.Sprintf("%s to revision %d", obj, res.Revision.Number))
	}
	if len(waitFor) == 0 {
		return rolledBack
	}
	rep.note("waiting for the %s", plural(len(waitFor), "rollback", "rollbacks"))
	_, err = rollout.Wait(undoCtx, cl.cfg, waitFor, o.waitOptions(o.timeout, rep))
	if err != nil {
		rep.note("the rollback did not finish: %s", firstLine(err))
		for i := range rolledBack {
			rolledBack[i] += " (rollback not finished)"
		}
		return rolledBack
	}
	rep.note("rollback finished: %s", strings.Join(rolledBack, ", "))
	return rolledBack
}

// toUnstructured turns the Deployment Undo returned into the form Wait takes,
// keeping the generation the rollback wrote.
func toUnstructured(res *rollout.UndoResult) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(res.Deployment)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion("apps/v1")
	u.SetKind("Deployment")
	return u, nil
}
