package pep508

import (
	"errors"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// TestMarkerFieldTypes follows the "Marker field types" and "Marker
// comparisons" sections of the dependency specifiers text
// (packaging.python.org, specifications/dependency-specifiers, 2026).
func TestMarkerFieldTypes(t *testing.T) {
	t.Parallel()
	env := Environment{
		PythonVersion: "3.12", PythonFullVersion: "3.12.4", ImplementationVersion: "3.12.4",
		PlatformVersion: "10.0.19045", PlatformRelease: "5.15.0-1034-azure",
		SysPlatform: "linux", OSName: "posix", Extra: "Security",
	}
	darwin := env
	darwin.PlatformRelease = "23.4.0"
	darwin.PlatformVersion = "Darwin Kernel Version 23.4.0: Fri Mar 15 00:10:42 PDT 2024"
	tests := []struct {
		spec   string // the sentence of the text the row checks
		marker string
		env    Environment
		want   bool
	}{
		// platform_version | platform.version() | Version | String
		// "For Version | String fields, comparison operations are defined
		// as they are for Version fields"
		{"Version | String: version semantics when both parse", `platform_version >= "10.0"`, env, true},
		{"Version | String: version semantics when both parse", `platform_version < "10.0.20000"`, env, true},
		{"Version | String: version semantics when both parse", `platform_version == "10.0.19045.0"`, env, true},
		{"Version | String: version semantics when both parse", `platform_release >= "23"`, darwin, true},
		// "tools SHOULD fall back to processing the field as a String field
		// if parsing either value as a version fails"
		{"Version | String: string fallback", `platform_release >= "5.10"`, env, false},
		{"Version | String: string fallback", `platform_release == "5.15.0-1034-azure"`, env, true},
		{"Version | String: string fallback", `platform_version > "Darwin"`, darwin, false},
		// "while in and not in containment checks are defined as they are
		// for String fields"
		{"Version | String: containment", `"Darwin" in platform_version`, darwin, true},
		{"Version | String: containment", `"azure" in platform_release`, env, true},
		// Version fields compare as versions.
		{"Version: PEP 440", `python_version > "3.9"`, env, true},
		{"Version: PEP 440", `python_full_version >= "3.12.4rc1"`, env, true},
		{"Version: PEP 440", `implementation_version ~= "3.12.0"`, env, true},
		// "For String fields, ==, !=, in, and not in are defined as they
		// are for Python strings ... treat >= and <= as equivalent to ==,
		// treat > and < as always being False"
		{"String: ordered comparisons", `sys_platform >= "linux"`, env, true},
		{"String: ordered comparisons", `sys_platform <= "linux"`, env, true},
		{"String: ordered comparisons", `sys_platform > "a"`, env, false},
		{"String: ordered comparisons", `sys_platform < "z"`, env, false},
		{"String: case sensitive", `sys_platform == "Linux"`, env, false},
		// "Other comparison operations on extra are not defined ... locking
		// and installation tools SHOULD evaluate them as False"
		{"extra: == and != normalize", `extra == "security"`, env, true},
		{"extra: == and != normalize", `extra != "SECURITY"`, env, false},
		{"extra: other operators are False", `"sec" in extra`, env, false},
		{"extra: other operators are False", `"security" in extra`, env, false},
		{"extra: other operators are False", `extra >= "security"`, env, false},
		{"extra: other operators are False", `extra <= "security"`, env, false},
		{"extra: other operators are False", `extra not in "security"`, env, false},
	}
	for _, tc := range tests {
		m, err := ParseMarker(tc.marker)
		assert.NilError(t, err, tc.marker)
		assert.Equal(t, m.Evaluate(tc.env), tc.want, "%s: %s", tc.spec, tc.marker)
	}
	m, err := ParseMarker(`"sec" in extra`)
	assert.NilError(t, err)
	_, err = m.EvaluateStrict(env)
	var uce *UndefinedComparisonError
	assert.Assert(t, errors.As(err, &uce), "%v", err)
}

// TestMarkerNesting: a marker nesting parentheses beyond MaxNesting is a
// *SyntaxError, however deep (3 MB of "(" once crashed the process with a
// stack overflow); one at the limit parses.
func TestMarkerNesting(t *testing.T) {
	t.Parallel()
	ok := strings.Repeat("(", MaxNesting) + `os_name == "nt"` + strings.Repeat(")", MaxNesting)
	m, err := ParseMarker(ok)
	assert.NilError(t, err)
	assert.Equal(t, m.String(), `os_name == "nt"`)
	for _, n := range []int{MaxNesting + 1, 10_000, 3 << 20} {
		deep := strings.Repeat("(", n) + `os_name == "nt"` + strings.Repeat(")", n)
		start := time.Now()
		_, err := ParseMarker(deep)
		var se *SyntaxError
		assert.Assert(t, errors.As(err, &se), "depth %d: %v", n, err)
		_, err = Parse("name; " + deep)
		assert.Assert(t, errors.As(err, &se), "depth %d: %v", n, err)
		msg := err.Error()
		assert.Assert(t, len(msg) < 1000, "the message quotes an excerpt, not %d bytes", len(msg))
		assert.Assert(t, time.Since(start) < 5*time.Second)
	}
	_, err = ParseMarker(strings.Repeat("(", MaxNesting+1) + `os_name == "nt"` + strings.Repeat(")", MaxNesting+1))
	assert.ErrorContains(t, err, "Marker nests parentheses more than 100 deep")
}

// TestSizeLimits: requirement and marker strings longer than MaxLength are
// refused before parsing.
func TestSizeLimits(t *testing.T) {
	t.Parallel()
	huge := "name; " + strings.Repeat(`os_name == "nt" and `, MaxLength/20) + `os_name == "nt"`
	_, err := Parse(huge)
	var se *SyntaxError
	assert.Assert(t, errors.As(err, &se), "%v", err)
	assert.ErrorContains(t, err, "longer than 65536 bytes")
	assert.Assert(t, len(err.Error()) < 1000)
	_, err = ParseMarker(strings.Repeat("x", MaxLength+1))
	assert.ErrorContains(t, err, "longer than 65536 bytes")
	_, _, err = ParseLenient(huge)
	assert.ErrorContains(t, err, "longer than 65536 bytes")
	_, err = Parse("name" + strings.Repeat(",", 3<<20))
	assert.Assert(t, errors.As(err, &se))
}
