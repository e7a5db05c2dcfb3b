package rollout

import (
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/rollout/status"
)

func TestNeverRanSkipsLogFetch(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    status.PodFailure
		want bool
	}{
		{"image pull", status.PodFailure{Reason: status.ImagePullFailed, Waiting: "ImagePullBackOff"}, true},
		{"invalid image", status.PodFailure{Reason: status.InvalidImageName, Waiting: "InvalidImageName"}, true},
		{"missing secret", status.PodFailure{Reason: status.CreateContainerConfigError, Waiting: "CreateContainerConfigError"}, true},
		{"crash loop", status.PodFailure{Reason: status.PodCrashLooping, Waiting: "CrashLoopBackOff", RestartCount: 3}, false},
		{"oom", status.PodFailure{Reason: status.OOMKilled, LastTermination: &status.Termination{ExitCode: 137}}, false},
		{"readiness", status.PodFailure{Reason: status.ReadinessFailing, Waiting: "Unhealthy"}, false},
		{"pull error after a run", status.PodFailure{Reason: status.ImagePullFailed, RestartCount: 1}, false},
	} {
		assert.Equal(t, neverRan(tc.f), tc.want, tc.name)
	}
}
