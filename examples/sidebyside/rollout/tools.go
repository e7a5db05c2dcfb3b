package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/cli-utils/pkg/kstatus/polling/collector"
	"sigs.k8s.io/cli-utils/pkg/kstatus/polling/event"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/cli-utils/pkg/kstatus/watcher"
	"sigs.k8s.io/cli-utils/pkg/object"

	"github.com/pydeploy/pydeploy/rollout"
)

// kind is what a tool's answer amounts to.
type kind int

const (
	// none: the tool had not returned by the cap.
	none kind = iota
	success
	failure
	// toolError: the tool returned without a verdict on the rollout (a
	// client or API error).
	toolError
)

// outcome is one tool's answer in one run.
type outcome struct {
	kind kind
	// after is the time from the measured step to the answer; unset for
	// none.
	after time.Duration
	// reason is the short reason: rollout.Wait's status.Reason, kubectl's
	// or kstatus' words; for none, the tool's last status.
	reason string
	// pod is the pod of rollout.Wait's failure evidence, if any.
	pod string
	// detail is rollout.Wait's whole message, shown for a wrong verdict.
	detail string
}

// right says whether o is the verdict x expects. checkReason applies to
// tools whose failures carry a reason (rollout.Wait).
func (o outcome) right(x expect, checkReason bool) bool {
	switch o.kind {
	case success:
		return x.success
	case failure:
		return !x.success && (!checkReason || o.reason == string(x.reason))
	}
	return false
}

// describe is the outcome in a run's line.
func (o outcome) describe(capped time.Duration) string {
	switch o.kind {
	case none:
		return fmt.Sprintf("no verdict by %s (last: %s)", fmtCap(capped), o.reason)
	case success:
		return fmt.Sprintf("success after %s", fmtDuration(o.after))
	case failure:
		return fmt.Sprintf("failure after %s (%s)", fmtDuration(o.after), o.reason)
	}
	return fmt.Sprintf("error after %s (%s)", fmtDuration(o.after), o.reason)
}

// kubectlOnce runs `kubectl rollout status` until it exits or ctx (the
// cap) ends, which kills it.
func (e *env) kubectlOnce(ctx context.Context, start time.Time, ns string) outcome {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, e.cfg.kubectl, "--kubeconfig", e.kubeconfig, "--cache-dir", e.cacheDir,
		"rollout", "status", "deployment/"+deploymentName, "-n", ns)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	after := time.Since(start)
	if ctx.Err() != nil && err != nil {
		return outcome{kind: none, reason: lastLine(out.String())}
	}
	o := kubectlVerdict(err, out.String())
	o.after = after
	return o
}

// kubectlVerdict reads kubectl's verdict from its exit status and output.
func kubectlVerdict(err error, output string) outcome {
	switch {
	case err == nil && strings.Contains(output, "successfully rolled out"):
		return outcome{kind: success, reason: "successfully rolled out"}
	case err != nil && strings.Contains(output, "exceeded its progress deadline"):
		return outcome{kind: failure, reason: "progress deadline exceeded"}
	case err != nil:
		return outcome{kind: toolError, reason: fmt.Sprintf("%v: %s", err, lastLine(output))}
	}
	return outcome{kind: toolError, reason: "exit 0: " + lastLine(output)}
}

// deploymentID is the Deployment of the run, as kstatus names objects.
func deploymentID(ns string) object.ObjMetadata {
	return object.ObjMetadata{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}, Namespace: ns, Name: deploymentName}
}

// kstatusOnce waits as Flux, kpt and Helm v4 do with kstatus: a
// DefaultStatusWatcher on the object (a dynamic client and a discovery
// REST mapper of its own), its events gathered by a ResourceStatusCollector
// whose observer stops at the first Current (success) or Failed (failure)
// status.
func kstatusOnce(ctx context.Context, cfg *rest.Config, start time.Time, ns string) outcome {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return outcome{kind: toolError, after: time.Since(start), reason: err.Error()}
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return outcome{kind: toolError, after: time.Since(start), reason: err.Error()}
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	id := deploymentID(ns)
	ids := object.ObjMetadataSet{id}

	watchCtx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		decided *event.ResourceStatus
		at      time.Duration
	)
	coll := collector.NewResourceStatusCollector(ids)
	observer := collector.ObserverFunc(func(c *collector.ResourceStatusCollector, _ event.Event) {
		rs := c.ResourceStatuses[id]
		if decided == nil && rs != nil && (rs.Status == kstatus.CurrentStatus || rs.Status == kstatus.FailedStatus) {
			decided, at = rs, time.Since(start)
			stop()
		}
	})
	events := watcher.NewDefaultStatusWatcher(dyn, mapper).Watch(watchCtx, ids, watcher.Options{})
	var watchErr error
	for res := range coll.ListenWithObserver(events, observer) {
		if res.Err != nil && watchErr == nil {
			watchErr = res.Err
			stop()
		}
	}
	switch {
	case decided != nil && decided.Status == kstatus.CurrentStatus:
		return outcome{kind: success, after: at, reason: "Current: " + decided.Message}
	case decided != nil:
		return outcome{kind: failure, after: at, reason: "Failed: " + decided.Message}
	case watchErr != nil && ctx.Err() == nil:
		return outcome{kind: toolError, after: time.Since(start), reason: lastLine(watchErr.Error())}
	}
	last := coll.LatestObservation()
	for _, rs := range last.ResourceStatuses {
		if rs.Identifier == id {
			return outcome{kind: none, reason: fmt.Sprintf("%s: %s", rs.Status, rs.Message)}
		}
	}
	return outcome{kind: none, reason: "no status"}
}

// oursOnce runs rollout.Wait with its default Options until it returns or
// ctx (the cap) ends.
func oursOnce(ctx context.Context, cfg *rest.Config, start time.Time, u *unstructured.Unstructured) outcome {
	_, err := rollout.Wait(ctx, cfg, []*unstructured.Unstructured{u}, rollout.Options{})
	o := oursVerdict(err)
	if o.kind != none {
		o.after = time.Since(start)
	}
	return o
}

// oursVerdict reads rollout.Wait's verdict from its error.
func oursVerdict(err error) outcome {
	if err == nil {
		return outcome{kind: success, reason: "rolled out"}
	}
	if fe, ok := errors.AsType[*rollout.FailedError](err); ok {
		o := outcome{kind: failure, reason: string(fe.Reason), detail: lastLine(err.Error())}
		if len(fe.Pods) > 0 {
			o.pod = fe.Pods[0].Pod
		}
		return o
	}
	switch rollout.ClassOf(err) {
	case rollout.Timeout, rollout.Canceled:
		return outcome{kind: none, reason: lastPending(err)}
	}
	return outcome{kind: toolError, reason: lastLine(err.Error())}
}

// lastPending is the status a stopped rollout.Wait last saw.
func lastPending(err error) string {
	var pending []rollout.Pending
	if te, ok := errors.AsType[*rollout.TimeoutError](err); ok {
		pending = te.Pending
	} else if ce, ok := errors.AsType[*rollout.CanceledError](err); ok {
		pending = ce.Pending
	}
	if len(pending) > 0 {
		return fmt.Sprintf("%s: %s", pending[0].Reason, strings.TrimSuffix(pending[0].Message, "..."))
	}
	return lastLine(err.Error())
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
