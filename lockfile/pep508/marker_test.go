package pep508

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestMarkersValid(t *testing.T) {
	t.Parallel()
	rows := strings1(t, "markers_valid")
	assert.Equal(t, len(rows), 1440)
	for _, s := range rows {
		m, err := ParseMarker(s)
		assert.NilError(t, err, "marker %q", s)
		// The normalized form parses back to the same marker.
		again, err := ParseMarker(m.String())
		assert.NilError(t, err, "re-parsing %q", m.String())
		assert.Equal(t, again.String(), m.String())
	}
}

func TestMarkersInvalid(t *testing.T) {
	t.Parallel()
	for _, s := range strings1(t, "markers_invalid") {
		_, err := ParseMarker(s)
		var se *SyntaxError
		assert.Assert(t, errors.As(err, &se), "marker %q: got %v", s, err)
		assert.Equal(t, se.What, "marker")
	}
}

func TestMarkersInvalidTrailingLineBreak(t *testing.T) {
	t.Parallel()
	for _, lb := range strings1(t, "markers_invalid_trailing_line_break") {
		_, err := ParseMarker(`python_version >= "3"` + lb)
		assert.ErrorContains(t, err, "Expected end of marker expression", "line break %q", lb)
	}
}

func TestMarkersTrailingWhitespace(t *testing.T) {
	t.Parallel()
	want, err := ParseMarker(`python_version >= "3"`)
	assert.NilError(t, err)
	for _, ws := range strings1(t, "markers_trailing_whitespace") {
		got, err := ParseMarker(`python_version >= "3"` + ws)
		assert.NilError(t, err, "whitespace %q", ws)
		assert.Assert(t, Equal(got, want))
	}
}

func TestMarkersInvalidMalformedQuotedString(t *testing.T) {
	t.Parallel()
	for _, row := range tuples(t, "markers_invalid_malformed_quoted_string") {
		s, expected := str(t, row[0]), str(t, row[1])
		_, err := ParseMarker(s)
		assert.Assert(t, err != nil, "marker %q", s)
		want := strings.Replace(expected, "packaging.markers.InvalidMarker: ", "invalid marker: ", 1)
		assert.Equal(t, err.Error(), want)
	}
}

func TestMarkersStrNormalized(t *testing.T) {
	t.Parallel()
	for _, row := range tuples(t, "markers_str_normalized") {
		s, expected := str(t, row[0]), str(t, row[1])
		m, err := ParseMarker(s)
		assert.NilError(t, err, "marker %q", s)
		assert.Equal(t, m.String(), expected)
		n, err := ParseMarker(expected)
		assert.NilError(t, err)
		assert.Assert(t, Equal(m, n))
	}
}

func TestMarkersDifferent(t *testing.T) {
	t.Parallel()
	for _, row := range tuples(t, "markers_different") {
		a, err := ParseMarker(str(t, row[0]))
		assert.NilError(t, err)
		b, err := ParseMarker(str(t, row[1]))
		assert.NilError(t, err)
		assert.Assert(t, !Equal(a, b), "%s vs %s", a, b)
	}
}

// envFromJSON builds an Environment from a packaging-style environment
// dict; null gives the zero environment (extra "").
func envFromJSON(t *testing.T, raw json.RawMessage) Environment {
	t.Helper()
	var m map[string]json.RawMessage
	assert.NilError(t, json.Unmarshal(raw, &m))
	var env Environment
	for k, v := range m {
		switch Variable(k) {
		case VarExtras, VarDependencyGroups:
			var set []string
			assert.NilError(t, json.Unmarshal(v, &set))
			if Variable(k) == VarExtras {
				env.Extras = set
			} else {
				env.DependencyGroups = set
			}
			continue
		}
		s := str(t, v)
		switch Variable(k) {
		case VarOSName:
			env.OSName = s
		case VarPythonVersion:
			env.PythonVersion = s
		case VarExtra:
			env.Extra = s
		default:
			t.Fatalf("environment key %q not handled by the test", k)
		}
	}
	return env
}

func testEvaluateTable(t *testing.T, key string) {
	t.Helper()
	for _, row := range tuples(t, key) {
		s := str(t, row[0])
		var want bool
		assert.NilError(t, json.Unmarshal(row[2], &want))
		m, err := ParseMarker(s)
		assert.NilError(t, err, "marker %q", s)
		env := envFromJSON(t, row[1])
		assert.Equal(t, m.Evaluate(env), want, "marker %q env %s", s, row[1])
		got, err := m.EvaluateStrict(env)
		assert.NilError(t, err)
		assert.Equal(t, got, want)
	}
}

