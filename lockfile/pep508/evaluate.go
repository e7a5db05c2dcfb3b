package pep508

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

// Environment holds the values of the marker variables for one target
// interpreter. The string fields are what Python reports at run time
// (packaging.markers.default_environment); wheel.Target.Environment builds
// one for an image without running Python.
type Environment struct {
	ImplementationName           string // "cpython"
	ImplementationVersion        string // "3.12.4"
	OSName                       string // "posix"
	PlatformMachine              string // "x86_64"
	PlatformRelease              string // kernel release, often unknown: ""
	PlatformSystem               string // "Linux"
	PlatformVersion              string // often unknown: ""
	PythonFullVersion            string // "3.12.4"
	PlatformPythonImplementation string // "CPython"
	PythonVersion                string // "3.12"
	SysPlatform                  string // "linux"

	// Extra is the extra whose dependencies are being evaluated ("" for
	// the base dependencies). It is compared after PEP 685 normalization.
	Extra string
	// Extras and DependencyGroups are the lock-file set variables of
	// PEP 751: the extras and dependency groups selected at install time.
	// Order does not matter; members compare normalized.
	Extras           []string
	DependencyGroups []string
}

// Value returns the string value of a variable. Set variables (extras,
// dependency_groups) and unknown variables report ok == false.
func (e Environment) Value(v Variable) (value string, ok bool) {
	switch v {
	case VarImplementationName:
		return e.ImplementationName, true
	case VarImplementationVersion:
		return e.ImplementationVersion, true
	case VarOSName:
		return e.OSName, true
	case VarPlatformMachine:
		return e.PlatformMachine, true
	case VarPlatformRelease:
		return e.PlatformRelease, true
	case VarPlatformSystem:
		return e.PlatformSystem, true
	case VarPlatformVersion:
		return e.PlatformVersion, true
	case VarPythonFullVersion:
		// Unreleased CPython builds report "3.13.0+", which is not PEP 440;
		// packaging repairs it the same way.
		if strings.HasSuffix(e.PythonFullVersion, "+") {
			return e.PythonFullVersion + "local", true
		}
		return e.PythonFullVersion, true
	case VarPlatformPythonImplementation:
		return e.PlatformPythonImplementation, true
	case VarPythonVersion:
		return e.PythonVersion, true
	case VarSysPlatform:
		return e.SysPlatform, true
	case VarExtra:
		return CanonicalName(e.Extra), true
	}
	return "", false
}

// WithExtra returns a copy of e with Extra set.
func (e Environment) WithExtra(extra string) Environment {
	e.Extra = extra
	return e
}

// UndefinedComparisonError reports a comparison PEP 508 does not define:
// "~=" or "===" on a value that is not a version, an operator other than
// "in"/"not in" on a set variable, or a comparison of two literals or two
// variables.
type UndefinedComparisonError struct {
	Compare string // the comparison, as written by Compare.String
	Reason  string
}

// Error names the comparison and why it is undefined.
func (e *UndefinedComparisonError) Error() string {
	return fmt.Sprintf("undefined marker comparison %s: %s", e.Compare, e.Reason)
}

// Evaluate implements Marker.
func (c *Compare) Evaluate(env Environment) bool {
	ok, err := c.EvaluateStrict(env)
	return ok && err == nil
}

