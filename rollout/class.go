package rollout

import (
	"context"
	"errors"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/rollout/status"
)

// Class is what kind of outcome an error of Wait (or of manifest.Apply
// before it) reports. It is the one contract a CI helper needs: map the
// classes to exit codes in a switch on ClassOf(err), and read the evidence
// from Problems(err). The zero value, Succeeded, is the class of a nil error.
//
// The classes are listed in precedence order, from the one that wins to the
// one that loses when an error reports several problems (several objects
// failed at once, or Options.KeepGoing collected them): problems with the
// input, the permissions or the API come first, because no verdict about
// the rollout can be trusted while they stand; then verdicts backed by
// evidence about the release itself; then verdicts of a deadline; then
// someone else's action; then running out of time; a cancellation last.
type Class int

const (
	// Succeeded means no error.
	Succeeded Class = iota
	// InvalidInput means Wait was given objects it cannot wait for (none, nil,
	// no kind or name, a namespaced kind without a namespace). *InputError.
	InvalidInput
	// Forbidden means the credentials may not list or watch something the wait
	// needs (401, 403), at the start or when a watch was re-established
	// mid-wait, e.g. after an RBAC change. *ForbiddenError.
	Forbidden
	// APIError means the API failed otherwise: an unknown kind (no REST
	// mapping), a resource the server does not serve, an unexpected error
	// from a watch. *WatchError.
	APIError
	// ApplyFailed means manifest.Apply refused or failed to apply an object,
	// before any wait. *manifest.ApplyError.
	ApplyFailed
	// PodFailure means pods of the new revision cannot become ready or cannot be
	// created: a crash loop, an OOM kill loop, an image that cannot be
	// pulled, missing config, an unschedulable pod, a failing readiness
	// probe, a ReplicaFailure (quota, admission) that stands. *FailedError
	// whose Pods hold the evidence.
	PodFailure
	// ObjectFailed means the object's own controller declared it failed: a Job's
	// Failed condition, a custom resource's Stalled condition, a
	// CustomResourceDefinition whose names clash, a custom Reader's verdict.
	// *FailedError.
	ObjectFailed
	// ProgressDeadline means the Deployment controller gave up
	// (progressDeadlineSeconds). *FailedError (and *ProgressDeadlineError).
	ProgressDeadline
	// Superseded means a newer rollout replaced the one our write started.
	// *FailedError (and *SupersededError).
	Superseded
	// Paused means a paused Deployment or suspended Job under the default
	// policy. *FailedError (and *PausedError).
	Paused
	// Deleted means an object was deleted while waited for. *DeletedError.
	Deleted
	// Stalled means an object's status did not change for Options.StallTimeout.
	// *StalledError.
	Stalled
	// Timeout means Options.Timeout, or the context's deadline, passed with
	// objects unfinished. *TimeoutError.
	Timeout
	// Canceled means the caller's context was cancelled. *CanceledError.
	Canceled
	// Other means an error rollout did not produce and cannot place (it sorts
	// last): a CI helper should treat it as an internal error.
	Other
)

var classNames = [...]string{
	Succeeded: "Succeeded", InvalidInput: "InvalidInput", Forbidden: "Forbidden", APIError: "APIError",
	ApplyFailed: "ApplyFailed", PodFailure: "PodFailure", ObjectFailed: "ObjectFailed",
	ProgressDeadline: "ProgressDeadline", Superseded: "Superseded", Paused: "Paused", Deleted: "Deleted",
	Stalled: "Stalled", Timeout: "Timeout", Canceled: "Canceled", Other: "Other",
}

// String returns the class's name, e.g. "PodFailure".
func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Classes lists every class in precedence order, Succeeded first.
func Classes() []Class {
	out := make([]Class, 0, len(classNames))
	for c := range classNames {
		out = append(out, Class(c))
	}
	return out
}

// Problem is one thing an error reports, as plain data: its class, the
// object it is about (zero when it is about none, e.g. a cancelled wait
// with nothing pending), status' reason and message, and the pod evidence.
type Problem struct {
	Class   Class
	Object  status.Object
	Reason  status.Reason
	Message string
	// Pods is the evidence from failing pods, with log lines when
	// Options.LogLines allowed.
	Pods []status.PodFailure
	// Err is the error the problem was read from.
	Err error
}

// ClassOf returns the class of err: Succeeded for nil, else the class of
// its first Problem (the one of highest precedence).
func ClassOf(err error) Class {
	ps := Problems(err)
	if len(ps) == 0 {
		return Succeeded
	}
	return ps[0].Class
}

// Problems returns every problem err reports, highest precedence first
// (ties keep the order of the error), so that Problems(err)[0] explains
// ClassOf(err). Errors joined with errors.Join or wrapped with %w are
// looked through; a *TimeoutError or *CanceledError yields one problem per
// unfinished object. It returns nil for a nil error.
func Problems(err error) []Problem {
	var out []Problem
	collect(err, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Class < out[j].Class })
	return out
}

