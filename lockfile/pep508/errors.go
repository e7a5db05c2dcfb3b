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
	src, start, end := excerpt(e.Source, clamp(e.Start, len(e.Source)), clamp(e.End, len(e.Source)))
	startCol := utf8.RuneCountInString(src[:start])
	endCol := utf8.RuneCountInString(src[:end])
	var b strings.Builder
	b.WriteString("invalid ")
	b.WriteString(e.What)
	b.WriteString(": ")
	b.WriteString(e.Message)
	b.WriteString("\n    ")
	b.WriteString(src)
	b.WriteString("\n    ")
	b.WriteString(strings.Repeat(" ", startCol))
	if endCol > startCol {
		b.WriteString(strings.Repeat("~", endCol-startCol))
	}
	b.WriteString("^")
	return b.String()
}

// maxExcerpt bounds the source an error message shows: a hostile 3 MB
// marker must not become a 3 MB message.
const maxExcerpt = 160

// excerpt cuts a long source to a window around [start, end], marking the
// cuts with "…", and returns the offsets within the window.
func excerpt(src string, start, end int) (string, int, int) {
	if len(src) <= maxExcerpt {
		return src, start, end
	}
	lo := max(start-maxExcerpt/2, 0)
	for lo > 0 && !utf8.RuneStart(src[lo]) {
		lo--
	}
	hi := min(max(end, start)+maxExcerpt/2, len(src))
	for hi < len(src) && !utf8.RuneStart(src[hi]) {
		hi++
	}
	out := src[lo:hi]
	prefix := ""
	if lo > 0 {
		prefix = "…"
	}
	if hi < len(src) {
		out += "…"
	}
	end = min(end, hi)
	return prefix + out, start - lo + len(prefix), end - lo + len(prefix)
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
