package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
)

// reporter prints verdicts in one format.
type reporter struct {
	format         string
	stdout, stderr io.Writer
	relock         string
}

// finding is one line of a stale verdict: a change, an unsatisfied
// requirement or a drift, and where it belongs.
type finding struct {
	text string
	loc  location
}

// report prints a verdict and returns its exit code.
func (r *reporter) report(res *result) int {
	code := exitFresh
	if res.stale != nil {
		code = exitStale
		if len(res.stale.Drift) > 0 {
			code = exitStrict
		}
	}
	switch r.format {
	case "json":
		r.writeJSON(res, code, "")
	case "github":
		r.writeGitHub(res, code)
		// The runner turns workflow commands into annotations and hides
		// them from the log; the log gets the readable report.
		(&reporter{stdout: r.stderr, relock: r.relock}).writeText(res, code)
	default:
		r.writeText(res, code)
	}
	return code
}

// fail reports an error that left no verdict (exit code 2).
func (r *reporter) fail(res *result, err error) {
	fmt.Fprintln(r.stderr, "lock-check:", err)
	switch r.format {
	case "json":
		r.writeJSON(res, exitError, err.Error())
	case "github":
		file := ""
		if res != nil {
			file = res.lock
			if file == "" {
				file = res.declared
			}
		}
		fmt.Fprintln(r.stdout, annotation("error", location{file: file}, "lock-check could not check the lock", err.Error()))
	}
}

// headline is the one-line verdict.
func headline(res *result, code int) string {
	switch code {
	case exitStale:
		return fmt.Sprintf("%s is stale: %s changed since it was locked", res.lock, res.declared)
	case exitStrict:
		return fmt.Sprintf("%s does not reproduce: re-locking with exclude-newer %s gives a different lock", res.lock, res.excludeNewer.Format(time.RFC3339))
	}
	mode := "offline check of the recorded inputs"
	if res.strict {
		mode = "re-locked with exclude-newer " + res.excludeNewer.Format(time.RFC3339) + ": identical bytes"
	}
	return fmt.Sprintf("%s is fresh: %d packages, inputs %s (%s)", res.lock, res.packages, res.inputHash, mode)
}

// advice says what to do about a stale or drifted lock.
func (r *reporter) advice(res *result, code int) string {
	cmd := "re-run the lock step (the program that calls lockfile.Write with these inputs)"
	if r.relock != "" {
		cmd = "run `" + r.relock + "`"
	}
	if code == exitStrict {
		return "The inputs match, so the index now serves something different before the cut-off (a release or file published retroactively, or removed), or the lock was edited by hand. To accept the index as it is, " + cmd + ", review the diff and commit " + res.lock + "."
	}
	return "To update it, " + cmd + " and commit " + res.lock + "."
}

// findings lists what makes the lock stale, each with the file it is about.
func findings(res *result) []finding {
	var out []finding
	for _, c := range res.stale.Changes {
		loc := location{file: res.declared}
		if c.Kind == project.KindRequirement || c.Kind == project.KindConstraint {
			if l, ok := res.lines[requirementName(c)]; ok && c.New != "" {
				loc = l
			}
		}
		out = append(out, finding{text: c.String(), loc: loc})
	}
	for _, u := range res.stale.Unsatisfied {
		out = append(out, finding{text: "unsatisfied: " + u, loc: location{file: res.lock}})
	}
	for _, d := range res.stale.Drift {
		out = append(out, finding{text: "drift: " + d, loc: location{file: res.lock}})
	}
	return out
}

// requirementName is the canonical project name a requirement change is
// about.
func requirementName(c project.Change) string {
	s := c.New
	if s == "" {
		s = c.Old
	}
	if r, err := pep508.Parse(s); err == nil {
		return r.CanonicalName()
	}
	return ""
}

