package status

import (
	"errors"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestFailureError(t *testing.T) {
	t.Parallel()
	crash := PodFailure{
		Namespace: "prod", Pod: "payments-api-7d9c-abcde", Container: "app", Reason: PodCrashLooping,
		Waiting: "CrashLoopBackOff", Message: "back-off 40s restarting failed container", RestartCount: 4,
		LastTermination: &Termination{ExitCode: 1, Reason: "Error", Message: "Traceback (most recent call last):\nKeyError: 'DATABASE_URL'\n",
			FinishedAt: time.Date(2026, 8, 1, 9, 59, 30, 0, time.UTC)},
		Events: []EventSummary{{Type: "Warning", Reason: "BackOff", Message: "Back-off restarting failed container", Count: 4,
			LastSeen: time.Date(2026, 8, 1, 9, 59, 40, 0, time.UTC)}},
		Logs: []string{"Traceback (most recent call last):", "KeyError: 'DATABASE_URL'"},
	}
	unsched := PodFailure{Pod: "payments-api-7d9c-fghij", Reason: Unschedulable, Waiting: "Unschedulable", Message: "0/3 nodes are available"}
	oom := PodFailure{Pod: "p", Container: "init-db", InitContainer: true, Reason: OOMKilled, Waiting: "CrashLoopBackOff", RestartCount: 1,
		LastTermination: &Termination{ExitCode: 137, Reason: "OOMKilled"}}
	deploy := Object{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}, Namespace: "prod", Name: "payments-api"}

	tests := []struct {
		name string
		err  error
		want string
	}{
		{"crash loop", &Failure{Object: deploy, Reason: PodCrashLooping, Pods: []PodFailure{crash}},
			`deployment "payments-api" cannot become ready: pod payments-api-7d9c-abcde container "app" is crash-looping (CrashLoopBackOff, 4 restarts; last exit code 1 at 2026-08-01T09:59:30Z): back-off 40s restarting failed container`},
		{"more pods", &Failure{Object: deploy, Reason: PodCrashLooping, Pods: []PodFailure{crash, unsched, unsched}},
			`deployment "payments-api" cannot become ready: pod payments-api-7d9c-abcde container "app" is crash-looping (CrashLoopBackOff, 4 restarts; last exit code 1 at 2026-08-01T09:59:30Z): back-off 40s restarting failed container (and 2 more failing pods)`},
		{"pod level", unsched, `pod payments-api-7d9c-fghij cannot be scheduled (Unschedulable): 0/3 nodes are available`},
		{"init container OOM", oom, `pod p init container "init-db" was killed for exceeding its memory limit (CrashLoopBackOff, 1 restart; last exit code 137 (OOMKilled))`},
		{"no pods", &Failure{Object: deploy, Reason: Paused, Message: "deployment is paused"}, "deployment is paused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.err.Error(), tc.want)
		})
	}

	const details = `pod payments-api-7d9c-abcde container "app" is crash-looping (CrashLoopBackOff, 4 restarts; last exit code 1 at 2026-08-01T09:59:30Z): back-off 40s restarting failed container
  last termination message:
    Traceback (most recent call last):
    KeyError: 'DATABASE_URL'
  events:
    Warning BackOff (x4) at 2026-08-01T09:59:40Z: Back-off restarting failed container
  last 2 log lines:
    Traceback (most recent call last):
    KeyError: 'DATABASE_URL'
`
	assert.Equal(t, crash.Details(), details)
	assert.Equal(t, crash.Details(), crash.Details(), "details must be deterministic")
}

func TestResultErr(t *testing.T) {
	t.Parallel()
	r := Result{State: Failed, Reason: ImagePullFailed, Message: "m", Pods: []PodFailure{{Pod: "a", Container: "app", Reason: ImagePullFailed}}}
	var f *Failure
	assert.Assert(t, errors.As(r.Err(), &f))
	assert.Equal(t, f.Reason, ImagePullFailed)
	assert.Equal(t, f.Pods[0].Pod, "a")

	for _, s := range []State{Current, InProgress, Terminating, Unknown} {
		assert.NilError(t, Result{State: s}.Err())
	}
	assert.Assert(t, Current.Done() && Failed.Done() && !InProgress.Done() && !Unknown.Done())
}
