package rollout

import (
	"time"

	"k8s.io/utils/clock"

	"github.com/pydeploy/pydeploy/rollout/status"
)

// DefaultHeartbeat is how often a Waiter repeats the blocking message when
// nothing changed, unless Options.Heartbeat says otherwise.
const DefaultHeartbeat = 30 * time.Second

// DefaultLogLines is a sensible Options.LogLines for CI output.
const DefaultLogLines = 20

// recheck is how often a Waiter re-judges unfinished objects from its cache
// without any change, so that grace periods (an Unschedulable pod, a
// failing readiness probe) expire on time. It reads no API.
const recheck = time.Second

// Options tune a Waiter. The zero value waits without a deadline (the
// context decides), fails fast on paused Deployments and on failing pods of
// the new ReplicaSet with status' default tolerance, and fetches no logs.
type Options struct {
	// Timeout is the one deadline for the whole set of objects, measured
	// from the start of Wait. Zero means none besides the context's.
	Timeout time.Duration
	// StallTimeout fails the wait when an unfinished object's status (state,
	// reason and message) has not changed for this long. Zero disables it.
	StallTimeout time.Duration
	// Paused is the policy for paused Deployments and suspended Jobs;
	// the zero value fails fast with a message saying how to resume.
	Paused status.PausedPolicy
	// WaitForOldPods keeps a finished Deployment waiting while pods of its
	// old ReplicaSets are still terminating (kubectl reports success then).
	WaitForOldPods bool
	// Tolerance tunes pod failure detection: restarts allowed and grace
	// periods. Zero fields take status' documented defaults.
	Tolerance status.Tolerance
	// RequireLoadBalancerIngress keeps a LoadBalancer Service waiting until
	// it has an ingress address.
	RequireLoadBalancerIngress bool
	// Readers judge custom resources before the built-in rules.
	Readers []status.Reader
	// LogLines is how many of the last log lines of a failing container are
	// fetched into the evidence (status.PodFailure.Logs). Zero fetches none;
	// at most logPods pods are asked.
	LogLines int
	// KeepGoing waits for every object even after one failed, and then
	// returns all failures joined. By default Wait returns at the first
	// failure, with every failure seen at that moment.
	KeepGoing bool
	// Progress, when set, receives every Event as it happens, on the
	// goroutine that called Wait. It must not block for long.
	Progress func(Event)
	// Heartbeat is how often, when nothing changed, an Event repeats the
	// current blocking message. Zero means DefaultHeartbeat; negative, none.
	Heartbeat time.Duration
	// Clock is the clock deadlines, grace periods and heartbeats are
	// measured with; nil means the real one. rollouttest supplies a fake.
	Clock clock.Clock
}

// logPods is how many failing pods at most get their logs fetched.
const logPods = 3

func (o Options) clock() clock.Clock {
	if o.Clock == nil {
		return clock.RealClock{}
	}
	return o.Clock
}

func (o Options) heartbeat() time.Duration {
	switch {
	case o.Heartbeat == 0:
		return DefaultHeartbeat
	case o.Heartbeat < 0:
		return 0
	}
	return o.Heartbeat
}

func (o Options) statusOptions(now time.Time) status.Options {
	return status.Options{
		Paused:                     o.Paused,
		WaitForOldPodsTerminated:   o.WaitForOldPods,
		Tolerance:                  o.Tolerance,
		RequireLoadBalancerIngress: o.RequireLoadBalancerIngress,
		Readers:                    o.Readers,
		Now:                        now,
	}
}
