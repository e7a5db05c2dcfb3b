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
//     updated; a rollout waiting on a pod the ReplicaSet controller could
//     not create adds a note after kubectl's message (see ReplicaFailure
//     below). On top: superseded detection (Options.Revision), the paused
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
// (pod, container and its role — init container, native sidecar —,
// kubelet reason, message, restart count, last termination, the last
// Warning events), carried as plain data in Failure.Pods and Result.Pods.
// The waiter may add log lines to PodFailure.Logs.
//
// # The pod failure policy
//
// The rules judge only the pods of the new revision (the new ReplicaSet, a
// StatefulSet's update revision, a DaemonSet's newest ControllerRevision, a
// Job's pods), and are tuned on what kubelet actually does (v1.37,
// pkg/kubelet; see the timings below): a verdict as soon as the evidence is
// conclusive, none while Kubernetes can still recover by itself — a false
// failure triggers a needless rollback. Each rule, its default (Tolerance)
// and why:
//
//   - Crash loops: a container that failed to start more than
//     Tolerance.Restarts times (default 2) and is not Ready now is
//     PodCrashLooping, or OOMKilled when its last exit was an OOM kill.
//     Kubelet restarts a container at once after its first exit and backs
//     off 10 s after the second (then 20 s, 40 s, … 300 s), so a container
//     that crashes at start exits for the third time about 12–17 s after
//     the pod started, and one that crashes once or twice and then runs
//     (a dependency not yet up) is never failed. Exits are counted from
//     restartCount and the container's state, not from the
//     CrashLoopBackOff reason, which kubelet writes only at its next sync
//     of the pod. A single OOM kill followed by a healthy restart is not a
//     failure. Job pods are exempt: the Job's backoffLimit decides, and
//     the Job's Failed condition reports it. Set Restarts to -1 to fail at
//     the first exit, or higher for services that need several attempts.
//   - Image pulls: a permanent error — the image or tag does not exist, or
//     the registry refuses the credentials (not found, manifest unknown,
//     unauthorized, denied, 401, 403) — fails at once (within a second or
//     two of the pod starting, the time of one pull). A transient one (a
//     429 rate limit, a timeout, a 5xx, RegistryUnavailable) or an
//     unrecognised one is tolerated for ImagePullGrace (default 60 s):
//     kubelet retries after 10 s and 20 s more. InvalidImageName and
//     ErrImageNeverPull fail at once. PermanentImagePullGrace (default 0)
//     covers pipelines that apply before the push finishes.
//   - Missing config: CreateContainerConfigError (a Secret, ConfigMap or
//     key that does not exist), CreateContainerError and RunContainerError
//     fail after ConfigGrace (default 30 s), time enough for a Secret
//     applied in the same batch or written by an operator.
//   - Scheduling: Unschedulable (the scheduler's PodScheduled=False
//     condition and message) fails after UnschedulableGrace (default 15 s,
//     as kstatus). While capacity is on its way — a cluster-autoscaler
//     TriggeredScaleUp event, a Karpenter Nominated event, or a nominated
//     node (preemption) — the grace is ScaleUpGrace (default 10 min) from
//     the latest such sign; NotTriggerScaleUp or FailedScaleUp ends that.
//   - Readiness: a container (or native sidecar) that started and runs
//     but is not ready, with "Readiness probe failed" Warning events since
//     it started, fails after ReadinessGrace (default 60 s) of running.
//     Events aggregated by client-go ("(combined from similar events): …")
//     count. Without such events a slow initialDelaySeconds is not a
//     failure.
//   - ReplicaFailure (FailedCreate: quota, LimitRange, admission): not a
//     failure while old pods terminate or the Deployment makes progress
//     (during a surge the quota frees as old pods go and the ReplicaSet
//     controller retries, as kubectl and kstatus wait for), nor once a
//     ResourceQuota that refused a pod has room again, judged from the
//     API server's message (requested, used, limited) and the namespace's
//     pods (their count, cpu and memory): the ReplicaSet controller retries
//     on a back-off of its own (5 ms doubling up to 1000 s, not woken by
//     the quota), so the pod may come minutes later, and the progress
//     deadline bounds that. A failure once it has stood for
//     ReplicaFailureGrace (default 30 s) with none of these. While it does
//     not stand, the in-progress message says what was refused and why
//     the wait goes on ("…; a ResourceQuota refused a pod (FailedCreate:
//     …) and has room now: the ReplicaSet controller retries on its own
//     back-off"), so a progress line or a timeout explains a rollout that
//     stands still.
//   - Init containers and native sidecars are judged like containers and
//     named as such: "pod x init container "migrate" is crash-looping".
//
// Grace periods are measured against Options.Now; Compute never reads the
// clock, so a zero Now reports only the immediate failures. A grace
// measured from a timestamp in whole seconds (most of the API's) counts
// from the end of that second, so that it never ends early.
//
// Kubelet's timings behind these defaults were measured on kubelet's own
// code (internal/testcluster runs it as kubemark's hollow node does; its
// README has the timelines): a container exiting 0.3 s after each start
// first exits about 1–2 s after the pod was created, is restarted at once
// and exits again at about 2–3 s, is restarted after its 10 s back-off
// (kubelet requeues the pod with up to 50 % jitter) and exits for the third
// time at about 15 s; kubelet shows CrashLoopBackOff only at about 40 s.
// With these defaults rollout.Wait's verdict on it came 12.8 s after the
// pod started (13.7 s after the apply). A missing image gives ErrImagePull
// 1–3 s after the pod started, and Wait's verdict with it; a 429 once, a
// crash twice then a healthy start, and an OOM kill once then Ready all
// end in success, 4–17 s after the apply.
package status
