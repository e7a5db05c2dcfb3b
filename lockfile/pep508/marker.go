package pep508

import (
	"strings"
)

// Variable is a marker environment variable, spelled canonically
// ("os.name" and "python_implementation" parse to VarOSName and
// VarPlatformPythonImplementation).
type Variable string

// The marker variables of PEP 508, plus the lock-file-only set variables
// of PEP 751 (VarExtras, VarDependencyGroups).
const (
	VarImplementationName           Variable = "implementation_name"
	VarImplementationVersion        Variable = "implementation_version"
	VarOSName                       Variable = "os_name"
	VarPlatformMachine              Variable = "platform_machine"
	VarPlatformRelease              Variable = "platform_release"
	VarPlatformSystem               Variable = "platform_system"
	VarPlatformVersion              Variable = "platform_version"
	VarPythonFullVersion            Variable = "python_full_version"
	VarPlatformPythonImplementation Variable = "platform_python_implementation"
	VarPythonVersion                Variable = "python_version"
	VarSysPlatform                  Variable = "sys_platform"
	VarExtra                        Variable = "extra"
	VarExtras                       Variable = "extras"
	VarDependencyGroups             Variable = "dependency_groups"
)

// IsVersionLike reports whether v is a Version or "Version | String" field
// of the dependency specifiers text (python_version, python_full_version,
// implementation_version; platform_release and platform_version): its
// comparisons use PEP 440 semantics when both sides are versions and string
// semantics otherwise.
func (v Variable) IsVersionLike() bool {
	switch v {
	case VarImplementationVersion, VarPlatformRelease, VarPlatformVersion, VarPythonFullVersion, VarPythonVersion:
		return true
	}
	return false
}

// IsSet reports whether v is set-valued (only "in" and "not in" apply).
func (v Variable) IsSet() bool { return v == VarExtras || v == VarDependencyGroups }

// normalizesValues reports whether values compared with v are names that
// compare after PEP 685 normalization.
func (v Variable) normalizesValues() bool { return v == VarExtra || v.IsSet() }

// Op is a marker comparison operator.
type Op string

// Marker comparison operators.
const (
	OpLess         Op = "<"
	OpLessEqual    Op = "<="
	OpEqual        Op = "=="
	OpNotEqual     Op = "!="
	OpGreaterEqual Op = ">="
	OpGreater      Op = ">"
	OpCompatible   Op = "~="
	OpArbitrary    Op = "==="
	OpIn           Op = "in"
	OpNotIn        Op = "not in"
)

// Marker is a parsed environment marker: a *Compare, an *And or an *Or.
// Markers are immutable after parsing; String gives the normalized form
// pypa/packaging writes (double quotes unless the value holds one, extra
// names normalized, redundant outer parentheses dropped), and two markers
// are equal when their strings are (see Equal).
type Marker interface {
	// String returns the normalized marker text.
	String() string
	// Evaluate reports whether the marker holds in env. A comparison that
	// PEP 508 leaves undefined (see EvaluateStrict) evaluates to false.
	Evaluate(env Environment) bool
	// EvaluateStrict is Evaluate, but an undefined comparison is an
	// *UndefinedComparisonError instead of false.
	EvaluateStrict(env Environment) (bool, error)

	write(b *strings.Builder, top bool)
	walk(func(*Compare) bool) bool
}

// Operand is one side of a comparison: a variable or a literal value.
type Operand struct {
	// Variable is set when the operand is an environment variable.
	Variable Variable
	// Value is the literal string when Variable is empty.
	Value string
}

// IsVariable reports whether the operand names an environment variable.
func (o Operand) IsVariable() bool { return o.Variable != "" }

func (o Operand) write(b *strings.Builder) {
	if o.IsVariable() {
		b.WriteString(string(o.Variable))
		return
	}
	q := byte('"')
	if strings.IndexByte(o.Value, '"') >= 0 {
		q = '\''
	}
	b.WriteByte(q)
	b.WriteString(o.Value)
	b.WriteByte(q)
}

// Compare is a single comparison, e.g. python_version >= "3.9" or
// "linux" in sys_platform.
type Compare struct {
	Left  Operand
	Op    Op
	Right Operand
}

