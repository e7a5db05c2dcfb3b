package rollout

import (
	"fmt"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/rollout/status"
)

// FailedError reports an object that cannot reach its desired state: a
// failing pod of its new ReplicaSet, a ReplicaFailure, a failed Job, ...
// Class and Reason say which; Pods carry the evidence as plain data.
// Failures with a class of their own (ProgressDeadline, Superseded,
// Paused) are also wrapped in *ProgressDeadlineError, *SupersededError or
// *PausedError for callers that branch with errors.As.
type FailedError struct {
	Object  status.Object
	Reason  status.Reason
	Message string
	// Pods is the evidence, with Logs filled when Options.LogLines allows.
	Pods []status.PodFailure
	// Elapsed is when, after the start of the wait, the failure was seen.
	Elapsed time.Duration
}

// Error is the one-line account, e.g. `deployment "payments-api" cannot
// become ready: pod payments-api-7d9c-abcde container "app" is crash-looping
// (CrashLoopBackOff, 4 restarts; ...): back-off 40s restarting failed container`.
func (e *FailedError) Error() string {
	if e.Reason == status.ProgressDeadlineExceeded && len(e.Pods) > 0 {
		// status' Failure names the pod only; keep the deadline in the line.
		return e.Message + "; " + e.Pods[0].Error()
	}
	return e.failure().Error()
}

// Unwrap returns the *status.Failure the object's Result turned into.
func (e *FailedError) Unwrap() error { return e.failure() }

// Class is PodFailure, ObjectFailed, ProgressDeadline, Superseded or
// Paused, from the Reason.
func (e *FailedError) Class() Class {
	switch e.Reason {
	case status.ProgressDeadlineExceeded:
		return ProgressDeadline
	case status.Superseded:
		return Superseded
	case status.Paused:
		return Paused
	case status.PodCrashLooping, status.ImagePullFailed, status.InvalidImageName, status.CreateContainerConfigError,
		status.ContainerCannotRun, status.OOMKilled, status.Unschedulable, status.ReadinessFailing, status.PodFailed,
		status.ReplicaFailure:
		return PodFailure
	}
	if len(e.Pods) > 0 {
		return PodFailure
	}
	return ObjectFailed
}

// problem is the Problem of err, a *FailedError or one of its wrappers,
// whose class it takes.
func (e *FailedError) problem(err classed) Problem {
	if e == nil { // a wrapper built without its FailedError
		return Problem{Class: err.Class(), Message: err.Class().String(), Err: err.(error)}
	}
	return Problem{Class: err.Class(), Object: e.Object, Reason: e.Reason, Message: e.Error(), Pods: e.Pods, Err: err.(error)}
}

// Details renders the whole evidence over several lines: the error, then
// each failing pod's termination message, Warning events and log lines.
func (e *FailedError) Details() string {
	var b strings.Builder
	b.WriteString(e.Error())
	b.WriteString("\n")
	for _, p := range e.Pods {
		b.WriteString(p.Details())
	}
	return b.String()
}

func (e *FailedError) failure() *status.Failure {
	return &status.Failure{Object: e.Object, Reason: e.Reason, Message: e.Message, Pods: e.Pods}
}

// ProgressDeadlineError reports a Deployment whose controller gave up:
// progressDeadlineSeconds passed without progress.
type ProgressDeadlineError struct{ *FailedError }

// Unwrap returns the *FailedError.
func (e *ProgressDeadlineError) Unwrap() error { return e.FailedError }

// Class returns ProgressDeadline.
func (e *ProgressDeadlineError) Class() Class { return ProgressDeadline }

// SupersededError reports a Deployment whose rollout was replaced by a
// newer one (another write changed its pod template) before ours finished.
type SupersededError struct{ *FailedError }

// Unwrap returns the *FailedError.
func (e *SupersededError) Unwrap() error { return e.FailedError }

// Class returns Superseded.
func (e *SupersededError) Class() Class { return Superseded }

