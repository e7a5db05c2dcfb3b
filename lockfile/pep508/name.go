package pep508

import (
	"fmt"
	"strings"
)

// CanonicalName returns the PEP 503 normalized form of a project name or
// extra name (PEP 685): runs of "-", "_" and "." become a single "-" and the
// result is lower-cased. It never fails; use ValidateName to reject strings
// that are not names at all.
func CanonicalName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for _, r := range name {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		b.WriteRune(r)
	}
	if sep {
		b.WriteByte('-')
	}
	return strings.ToLower(b.String())
}

// NameError reports a string that is not a valid project or extra name.
type NameError struct {
	Name   string // the rejected string
	Reason string // what is wrong with it
}

// Error names the rejected string and the reason.
func (e *NameError) Error() string {
	return fmt.Sprintf("invalid name %q: %s", e.Name, e.Reason)
}

// ValidateName checks name against the PEP 508 name grammar: ASCII letters
// and digits, with ".", "-" and "_" allowed only between them.
func ValidateName(name string) error {
	if name == "" {
		return &NameError{Name: name, Reason: "expected at least one letter or digit, found an empty string"}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case isASCIIAlnum(c):
		case c == '.' || c == '-' || c == '_':
			if i == 0 || i == len(name)-1 {
				return &NameError{Name: name, Reason: fmt.Sprintf("must start and end with a letter or digit, found %q", c)}
			}
		default:
			return &NameError{Name: name, Reason: fmt.Sprintf("expected letters, digits, '.', '-' or '_', found %q at byte %d", c, i)}
		}
	}
	return nil
}

// IsCanonicalName reports whether name is already in PEP 503 normalized form
// (lower-case letters and digits separated by single dashes).
func IsCanonicalName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'):
		case c == '-':
			if i == 0 || i == len(name)-1 || name[i+1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func isASCIIAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
