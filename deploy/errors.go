package deploy

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Problem is one failed check: the check's ID, the kind of object it was found
// on ("Deployment", "Service", ... or "App" for the spec itself) and the
// field error, whose path is relative to that object.
type Problem struct {
	Check CheckID
	Kind  string
	Err   *field.Error
}

// String renders the problem as one line:
// "Deployment spec.template.spec.containers[0].image: Invalid value: ...: ... [image.latest-tag]".
func (p Problem) String() string {
	return fmt.Sprintf("%s %s [%s]", p.Kind, p.Err.Error(), p.Check)
}

// ValidationError is returned by Build when checks fail. It holds every
// problem found, in a stable order, so a caller can fix them all at once.
// Use errors.As to get at it.
type ValidationError struct {
	App      string // namespace/name of the app
	Problems []Problem
}

// Error lists every problem on its own line after a one-line summary.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "app %s: %d problem(s):", e.App, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// ErrorList returns the problems as a field.ErrorList, each Detail suffixed
// with its check ID, for callers that aggregate apimachinery errors.
func (e *ValidationError) ErrorList() field.ErrorList {
	out := make(field.ErrorList, 0, len(e.Problems))
	for _, p := range e.Problems {
		cp := *p.Err
		cp.Detail = strings.TrimSpace(cp.Detail + " [" + string(p.Check) + "]")
		out = append(out, &cp)
	}
	return out
}

// Has reports whether a problem with the given check ID was found.
func (e *ValidationError) Has(id CheckID) bool {
	for _, p := range e.Problems {
		if p.Check == id {
			return true
		}
	}
	return false
}

// Checks returns the check ID of every problem, in order.
func (e *ValidationError) Checks() []CheckID {
	out := make([]CheckID, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.Check
	}
	return out
}
