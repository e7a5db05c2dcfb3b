package pep440

import (
	"strconv"
	"strings"
)

// Operator is a PEP 440 comparison operator.
type Operator string

// The operators of PEP 440, in the spelling the specification uses.
const (
	OpCompatible     Operator = "~="
	OpEqual          Operator = "=="
	OpNotEqual       Operator = "!="
	OpLessEqual      Operator = "<="
	OpGreaterEqual   Operator = ">="
	OpLess           Operator = "<"
	OpGreater        Operator = ">"
	OpArbitraryEqual Operator = "==="
)

// MaxSpecifierLength is the longest specifier set string, in bytes, that
// ParseSpecifiers and ParseSpecifier accept.
const MaxSpecifierLength = 64 << 10

// Specifier is one clause of a version specifier, such as ">=1.0" or
// "==2.1.*". It is a small comparable value; the == operator compares the
// clause as written (after whitespace removal), Equal compares meaning.
type Specifier struct {
	op       Operator
	text     string  // the version part as written, without surrounding whitespace
	v        Version // parsed version (the prefix for wildcards); zero for an unparsable ===
	bound    Version // for < and >: the first version outside (see bounds.go)
	wildcard bool
}

// InvalidSpecifierError reports a specifier (or specifier set) that does not
// follow PEP 440.
type InvalidSpecifierError struct {
	Specifier string // the rejected input (shortened when very long)
	Reason    string // what was expected and what was found
	Err       error  // the underlying version error, if any
}