// PausedError reports a paused Deployment (or suspended Job) under the
// default policy status.PausedFail.
type PausedError struct{ *FailedError }

// Unwrap returns the *FailedError.
func (e *PausedError) Unwrap() error { return e.FailedError }

// Class returns Paused.
func (e *PausedError) Class() Class { return Paused }

// Pending is the last status of an object that was not finished when a
// wait ended.
type Pending struct {
	Object  status.Object
	State   status.State
	Reason  status.Reason
	Message string
	// Pods holds the evidence status found so far (e.g. pods not yet past a
	// grace period), possibly empty.
	Pods []status.PodFailure
}

func (p Pending) String() string {
	return fmt.Sprintf("%s: %s (%s)", p.Object, strings.TrimSuffix(p.Message, "..."), p.Reason)
}

// TimeoutError reports that Options.Timeout (or the context's deadline)
// passed with objects unfinished. It lists every one of them with its last
// status; errors.Is(err, context.DeadlineExceeded) holds when the context
// ended the wait.
type TimeoutError struct {
	Timeout time.Duration
	Elapsed time.Duration
	Pending []Pending
	cause   error
}

// Error names the timeout and every unfinished object.
func (e *TimeoutError) Error() string {
	what := fmt.Sprintf("timed out after %s", e.Elapsed.Round(time.Millisecond))
	if e.Timeout > 0 {
		what = fmt.Sprintf("timed out after %s (timeout %s)", e.Elapsed.Round(time.Millisecond), e.Timeout)
	}
	return fmt.Sprintf("%s waiting for %d %s: %s", what, len(e.Pending),
		plural(len(e.Pending), "object", "objects"), joinPending(e.Pending))
}

// Unwrap returns the context's error when the context ended the wait.
func (e *TimeoutError) Unwrap() error { return e.cause }

// Class returns Timeout.
func (e *TimeoutError) Class() Class { return Timeout }

// CanceledError reports that the caller's context was cancelled before the
// objects were finished. errors.Is(err, context.Canceled) holds.
type CanceledError struct {
	Elapsed time.Duration
	Pending []Pending
	cause   error
}

// Error names the unfinished objects.
func (e *CanceledError) Error() string {
	return fmt.Sprintf("wait cancelled after %s with %d %s unfinished: %s", e.Elapsed.Round(time.Millisecond),
		len(e.Pending), plural(len(e.Pending), "object", "objects"), joinPending(e.Pending))
}

// Unwrap returns the context's error.
func (e *CanceledError) Unwrap() error { return e.cause }

// Class returns Canceled.
func (e *CanceledError) Class() Class { return Canceled }

// StalledError reports an object whose status did not change for
// Options.StallTimeout.
type StalledError struct {
	Pending
	After time.Duration
}

// Class returns Stalled.
func (e *StalledError) Class() Class { return Stalled }

// Error names the object, the stall and its last status.
func (e *StalledError) Error() string {
	return fmt.Sprintf("%s made no progress for %s: %s (%s)", e.Object, e.After,
		strings.TrimSuffix(e.Message, "..."), e.Reason)
}

// DeletedError reports an object that was deleted, or started being
// deleted, while it was waited for.
type DeletedError struct {
	Object  status.Object
	Message string
}

// Error says what happened to the object.
func (e *DeletedError) Error() string { return e.Message }

// Class returns Deleted.
func (e *DeletedError) Class() Class { return Deleted }

func joinPending(ps []Pending) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return joinSemi(parts)
}

func joinSemi(parts []string) string { return strings.Join(parts, "; ") }

// failedError turns a Failed result into the typed error callers branch on.
func failedError(r status.Result, elapsed time.Duration) error {
	fe := &FailedError{Object: r.Object, Reason: r.Reason, Message: r.Message, Pods: r.Pods, Elapsed: elapsed}
	switch r.Reason {
	case status.ProgressDeadlineExceeded:
		return &ProgressDeadlineError{fe}
	case status.Superseded:
		return &SupersededError{fe}
	case status.Paused:
		return &PausedError{fe}
	}
	return fe
}
