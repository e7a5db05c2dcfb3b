// Package status decides, from objects alone, whether a Kubernetes object
// has rolled out: Current, InProgress or Failed, with a typed Reason and a
// message a person can act on. It is the pure layer of pydeploy's rollout
// package, in the way kstatus' status package sits under its pollers and
// watchers: no client, no clock, no I/O.
//
// # Layering
//
// The waiter in package rollout watches the objects it applied (and their
// ReplicaSets, Pods, Events and EndpointSlices), and on every change calls
// Evaluate with the latest snapshot and Options.Now set to its clock. It
// stops waiting for an object when its State is Done (Current or Failed),
// turns a Failed Result into an error with Result.Err, and reports progress
// with Result.Message. Reporting, history and undo build on top of the same
// Results.
//
// # Rules
//
// Compute judges one object; Evaluate also looks at its children. Before
// any rule, an object with a deletionTimestamp is Terminating and a read
// older than our own write (Options.MinGeneration, the generation the apply
// returned) is InProgress with Reason WriteNotObserved — a stale cache then
// cannot report success for an object it has not yet seen change (the
// helm#12861 race). Then Options.Readers (custom resources, first match
// wins) and the built-in rules per kind:
//
//   - Deployment: kubectl rollout status, message for message (without the
//     trailing newline): spec update observed, ProgressDeadlineExceeded,
//     updated < replicas, old replicas pending termination, available <
//     updated. On top: superseded detection (Options.Revision), the paused
//     policy (Options.Paused, failing fast by default), ReplicaFailure, an
//     optional wait for terminating pods (.status.terminatingReplicas), and
//     — given children — fail-fast on the pods of the new ReplicaSet only
//     (FindNewReplicaSet, ClassifyPods), so an old ReplicaSet's crash loop
//     never fails a good rollout.
//   - StatefulSet and DaemonSet: kubectl's rules for RollingUpdate; OnDelete,
//     where kubectl refuses, waits for ready pods and reports
//     OnDeleteStrategy. A StatefulSet's update-revision pods fail it early.
//   - Job: Complete ends the wait as Current, Failed (or FailureTarget) as
//     Failed; a suspended Job follows the paused policy.
//   - Service: a ready endpoint in its EndpointSlices; ExternalName and
//     selector-less Services are Current; LoadBalancer ingress on request.
//   - PodDisruptionBudget: observed generation and enough healthy pods.
//   - Pod: phase, readiness and the pod failure rules.
//   - Kinds without status (ConfigMap, Secret, RBAC, ...) are Current.
//   - Anything else: kstatus' conditions (observedGeneration, Stalled,
//     Reconciling, Ready); without conditions Options.NoConditions decides.
//
// # Failures and evidence
//
// A Failed Result's Err is a *Failure; each failing pod is a PodFailure
// (pod, container, kubelet reason, message, restart count, last
// termination, the last Warning events) reachable with errors.As. The
// waiter may add log lines to PodFailure.Logs. Tolerance holds the knobs:
// allowed restarts and the grace periods for image pulls, missing config,
// unschedulable pods, failing readiness probes and ReplicaFailure.
package status