func (r *reporter) writeText(res *result, code int) {
	fmt.Fprintln(r.stdout, headline(res, code))
	if code == exitFresh {
		return
	}
	for _, f := range findings(res) {
		fmt.Fprintln(r.stdout, "  "+f.text)
	}
	fmt.Fprintln(r.stdout, r.advice(res, code))
}

func (r *reporter) writeGitHub(res *result, code int) {
	if code == exitFresh {
		fmt.Fprintln(r.stdout, annotation("notice", location{file: res.lock}, "lock is fresh", headline(res, code)))
		return
	}
	title := "stale lock " + res.lock
	if code == exitStrict {
		title = "lock " + res.lock + " does not reproduce"
	}
	advice := r.advice(res, code)
	for _, f := range findings(res) {
		fmt.Fprintln(r.stdout, annotation("error", f.loc, title, f.text+". "+advice))
	}
}

// annotation renders a GitHub Actions workflow command
// ("::error file=a.toml,line=3,title=…::message"), escaped as the runner
// expects: %, CR and LF everywhere, and also : and , in properties.
func annotation(level string, loc location, title, msg string) string {
	var props []string
	if loc.file != "" {
		props = append(props, "file="+escapeProperty(loc.file))
	}
	if loc.line > 0 {
		props = append(props, fmt.Sprintf("line=%d", loc.line))
	}
	if title != "" {
		props = append(props, "title="+escapeProperty(title))
	}
	cmd := "::" + level
	if len(props) > 0 {
		cmd += " " + strings.Join(props, ",")
	}
	return cmd + "::" + escapeData(msg)
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func escapeData(s string) string     { return dataEscaper.Replace(s) }
func escapeProperty(s string) string { return propertyEscaper.Replace(s) }

// jsonReport is the -format json document.
type jsonReport struct {
	Status      string       `json:"status"`
	ExitCode    int          `json:"exit_code"`
	Lock        string       `json:"lock,omitempty"`
	Declared    string       `json:"declared,omitempty"`
	Strict      bool         `json:"strict"`
	Packages    int          `json:"packages,omitempty"`
	InputHash   string       `json:"input_hash,omitempty"`
	Changes     []jsonChange `json:"changes"`
	Unsatisfied []string     `json:"unsatisfied"`
	Drift       []string     `json:"drift"`
	Message     string       `json:"message"`
	Advice      string       `json:"advice,omitempty"`
	Error       string       `json:"error,omitempty"`
}

type jsonChange struct {
	Kind string `json:"kind"`
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
	Text string `json:"text"`
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

func (r *reporter) writeJSON(res *result, code int, errMsg string) {
	doc := jsonReport{ExitCode: code, Changes: []jsonChange{}, Unsatisfied: []string{}, Drift: []string{}}
	if res != nil {
		doc.Lock, doc.Declared, doc.Strict = res.lock, res.declared, res.strict
	}
	switch code {
	case exitFresh:
		doc.Status = "fresh"
		doc.Packages, doc.InputHash = res.packages, res.inputHash
		doc.Message = headline(res, code)
	case exitStale, exitStrict:
		doc.Status = "stale"
		if code == exitStrict {
			doc.Status = "drift"
		}
		doc.Message, doc.Advice = headline(res, code), r.advice(res, code)
		for _, c := range res.stale.Changes {
			jc := jsonChange{Kind: c.Kind, Old: c.Old, New: c.New, Text: c.String()}
			if l, ok := res.lines[requirementName(c)]; ok && c.New != "" && (c.Kind == project.KindRequirement || c.Kind == project.KindConstraint) {
				jc.File, jc.Line = l.file, l.line
			}
			doc.Changes = append(doc.Changes, jc)
		}
		doc.Unsatisfied = append(doc.Unsatisfied, res.stale.Unsatisfied...)
		doc.Drift = append(doc.Drift, res.stale.Drift...)
	default:
		doc.Status = "error"
		doc.Message, doc.Error = "the lock could not be checked", errMsg
	}
	enc := json.NewEncoder(r.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		fmt.Fprintln(r.stderr, "lock-check: write the JSON report:", err)
	}
}
