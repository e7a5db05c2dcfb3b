// Command ci-deploy is the deploy step of a CI pipeline, built on pydeploy:
// it applies a directory of manifests with server-side apply, waits for all
// of them to roll out under one deadline, prints progress the way kubectl
// does, and exits with a code that says what went wrong.
//
//	go run github.com/pydeploy/pydeploy/examples/ci-deploy -f deploy/ -timeout 5m
//	go run github.com/pydeploy/pydeploy/examples/ci-deploy -f deploy/overlays/prod -format github -undo-on-failure
//	go run github.com/pydeploy/pydeploy/examples/ci-deploy -f deploy/ -dry-run
//	go run github.com/pydeploy/pydeploy/examples/ci-deploy -f deploy/ -embedded
//
// -f names a file or a directory. A directory holding a kustomization
// (kustomization.yaml, kustomization.yml or Kustomization) is built with
// manifest.Kustomize from disk; any other directory contributes every *.yaml,
// *.yml and *.json file directly in it, in name order. Files are parsed
// strictly (unknown and duplicate fields are errors), and every problem names
// the file, the document and the line.
//
// The cluster is the one of -kubeconfig (default: $KUBECONFIG, else
// ~/.kube/config) and its current context; -namespace overrides the
// context's namespace for objects that name none. -embedded instead starts
// pydeploy's test control plane (etcd, kube-apiserver, kube-scheduler and
// the controllers in this process; three nodes running kubelet's own code
// on a scripted container runtime in child processes), applies and waits
// there, and stops it: a smoke test of the manifests that needs no cluster.
// -skip-wait KIND,... applies objects of those kinds without waiting for them.
//
// The wait is pydeploy's rollout.Wait: one deadline for the whole set
// (-timeout, which also bounds the apply), an optional -stall-timeout, and
// fail-fast on pods of the new ReplicaSet that cannot become ready (crash
// loop, image pull, invalid image, missing config, OOM kill, unschedulable,
// failing readiness, quota), with the evidence: the pod, the container, the
// kubelet's reason, recent Warning events and the last -log-lines log lines.
// kubectl rollout status waits for one object at a time and notices only the
// progress deadline (10 minutes by default); ci-deploy stops within seconds.
//
// -undo-on-failure rolls back every Deployment that failed (or, at a timeout
// or stall, did not finish) with rollout.Undo, as `kubectl rollout undo`
// would, then waits for the rollbacks under a fresh -timeout and reports
// them. The exit code stays that of the original failure. A Deployment
// superseded by someone else's rollout, or paused, is not rolled back. Undo
// applies the rollback as the deploy's own field manager, so the next
// deploy applies without -force-conflicts.
//
// -dry-run sends the objects as a server-side dry run and prints what would
// change as a diff; nothing is stored and nothing is waited for.
//
// Output (-format): text (default), kubectl-style lines with the elapsed
// time; github, the same lines plus GitHub Actions workflow commands
// (::error:: annotations for every failure, with file and line for manifest
// errors, ::warning:: for rollbacks, and the evidence in a collapsible group);
// json, one JSON object per line: every apply result, progress event and
// failure with the fields time, elapsed_ms, event, kind, namespace, name,
// state, reason and message (failures add pods, the evidence), and a final
// line with event "summary", exit_code, result and message. The report goes
// to stdout; stderr gets only usage errors.
//
// Exit codes:
//
//	0  every object rolled out (or, with -dry-run, the dry run passed)
//	1  usage, I/O or manifest error, the cluster could not be reached, or
//	   the API failed (an unknown kind)
//	2  apply error (the API server refused an object, or a field conflict)
//	3  timeout (-timeout) or stall (-stall-timeout)
//	4  pod failure: a pod of the new revision cannot become ready (crash
//	   loop, image pull, invalid image, missing config, OOM kill,
//	   unschedulable, failing readiness), a ReplicaSet cannot create pods
//	   (quota), or an object's controller declared it failed (a Job, a
//	   custom resource's Stalled condition)
//	5  progress deadline exceeded (the Deployment controller gave up)
//	6  superseded: another rollout replaced ours before it finished
//	7  paused Deployment (or suspended Job)
//	8  an object was deleted while it was waited for
//	9  cancelled (SIGINT or SIGTERM)
//	10 forbidden: the credentials may not list or watch what the wait needs
//	   (at the start, or when a watch was re-established mid-wait)
//
// The code is a switch on rollout.ClassOf (exitcode.go): when several
// objects fail at once, the library's precedence picks the class — apply
// and permission problems first, then pod failures, the progress deadline,
// superseded, paused, deleted, stall and timeout, cancellation last.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
