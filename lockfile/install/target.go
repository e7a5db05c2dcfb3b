package install

import (
	"fmt"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// Targets returns the install targets a lock was made for, as lockfile.Lock
// records them in the lock's [tool.pydeploy] table ("target": one target
// string, or an array of them for a lock made for several). A lock written
// by another tool records none: the result is empty and the caller must
// name the target.
func Targets(l *pylock.Lock) ([]wheel.Target, error) {
	tbl, _ := l.Tool[lockfile.ToolName].(map[string]any)
	var raw []string
	switch v := tbl["target"].(type) {
	case nil:
		return nil, nil
	case string:
		raw = []string{v}
	case []any:
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("install: [tool.%s].target[%d]: expected a target string, found %T", lockfile.ToolName, i, e)
			}
			raw = append(raw, s)
		}
	default:
		return nil, fmt.Errorf("install: [tool.%s].target: expected a target string or an array of them, found %T", lockfile.ToolName, v)
	}
	out := make([]wheel.Target, 0, len(raw))
	for _, s := range raw {
		t, err := wheel.ParseTarget(s)
		if err != nil {
			return nil, fmt.Errorf("install: [tool.%s].target: %w", lockfile.ToolName, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// chooseTarget returns t when it is set, else the lock's only target.
func chooseTarget(l *pylock.Lock, t wheel.Target) (wheel.Target, error) {
	if t.Implementation != "" {
		return t, nil
	}
	ts, err := Targets(l)
	if err != nil {
		return wheel.Target{}, err
	}
	switch len(ts) {
	case 0:
		return wheel.Target{}, fmt.Errorf("install: %w: the lock records none in [tool.%s].target (created by %q); set the target (e.g. cp312-manylinux_2_36_x86_64)", ErrNoTarget, lockfile.ToolName, l.CreatedBy)
	case 1:
		return ts[0], nil
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.String()
	}
	return wheel.Target{}, fmt.Errorf("install: %w: the lock was made for %d targets (%s); choose one", ErrNoTarget, len(ts), strings.Join(names, ", "))
}

// environment is the marker environment of the target, with the full
// Python version when the interpreter's is known.
func environment(t wheel.Target, py Python, extras, groups []string) (pep508.Environment, error) {
	env := t.Environment()
	if py.Version != "" {
		v, err := pep440.Parse(py.Version)
		if err != nil {
			return env, fmt.Errorf("install: Python.Version %q: %w", py.Version, err)
		}
		rel := v.Release()
		if len(rel) < 2 || rel[0] != t.Python.Major || rel[1] != t.Python.Minor {
			return env, fmt.Errorf("install: Python.Version %q does not match target %s (Python %d.%d)", py.Version, t, t.Python.Major, t.Python.Minor)
		}
		env.PythonFullVersion = py.Version
		if t.Implementation == wheel.CPython {
			env.ImplementationVersion = py.Version
		}
	}
	env.Extras, env.DependencyGroups = extras, groups
	return env, nil
}

// selectPackages runs the lock's installation algorithm for the target:
// the one place that knows how a lock narrows to one environment, so
// universal locks work wherever Select does.
func selectPackages(l *pylock.Lock, t wheel.Target, env pep508.Environment) ([]pylock.Selection, error) {
	sel, err := l.Select(env, t)
	if err != nil {
		return nil, fmt.Errorf("install: lock for target %s: %w", t, err)
	}
	return sel, nil
}

// SelectOptions narrow a lock to one environment. The zero value means
// the lock's one target with its default groups.
type SelectOptions struct {
	// Target is the environment; the zero value means the one target the
	// lock records (see Targets).
	Target wheel.Target
	// PythonVersion is the interpreter's full version ("3.12.7") for
	// python_full_version markers; "" means the target's X.Y.
	PythonVersion string
	// Extras and DependencyGroups select the lock's optional parts; with
	// neither, the lock's default-groups apply.
	Extras, DependencyGroups []string
}

// Select returns the target and the packages (sorted by name) Install
// would install and Export would list for it: the lock's installation
// algorithm, for tools that compare an environment with its lock.
func Select(l *pylock.Lock, opts SelectOptions) (wheel.Target, []pylock.Selection, error) {
	t, err := chooseTarget(l, opts.Target)
	if err != nil {
		return wheel.Target{}, nil, err
	}
	env, err := environment(t, Python{Version: opts.PythonVersion}, opts.Extras, opts.DependencyGroups)
	if err != nil {
		return wheel.Target{}, nil, err
	}
	sel, err := selectPackages(l, t, env)
	return t, sel, err
}
