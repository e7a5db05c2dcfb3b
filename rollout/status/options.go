package status

import (
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// PausedPolicy says what a paused Deployment (or a suspended Job) whose
// rollout is not finished means for a waiter. The anchors disagree: kubectl
// and kstatus wait until the timeout, Helm treats it as ready or skips it,
// Argo CD calls it Suspended. The zero value fails fast.
type PausedPolicy int

const (
	// PausedFail reports Failed with Reason Paused and a message saying how
	// to resume. It is the default: a paused rollout will not finish on its own.
	PausedFail PausedPolicy = iota
	// PausedReady reports Current with Reason Paused.
	PausedReady
	// PausedWait reports InProgress with Reason Paused, expecting someone to resume it.
	PausedWait
)

// Revision identifies the rollout that our own write started. A Deployment
// whose rollout moved past it is Failed with Reason Superseded instead of
// being reported as a success (the helm#12861 race, and two pipelines racing).
type Revision struct {
	// Number is the deployment.kubernetes.io/revision the controller gave
	// our template; zero disables the check by number.
	Number int64
	// TemplateHash is the pod-template-hash of our ReplicaSet; empty disables
	// the check by hash. It needs Children.ReplicaSets.
	TemplateHash string
}

// Tolerance holds the knobs of pod failure detection. A zero field takes its
// documented default; a negative duration or count means "no tolerance":
// fail at the first sign. The defaults are tuned on kubelet's own timings
// (see the package documentation): they give a verdict as soon as the
// evidence is conclusive and none while Kubernetes can still recover by
// itself.
type Tolerance struct {
	// Restarts is how many failed starts of a container are tolerated: the
	// next one fails the rollout. Default 2, so a container that crashes
	// once or twice and then runs (a database not yet reachable, a slow
	// dependency) is not a failure, and one that crashes at start is
	// reported at its third exit — about 15 s after the pod started under
	// kubelet's back-off (immediate restart after the first exit, 10 s
	// after the second). Exits are counted from the restart count and the
	// container's state, not from the CrashLoopBackOff reason, which kubelet
	// writes only when it next syncs the pod. A container that is Ready now
	// is never failed for its past exits. Exits of a Job's pods are left to
	// the Job's backoffLimit.
	Restarts int32
	// ImagePullGrace is how long after the pod started a transient or
	// unrecognised image pull error (ErrImagePull, ImagePullBackOff,
	// RegistryUnavailable: a 429 from the registry, a timeout, a 5xx) is
	// tolerated. Default 60s: kubelet retries after 10 s and 20 s more, so
	// a registry blip clears well within it.
	ImagePullGrace time.Duration
	// PermanentImagePullGrace is how long a pull error that cannot clear by
	// itself is tolerated: the image or tag does not exist, or the registry
	// refuses the credentials (not found, manifest unknown, unauthorized,
	// denied, 401, 403). Default 0: fail at once. Raise it where manifests
	// are applied before the image push finishes. InvalidImageName and
	// ErrImageNeverPull always fail at once.
	PermanentImagePullGrace time.Duration
	// ConfigGrace is how long after the pod started CreateContainerConfigError,
	// CreateContainerError and RunContainerError are tolerated. Default 30s,
	// so that a Secret applied in the same batch, or written by an operator,
	// has time to appear.
	ConfigGrace time.Duration
	// UnschedulableGrace is how long a pod may stay Unschedulable (measured
	// from the PodScheduled condition's lastTransitionTime). Default 15s, as
	// kstatus' ScheduleWindow.
	UnschedulableGrace time.Duration
	// ScaleUpGrace replaces UnschedulableGrace while capacity is on its way:
	// a cluster autoscaler announced a scale-up for the pod (a
	// TriggeredScaleUp event, not followed by NotTriggerScaleUp or
	// FailedScaleUp), Karpenter nominated a node for it (a Nominated event),
	// or the scheduler is preempting lower-priority pods for it
	// (status.nominatedNodeName). Measured from the latest such signal.
	// Default 10m: new nodes take minutes to join.
	ScaleUpGrace time.Duration
	// ReadinessGrace is how long a started container may stay not ready while
	// its readiness probe reports failures (Warning events with reason
	// Unhealthy, "Readiness probe failed"). Default 60s.
	ReadinessGrace time.Duration
	// ReplicaFailureGrace is how long a ReplicaFailure condition (FailedCreate:
	// a ResourceQuota, a LimitRange or an admission webhook refused a pod) may
	// stand without the rollout moving before it is a failure. Default 30s.
	// While old pods are still terminating, or the Deployment made progress
	// within the grace, it is not a failure at all: during a surge the quota
	// frees as old pods go, and the controller retries, as kubectl and
	// kstatus rightly wait for.
	ReplicaFailureGrace time.Duration
}

// Defaults of Tolerance.
const (
	DefaultRestarts            int32         = 2
	DefaultImagePullGrace      time.Duration = 60 * time.Second
	DefaultConfigGrace         time.Duration = 30 * time.Second
	DefaultUnschedulableGrace  time.Duration = 15 * time.Second
	DefaultScaleUpGrace        time.Duration = 10 * time.Minute
	DefaultReadinessGrace      time.Duration = 60 * time.Second
	DefaultReplicaFailureGrace time.Duration = 30 * time.Second
)

func (t Tolerance) restarts() int32 {
	switch {
	case t.Restarts == 0:
		return DefaultRestarts
	case t.Restarts < 0:
		return 0
	}
	return t.Restarts
}

func grace(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// Options tune Compute. The zero value gives kubectl's verdicts plus fail-fast
// on paused Deployments and on failing pods of the new ReplicaSet (when
// children are given).
type Options struct {
	// Paused is the policy for paused Deployments and suspended Jobs.
	Paused PausedPolicy
	// WaitForOldPodsTerminated keeps a finished Deployment InProgress while
	// pods are still terminating: from .status.terminatingReplicas when the
	// cluster reports it, else from Children.Pods with a deletionTimestamp.
	// Without either source the rollout is judged as kubectl does.
	WaitForOldPodsTerminated bool
	// MinGeneration is the metadata.generation our apply returned. An object
	// read with an older generation, or whose status.observedGeneration is
	// older, is InProgress with Reason WriteNotObserved. Zero disables it.
	MinGeneration int64
	// Revision identifies our rollout for superseded detection.
	Revision Revision
	// Tolerance tunes pod failure detection.
	Tolerance Tolerance
	// RequireLoadBalancerIngress keeps a Service of type LoadBalancer
	// InProgress until status.loadBalancer.ingress has an entry.
	RequireLoadBalancerIngress bool
	// NoConditions is the State for an object of a kind without rules and
	// without Ready/Reconciling/Stalled conditions. The zero value means
	// Current (kstatus' choice: nothing to wait for); set Unknown to let a
	// waiter apply its own policy instead of a silent success.
	NoConditions State
	// Readers are consulted before the built-in rules, in order; the first
	// whose GroupKind matches the object decides.
	Readers []Reader
	// Now is the time grace periods are measured against. Compute never
	// reads the clock; with a zero Now every grace period counts as not yet
	// elapsed, so only immediate failures are reported.
	Now time.Time
}

// ReadFunc computes the status of one custom resource. It receives the
// whole Observation and the Options; the generic gates (deletion,
// MinGeneration) have already passed.
type ReadFunc func(obs Observation, opts Options) Result

// Reader decides the status of objects of one GroupKind. A Reader with an
// empty Kind matches every kind of its Group.
type Reader struct {
	GroupKind schema.GroupKind
	Read      ReadFunc
}

func (r Reader) matches(gk schema.GroupKind) bool {
	return r.GroupKind.Group == gk.Group && (r.GroupKind.Kind == "" || r.GroupKind.Kind == gk.Kind)
}
