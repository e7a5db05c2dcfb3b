package manifest

import (
	"slices"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// diffContext is the number of unchanged lines shown around a change, as
// diff -u does.
const diffContext = 3

// unifiedDiff returns a unified diff from a to b with the given file labels,
// or "" when their lines are equal (a missing final newline is not a
// difference). The lines are matched by go-difflib, a port of Python's
// difflib: it pairs the longest runs of equal lines first, which keeps the
// blocks of a manifest together where a minimal edit script would
// interleave unrelated lines that happen to be equal. The output is
// deterministic.
func unifiedDiff(fromName, toName, a, b string) string {
	if a == b {
		return ""
	}
	al, bl := diffLines(a), diffLines(b)
	if slices.Equal(al, bl) {
		return ""
	}
	var out strings.Builder
	// Writing to a strings.Builder cannot fail.
	_ = difflib.WriteUnifiedDiff(&out, difflib.UnifiedDiff{A: al, B: bl, FromFile: fromName, ToFile: toName, Context: diffContext})
	return out.String()
}

// diffLines splits s into lines that keep their "\n", as difflib prints
// them; the last line gets one if it lacks it. "" has no lines.
func diffLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if last := len(lines) - 1; lines[last] == "" {
		lines = lines[:last]
	} else {
		lines[last] += "\n"
	}
	return lines
}
