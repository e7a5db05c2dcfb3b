package pylock

import (
	"fmt"
	"strings"
)

// FieldError is one problem with one key of a lock, named by its path
// ("packages[3].wheels[0].hashes").
type FieldError struct {
	// Path is the key path inside the file; empty for the file as a whole.
	Path string
	// Message says what was expected and what was found.
	Message string
}

// Error renders "path: message".
func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// ValidationError lists every problem Validate or Unmarshal found in a lock.
type ValidationError struct {
	Errors []*FieldError
}

// Error lists the problems, one per line after the first.
func (e *ValidationError) Error() string {
	if len(e.Errors) == 1 {
		return "invalid pylock.toml: " + e.Errors[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid pylock.toml: %d problems:", len(e.Errors))
	for _, fe := range e.Errors {
		b.WriteString("\n\t")
		b.WriteString(fe.Error())
	}
	return b.String()
}

// Unwrap returns the individual field errors, so errors.As finds a
// *FieldError.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i, fe := range e.Errors {
		errs[i] = fe
	}
	return errs
}

// UnsupportedVersionError reports a lock-version whose major version this
// package does not understand; PEP 751 requires installers to refuse it.
type UnsupportedVersionError struct {
	Version string
}

// Error names the version and the supported one.
func (e *UnsupportedVersionError) Error() string {
	return fmt.Sprintf("lock-version: pylock version %q is not supported (expected 1.x)", e.Version)
}

// problems collects field errors while walking a lock.
type problems struct {
	errs []*FieldError
}

func (p *problems) add(path, format string, args ...any) {
	p.errs = append(p.errs, &FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return &ValidationError{Errors: p.errs}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}