// classed is implemented by every error type of this package.
type classed interface{ Class() Class }

// collect walks the error tree itself and looks at each node's own type:
// errors.As stops at the first match, but a joined error holds several
// rollout errors, and each becomes a Problem.
func collect(err error, out *[]Problem) {
	if err == nil {
		return
	}
	switch e := err.(type) { //nolint:errorlint // a tree walk: see above
	case *FailedError:
		*out = append(*out, e.problem(e))
		return
	case *ProgressDeadlineError:
		*out = append(*out, e.problem(e))
		return
	case *SupersededError:
		*out = append(*out, e.problem(e))
		return
	case *PausedError:
		*out = append(*out, e.problem(e))
		return
	case *TimeoutError:
		*out = append(*out, pendingProblems(Timeout, e.Pending, e)...)
		return
	case *CanceledError:
		*out = append(*out, pendingProblems(Canceled, e.Pending, e)...)
		return
	case *StalledError:
		*out = append(*out, Problem{Class: Stalled, Object: e.Object, Reason: e.Reason, Message: e.Error(), Pods: e.Pods, Err: e})
		return
	case *DeletedError:
		*out = append(*out, Problem{Class: Deleted, Object: e.Object, Reason: status.Deleting, Message: e.Message, Err: e})
		return
	case *manifest.ApplyError:
		*out = append(*out, Problem{Class: ApplyFailed, Object: status.Object{GroupKind: e.GroupKind, Namespace: e.Namespace, Name: e.Name},
			Message: e.Error(), Err: e})
		return
	case classed: // *ForbiddenError, *WatchError, *InputError
		*out = append(*out, Problem{Class: e.Class(), Message: err.Error(), Err: err})
		return
	}
	switch u := err.(type) { //nolint:errorlint // a tree walk: see collect
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			collect(e, out)
		}
		return
	case interface{ Unwrap() error }:
		if inner := u.Unwrap(); inner != nil {
			n := len(*out)
			collect(inner, out)
			if len(*out) > n {
				return
			}
		}
	}
	*out = append(*out, Problem{Class: foreignClass(err), Message: err.Error(), Err: err})
}

// foreignClass places an error rollout did not type.
func foreignClass(err error) Class {
	switch {
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return Forbidden
	}
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		return APIError
	}
	return Other
}

func pendingProblems(c Class, pending []Pending, err error) []Problem {
	if len(pending) == 0 {
		return []Problem{{Class: c, Message: err.Error(), Err: err}}
	}
	out := make([]Problem, len(pending))
	for i, p := range pending {
		out[i] = Problem{Class: c, Object: p.Object, Reason: p.Reason, Message: p.String(), Pods: p.Pods, Err: err}
	}
	return out
}

// ForbiddenError reports that the credentials may not list or watch what a
// wait needs: at the start (before the caches filled) or when a watch was
// re-established later (an RBAC change mid-wait). Scope names the kind and
// namespace; Err is the API server's answer.
type ForbiddenError struct {
	Scope Scope
	Err   error
}

// Error names what was forbidden, e.g. `rollout: not allowed to list and
// watch /v1, Kind=Pod in "shop": pods is forbidden: User "ci" cannot …`.
func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("rollout: not allowed to list and watch %s: %v", e.Scope, e.Err)
}

// Unwrap returns the API server's error.
func (e *ForbiddenError) Unwrap() error { return e.Err }

// Class returns Forbidden.
func (e *ForbiddenError) Class() Class { return Forbidden }

// WatchError reports a failure of the API that is neither a permission
// nor a verdict: an unknown kind, a resource the server does not serve, a
// watch that failed for good. Its class is APIError. Scope is zero when the
// failure concerns no single watch.
type WatchError struct {
	Scope Scope
	Err   error
}

// Error names the watch and the failure.
func (e *WatchError) Error() string {
	if e.Scope == (Scope{}) {
		return "rollout: " + e.Err.Error()
	}
	return fmt.Sprintf("rollout: cannot list and watch %s: %v", e.Scope, e.Err)
}

// Unwrap returns the underlying error.
func (e *WatchError) Unwrap() error { return e.Err }

// Class returns APIError.
func (e *WatchError) Class() Class { return APIError }

// InputError reports objects Wait cannot wait for; Problems lists every
// one, e.g. `object 2 ("api") has no apiVersion or kind`.
type InputError struct {
	Problems []string
}

// Error lists the problems.
func (e *InputError) Error() string {
	if len(e.Problems) == 1 {
		return "rollout: " + e.Problems[0]
	}
	return fmt.Sprintf("rollout: %d problems with the objects to wait for: %s", len(e.Problems), joinSemi(e.Problems))
}

// Class returns InvalidInput.
func (e *InputError) Class() Class { return InvalidInput }