func TestMarkersEvaluate(t *testing.T) {
	t.Parallel()
	testEvaluateTable(t, "markers_evaluate")
}

func TestMarkersVersionLikeEquality(t *testing.T) {
	t.Parallel()
	testEvaluateTable(t, "markers_version_like_equality")
}

func TestMarkersSetMembership(t *testing.T) {
	t.Parallel()
	testEvaluateTable(t, "markers_set_membership")
}

func TestMarkersMembershipValueNormalization(t *testing.T) {
	t.Parallel()
	for _, variable := range strings1(t, "markers_membership_value_normalization") {
		m, err := ParseMarker(`"S_P__A_M" in ` + variable)
		assert.NilError(t, err)
		n, err := ParseMarker(`"s-p-a-m" in ` + variable)
		assert.NilError(t, err)
		assert.Equal(t, m.String(), `"s-p-a-m" in `+variable)
		assert.Assert(t, Equal(m, n))
	}
}

func TestMarkerVersionSemantics(t *testing.T) {
	t.Parallel()
	env := Environment{
		PythonVersion: "3.12", PythonFullVersion: "3.12.4", ImplementationVersion: "3.12.4",
		PlatformRelease: "6.8.0-1015-aws", SysPlatform: "linux", OSName: "posix",
		PlatformMachine: "x86_64", ImplementationName: "cpython", PlatformPythonImplementation: "CPython",
	}
	tests := []struct {
		marker string
		want   bool
	}{
		{`python_version >= "3.9"`, true},
		{`python_version < "3.10"`, false}, // versions, not strings: "3.12" > "3.10"
		{`python_version > "3.12"`, false},
		{`python_full_version >= "3.12.1"`, true},
		{`python_full_version < "3.12.4"`, false},
		{`python_version == "3.*"`, true},
		{`python_version ~= "3.10"`, true},
		{`"3.9" < python_version`, true},
		{`"3.13" <= python_version`, false},
		{`python_version === "3.12"`, true},
		{`implementation_version >= "3.12.0rc1"`, true},
		// platform_release is not PEP 440 here: version clauses never match.
		{`platform_release >= "5.0"`, false},
		{`platform_release == "6.8.0-1015-aws"`, true},
		{`"aws" in platform_release`, true},
		{`sys_platform == "linux" and platform_machine != "aarch64"`, true},
		{`sys_platform == "win32" or os_name == "posix"`, true},
		{`implementation_name == "pypy" or (python_version < "3.8" and os_name == "nt")`, false},
		{`sys_platform < "win32"`, false}, // strings: ordering undefined, false
		{`sys_platform <= "linux"`, true}, // strings: <= and >= mean equality
		{`"linu" in sys_platform`, true},
		{`"linu" not in sys_platform`, false},
		{`platform_python_implementation == "CPython"`, true},
		{`python_implementation == "CPython"`, true},
		{`extra == "test"`, false},
	}
	for _, tc := range tests {
		m, err := ParseMarker(tc.marker)
		assert.NilError(t, err, tc.marker)
		assert.Equal(t, m.Evaluate(env), tc.want, tc.marker)
	}
}

func TestMarkerUndefinedComparison(t *testing.T) {
	t.Parallel()
	env := Environment{SysPlatform: "linux", PythonVersion: "3.12", Extras: []string{"a"}}
	for _, s := range []string{
		`sys_platform ~= "linux"`,
		`sys_platform === "linux"`,
		`python_version ~= "3"`, // not a valid ~= clause: string fallback is undefined
		`extras == "a"`,
		`"a" == extras`,
		`"a" == "a"`,
		`python_version == python_full_version`,
		// Every member is checked, even behind a short-circuit.
		`sys_platform == "linux" or sys_platform ~= "linux"`,
	} {
		m, err := ParseMarker(s)
		assert.NilError(t, err, s)
		_, err = m.EvaluateStrict(env)
		var uc *UndefinedComparisonError
		assert.Assert(t, errors.As(err, &uc), "%s: got %v", s, err)
		assert.Assert(t, is.Contains(err.Error(), "undefined marker comparison"))
	}
	m, err := ParseMarker(`sys_platform ~= "linux"`)
	assert.NilError(t, err)
	assert.Assert(t, !m.Evaluate(env))
}

func TestMarkerPythonFullVersionRepair(t *testing.T) {
	t.Parallel()
	m, err := ParseMarker(`python_full_version >= "3.13"`)
	assert.NilError(t, err)
	assert.Assert(t, m.Evaluate(Environment{PythonFullVersion: "3.13.0+"}))
}

