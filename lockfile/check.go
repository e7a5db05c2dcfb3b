package lockfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/internal/boundedfile"
	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// StaleError says a lock no longer matches its inputs, and why.
type StaleError struct {
	// Path is the lock file, when known.
	Path string
	// Changes lists the input differences (offline check).
	Changes []project.Change
	// Unsatisfied lists current requirements the locked versions do not
	// satisfy.
	Unsatisfied []string
	// Drift lists lock differences found by re-resolving (strict check):
	// package lines like "fastapi 0.110.0 → 0.111.0" or differing lines.
	Drift []string
}

// Error summarizes every reason on separate lines.
func (e *StaleError) Error() string {
	var b strings.Builder
	name := e.Path
	if name == "" {
		name = "lock"
	}
	fmt.Fprintf(&b, "%s is stale; re-run the lock step", name)
	for _, c := range e.Changes {
		b.WriteString("\n\t" + c.String())
	}
	for _, u := range e.Unsatisfied {
		b.WriteString("\n\t" + u)
	}
	for _, d := range e.Drift {
		b.WriteString("\n\t" + d)
	}
	return b.String()
}

// Recorded is what a lock's [tool.pydeploy] table says it was made from.
type Recorded struct {
	InputHash string
	Inputs    []string
	// Target is the target of a single-target lock; Targets those of a
	// universal lock over several targets (neither for a universal lock
	// over a requires-python range).
	Target       string
	Targets      []string
	ExcludeNewer time.Time
}

// ReadRecorded extracts the [tool.pydeploy] table of a lock. A lock written
// by another tool, or with a table whose hash does not match its inputs, is
// an error: it cannot be checked.
func ReadRecorded(l *pylock.Lock) (*Recorded, error) {
	t, ok := l.Tool[ToolName].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("lock has no [tool.%s] table (created by %q); re-lock with this library to enable freshness checks", ToolName, l.CreatedBy)
	}
	r := &Recorded{}
	r.InputHash, _ = t[keyInputHash].(string)
	r.Target, _ = t[keyTarget].(string)
	raw, ok := t[keyInputs].([]any)
	if !ok || r.InputHash == "" {
		return nil, fmt.Errorf("[tool.%s] needs %q and %q", ToolName, keyInputHash, keyInputs)
	}
	for i, v := range raw {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("[tool.%s].%s[%d]: expected a string, found %T", ToolName, keyInputs, i, v)
		}
		r.Inputs = append(r.Inputs, s)
	}
	if raw, ok := t[keyTargets].([]any); ok {
		for i, v := range raw {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("[tool.%s].%s[%d]: expected a string, found %T", ToolName, keyTargets, i, v)
			}
			r.Targets = append(r.Targets, s)
		}
	}
	if got := project.InputHash(r.Inputs); got != r.InputHash {
		return nil, fmt.Errorf("[tool.%s]: %s %s does not match the recorded inputs (%s); the table was edited by hand", ToolName, keyInputHash, r.InputHash, got)
	}
	if v, ok := t[keyExcludeNewer]; ok {
		ts, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("[tool.%s].%s: expected a date-time, found %T", ToolName, keyExcludeNewer, v)
		}
		r.ExcludeNewer = ts.UTC()
	}
	return r, nil
}

// Check is the cheap offline freshness check: the lock is fresh when the
// hash of the current inputs equals the recorded one. Otherwise it returns a
// *StaleError listing what changed (added, removed and changed requirements,
// constraints, indexes, targets, …) and which current requirements the
// locked versions no longer satisfy. Other errors mean the lock cannot be
// checked at all.
func Check(l *pylock.Lock, in project.Inputs) error {
	rec, err := ReadRecorded(l)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	items, err := in.Items()
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if project.InputHash(items) == rec.InputHash {
		return nil
	}
	return &StaleError{Changes: project.Diff(rec.Inputs, items), Unsatisfied: unsatisfied(l, in, rec)}
}

// CheckFile reads the lock at path and runs Check; a *StaleError carries
// the path.
func CheckFile(path string, in project.Inputs) error {
	l, err := pylock.ReadFile(path)
	if err != nil {
		return err
	}
	err = Check(l, in)
	if se, ok := errors.AsType[*StaleError](err); ok {
		se.Path = path
	} else if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return err
}

