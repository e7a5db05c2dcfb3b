package deploy

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Problem is one failed check: the check's ID, the kind and name of the
// object it was found on ("Deployment", "Service", ... or "App" for the
// spec itself) and the field error, whose path is relative to that object.
// Build leaves Name empty for objects named after the app; Validate always
// sets it, except on a problem of the whole set: several objects without a
// namespace are one namespace.unset problem with no Kind or Name, whose
// message names the objects.
type Problem struct {
	Check     CheckID
	Kind      string
	Namespace string
	Name      string
	Err       *field.Error
}

// String renders the problem as one line:
// "Deployment spec.template.spec.containers[0].image: Invalid value: ...: ... [image.latest-tag]",
// with the object's name after the kind ("ConfigMap/settings-7c2h9k4m2t
// data[x]: ...") when Name is set, and no object for a problem of the
// whole set.
func (p Problem) String() string {
	if p.Kind == "" {
		return fmt.Sprintf("%s [%s]", p.Err.Error(), p.Check)
	}
	obj := p.Kind
	if p.Name != "" {
		obj += "/" + p.Name
	}
	return fmt.Sprintf("%s %s [%s]", obj, p.Err.Error(), p.Check)
}

// key identifies a problem for de-duplication.
func (p Problem) key() string {
	return strings.Join([]string{string(p.Check), p.Kind, p.Namespace, p.Name, p.Err.Error()}, "\x00")
}

// ValidationError is returned by Build and Validate when checks fail. It
// holds every error-severity problem found, in a stable order and without
// duplicates, so a caller can fix them all at once, and the warnings found
// alongside. Use errors.As to get at it.
type ValidationError struct {
	App      string // namespace/name of the app; empty from Validate
	Problems []Problem
	Warnings []Problem
}

// Error lists every problem on its own line after a one-line summary.
// Warnings are not listed; they are in Warnings.
func (e *ValidationError) Error() string {
	var b strings.Builder
	if e.App != "" {
		fmt.Fprintf(&b, "app %s: ", e.App)
	}
	fmt.Fprintf(&b, "%d problem(s):", len(e.Problems))
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
