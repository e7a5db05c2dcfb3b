package pep508

import (
	"slices"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

// Requirement is a parsed PEP 508 dependency specifier.
type Requirement struct {
	// Name is the project name as written; see CanonicalName.
	Name string
	// Extras are the requested extras, PEP 685 normalized, sorted and
	// without duplicates.
	Extras []string
	// Specifiers constrain the version; empty when none were given.
	Specifiers pep440.Specifiers
	// URL is the direct reference after "@", verbatim; empty otherwise.
	URL string
	// Marker restricts the environments the requirement applies to; nil
	// when absent.
	Marker Marker

	// written are the extras as Parse read them (sorted, exact duplicates
	// dropped), which String writes as packaging does while they still
	// normalize to Extras.
	written []string
}

// CanonicalName returns the PEP 503 normalized project name.
func (r Requirement) CanonicalName() string { return CanonicalName(r.Name) }

// String returns the requirement text as pypa/packaging writes it
// (str(Requirement)), e.g. `name[a,b]>=1.0; python_version >= "3.9"` or
// `name @ https://host/x.whl ; extra == "test"`: the name and the extras
// spelled as written (extras sorted), normalized specifiers and marker.
// Extras set by hand rather than by Parse are written as they are.
func (r Requirement) String() string {
	var b strings.Builder
	b.WriteString(r.Name)
	if extras := r.extrasText(); len(extras) > 0 {
		b.WriteByte('[')
		b.WriteString(strings.Join(extras, ","))
		b.WriteByte(']')
	}
	b.WriteString(r.Specifiers.String())
	if r.URL != "" {
		b.WriteString(" @ ")
		b.WriteString(r.URL)
		if r.Marker != nil {
			b.WriteByte(' ')
		}
	}
	if r.Marker != nil {
		b.WriteString("; ")
		b.WriteString(r.Marker.String())
	}
	return b.String()
}

// Equal reports whether two requirements mean the same thing: same
// canonical name, extras, URL and marker, and the same specifier clauses
// once versions are canonicalized ("foo==1.0" equals "foo==1.0.0").
func (r Requirement) Equal(o Requirement) bool {
	return r.CanonicalName() == o.CanonicalName() &&
		slices.Equal(r.Extras, o.Extras) &&
		r.URL == o.URL &&
		Equal(r.Marker, o.Marker) &&
		r.Specifiers.Equal(o.Specifiers)
}

// Normalized returns r with its canonical name and normalized extras, the
// spelling-independent form (String then writes "my-app[web]" for
// "My_App[Web]").
func (r Requirement) Normalized() Requirement {
	r.Name = r.CanonicalName()
	r.written = nil
	return r
}

// extrasText returns the extras String writes: as written when they still
// name Extras, else Extras.
func (r Requirement) extrasText() []string {
	if r.written != nil && slices.Equal(normalizeExtras(r.written), r.Extras) {
		return r.written
	}
	return r.Extras
}

func writtenExtras(extras []string) []string {
	if len(extras) == 0 {
		return nil
	}
	out := slices.Clone(extras)
	slices.Sort(out)
	return slices.Compact(out)
}

func normalizeExtras(extras []string) []string {
	if len(extras) == 0 {
		return nil
	}
	out := make([]string, len(extras))
	for i, e := range extras {
		out[i] = CanonicalName(e)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