// unsatisfied lists current requirements whose locked package is missing
// or outside the specifier, on each recorded target (the entry whose
// marker holds there); for a lock without targets, on every entry of the
// name.
func unsatisfied(l *pylock.Lock, in project.Inputs, rec *Recorded) []string {
	var targets []wheel.Target
	for _, s := range append([]string{rec.Target}, rec.Targets...) {
		if s == "" {
			continue
		}
		if t, err := wheel.ParseTarget(s); err == nil {
			targets = append(targets, t)
		}
	}
	var out []string
	if len(targets) == 0 {
		for _, r := range slices.Concat(in.Requirements, in.Constraints) {
			out = append(out, unsatisfiedBy(l, in, r, nil)...)
		}
	}
	for _, t := range targets {
		env := t.Environment()
		env.Extras, env.DependencyGroups = l.Extras, l.DependencyGroups
		for _, r := range slices.Concat(in.Requirements, in.Constraints) {
			if r.Marker != nil && !r.Marker.Evaluate(env) {
				continue
			}
			out = append(out, unsatisfiedBy(l, in, r, &env)...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// unsatisfiedBy checks one requirement against the entries of its name
// that apply in env (every entry when env is nil).
func unsatisfiedBy(l *pylock.Lock, in project.Inputs, r pep508.Requirement, env *pep508.Environment) []string {
	name := r.CanonicalName()
	var versions []string
	for _, p := range l.Packages {
		if p.Name != name {
			continue
		}
		if env != nil && p.Marker != "" {
			if m, err := pep508.ParseMarker(p.Marker); err == nil && !m.Evaluate(*env) {
				continue
			}
		}
		versions = append(versions, p.Version)
	}
	if len(versions) == 0 {
		if slices.ContainsFunc(in.Requirements, func(q pep508.Requirement) bool { return q.CanonicalName() == name }) {
			return []string{fmt.Sprintf("requirement %s: %s is not in the lock", r, name)}
		}
		return nil
	}
	var out []string
	for _, v := range versions {
		ver, err := pep440.Parse(v)
		if err != nil || r.Specifiers.Len() == 0 {
			continue
		}
		if !r.Specifiers.ContainsWith(ver, new(true), false) {
			out = append(out, fmt.Sprintf("requirement %s is not satisfied by locked %s %s", r, name, v))
		}
	}
	return out
}

// CheckStrict is the reproducibility check: after Check passes, it locks
// the inputs again with the recorded exclude-newer against the index and
// demands output byte-identical to data (the lock file's content). A
// difference is a *StaleError whose Drift lists the packages that moved (or
// the first differing lines). A lock without exclude-newer cannot be
// re-locked reproducibly and is an error.
func CheckStrict(ctx context.Context, data []byte, in project.Inputs, opts Options) error {
	l, err := pylock.Unmarshal(data)
	if err != nil {
		return err
	}
	if err := Check(l, in); err != nil {
		return err
	}
	rec, err := ReadRecorded(l)
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if rec.ExcludeNewer.IsZero() {
		return errors.New("check: the lock records no exclude-newer, so re-locking cannot reproduce it; lock with Inputs.ExcludeNewer set")
	}
	in.ExcludeNewer = rec.ExcludeNewer
	if opts.CreatedBy == "" {
		opts.CreatedBy = l.CreatedBy
	}
	fresh, err := Lock(ctx, in, opts)
	if err != nil {
		return fmt.Errorf("check: re-lock: %w", err)
	}
	again, err := pylock.Marshal(fresh)
	if err != nil {
		return fmt.Errorf("check: re-lock: %w", err)
	}
	if bytes.Equal(again, data) {
		return nil
	}
	return &StaleError{Drift: drift(l, fresh, data, again)}
}

// CheckStrictFile runs CheckStrict on the lock file at path.
func CheckStrictFile(ctx context.Context, path string, in project.Inputs, opts Options) error {
	data, err := boundedfile.ReadFile(path, pylock.MaxFileSize, "a lock file")
	if err != nil {
		return err
	}
	err = CheckStrict(ctx, data, in, opts)
	if se, ok := errors.AsType[*StaleError](err); ok {
		se.Path = path
	} else if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return err
}

// maxDrift bounds the lines a strict check reports.
const maxDrift = 20

// drift describes how a re-lock differs: package versions first, else the
// differing lines of the two files.
func drift(old, cur *pylock.Lock, oldData, curData []byte) []string {
	ov, cv := map[string]string{}, map[string]string{}
	for _, p := range old.Packages {
		ov[p.Name] = p.Version
	}
	for _, p := range cur.Packages {
		cv[p.Name] = p.Version
	}
	var out []string
	for _, name := range unionNames(ov, cv) {
		o, okO := ov[name]
		c, okC := cv[name]
		switch {
		case !okC:
			out = append(out, fmt.Sprintf("package %s %s is no longer resolved", name, o))
		case !okO:
			out = append(out, fmt.Sprintf("package %s %s is new", name, c))
		case o != c:
			out = append(out, fmt.Sprintf("package %s %s → %s", name, o, c))
		}
	}
	if len(out) == 0 {
		ol := strings.Split(string(oldData), "\n")
		cl := strings.Split(string(curData), "\n")
		for _, line := range ol {
			if !slices.Contains(cl, line) {
				out = append(out, "- "+strings.TrimSpace(line))
			}
		}
		for _, line := range cl {
			if !slices.Contains(ol, line) {
				out = append(out, "+ "+strings.TrimSpace(line))
			}
		}
		if len(out) == 0 {
			out = append(out, "the files differ only in line order")
		}
	}
	if len(out) > maxDrift {
		out = append(out[:maxDrift], fmt.Sprintf("… and %d more", len(out)-maxDrift))
	}
	return out
}

func unionNames(a, b map[string]string) []string {
	var names []string
	for k := range a {
		names = append(names, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}
