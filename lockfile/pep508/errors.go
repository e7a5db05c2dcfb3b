package pep508

import (
	"strings"
	"unicode/utf8"
)

// SyntaxError reports a requirement or marker string that does not follow
// the PEP 508 grammar. Message uses pypa/packaging's wording and Error
// renders packaging's caret line under the offending span, so messages read
// the same as pip's.
type SyntaxError struct {
	// What is "requirement" or "marker".
	What string
	// Source is the full text that was parsed.
	Source string
	// Message says what was expected, e.g.
	// "Expected package name at the start of dependency specifier".
	Message string
	// Start and End delimit the offending span as byte offsets in Source.
	Start, End int
	// Err is the underlying cause (a pep440 error for a bad specifier), or nil.
	Err error
}

// Error renders the message, the source and a caret line:
//
//	invalid requirement: Expected comma between extra names
//	    name[bar baz]
//	             ^
func (e *SyntaxError) Error() string {
	start := utf8.RuneCountInString(e.Source[:clamp(e.Start, len(e.Source))])
	end := utf8.RuneCountInString(e.Source[:clamp(e.End, len(e.Source))])
	var b strings.Builder
	b.WriteString("invalid ")
	b.WriteString(e.What)
	b.WriteString(": ")
	b.WriteString(e.Message)
	b.WriteString("\n    ")
	b.WriteString(e.Source)
	b.WriteString("\n    ")
	b.WriteString(strings.Repeat(" ", start))
	if end > start {
		b.WriteString(strings.Repeat("~", end-start))
	}
	b.WriteString("^")
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *SyntaxError) Unwrap() error { return e.Err }

func clamp(i, n int) int {
	if i < 0 {
		return 0
	}
	if i > n {
		return n
	}
	return i
}
