package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/status"
)

// Output formats (-format).
const (
	formatText   = "text"
	formatGitHub = "github"
	formatJSON   = "json"
)

// reporter writes the run's report in one format. Its methods are safe for
// concurrent use; each writes whole lines.
type reporter struct {
	mu     sync.Mutex
	w      io.Writer
	format string
	start  time.Time
	now    func() time.Time
	// failedShown holds the objects whose failure an event line already
	// showed, so failure prints only their evidence.
	failedShown map[status.Object]bool
}

// line is one JSON line of -format json. Field order is fixed, so the same
// events give the same bytes.
type line struct {
	Time       string    `json:"time"`
	ElapsedMS  int64     `json:"elapsed_ms"`
	Event      string    `json:"event"`
	ExitCode   *int      `json:"exit_code,omitempty"`
	Result     string    `json:"result,omitempty"`
	Kind       string    `json:"kind,omitempty"`
	Namespace  string    `json:"namespace,omitempty"`
	Name       string    `json:"name,omitempty"`
	State      string    `json:"state,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Message    string    `json:"message,omitempty"`
	File       string    `json:"file,omitempty"`
	Line       int       `json:"line,omitempty"`
	Pods       []podLine `json:"pods,omitempty"`
	RolledBack []string  `json:"rolled_back,omitempty"`
}

// podLine is the evidence of one failing pod in a JSON line.
type podLine struct {
	Pod          string   `json:"pod"`
	Container    string   `json:"container,omitempty"`
	Reason       string   `json:"reason"`
	Waiting      string   `json:"waiting,omitempty"`
	Message      string   `json:"message,omitempty"`
	RestartCount int32    `json:"restart_count"`
	Events       []string `json:"events,omitempty"`
	Logs         []string `json:"logs,omitempty"`
}

func newReporter(w io.Writer, format string, now func() time.Time) *reporter {
	return &reporter{w: w, format: format, start: now(), now: now, failedShown: map[status.Object]bool{}}
}

func (r *reporter) jsonLine(l line, at time.Time) {
	l.Time = at.UTC().Format(time.RFC3339Nano)
	l.ElapsedMS = at.Sub(r.start).Milliseconds()
	b, err := json.Marshal(l)
	if err != nil {
		// Every field is a string, number or slice of them; this cannot
		// happen, but a report line must never be lost silently.
		b = fmt.Appendf(nil, `{"event":"error","message":%q}`, err.Error())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.w.Write(append(b, '\n'))
}

func (r *reporter) text(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = fmt.Fprintf(r.w, format+"\n", args...)
}

// command writes a GitHub Actions workflow command.
func (r *reporter) command(cmd string, props [][2]string, msg string) {
	var b strings.Builder
	b.WriteString("::" + cmd)
	for i, p := range props {
		if i == 0 {
			b.WriteString(" ")
		} else {
			b.WriteString(",")
		}
		b.WriteString(p[0] + "=" + escapeProperty(p[1]))
	}
	b.WriteString("::" + escapeData(msg))
	r.text("%s", b.String())
}

// escapeData and escapeProperty encode a workflow command's message and
// property values as the Actions runner decodes them.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// note is an informational line.
func (r *reporter) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if r.format == formatJSON {
		r.jsonLine(line{Event: "note", Message: msg}, r.now())
		return
	}
	r.text("%s", msg)
}

// applied reports one applied object, as kubectl apply prints it.
func (r *reporter) applied(a manifest.Applied, dryRun bool) {
	msg := a.String()
	if dryRun {
		msg += " (server dry run)"
	}
	if r.format == formatJSON {
		r.jsonLine(line{Event: "apply", Kind: a.Object.GetKind(), Namespace: a.Object.GetNamespace(),
			Name: a.Object.GetName(), State: string(a.Action), Message: msg}, r.now())
		return
	}
	r.text("%s", msg)
}

// diff prints what a dry run would change.
func (r *reporter) diff(res *manifest.ApplyResult) {
	for _, a := range res.Objects {
		if a.Diff == "" {
			continue
		}
		if r.format == formatJSON {
			r.jsonLine(line{Event: "diff", Kind: a.Object.GetKind(), Namespace: a.Object.GetNamespace(),
				Name: a.Object.GetName(), Message: a.Diff}, r.now())
			continue
		}
		r.text("%s", strings.TrimSuffix(a.Diff, "\n"))
	}
}

// skipped reports an applied object that is not waited for.
func (r *reporter) skipped(kind, namespace, name, why string) {
	if r.format == formatJSON {
		r.jsonLine(line{Event: "skip", Kind: kind, Namespace: namespace, Name: name, Message: why}, r.now())
		return
	}
	r.text("%s/%s: not waited for: %s", strings.ToLower(kind), name, why)
}

// event reports one event of rollout.Wait. The Finished event is left to
// summary, and a failure's evidence to failure.
func (r *reporter) event(e rollout.Event) {
	if e.Type == rollout.Finished {
		return
	}
	if r.format == formatJSON {
		msg := e.Message
		if e.Type == rollout.Failed && e.Err != nil {
			msg = e.Err.Error()
		}
		r.jsonLine(line{Event: strings.ToLower(e.Type.String()), Kind: e.Object.GroupKind.Kind,
			Namespace: e.Object.Namespace, Name: e.Object.Name, State: string(e.State),
			Reason: string(e.Reason), Message: msg}, e.Time)
		return
	}
	if e.Type == rollout.Failed {
		r.mu.Lock()
		r.failedShown[e.Object] = true
		r.mu.Unlock()
	}
	r.text("%s", e.String())
}

// failure reports every problem in err, highest precedence first, with its
// evidence: the failing pods, their events and log lines.
func (r *reporter) failure(err error) {
	for _, p := range rollout.Problems(err) {
		obj, reason := p.Object, string(p.Reason)
		if reason == "" {
			reason = p.Class.String()
		}
		switch r.format {
		case formatJSON:
			r.jsonLine(line{Event: "failure", Kind: obj.GroupKind.Kind, Namespace: obj.Namespace, Name: obj.Name,
				State: string(status.Failed), Reason: reason, Message: p.Message, Pods: podLines(p.Pods)}, r.now())
		case formatGitHub:
			title := "rollout failed"
			if obj.Name != "" {
				title = obj.String() + " failed"
			}
			r.command("error", [][2]string{{"title", title}}, p.Message)
			if d := details(p.Err, p.Pods); d != "" {
				r.text("::group::evidence for %s", obj)
				r.text("%s", d)
				r.text("::endgroup::")
			}
		default:
			r.mu.Lock()
			shown := obj.Name != "" && r.failedShown[obj]
			r.mu.Unlock()
			if !shown {
				r.text("error: %s", p.Message)
			}
			if d := details(p.Err, p.Pods); d != "" {
				r.text("%s", d)
			}
		}
	}
}

// details renders the pods' evidence over several lines, indented.
func details(err error, pods []status.PodFailure) string {
	var b strings.Builder
	for _, p := range pods {
		b.WriteString(p.Details())
	}
	if applyErr, ok := errors.AsType[*manifest.ApplyError](err); ok {
		for _, c := range applyErr.Conflicts {
			fmt.Fprintf(&b, "conflict: %s is owned by %q: %s\n", c.Field, c.Manager, c.Message)
		}
		if len(applyErr.Conflicts) > 0 {
			b.WriteString("rerun with -force-conflicts to take ownership of these fields\n")
		}
	}
	return indent(strings.TrimSuffix(b.String(), "\n"))
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

func podLines(pods []status.PodFailure) []podLine {
	var out []podLine
	for _, p := range pods {
		pl := podLine{Pod: p.Pod, Container: p.Container, Reason: string(p.Reason), Waiting: p.Waiting,
			Message: p.Message, RestartCount: p.RestartCount, Logs: p.Logs}
		for _, e := range p.Events {
			ev := e.Type + " " + e.Reason
			if e.Count > 1 {
				ev += fmt.Sprintf(" (x%d)", e.Count)
			}
			pl.Events = append(pl.Events, ev+": "+e.Message)
		}
		out = append(out, pl)
	}
	return out
}

// manifestFailure reports problems with the input manifests, with the file
// and, for parse errors, the document and line.
func (r *reporter) manifestFailure(err error) {
	for _, leaf := range manifestLeaves(err) {
		file, ln, msg := leaf.file, leaf.line, leaf.err.Error()
		if file != "" {
			msg = file + ": " + msg
		}
		switch r.format {
		case formatJSON:
			r.jsonLine(line{Event: "failure", Reason: "InvalidManifest", File: file, Line: ln, Message: msg}, r.now())
		case formatGitHub:
			var props [][2]string
			if file != "" {
				props = append(props, [2]string{"file", file})
			}
			if ln > 0 {
				props = append(props, [2]string{"line", fmt.Sprint(ln)})
			}
			props = append(props, [2]string{"title", "invalid manifest"})
			r.command("error", props, msg)
		default:
			r.text("error: %s", msg)
		}
	}
}

type manifestLeaf struct {
	file string
	line int
	err  error
}

// manifestLeaves splits a loadManifests error into one problem per parse
// error, each with its file and line.
func manifestLeaves(err error) []manifestLeaf {
	var out []manifestLeaf
	for _, e := range joined(err) {
		var me *manifestError
		if !errors.As(e, &me) {
			out = append(out, manifestLeaf{err: e})
			continue
		}
		for _, pe := range joined(me.Err) {
			leaf := manifestLeaf{file: me.File, err: pe}
			if parseErr, ok := errors.AsType[*manifest.ParseError](pe); ok {
				leaf.line = parseErr.Line
			}
			out = append(out, leaf)
		}
	}
	return out
}

// joined returns the errors an errors.Join holds (loadManifests joins one
// per file and one per document), or err itself.
func joined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// undone reports one rollback.
func (r *reporter) undone(obj status.Object, msg string) {
	switch r.format {
	case formatJSON:
		r.jsonLine(line{Event: "undo", Kind: obj.GroupKind.Kind, Namespace: obj.Namespace, Name: obj.Name, Message: msg}, r.now())
	case formatGitHub:
		r.command("warning", [][2]string{{"title", obj.String() + " rolled back"}}, msg)
	default:
		r.text("%s", msg)
	}
}

// summary writes the last line: the verdict and the exit code.
func (r *reporter) summary(code int, msg string, rolledBack []string) {
	if r.format == formatJSON {
		c := code
		r.jsonLine(line{Event: "summary", ExitCode: &c, Result: resultNames[code], Message: msg, RolledBack: rolledBack}, r.now())
		return
	}
	if code == exitOK {
		r.text("ci-deploy: ok: %s", msg)
		return
	}
	text := fmt.Sprintf("ci-deploy: failed (exit %d, %s): %s", code, resultNames[code], msg)
	if len(rolledBack) > 0 {
		text += fmt.Sprintf("; rolled back %s", strings.Join(rolledBack, ", "))
	}
	r.text("%s", text)
}
