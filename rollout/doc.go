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
//	switch rollout.ClassOf(err) {
//	case rollout.Succeeded:
//	case rollout.PodFailure: // Problems(err)[0].Pods: pod, container, reason, events, logs
//	case rollout.Timeout, rollout.Stalled:
//	...
//	}
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
//   - Every error has a Class (see below); failures seen together are
//     joined with errors.Join.
//
// Each object's metadata.generation, as Apply returned it, is the write
// the wait is for: a cached read older than it, or a status whose
// observedGeneration is older, is not success (the helm#12861 race). Once
// the Deployment controller has created the ReplicaSet of our pod
// template, its revision identifies our rollout, and a newer revision
// (someone else's write) ends the wait with *SupersededError instead of
// reporting their rollout as ours.
//
// # Errors: one contract
//
// A CI helper needs one switch: ClassOf(err) returns Succeeded, InvalidInput,
// Forbidden, APIError, ApplyFailed (from manifest.Apply), PodFailure,
// ObjectFailed, ProgressDeadline, Superseded, Paused, Deleted, Stalled,
// Timeout, Canceled or Other. When several objects failed together (or
// Options.KeepGoing collected them), the class of highest precedence wins,
// in that order: problems with the input, the permissions and the API
// first, then verdicts backed by evidence about the release, then
// deadlines, someone else's action, running out of time, cancellation.
// Problems(err) returns each problem as plain data in the same order —
// class, object, reason, message and the pod evidence (pod, container,
// kubelet reason, restarts, last termination, Warning events, log lines) —
// so nothing has to walk an error tree.
//
// The typed errors remain for errors.As: *FailedError (and, for the
// deadline, superseded and paused classes, *ProgressDeadlineError,
// *SupersededError and *PausedError around it), *DeletedError,
// *StalledError, *TimeoutError, *CanceledError, *ForbiddenError,
// *WatchError and *InputError; each has a Class method.
//
// Forbidden: if the credentials may not list the kinds waited for, Wait
// fails at once with *ForbiddenError naming the resource. If they may not
// list a child kind that only feeds evidence (Pods, Events, ReplicaSets,
// EndpointSlices, ControllerRevisions), the wait goes on without it: a
// Warning event and Report.Warnings say so, and the objects that need it
// are judged from their own status, as kubectl does. A list or watch
// refused after the caches filled (an RBAC binding removed mid-wait, seen
// when the reflector re-lists or re-watches) ends the wait at once with
// *ForbiddenError: a frozen cache would otherwise wait silently until the
// timeout.
//
// Migrating from earlier versions: status.Failure no longer unwraps to its
// pods, so errors.As(err, &status.PodFailure{}) finds nothing; read
// Problems(err)[i].Pods or FailedError.Pods instead. Branch on ClassOf
// instead of a chain of errors.As calls, whose order mattered (the
// deadline, superseded and paused wrappers also matched *FailedError).
// Invalid input is *InputError (listing every problem), and source
// failures are *ForbiddenError or *WatchError rather than wrapped strings.
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
// Undo returns the patched Deployment, whose generation Wait gates on.
package rollout
