package pep508

import (
	"regexp"
	"strings"
)

// Legacy metadata on PyPI holds a few requirement strings that PEP 508
// (and pip since 24.1) rejects. Each repair names the mistake it fixes;
// they only touch the version part, never names, URLs or markers.
var lenientRepairs = []struct {
	note string
	re   *regexp.Regexp
	repl string
}{
	{"dropped '.*' after an ordering operator", regexp.MustCompile(`(<=|>=|<|>|~=)(\s*[0-9][0-9A-Za-z.!+_-]*?)\.\*`), "$1$2"},
	{"dropped '~' after '!=' or '=='", regexp.MustCompile(`([!=]=)\s*~=?`), "$1"},
	{"read a bare 'dev' bound as 0.dev0", regexp.MustCompile(`(>=|>)\s*dev\b`), ">=0.dev0"},
	{"inserted a missing comma between clauses", regexp.MustCompile(`([0-9A-Za-z*])\s*(===|~=|==|!=|<=|>=|<|>)`), "$1,$2"},
}

// ParseLenient parses like Parse, but when s is invalid it tries the
// repairs that legacy metadata needs ("tinycss2>=1.1.0<1.2",
// "aniso8601<=6.0.*", "jupyter-core!=~5.0", "pytz (>dev)") and returns
// what it changed. Strictly valid input comes back with no notes; input
// that no repair fixes fails with Parse's error. Use it only for
// published metadata that cannot be corrected at the source.
func ParseLenient(s string) (Requirement, []string, error) {
	r, err := Parse(s)
	if err == nil {
		return r, nil, nil
	}
	head, tail := s, ""
	if i := strings.IndexByte(s, ';'); i >= 0 {
		head, tail = s[:i], s[i:]
	}
	if strings.Contains(head, "@") {
		return Requirement{}, nil, err
	}
	start := strings.IndexAny(head, "<>=!~")
	if start < 0 {
		return Requirement{}, nil, err
	}
	prefix, spec := head[:start], head[start:]
	var notes []string
	for _, fix := range lenientRepairs {
		// The comma repair must not split the operator that starts the part.
		lead := ""
		body := spec
		if fix.repl == "$1,$2" {
			n := len(spec) - len(strings.TrimLeft(spec, "<>=!~ \t"))
			lead, body = spec[:n], spec[n:]
		}
		fixed := lead + fix.re.ReplaceAllString(body, fix.repl)
		if fixed != spec {
			spec = fixed
			notes = append(notes, fix.note)
		}
	}
	if notes == nil {
		return Requirement{}, nil, err
	}
	r, rerr := Parse(prefix + spec + tail)
	if rerr != nil {
		return Requirement{}, nil, err
	}
	return r, notes, nil
}