// Error quotes the specifier (shortened past 64 bytes, with its length),
// then the reason and the underlying version error, if any.
func (e *InvalidSpecifierError) Error() string {
	msg := "invalid specifier " + strconv.Quote(truncate(e.Specifier)) + ": " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the version error the specifier failed with, or nil.
func (e *InvalidSpecifierError) Unwrap() error { return e.Err }

// ParseSpecifier parses a single clause: an operator, optional whitespace,
// and a version. "==" and "!=" accept a trailing ".*" (prefix match, release
// segment only) and local labels; "~=" needs at least two release
// components; "===" takes any string without whitespace, ";" or ")".
func ParseSpecifier(s string) (Specifier, error) {
	if len(s) > MaxSpecifierLength {
		return Specifier{}, &InvalidSpecifierError{Specifier: s, Reason: "longer than " + strconv.Itoa(MaxSpecifierLength) + " bytes"}
	}
	t := trimSpace(s)
	var op Operator
	for _, cand := range []Operator{OpArbitraryEqual, OpCompatible, OpEqual, OpNotEqual, OpLessEqual, OpGreaterEqual, OpLess, OpGreater} {
		if strings.HasPrefix(t, string(cand)) {
			op = cand
			break
		}
	}
	if op == "" {
		return Specifier{}, &InvalidSpecifierError{Specifier: s, Reason: "expected an operator (~=, ==, !=, <=, >=, <, >, ===) at the start"}
	}
	text := trimSpace(t[len(op):])
	sp, reason, err := newSpecifier(op, text)
	if reason != "" {
		return Specifier{}, &InvalidSpecifierError{Specifier: s, Reason: reason, Err: err}
	}
	return sp, nil
}

func newSpecifier(op Operator, text string) (Specifier, string, error) {
	sp := Specifier{op: op, text: text}
	if op == OpArbitraryEqual {
		if strings.ContainsAny(text, ";)") || strings.IndexFunc(text, isSpace) >= 0 {
			return Specifier{}, "the === version must not contain whitespace, \";\" or \")\"", nil
		}
		if v, err := Parse(text); err == nil {
			sp.v = v
		}
		return sp, "", nil
	}
	if text == "" {
		return Specifier{}, "expected a version after " + string(op), nil
	}
	if strings.IndexFunc(text, isSpace) >= 0 {
		return Specifier{}, "unexpected whitespace inside the version " + strconv.Quote(text), nil
	}
	vtext := text
	if strings.HasSuffix(text, ".*") {
		if op != OpEqual && op != OpNotEqual {
			return Specifier{}, "a \".*\" suffix is only allowed with == and !=", nil
		}
		vtext = text[:len(text)-2]
		sp.wildcard = true
	}
	v, err := Parse(vtext)
	if err != nil {
		return Specifier{}, "the version is not valid", err
	}
	sp.v = v
	switch {
	case sp.wildcard && (v.preKind != 0 || v.flags != 0):
		return Specifier{}, "a \".*\" suffix is not allowed after a pre-, post-, dev-release or local label", nil
	case v.flags&flagLocal != 0 && op != OpEqual && op != OpNotEqual:
		return Specifier{}, "a local version label is only allowed with == and !=", nil
	case op == OpCompatible && v.nrel < 2:
		return Specifier{}, "~= needs at least two release components (e.g. ~=1.4)", nil
	}
	sp.bound = exclusiveBound(op, v)
	return sp, "", nil
}

// MustParseSpecifier is like ParseSpecifier but panics on error; for tests
// and constants.
func MustParseSpecifier(s string) Specifier {
	sp, err := ParseSpecifier(s)
	if err != nil {
		panic(err)
	}
	return sp
}

// Operator returns the clause's operator.
func (s Specifier) Operator() Operator { return s.op }

// Version returns the version part as written, including a ".*" suffix
// ("2.1.*" for "==2.1.*", "lolwat" for "===lolwat").
func (s Specifier) Version() string { return s.text }

// Parsed returns the clause's version as a Version (the prefix for a
// wildcard), and false for a "===" clause whose string is not PEP 440.
func (s Specifier) Parsed() (Version, bool) { return s.v, !s.v.IsZero() }

// IsWildcard reports whether the clause is a prefix match ("==1.2.*").
func (s Specifier) IsWildcard() bool { return s.wildcard }

// String returns the clause without whitespace, e.g. "<2" for "< 2".
func (s Specifier) String() string { return string(s.op) + s.text }

// ImpliesPrereleases reports whether the clause names a pre-release and so
// admits pre-releases by default: true for ">=1.0.dev1" or "<1.0a1", false
// for any "!=" clause, any wildcard and a "===" string that is not PEP 440.
func (s Specifier) ImpliesPrereleases() bool {
	if s.op == OpNotEqual || s.wildcard || s.v.IsZero() {
		return false
	}
	return s.v.IsPrerelease()
}

// canonical is the key two equal clauses share: trailing zeros are ignored
// except for ~= (where they change the meaning), wildcards and === are kept
// verbatim.
func (s Specifier) canonical() string {
	if s.op == OpArbitraryEqual || s.wildcard {
		return string(s.op) + s.text
	}
	if s.op == OpCompatible {
		return string(s.op) + s.v.String()
	}
	return string(s.op) + Canonicalize(s.v.String())
}

// Equal reports whether two clauses mean the same: "==1.2.3" equals
// "== 1.2.3.0"; "~=1.0" does not equal "~=1.0.0".
func (s Specifier) Equal(o Specifier) bool { return s.canonical() == o.canonical() }

// Contains reports whether v satisfies the clause under the default
// pre-release policy (see Specifiers.Contains).
func (s Specifier) Contains(v Version) bool { return NewSpecifiers(s).Contains(v) }

// matches applies the clause to a version, ignoring pre-release policy.
// raw is the candidate as a string (used by ===); parsed may be zero when
// raw is not a PEP 440 version.
func (s Specifier) matches(raw string, parsed Version) bool {
	if s.op == OpArbitraryEqual {
		return arbitraryEqual(raw, s.text)
	}
	if parsed.IsZero() {
		return false
	}
	return s.matchVersion(parsed)
}

// arbitraryEqual is "===": packaging compares str(version).lower() with
// str(spec).lower(). Lower-casing both sides is that comparison;
// strings.EqualFold is not (it equates "σ" with "ς", which lower() keeps
// apart).
func arbitraryEqual(a, b string) bool {
	return strings.ToLower(a) == strings.ToLower(b) //nolint:staticcheck // SA6005: EqualFold differs from Python's lower(), see above
}

// matchVersion applies a non-=== clause to v directly, without building a
// Range; Range is tested against it.
func (s Specifier) matchVersion(v Version) bool {
	switch s.op {
	case OpGreaterEqual:
		return v.Compare(s.v) >= 0
	case OpLessEqual:
		return withoutLocal(v).Compare(s.v) <= 0
	case OpEqual:
		return s.equalMatch(v)
	case OpNotEqual:
		return !s.equalMatch(v)
	case OpCompatible:
		return v.Compare(s.v) >= 0 && prefixMatch(v, s.v, int(s.v.nrel)-1)
	case OpLess:
		return v.Compare(s.bound) < 0
	case OpGreater:
		if s.bound.IsZero() {
			return compareRelease(v, s.v) > 0
		}
		return v.Compare(s.bound) >= 0
	case OpArbitraryEqual:
		return arbitraryEqual(v.String(), s.text)
	}
	return false
}

func (s Specifier) equalMatch(v Version) bool {
	switch {
	case s.wildcard:
		return prefixMatch(v, s.v, int(s.v.nrel))
	case s.v.flags&flagLocal != 0:
		return v.Compare(s.v) == 0
	}
	return withoutLocal(v).Compare(s.v) == 0
}
