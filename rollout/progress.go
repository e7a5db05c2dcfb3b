package rollout

import (
	"fmt"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/rollout/status"
)

// EventType says what an Event reports.
type EventType int

const (
	// Progress means an object's status changed (state, reason or message).
	Progress EventType = iota
	// Heartbeat means nothing changed for Options.Heartbeat; the event repeats
	// the status of the first unfinished object.
	Heartbeat
	// Ready means an object reached its desired state.
	Ready
	// Failed means an object cannot reach its desired state; Err says why.
	Failed
	// Finished means the wait is over; it is the last event, Err is what Wait
	// returns and Report its report.
	Finished
	// Warning means the wait goes on with less evidence than it wanted (e.g. it
	// may not list Pods); Message says what and Err why.
	Warning
)

// String returns the name of the event type.
func (t EventType) String() string {
	switch t {
	case Progress:
		return "Progress"
	case Heartbeat:
		return "Heartbeat"
	case Ready:
		return "Ready"
	case Failed:
		return "Failed"
	case Finished:
		return "Finished"
	case Warning:
		return "Warning"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// Event is one line of progress. Events are emitted only when something
// changed, plus heartbeats.
type Event struct {
	Type EventType
	// Time is the clock's time of the event; Elapsed is the time since the
	// wait began.
	Time    time.Time
	Elapsed time.Duration
	// Object, State, Reason and Message are the status the event reports
	// (empty for Finished).
	Object  status.Object
	State   status.State
	Reason  status.Reason
	Message string
	// Done and Total count the finished (ready or failed) objects and all
	// objects of the wait.
	Done, Total int
	// Err is the object's error for Failed, Wait's error for Finished.
	Err error
	// Report is Wait's report, for Finished only.
	Report *Report
}

// String renders the event as one line in the manner of kubectl, with the
// elapsed time: `deployment "payments-api": 1 of 3 updated replicas are
// available (12s)`.
func (e Event) String() string {
	elapsed := e.Elapsed.Round(time.Second)
	switch e.Type {
	case Finished:
		if e.Err != nil {
			return fmt.Sprintf("wait failed: %v (%s)", e.Err, elapsed)
		}
		return fmt.Sprintf("all %d %s ready (%s)", e.Total, plural(e.Total, "object is", "objects are"), elapsed)
	case Heartbeat:
		return fmt.Sprintf("still waiting for %d of %d %s; %s (%s)",
			e.Total-e.Done, e.Total, plural(e.Total, "object", "objects"), compact(e.Object, e.Message), elapsed)
	case Failed:
		if e.Err != nil {
			return fmt.Sprintf("%v (%s)", e.Err, elapsed)
		}
	case Warning:
		return fmt.Sprintf("warning: %s (%s)", e.Message, elapsed)
	}
	return fmt.Sprintf("%s (%s)", compact(e.Object, e.Message), elapsed)
}

// compact shortens kubectl's `Waiting for deployment "x" rollout to
// finish: 1 of 3 ...` to `deployment "x": 1 of 3 ...`, and makes sure the
// line names the object.
func compact(obj status.Object, msg string) string {
	name := obj.String()
	msg = strings.TrimSuffix(msg, "...")
	if rest, ok := strings.CutPrefix(msg, "Waiting for "+name+" rollout to finish: "); ok {
		return name + ": " + rest
	}
	if strings.Contains(msg, name) {
		return msg
	}
	return name + ": " + msg
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
