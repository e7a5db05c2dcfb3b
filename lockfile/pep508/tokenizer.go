package pep508

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// scanner is a context-sensitive tokenizer over a requirement or marker
// string: the parser asks for the token kind it expects at the current
// position, as pypa/packaging's tokenizer does, so error spans match.
type scanner struct {
	src   string
	pos   int
	what  string // "requirement" or "marker", for errors
	depth int    // parentheses open around the marker being parsed
}

func (s *scanner) errorf(start, end int, msg string) *SyntaxError {
	return &SyntaxError{What: s.what, Source: s.src, Message: msg, Start: start, End: end}
}

func (s *scanner) errAt(msg string) *SyntaxError { return s.errorf(s.pos, s.pos, msg) }

func (s *scanner) rest() string { return s.src[s.pos:] }

func (s *scanner) atEnd() bool { return s.pos == len(s.src) }

// ws consumes [ \t]* and reports whether anything was consumed.
func (s *scanner) ws() bool {
	start := s.pos
	for s.pos < len(s.src) && (s.src[s.pos] == ' ' || s.src[s.pos] == '\t') {
		s.pos++
	}
	return s.pos > start
}

// char consumes c if it is next.
func (s *scanner) char(c byte) bool {
	if s.pos < len(s.src) && s.src[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

func (s *scanner) peekChar(c byte) bool {
	return s.pos < len(s.src) && s.src[s.pos] == c
}

// isWordRune reports whether r is a regular-expression word character in
// Python's Unicode sense.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// boundaryAt reports whether a \b word boundary holds at byte offset i.
func (s *scanner) boundaryAt(i int) bool {
	before, after := false, false
	if i > 0 {
		r, _ := utf8.DecodeLastRuneInString(s.src[:i])
		before = isWordRune(r)
	}
	if i < len(s.src) {
		r, _ := utf8.DecodeRuneInString(s.src[i:])
		after = isWordRune(r)
	}
	return before != after
}

// word matches one of words at the current position, bounded by \b on both
// sides, without consuming it.
func (s *scanner) peekWord(words ...string) string {
	if !s.boundaryAt(s.pos) {
		return ""
	}
	r := s.rest()
	for _, w := range words {
		if strings.HasPrefix(r, w) && s.boundaryAt(s.pos+len(w)) {
			return w
		}
	}
	return ""
}

// identifier matches \b[a-zA-Z0-9][a-zA-Z0-9._-]*\b and consumes it.
func (s *scanner) identifier() (string, bool) {
	if s.pos >= len(s.src) || !isASCIIAlnum(s.src[s.pos]) || !s.boundaryAt(s.pos) {
		return "", false
	}
	end := s.pos + 1
	for end < len(s.src) && (isASCIIAlnum(s.src[end]) || s.src[end] == '.' || s.src[end] == '-' || s.src[end] == '_') {
		end++
	}
	// Backtrack to the longest prefix that ends on a word boundary.
	for ; end > s.pos; end-- {
		if s.boundaryAt(end) {
			id := s.src[s.pos:end]
			s.pos = end
			return id, true
		}
	}
	return "", false
}

// markerVariables lists the spellings the grammar accepts, each with its
// canonical variable. Longer spellings that share a prefix come first.
var markerVariables = []struct {
	spelling string
	v        Variable
}{
	{"python_version", VarPythonVersion},
	{"python_full_version", VarPythonFullVersion},
	{"os_name", VarOSName},
	{"os.name", VarOSName},
	{"sys_platform", VarSysPlatform},
	{"sys.platform", VarSysPlatform},
	{"platform_release", VarPlatformRelease},
	{"platform_system", VarPlatformSystem},
	{"platform_version", VarPlatformVersion},
	{"platform.version", VarPlatformVersion},
	{"platform_machine", VarPlatformMachine},
	{"platform.machine", VarPlatformMachine},
	{"platform_python_implementation", VarPlatformPythonImplementation},
	{"platform.python_implementation", VarPlatformPythonImplementation},
	{"python_implementation", VarPlatformPythonImplementation},
	{"implementation_name", VarImplementationName},
	{"implementation_version", VarImplementationVersion},
	{"extras", VarExtras},
	{"extra", VarExtra},
	{"dependency_groups", VarDependencyGroups},
}

// variable matches a marker variable and consumes it.
func (s *scanner) variable() (Variable, bool) {
	if !s.boundaryAt(s.pos) {
		return "", false
	}
	r := s.rest()
	for _, mv := range markerVariables {
		if strings.HasPrefix(r, mv.spelling) && s.boundaryAt(s.pos+len(mv.spelling)) {
			s.pos += len(mv.spelling)
			return mv.v, true
		}
	}
	return "", false
}

// quoted matches '[^']*' or "[^"]*" and consumes it; it returns the token
// (with quotes).
func (s *scanner) quoted() (string, bool) {
	if s.pos >= len(s.src) {
		return "", false
	}
	q := s.src[s.pos]
	if q != '\'' && q != '"' {
		return "", false
	}
	i := strings.IndexByte(s.src[s.pos+1:], q)
	if i < 0 {
		return "", false
	}
	tok := s.src[s.pos : s.pos+i+2]
	s.pos += len(tok)
	return tok, true
}

var markerOps = []string{"===", "==", "~=", "!=", "<=", ">=", "<", ">"}

// op matches a comparison operator and consumes it.
func (s *scanner) op() (string, bool) {
	r := s.rest()
	for _, o := range markerOps {
		if strings.HasPrefix(r, o) {
			s.pos += len(o)
			return o, true
		}
	}
	return "", false
}

// Version parts of packaging's specifier regular expression, split per
// operator because Go's regexp has no look-behind.
const (
	rePre   = `(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?`
	rePost  = `(?:(?:-[0-9]+)|(?:[-_.]?(?:post|rev|r)[-_.]?[0-9]*))?`
	reDev   = `(?:[-_.]?dev[-_.]?[0-9]*)?`
	reLocal = `(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`
	reHead  = `\s*v?(?:[0-9]+!)?[0-9]+`
)

var (
	specArbitrary  = regexp.MustCompile(`^\s*[^\s;)]*`)
	specEquality   = regexp.MustCompile(`(?i)^` + reHead + `(?:\.[0-9]+)*(?:\.\*|` + rePre + rePost + reDev + reLocal + `)?`)
	specCompatible = regexp.MustCompile(`(?i)^` + reHead + `(?:\.[0-9]+)+` + rePre + rePost + reDev)
	specOrdered    = regexp.MustCompile(`(?i)^` + reHead + `(?:\.[0-9]+)*` + rePre + rePost + reDev)
	localTrail     = regexp.MustCompile(`^\+[a-z0-9]+(?:[-_.][a-z0-9]+)*`)
)

// specOps lists specifier operators in the order packaging's regular
// expression tries them.
var specOps = []string{"~=", "==", "!=", "<=", ">=", "<", ">", "==="}

// specifier matches one version clause (operator, optional whitespace,
// version) and consumes it. It returns the operator and the version text
// without the whitespace.
func (s *scanner) specifier() (op, version string, ok bool) {
	r := s.rest()
	for _, o := range specOps {
		if !strings.HasPrefix(r, o) {
			continue
		}
		var re *regexp.Regexp
		switch o {
		case "===":
			re = specArbitrary
		case "==", "!=":
			re = specEquality
		case "~=":
			re = specCompatible
		default:
			re = specOrdered
		}
		loc := re.FindStringIndex(r[len(o):])
		if loc == nil {
			continue
		}
		n := len(o) + loc[1]
		version = strings.TrimLeftFunc(r[len(o):n], unicode.IsSpace)
		s.pos += n
		return o, version, true
	}
	return "", "", false
}

// url matches [^ \t]+ and consumes it.
func (s *scanner) url() (string, bool) {
	end := s.pos
	for end < len(s.src) && s.src[end] != ' ' && s.src[end] != '\t' {
		end++
	}
	if end == s.pos {
		return "", false
	}
	u := s.src[s.pos:end]
	s.pos = end
	return u, true
}
