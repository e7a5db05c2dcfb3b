package pep508

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// prints to text that parses back to an equal requirement.
func FuzzParse(f *testing.F) {
	for _, s := range benchRequirements {
		f.Add(s)
	}
	for _, s := range []string{"", "name[", "name (>=1.0", "name; os_name == \"C:\\\"", "a===x,y", "name @ file:.", "x[a , b]<=1!3.0.0.rc2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			if _, ok := errors.AsType[*SyntaxError](err); !ok {
				t.Fatalf("Parse(%q): error of type %T: %v", s, err, err)
			}
			_ = err.Error()
			return
		}
		again, err := Parse(r.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", s, r.String(), err)
		}
		if !again.Equal(r) || again.String() != r.String() {
			t.Fatalf("round trip of %q: %q then %q", s, r.String(), again.String())
		}
		_, _, _ = ParseLenient(s)
	})
}

// FuzzParseMarker checks that ParseMarker never panics, that accepted
// markers round-trip through String, and that evaluation never panics.
func FuzzParseMarker(f *testing.F) {
	for _, s := range []string{
		`python_version >= "3.8"`,
		`os_name == 'a' and (sys_platform == "b" or extra == 'C_d')`,
		`"x" in extras`,
		`'a"' == os_name`,
		`((python_version))`,
		`platform_release ~= "5.4.0"`,
		`platform_version >= "10.0"`,
		`"a" in extra`,
		strings.Repeat("(", MaxNesting) + `os_name == "nt"` + strings.Repeat(")", MaxNesting),
		strings.Repeat("(", 4*MaxNesting),
		strings.Repeat("(os_name == 'a' or ", 300) + "os_name == 'b'" + strings.Repeat(")", 300),
	} {
		f.Add(s)
	}
	env := Environment{PythonVersion: "3.12", PythonFullVersion: "3.12.1", SysPlatform: "linux", Extras: []string{"x"}}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMarker(s)
		if err != nil {
			return
		}
		again, err := ParseMarker(m.String())
		if err != nil {
			t.Fatalf("ParseMarker(%q) = %q, which does not parse: %v", s, m.String(), err)
		}
		if again.String() != m.String() {
			t.Fatalf("round trip of %q: %q then %q", s, m.String(), again.String())
		}
		strict, err := m.EvaluateStrict(env)
		if err == nil && strict != m.Evaluate(env) {
			t.Fatalf("%q: Evaluate and EvaluateStrict disagree", s)
		}
	})
}
