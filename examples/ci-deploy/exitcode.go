package main

import (
	"github.com/pydeploy/pydeploy/rollout"
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
	exitForbidden        = 10
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
	exitForbidden:        "forbidden",
}

// exitCode maps an error of manifest.Apply or rollout.Wait to its exit
// code. rollout.ClassOf already picks, among several failures, the one of
// highest precedence.
func exitCode(err error) int {
	switch rollout.ClassOf(err) {
	case rollout.Succeeded:
		return exitOK
	case rollout.ApplyFailed:
		return exitApply
	case rollout.PodFailure, rollout.ObjectFailed:
		return exitPodFailure
	case rollout.ProgressDeadline:
		return exitProgressDeadline
	case rollout.Superseded:
		return exitSuperseded
	case rollout.Paused:
		return exitPaused
	case rollout.Deleted:
		return exitDeleted
	case rollout.Stalled, rollout.Timeout:
		return exitTimeout
	case rollout.Canceled:
		return exitCanceled
	case rollout.Forbidden:
		return exitForbidden
	}
	return exitError // InvalidInput, APIError, Other: usage, I/O, the cluster
}
