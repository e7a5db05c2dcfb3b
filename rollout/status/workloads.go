package status

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// statefulSetRule is kubectl's StatefulSetStatusViewer for RollingUpdate.
// For OnDelete, where kubectl errors out, it waits for the generation to be
// observed and every replica to be ready, then reports Current with Reason
// OnDeleteStrategy: pods move to the new template only when deleted, so
// there is no rollout to wait for. With children, failing pods of the update
// revision fail it early.
func statefulSetRule(obs Observation, opts Options) Result {
	var s appsv1.StatefulSet
	if r, ok := convert(obs, &s); !ok {
		return r
	}
	if s.Status.ObservedGeneration == 0 || s.Generation > s.Status.ObservedGeneration {
		return Result{State: InProgress, Reason: GenerationNotObserved, Message: "Waiting for statefulset spec update to be observed..."}
	}
	r := kubectlStatefulSet(&s)
	if r.State == Current || obs.Children == nil {
		return r
	}
	var pods []corev1.Pod
	for _, p := range obs.Children.Pods {
		if controlledBy(p.OwnerReferences, s.UID, "StatefulSet", s.Name) &&
			p.Labels[appsv1.StatefulSetRevisionLabel] == s.Status.UpdateRevision {
			pods = append(pods, p)
		}
	}
	return withPodFailures(r, objectOf(obs.Object), pods, obs.Children.Events, opts)
}

func kubectlStatefulSet(s *appsv1.StatefulSet) Result {
	st := s.Status
	if s.Spec.Replicas != nil && st.ReadyReplicas < *s.Spec.Replicas {
		return Result{State: InProgress, Reason: LessReady, Message: fmt.Sprintf("Waiting for %d pods to be ready...", *s.Spec.Replicas-st.ReadyReplicas)}
	}
	if s.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return Result{State: Current, Reason: OnDeleteStrategy, Message: fmt.Sprintf(
			"statefulset %q has %d ready pods; with the OnDelete strategy pods are updated only when deleted", s.Name, st.ReadyReplicas)}
	}
	if ru := s.Spec.UpdateStrategy.RollingUpdate; ru != nil {
		if s.Spec.Replicas != nil && ru.Partition != nil {
			if want := *s.Spec.Replicas - *ru.Partition; st.UpdatedReplicas < want {
				return Result{State: InProgress, Reason: LessUpdated, Message: fmt.Sprintf(
					"Waiting for partitioned roll out to finish: %d out of %d new pods have been updated...", st.UpdatedReplicas, want)}
			}
		}
		return Result{State: Current, Reason: Ready, Message: fmt.Sprintf("partitioned roll out complete: %d new pods have been updated...", st.UpdatedReplicas)}
	}
	if st.UpdateRevision != st.CurrentRevision {
		return Result{State: InProgress, Reason: LessUpdated, Message: fmt.Sprintf(
			"waiting for statefulset rolling update to complete %d pods at revision %s...", st.UpdatedReplicas, st.UpdateRevision)}
	}
	return Result{State: Current, Reason: Ready, Message: fmt.Sprintf(
		"statefulset rolling update complete %d pods at revision %s...", st.CurrentReplicas, st.CurrentRevision)}
}

// daemonSetRule is kubectl's DaemonSetStatusViewer for RollingUpdate. For
// OnDelete, where kubectl errors out, it waits for every scheduled pod to be
// available and then reports Current with Reason OnDeleteStrategy. With
// children, failing pods of the newest revision (the controller-revision-hash
// of the DaemonSet's newest ControllerRevision) fail it early.
func daemonSetRule(obs Observation, opts Options) Result {
	r, d := daemonSetStatus(obs)
	if r.State == Current || r.Reason == GenerationNotObserved || obs.Children == nil || d == nil {
		return r
	}
	hash := newestRevisionHash(d.UID, "DaemonSet", d.Name, obs.Children.ControllerRevisions)
	if hash == "" {
		return r
	}
	var pods []corev1.Pod
	for _, p := range obs.Children.Pods {
		if controlledBy(p.OwnerReferences, d.UID, "DaemonSet", d.Name) && p.Labels[appsv1.ControllerRevisionHashLabelKey] == hash {
			pods = append(pods, p)
		}
	}
	return withPodFailures(r, objectOf(obs.Object), pods, obs.Children.Events, opts)
}