// And holds when all of its markers hold.
type And struct {
	Markers []Marker
	grouped bool // written in parentheses in the source
}

// Or holds when any of its markers holds.
type Or struct {
	Markers []Marker
	grouped bool // written in parentheses in the source
}

// String implements Marker.
func (c *Compare) String() string {
	var b strings.Builder
	c.write(&b, true)
	return b.String()
}

func (c *Compare) write(b *strings.Builder, _ bool) {
	c.Left.write(b)
	b.WriteByte(' ')
	b.WriteString(string(c.Op))
	b.WriteByte(' ')
	c.Right.write(b)
}

func (c *Compare) walk(f func(*Compare) bool) bool { return f(c) }

// String implements Marker.
func (a *And) String() string {
	var b strings.Builder
	a.write(&b, true)
	return b.String()
}

func (a *And) write(b *strings.Builder, top bool) {
	paren := !top && a.grouped
	writeList(b, a.Markers, " and ", paren, func(m Marker) bool {
		_, isOr := m.(*Or)
		return isOr
	})
}

func (a *And) walk(f func(*Compare) bool) bool { return walkAll(a.Markers, f) }

// String implements Marker.
func (o *Or) String() string {
	var b strings.Builder
	o.write(&b, true)
	return b.String()
}

func (o *Or) write(b *strings.Builder, top bool) {
	paren := !top && o.grouped
	writeList(b, o.Markers, " or ", paren, func(Marker) bool { return false })
}

func (o *Or) walk(f func(*Compare) bool) bool { return walkAll(o.Markers, f) }

// writeList writes the members joined by sep; a member gets parentheses
// when precedence needs them (needParen) or when the source grouped it.
func writeList(b *strings.Builder, ms []Marker, sep string, paren bool, needParen func(Marker) bool) {
	if paren {
		b.WriteByte('(')
	}
	for i, m := range ms {
		if i > 0 {
			b.WriteString(sep)
		}
		if needParen(m) && !isGrouped(m) {
			b.WriteByte('(')
			m.write(b, true)
			b.WriteByte(')')
			continue
		}
		m.write(b, false)
	}
	if paren {
		b.WriteByte(')')
	}
}

func isGrouped(m Marker) bool {
	switch m := m.(type) {
	case *And:
		return m.grouped
	case *Or:
		return m.grouped
	}
	return false
}

func walkAll(ms []Marker, f func(*Compare) bool) bool {
	for _, m := range ms {
		if !m.walk(f) {
			return false
		}
	}
	return true
}

// Walk calls f for every comparison in m, left to right, until f returns
// false. A nil marker has no comparisons.
func Walk(m Marker, f func(*Compare) bool) {
	if m != nil {
		m.walk(f)
	}
}

// Mentions reports whether m compares against variable v anywhere, e.g.
// Mentions(m, VarExtra) tells a resolver that a dependency belongs to an
// extra. A nil marker mentions nothing.
func Mentions(m Marker, v Variable) bool {
	found := false
	Walk(m, func(c *Compare) bool {
		found = c.Left.Variable == v || c.Right.Variable == v
		return !found
	})
	return found
}

// AllOf combines markers with "and", skipping nil ones; it returns nil when
// none remain and the marker itself when only one does.
func AllOf(ms ...Marker) Marker { return combine(ms, false) }

// AnyOf combines markers with "or", skipping nil ones; it returns nil when
// none remain and the marker itself when only one does.
func AnyOf(ms ...Marker) Marker { return combine(ms, true) }

func combine(ms []Marker, or bool) Marker {
	var kept []Marker
	for _, m := range ms {
		if m != nil {
			kept = append(kept, m)
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	}
	// Like packaging's & and |, each combined list keeps its parentheses.
	for i, m := range kept {
		switch m := m.(type) {
		case *And:
			kept[i] = &And{Markers: m.Markers, grouped: true}
		case *Or:
			kept[i] = &Or{Markers: m.Markers, grouped: true}
		}
	}
	if or {
		return &Or{Markers: kept}
	}
	return &And{Markers: kept}
}

// Equal reports whether two markers are the same after normalization
// (packaging compares markers by their string form). Two nil markers are
// equal.
func Equal(a, b Marker) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.String() == b.String()
}
