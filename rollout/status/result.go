package status

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// State is the verdict on one object: is it where its spec says it should be?
type State string

const (
	// Current means the object has reached its desired state; a waiter stops
	// waiting for it.
	Current State = "Current"
	// InProgress means the object is still moving towards its desired state.
	InProgress State = "InProgress"
	// Failed means the object cannot reach its desired state without someone
	// changing something; a waiter stops and reports the reason.
	Failed State = "Failed"
	// Terminating means the object has a deletionTimestamp and is going away.
	Terminating State = "Terminating"
	// NotFound means the object does not exist. Compute never returns it; a
	// waiter uses it for objects it cannot get.
	NotFound State = "NotFound"
	// Unknown means the rules cannot tell: the object could not be read, or
	// a custom resource has no conditions and Options.NoConditions asks for it.
	Unknown State = "Unknown"
)

// Done reports whether a waiter can stop waiting for an object in this state:
// it is Current or Failed.
func (s State) Done() bool { return s == Current || s == Failed }

// Reason is a short CamelCase word saying why an object is in its State.
// Callers branch on it; Message is for people.
type Reason string

// Reasons shared by several kinds.
const (
	// Ready: the object reached its desired state.
	Ready Reason = "Ready"
	// GenerationNotObserved: the controller has not yet seen the latest spec.
	GenerationNotObserved Reason = "GenerationNotObserved"
	// WriteNotObserved: the object read is older than our own write
	// (Options.MinGeneration), or its controller has not yet observed it.
	WriteNotObserved Reason = "WriteNotObserved"
	// Deleting: the object has a deletionTimestamp.
	Deleting Reason = "Deleting"
	// InvalidObject: the object could not be converted to its typed form.
	InvalidObject Reason = "InvalidObject"
	// Paused: a Deployment is paused or a Job is suspended.
	Paused Reason = "Paused"
	// Superseded: a newer rollout replaced the one our write started.
	Superseded Reason = "Superseded"
	// LessReady: fewer pods are ready than desired.
	LessReady Reason = "LessReady"
	// OnDeleteStrategy: a StatefulSet or DaemonSet updates pods only when
	// they are deleted, so no rollout is awaited.
	OnDeleteStrategy Reason = "OnDeleteStrategy"
)

// Deployment reasons, in the order kubectl checks them.
const (
	// ProgressDeadlineExceeded: the Progressing condition reports the deadline passed.
	ProgressDeadlineExceeded Reason = "ProgressDeadlineExceeded"
	// LessUpdated: fewer replicas run the new template than spec.replicas.
	LessUpdated Reason = "LessUpdated"
	// OldReplicasPending: pods of old ReplicaSets still count in status.replicas.
	OldReplicasPending Reason = "OldReplicasPending"
	// LessAvailable: some updated replicas are not yet available.
	LessAvailable Reason = "LessAvailable"
	// OldPodsTerminating: the rollout is done but pods are still terminating
	// (only with Options.WaitForOldPodsTerminated).
	OldPodsTerminating Reason = "OldPodsTerminating"
	// ReplicaFailure: the ReplicaSet cannot create pods (quota, admission).
	ReplicaFailure Reason = "ReplicaFailure"
)

// Pod failure reasons, found on the pods of the new ReplicaSet (or of a Job,
// a StatefulSet's update revision, or a bare Pod).
const (
	// PodCrashLooping: a container failed to start more often than
	// Tolerance.Restarts allows (CrashLoopBackOff, or exits kubelet has not
	// yet turned into it).
	PodCrashLooping Reason = "PodCrashLooping"
	// ImagePullFailed: the image cannot be pulled (ErrImagePull, ImagePullBackOff, ErrImageNeverPull).
	ImagePullFailed Reason = "ImagePullFailed"
	// InvalidImageName: the image reference cannot be parsed.
	InvalidImageName Reason = "InvalidImageName"
	// CreateContainerConfigError: a referenced Secret, ConfigMap or key is missing.
	CreateContainerConfigError Reason = "CreateContainerConfigError"
	// ContainerCannotRun: the runtime cannot create or start the container
	// (CreateContainerError, RunContainerError), e.g. the command does not exist.
	ContainerCannotRun Reason = "ContainerCannotRun"
	// OOMKilled: a container was killed for exceeding its memory limit.
	OOMKilled Reason = "OOMKilled"
	// Unschedulable: the scheduler cannot place the pod (past Tolerance.UnschedulableGrace).
	Unschedulable Reason = "Unschedulable"
	// ReadinessFailing: a running container's readiness probe keeps failing
	// (past Tolerance.ReadinessGrace).
	ReadinessFailing Reason = "ReadinessFailing"
	// PodFailed: the pod's phase is Failed.
	PodFailed Reason = "PodFailed"
)

// Reasons of other kinds and of the generic conditions rule.
const (
	// JobComplete: the Job's Complete condition is True.
	JobComplete Reason = "JobComplete"
	// JobFailed: the Job's Failed (or FailureTarget) condition is True.
	JobFailed Reason = "JobFailed"
	// JobRunning: the Job has neither completed nor failed yet.
	JobRunning Reason = "JobRunning"
	// NoReadyEndpoints: no EndpointSlice of a Service has a ready endpoint.
	NoReadyEndpoints Reason = "NoReadyEndpoints"
	// NoLoadBalancerIngress: a LoadBalancer Service has no ingress yet.
	NoLoadBalancerIngress Reason = "NoLoadBalancerIngress"
	// InsufficientHealthy: a PodDisruptionBudget has fewer healthy pods than it needs.
	InsufficientHealthy Reason = "InsufficientHealthy"
	// Reconciling: the object's Reconciling condition is True.
	Reconciling Reason = "Reconciling"
	// Stalled: the object's Stalled condition is True.
	Stalled Reason = "Stalled"
	// NotReady: the object's Ready condition is False or Unknown.
	NotReady Reason = "NotReady"
	// NoConditions: a kind without rules reports no conditions.
	NoConditions Reason = "NoConditions"
	// NotEstablished: a CustomResourceDefinition is not yet served.
	NotEstablished Reason = "NotEstablished"
	// NamesNotAccepted: a CustomResourceDefinition's names clash with another's.
	NamesNotAccepted Reason = "NamesNotAccepted"
)

// Object names the object a Result is about.
type Object struct {
	GroupKind schema.GroupKind
	Namespace string
	Name      string
}

// String renders the object as kubectl names it in messages, e.g.
// `deployment "payments-api"`.
func (o Object) String() string { return noun(o.GroupKind) + " " + quote(o.Name) }

// Result is the verdict on one object.
type Result struct {
	// Object is the object the verdict is about.
	Object Object
	// State is the verdict.
	State State
	// Reason says why, for callers that branch.
	Reason Reason
	// Message says why, for people; for the kinds kubectl covers it is
	// kubectl's message without the trailing newline, followed, while a
	// refused pod holds the rollout up, by a note that says so.
	Message string
	// Pods holds the evidence when Reason is a pod failure reason: one entry
	// per failing pod and container, sorted by pod name (init containers
	// first, then containers, each in status order). A Failed Result with
	// Reason ProgressDeadlineExceeded may carry them too, as explanation.
	Pods []PodFailure
}

// Err returns nil unless the State is Failed, and then a *Failure that
// carries the reason, message and pod evidence.
func (r Result) Err() error {
	if r.State != Failed {
		return nil
	}
	return &Failure{Object: r.Object, Reason: r.Reason, Message: r.Message, Pods: r.Pods}
}