// EvaluateStrict implements Marker.
func (c *Compare) EvaluateStrict(env Environment) (bool, error) {
	undefined := func(reason string) (bool, error) {
		return false, &UndefinedComparisonError{Compare: c.String(), Reason: reason}
	}
	if c.Left.IsVariable() == c.Right.IsVariable() {
		if c.Left.IsVariable() {
			return undefined("both sides are variables")
		}
		return undefined("both sides are literals")
	}
	if c.Left.Variable.IsSet() {
		return undefined(fmt.Sprintf("set variable %s must be on the right of 'in' or 'not in'", c.Left.Variable))
	}
	if c.Right.Variable.IsSet() {
		var set []string
		if c.Right.Variable == VarExtras {
			set = env.Extras
		} else {
			set = env.DependencyGroups
		}
		member := slices.ContainsFunc(set, func(s string) bool { return CanonicalName(s) == CanonicalName(c.Left.Value) })
		switch c.Op {
		case OpIn:
			return member, nil
		case OpNotIn:
			return !member, nil
		}
		return undefined(fmt.Sprintf("only 'in' and 'not in' apply to %s", c.Right.Variable))
	}

	key := c.Left.Variable
	var lhs, rhs string
	if key != "" {
		lhs, _ = env.Value(key)
		rhs = c.Right.Value
	} else {
		key = c.Right.Variable
		lhs = c.Left.Value
		rhs, _ = env.Value(key)
	}
	if key == VarExtra {
		// The set-like legacy field: only == and != are defined
		// ("extra == 'x'" reads "'x' in extras"); installers evaluate any
		// other comparison as False.
		switch c.Op {
		case OpEqual:
			return CanonicalName(lhs) == CanonicalName(rhs), nil
		case OpNotEqual:
			return CanonicalName(lhs) != CanonicalName(rhs), nil
		}
		return undefined("only == and != apply to extra")
	}
	if key.IsVersionLike() {
		if ok, decided := compareVersions(lhs, c.Op, rhs); decided {
			return ok, nil
		}
	}
	switch c.Op {
	case OpIn:
		return strings.Contains(rhs, lhs), nil
	case OpNotIn:
		return !strings.Contains(rhs, lhs), nil
	case OpEqual, OpLessEqual, OpGreaterEqual:
		return lhs == rhs, nil
	case OpNotEqual:
		return lhs != rhs, nil
	case OpLess, OpGreater:
		return false, nil
	}
	return undefined(fmt.Sprintf("%q and %q are not both versions", lhs, rhs))
}

// compareVersions applies PEP 440 semantics to a comparison on a Version
// or "Version | String" field when both sides are versions (op+rhs a valid
// specifier clause, lhs a valid version), or when op is "===" (arbitrary
// equality, a string comparison by definition). decided is false when the
// string semantics apply instead: the dependency specifiers text asks tools
// to fall back to them "if parsing either value as a version fails", so
// platform_release "5.15.0-1034-azure" compares as a string while
// platform_version "10.0.19045" >= "10.0" compares as a version.
func compareVersions(lhs string, op Op, rhs string) (result, decided bool) {
	if op == OpIn || op == OpNotIn {
		return false, false
	}
	spec, err := pep440.ParseSpecifier(string(op) + rhs)
	if err != nil {
		return false, false
	}
	if op != OpArbitrary {
		if _, err := pep440.Parse(lhs); err != nil {
			return false, false
		}
	}
	return pep440.NewSpecifiers(spec).WithPrereleases(true).ContainsString(lhs), true
}

// Evaluate implements Marker.
func (a *And) Evaluate(env Environment) bool {
	for _, m := range a.Markers {
		if !m.Evaluate(env) {
			return false
		}
	}
	return true
}

// EvaluateStrict implements Marker. Every member is evaluated so that an
// undefined comparison is reported even where "and" would short-circuit.
func (a *And) EvaluateStrict(env Environment) (bool, error) {
	all := true
	for _, m := range a.Markers {
		ok, err := m.EvaluateStrict(env)
		if err != nil {
			return false, err
		}
		all = all && ok
	}
	return all, nil
}

// Evaluate implements Marker.
func (o *Or) Evaluate(env Environment) bool {
	for _, m := range o.Markers {
		if m.Evaluate(env) {
			return true
		}
	}
	return false
}

// EvaluateStrict implements Marker. Every member is evaluated so that an
// undefined comparison is reported even where "or" would short-circuit.
func (o *Or) EvaluateStrict(env Environment) (bool, error) {
	any := false
	for _, m := range o.Markers {
		ok, err := m.EvaluateStrict(env)
		if err != nil {
			return false, err
		}
		any = any || ok
	}
	return any, nil
}

// EvaluateExtras reports whether a dependency guarded by m is needed when
// the given extras of its parent are requested: m holds for the base
// dependencies (Extra "") or for at least one requested extra. A nil marker
// always holds.
func EvaluateExtras(m Marker, env Environment, extras []string) bool {
	if m == nil {
		return true
	}
	if m.Evaluate(env.WithExtra("")) {
		return true
	}
	for _, x := range extras {
		if m.Evaluate(env.WithExtra(x)) {
			return true
		}
	}
	return false
}