// newestRevisionHash returns the controller-revision-hash label of the
// owner's ControllerRevision with the highest revision, or "".
func newestRevisionHash(uid types.UID, kind, name string, crs []appsv1.ControllerRevision) string {
	var best *appsv1.ControllerRevision
	for i := range crs {
		cr := &crs[i]
		if controlledBy(cr.OwnerReferences, uid, kind, name) && (best == nil || cr.Revision > best.Revision) {
			best = cr
		}
	}
	if best == nil {
		return ""
	}
	return best.Labels[appsv1.ControllerRevisionHashLabelKey]
}

func daemonSetStatus(obs Observation) (Result, *appsv1.DaemonSet) {
	var d appsv1.DaemonSet
	if r, ok := convert(obs, &d); !ok {
		return r, nil
	}
	if d.Generation > d.Status.ObservedGeneration {
		return Result{State: InProgress, Reason: GenerationNotObserved, Message: "Waiting for daemon set spec update to be observed..."}, &d
	}
	st := d.Status
	prefix := fmt.Sprintf("Waiting for daemon set %q rollout to finish: ", d.Name)
	if d.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType {
		if st.NumberAvailable < st.DesiredNumberScheduled {
			return Result{State: InProgress, Reason: LessAvailable, Message: fmt.Sprintf(
				"%s%d of %d pods are available...", prefix, st.NumberAvailable, st.DesiredNumberScheduled)}, &d
		}
		return Result{State: Current, Reason: OnDeleteStrategy, Message: fmt.Sprintf(
			"daemon set %q has %d available pods; with the OnDelete strategy pods are updated only when deleted", d.Name, st.NumberAvailable)}, &d
	}
	if st.UpdatedNumberScheduled < st.DesiredNumberScheduled {
		return Result{State: InProgress, Reason: LessUpdated, Message: fmt.Sprintf(
			"%s%d out of %d new pods have been updated...", prefix, st.UpdatedNumberScheduled, st.DesiredNumberScheduled)}, &d
	}
	if st.NumberAvailable < st.DesiredNumberScheduled {
		return Result{State: InProgress, Reason: LessAvailable, Message: fmt.Sprintf(
			"%s%d of %d updated pods are available...", prefix, st.NumberAvailable, st.DesiredNumberScheduled)}, &d
	}
	return Result{State: Current, Reason: Ready, Message: fmt.Sprintf("daemon set %q successfully rolled out", d.Name)}, &d
}

// replicaSetRule: generation observed, no ReplicaFailure, every replica available.
func replicaSetRule(obs Observation, opts Options) Result {
	var rs appsv1.ReplicaSet
	if r, ok := convert(obs, &rs); !ok {
		return r
	}
	if rs.Generation > rs.Status.ObservedGeneration {
		return Result{State: InProgress, Reason: GenerationNotObserved, Message: "Waiting for replica set spec update to be observed..."}
	}
	ref := objectOf(obs.Object)
	refused := replicaSetFailure(&rs)
	if g := grace(opts.Tolerance.ReplicaFailureGrace, DefaultReplicaFailureGrace); refused != nil &&
		elapsed(refused.LastTransitionTime.Time, opts.Now, g) && (g == 0 || !quotaHasRoom(refused.Message, obs.Children)) {
		f := replicaFailure(ref, refused.Reason, refused.Message)
		return Result{State: Failed, Reason: ReplicaFailure, Message: f.Message}
	}
	want := int32(1)
	if rs.Spec.Replicas != nil {
		want = *rs.Spec.Replicas
	}
	if rs.Status.AvailableReplicas < want {
		r := Result{State: InProgress, Reason: LessAvailable, Message: fmt.Sprintf(
			"Waiting for replica set %q: %d of %d replicas are available...", rs.Name, rs.Status.AvailableReplicas, want)}
		if refused != nil {
			r.Message += refusal(refused.Reason, refused.Message, obs.Children)
		}
		if obs.Children == nil {
			return r
		}
		return withPodFailures(r, ref, podsOfReplicaSet(&rs, obs.Children.Pods), obs.Children.Events, opts)
	}
	return Result{State: Current, Reason: Ready, Message: fmt.Sprintf("replica set %q has %d available replicas", rs.Name, rs.Status.AvailableReplicas)}
}

// withPodFailures turns an unfinished Result into a Failed one when the
// pods show it cannot finish.
func withPodFailures(r Result, ref Object, pods []corev1.Pod, events []corev1.Event, opts Options) Result {
	return withFailures(r, ref, ClassifyPods(pods, events, opts))
}

func withFailures(r Result, ref Object, failures []PodFailure) Result {
	if len(failures) == 0 {
		return r
	}
	f := &Failure{Object: ref, Reason: failures[0].Reason, Pods: failures}
	return Result{State: Failed, Reason: f.Reason, Message: f.Error(), Pods: failures}
}
