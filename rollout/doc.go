// Package rollout waits for applied objects to roll out, and says why when
// they cannot: the step after manifest.Apply in a pydeploy pipeline.
//
//	res, err := manifest.Apply(ctx, cfg, objs, manifest.ApplyOptions{})
//	...
//	applied := make([]*unstructured.Unstructured, len(res.Objects))
//	for i, a := range res.Objects {
//		applied[i] = a.Object
//	}
//	_, err = rollout.Wait(ctx, cfg, applied, rollout.Options{
//		Timeout:  10 * time.Minute,
//		LogLines: rollout.DefaultLogLines,
//		Progress: func(e rollout.Event) { log.Print(e) },
//	})
//	var pf status.PodFailure
//	if errors.As(err, &pf) { ... } // the failing pod, container, reason, events, logs
//
// # Layers
//
// Package status (rollout/status) is pure: given an object and its
// children (ReplicaSets, Pods, Warning Events, EndpointSlices) it returns a
// verdict, Current, InProgress or Failed, with a reason and kubectl's
// message. This package watches and decides when to judge:
//
//   - A Source provides the objects. NewSource reads a cluster through
//     client-go informers: one list and one watch per kind and namespace
//     (the objects' own kinds, plus ReplicaSets, Pods and Warning Events for
//     workloads and EndpointSlices for Services), however many objects are
//     waited for, and no polling of the API. Informers relist when a watch
//     expires (410 Gone) and reconnect after an API server restart; the
//     verdict is always recomputed from the latest cached state, so no
//     transition is lost. Package rollouttest scripts a Source on a fake
//     clock instead, for unit tests.
//   - The engine judges an object again when it or one of its children
//     changes (a Pod is traced to its ReplicaSet and Deployment), and once a
//     second from cache while grace periods run. It emits an Event when a
//     status changes, plus a heartbeat; it ends at the first failure (or,
//     with Options.KeepGoing, when every object is done), at Options.Timeout
//     (one deadline for the whole set), when an object stalls for
//     Options.StallTimeout, or when the context ends.
//   - Errors are typed for errors.As: *FailedError (wrapping
//     *status.Failure and each status.PodFailure, with the log tail when
//     Options.LogLines allows), *ProgressDeadlineError, *SupersededError,
//     *PausedError, *DeletedError, *StalledError, *TimeoutError and
//     *CanceledError; failures seen together are joined with errors.Join.
//
// Each object's metadata.generation, as Apply returned it, is the write
// the wait is for: a cached read older than it, or a status whose
// observedGeneration is older, is not success (the helm#12861 race). Once
// the Deployment controller has created the ReplicaSet of our pod
// template, its revision identifies our rollout, and a newer revision
// (someone else's write) ends the wait with *SupersededError instead of
// reporting their rollout as ours.
//
// # Compared with
//
// kubectl rollout status waits for one object at a time with its own
// timeout, and fails only at the progress deadline (10 minutes by
// default); Wait waits for all at once, fails as soon as a pod of the new
// ReplicaSet shows the rollout cannot succeed (crash loop, image pull,
// invalid image, missing config, OOM kill, unschedulable, failing
// readiness, quota), ignores old ReplicaSets' pods, and reports evidence.
// kstatus has the same watch layering but judges a Deployment by its
// status alone; Helm's waiter (kstatus in v4) polls or watches likewise and
// reports "not ready" with no pod reasons. Paused Deployments fail fast by
// default (Options.Paused), where kubectl and kstatus wait to the timeout.
//
// Goroutines a Wait starts carry the pprof label ProfileLabel and are all
// stopped before it returns.
//
// # History and undo
//
// History lists a Deployment's revisions as `kubectl rollout history` does
// (the deployment.kubernetes.io/revision and kubernetes.io/change-cause
// annotations of its ReplicaSets), with each revision's pod template and
// version stamp. Undo follows `kubectl rollout undo`: it refuses a paused
// Deployment, skips when the template already matches (ignoring
// pod-template-hash), and otherwise replaces the pod template and the
// annotations with the chosen ReplicaSet's. Because the deployment
// controller copies a Deployment's annotations onto its ReplicaSets, the
// pydeploy.io/* stamp comes back with the template: the rolled-back
// revision is the exact earlier environment (git SHA, image, lock hash).
// The patch is recorded under the field manager UndoFieldManager, so the
// next release applied with manifest.Apply must set Force to take those
// fields back. Undo returns the patched Deployment, whose generation Wait
// gates on.
package rollout
