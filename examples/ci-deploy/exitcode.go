package main

import (
	"context"
	"errors"

	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/status"
)

// Exit codes, as documented in the package comment.
const (
	exitOK               = 0
	exitError            = 1
	exitApply            = 2
	exitTimeout          = 3
	exitPodFailure       = 4
	exitProgressDeadline = 5
	exitSuperseded       = 6
	exitPaused           = 7
	exitDeleted          = 8
	exitCanceled         = 9
)

// resultNames name the exit codes in the JSON summary.
var resultNames = map[int]string{
	exitOK:               "ok",
	exitError:            "error",
	exitApply:            "apply-error",
	exitTimeout:          "timeout",
	exitPodFailure:       "pod-failure",
	exitProgressDeadline: "progress-deadline",
	exitSuperseded:       "superseded",
	exitPaused:           "paused",
	exitDeleted:          "deleted",
	exitCanceled:         "cancelled",
}

// precedence orders the failure classes for a joined error: a definite
// verdict on an object before a deadline, a deadline before a cancellation,
// and anything unrecognised (an I/O error) last.
var precedence = []int{
	exitPodFailure, exitProgressDeadline, exitSuperseded, exitPaused,
	exitDeleted, exitApply, exitTimeout, exitCanceled, exitError,
}

// exitCode maps an error of manifest.Apply or rollout.Wait to its exit code.
// A joined error (several objects failed at once) takes the class that comes
// first in precedence.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	best := -1
	for _, leaf := range splitJoined(err) {
		c := classify(leaf)
		if best < 0 || rank(c) < rank(best) {
			best = c
		}
	}
	return best
}

func rank(code int) int {
	for i, c := range precedence {
		if c == code {
			return i
		}
	}
	return len(precedence)
}

// classify maps one error. The wrappers of *rollout.FailedError are tested
// before it, since errors.As finds the FailedError inside each of them.
func classify(err error) int {
	var (
		deadline   *rollout.ProgressDeadlineError
		superseded *rollout.SupersededError
		paused     *rollout.PausedError
		failed     *rollout.FailedError
		deleted    *rollout.DeletedError
		stalled    *rollout.StalledError
		timeout    *rollout.TimeoutError
		canceled   *rollout.CanceledError
		applyErr   *manifest.ApplyError
	)
	switch {
	case errors.As(err, &deadline):
		return exitProgressDeadline
	case errors.As(err, &superseded):
		return exitSuperseded
	case errors.As(err, &paused):
		return exitPaused
	case errors.As(err, &failed):
		return exitPodFailure
	case errors.As(err, &deleted):
		return exitDeleted
	case errors.As(err, &stalled), errors.As(err, &timeout):
		return exitTimeout
	case errors.As(err, &canceled):
		return exitCanceled
	case errors.As(err, &applyErr):
		return exitApply
	case errors.Is(err, context.Canceled):
		return exitCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return exitTimeout
	}
	return exitError
}

// splitJoined returns the errors an errors.Join holds (recursively), or err
// itself. Only joins are split: a *rollout.FailedError unwraps to a single
// error and a *status.Failure is kept whole, so pod evidence is never
// mistaken for separate failures.
func splitJoined(err error) []error {
	if _, ok := err.(*status.Failure); ok {
		return []error{err}
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		if e != nil {
			out = append(out, splitJoined(e)...)
		}
	}
	if len(out) == 0 {
		return []error{err}
	}
	return out
}
