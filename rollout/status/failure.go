package status

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Failure is the error a Failed Result turns into (Result.Err). Callers
// read the Reason and the pod evidence from its fields; the pods are data,
// not wrapped errors, so an error tree never mistakes them for separate
// failures.
type Failure struct {
	// Object is the object that cannot reach its desired state.
	Object Object
	// Reason says why.
	Reason Reason
	// Message is the Result's message.
	Message string
	// Pods is the evidence from failing pods, if the failure came from pods.
	Pods []PodFailure
}

// Error names the object and the first failing pod, e.g.
// `deployment "payments-api" cannot become ready: pod payments-api-7d9c-abcde
// container "app" is crash-looping (CrashLoopBackOff, 4 restarts; last exit
// code 1 at 2026-08-01T10:00:00Z): back-off 40s restarting failed container`.
func (f *Failure) Error() string {
	if len(f.Pods) == 0 {
		return f.Message
	}
	var b strings.Builder
	b.WriteString(f.Object.String())
	b.WriteString(" cannot become ready: ")
	b.WriteString(f.Pods[0].Error())
	if n := len(f.Pods) - 1; n > 0 {
		fmt.Fprintf(&b, " (and %d more failing %s)", n, plural(n, "pod", "pods"))
	}
	return b.String()
}

// PodFailure is the evidence that one container of one pod cannot become
// ready. Container is empty when the failure is about the pod as a whole
// (Unschedulable, a Failed phase).
type PodFailure struct {
	// Namespace and Pod name the pod.
	Namespace string
	Pod       string
	// Container names the failing container; InitContainer tells whether it
	// is an init container, and Sidecar whether that init container is a
	// native sidecar (restartPolicy Always), which runs beside the others.
	Container     string
	InitContainer bool
	Sidecar       bool
	// Reason is the classification; Waiting is the kubelet's own reason
	// (e.g. ImagePullBackOff, CrashLoopBackOff, or the scheduler's Unschedulable).
	Reason  Reason
	Waiting string
	// Message is the kubelet's or scheduler's message, verbatim.
	Message string
	// RestartCount is the container's restart count.
	RestartCount int32
	// LastTermination is the container's last termination, if any.
	LastTermination *Termination
	// Events are the pod's most recent Warning events, oldest first.
	Events []EventSummary
	// Logs holds the last log lines of the failing container. The status
	// package never fills it; a waiter may, when the caller allows it.
	Logs []string
}

// Termination describes how a container last ended.
type Termination struct {
	ExitCode   int32
	Signal     int32
	Reason     string
	Message    string
	FinishedAt time.Time
}

// EventSummary is one event about a pod, reduced to what a person needs.
type EventSummary struct {
	Type     string
	Reason   string
	Message  string
	Count    int32
	LastSeen time.Time
	// FieldPath is the involved object's field path, e.g. spec.containers{app}.
	FieldPath string
}

// Error describes the pod failure in one line.
func (p PodFailure) Error() string {
	var b strings.Builder
	b.WriteString("pod ")
	b.WriteString(p.Pod)
	if p.Container != "" {
		switch {
		case p.Sidecar:
			b.WriteString(" sidecar")
		case p.InitContainer:
			b.WriteString(" init")
		}
		b.WriteString(" container ")
		b.WriteString(quote(p.Container))
	}
	b.WriteString(" ")
	b.WriteString(p.verb())
	if facts := p.facts(); facts != "" {
		b.WriteString(" (")
		b.WriteString(facts)
		b.WriteString(")")
	}
	if p.Message != "" {
		b.WriteString(": ")
		b.WriteString(p.Message)
	}
	return b.String()
}

func (p PodFailure) verb() string {
	switch p.Reason {
	case PodCrashLooping:
		return "is crash-looping"
	case ImagePullFailed:
		return "cannot pull its image"
	case InvalidImageName:
		return "has an invalid image name"
	case CreateContainerConfigError:
		return "cannot be configured"
	case ContainerCannotRun:
		return "cannot be started"
	case OOMKilled:
		return "was killed for exceeding its memory limit"
	case Unschedulable:
		return "cannot be scheduled"
	case ReadinessFailing:
		return "keeps failing its readiness probe"
	case PodFailed:
		return "failed"
	}
	return "is failing"
}

// facts renders the kubelet reason, restarts and last termination:
// `CrashLoopBackOff, 4 restarts; last exit code 1 at 2026-08-01T10:00:00Z`.
func (p PodFailure) facts() string {
	var parts []string
	if p.Waiting != "" {
		parts = append(parts, p.Waiting)
	}
	if p.Container != "" && p.RestartCount > 0 {
		parts = append(parts, strconv.Itoa(int(p.RestartCount))+" "+plural(int(p.RestartCount), "restart", "restarts"))
	}
	s := strings.Join(parts, ", ")
	if t := p.LastTermination; t != nil {
		if s != "" {
			s += "; "
		}
		s += "last exit code " + strconv.Itoa(int(t.ExitCode))
		if t.Reason != "" && t.Reason != "Error" && t.Reason != p.Waiting {
			s += " (" + t.Reason + ")"
		}
		if !t.FinishedAt.IsZero() {
			s += " at " + t.FinishedAt.UTC().Format(time.RFC3339)
		}
	}
	return s
}

// Details renders the full evidence over several lines: the one-line error,
// the last termination message, the events and the log lines. The text is
// deterministic for the same PodFailure.
func (p PodFailure) Details() string {
	var b strings.Builder
	b.WriteString(p.Error())
	b.WriteString("\n")
	if t := p.LastTermination; t != nil && t.Message != "" {
		b.WriteString("  last termination message:\n")
		writeIndented(&b, "    ", t.Message)
	}
	if len(p.Events) > 0 {
		b.WriteString("  events:\n")
		for _, e := range p.Events {
			fmt.Fprintf(&b, "    %s %s", e.Type, e.Reason)
			if e.Count > 1 {
				fmt.Fprintf(&b, " (x%d)", e.Count)
			}
			if !e.LastSeen.IsZero() {
				b.WriteString(" at " + e.LastSeen.UTC().Format(time.RFC3339))
			}
			b.WriteString(": " + e.Message + "\n")
		}
	}
	if len(p.Logs) > 0 {
		fmt.Fprintf(&b, "  last %d log %s:\n", len(p.Logs), plural(len(p.Logs), "line", "lines"))
		for _, l := range p.Logs {
			b.WriteString("    " + l + "\n")
		}
	}
	return b.String()
}

func writeIndented(b *strings.Builder, indent, text string) {
	for l := range strings.SplitSeq(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(indent + l + "\n")
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func quote(s string) string { return strconv.Quote(s) }

// noun is how kubectl names a kind in its rollout messages.
func noun(gk schema.GroupKind) string {
	switch gk.Kind {
	case "DaemonSet":
		return "daemon set"
	case "":
		return "object"
	}
	return strings.ToLower(gk.Kind)
}