func TestMentionsAndWalk(t *testing.T) {
	t.Parallel()
	m, err := ParseMarker(`python_version >= "3.9" and (extra == "Test_Extra" or "x" in dependency_groups)`)
	assert.NilError(t, err)
	assert.Assert(t, Mentions(m, VarExtra))
	assert.Assert(t, Mentions(m, VarDependencyGroups))
	assert.Assert(t, !Mentions(m, VarSysPlatform))
	assert.Assert(t, !Mentions(nil, VarExtra))
	var seen []string
	Walk(m, func(c *Compare) bool {
		seen = append(seen, c.String())
		return true
	})
	assert.DeepEqual(t, seen, []string{`python_version >= "3.9"`, `extra == "test-extra"`, `"x" in dependency_groups`})
}

func TestEvaluateExtras(t *testing.T) {
	t.Parallel()
	env := Environment{PythonVersion: "3.12", SysPlatform: "linux"}
	tests := []struct {
		marker string
		extras []string
		want   bool
	}{
		{`extra == "socks"`, nil, false},
		{`extra == "socks"`, []string{"SOCKS"}, true},
		{`extra == "socks"`, []string{"http2", "socks"}, true},
		{`extra == "socks" and python_version < "3.8"`, []string{"socks"}, false},
		{`python_version >= "3.8"`, nil, true},
	}
	for _, tc := range tests {
		m, err := ParseMarker(tc.marker)
		assert.NilError(t, err)
		assert.Equal(t, EvaluateExtras(m, env, tc.extras), tc.want, "%s with %v", tc.marker, tc.extras)
	}
	assert.Assert(t, EvaluateExtras(nil, env, nil))
}

func TestAllOfAnyOf(t *testing.T) {
	t.Parallel()
	parse := func(s string) Marker {
		m, err := ParseMarker(s)
		assert.NilError(t, err)
		return m
	}
	a := parse(`python_version >= "3.9" and os_name == "posix"`)
	b := parse(`sys_platform == "linux" or sys_platform == "darwin"`)
	c := parse(`extra == "x"`)
	assert.Equal(t, AllOf(a, b).String(), `(python_version >= "3.9" and os_name == "posix") and (sys_platform == "linux" or sys_platform == "darwin")`)
	assert.Equal(t, AnyOf(a, c).String(), `(python_version >= "3.9" and os_name == "posix") or extra == "x"`)
	assert.Equal(t, AllOf(nil, c).String(), c.String())
	assert.Assert(t, AllOf() == nil)
	// Combined markers parse back to the same text.
	for _, m := range []Marker{AllOf(a, b, c), AnyOf(b, AllOf(a, c))} {
		assert.Equal(t, parse(m.String()).String(), m.String())
	}
}

func TestMarkerStringParentheses(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`(os_name == "a")`, `os_name == "a"`},
		{`((os_name == "a" and os_name == "b"))`, `os_name == "a" and os_name == "b"`},
		{`(os_name == "a") and os_name == "b"`, `os_name == "a" and os_name == "b"`},
		{`(os_name == "a" and os_name == "b") or os_name == "c"`, `(os_name == "a" and os_name == "b") or os_name == "c"`},
		{`((os_name == "a" and os_name == "b")) or os_name == "c"`, `os_name == "a" and os_name == "b" or os_name == "c"`},
		{`os_name=='a'or(os_name=='b')`, `os_name == "a" or os_name == "b"`},
		{`'x"y' == os_name`, `'x"y' == os_name`},
	}
	for _, tc := range tests {
		m, err := ParseMarker(tc.in)
		assert.NilError(t, err, tc.in)
		assert.Equal(t, m.String(), tc.want, tc.in)
	}
}

func TestMarkerSyntaxErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`os_name == "a" and`, "invalid marker: Expected a marker variable or quoted string\n    os_name == \"a\" and\n                      ^"},
		{`os_name == "a`, "invalid marker: Expected a marker variable or quoted string\n    os_name == \"a\n               ^"},
		{`os_name = "a"`, "invalid marker: Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in\n    os_name = \"a\"\n            ^"},
		{`os_name not  "a"`, "invalid marker: Expected 'in' after 'not'\n    os_name not  \"a\"\n                 ^"},
		{``, "invalid marker: Expected a marker variable or quoted string\n    \n    ^"},
	}
	for _, tc := range tests {
		_, err := ParseMarker(tc.in)
		assert.Error(t, err, tc.want, tc.in)
	}
}
