package pep440

import (
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Specifiers is a version specifier set: comma-separated clauses that must
// all hold, as in a requirement (">=1.0,!=1.3.*,<2"). The empty set admits
// every version. A Specifiers also carries a pre-release policy (see
// WithPrereleases). The zero value is the empty set with the default policy.
type Specifiers struct {
	specs []Specifier
	pre   *bool // explicit pre-release policy; nil = default
}

// ParseSpecifiers parses a comma-separated specifier set. Whitespace around
// clauses is ignored and empty clauses are skipped, so "" is the empty set
// and ">=1.0," is ">=1.0". The error is an *InvalidSpecifierError naming the
// clause at fault.
func ParseSpecifiers(s string) (Specifiers, error) {
	if len(s) > MaxSpecifierLength {
		return Specifiers{}, &InvalidSpecifierError{Specifier: s, Reason: "longer than " + strconv.Itoa(MaxSpecifierLength) + " bytes"}
	}
	var out Specifiers
	for part := range strings.SplitSeq(s, ",") {
		part = trimSpace(part)
		if part == "" {
			continue
		}
		sp, err := ParseSpecifier(part)
		if err != nil {
			return Specifiers{}, err
		}
		out.specs = append(out.specs, sp)
	}
	return out, nil
}

// MustParseSpecifiers is like ParseSpecifiers but panics on error; for tests
// and constants.
func MustParseSpecifiers(s string) Specifiers {
	out, err := ParseSpecifiers(s)
	if err != nil {
		panic(err)
	}
	return out
}

// NewSpecifiers returns the set of the given clauses, default policy.
func NewSpecifiers(specs ...Specifier) Specifiers {
	return Specifiers{specs: slices.Clone(specs)}
}

// Len returns the number of clauses.
func (s Specifiers) Len() int { return len(s.specs) }

// All returns the clauses in the order they were given (a fresh slice).
func (s Specifiers) All() []Specifier { return slices.Clone(s.specs) }

// canonicalSpecs sorts clauses by their string and drops clauses equal to
// an earlier one, as packaging does for String and equality.
func (s Specifiers) canonicalSpecs() []Specifier {
	sorted := slices.Clone(s.specs)
	slices.SortStableFunc(sorted, func(a, b Specifier) int { return strings.Compare(a.String(), b.String()) })
	seen := make(map[string]bool, len(sorted))
	out := sorted[:0]
	for _, sp := range sorted {
		k := sp.canonical()
		if !seen[k] {
			seen[k] = true
			out = append(out, sp)
		}
	}
	return out
}

// String returns the clauses without whitespace, sorted, duplicates
// removed, joined by "," ("!=2.0,>1.0"). The pre-release policy is not part
// of the string.
func (s Specifiers) String() string {
	var b strings.Builder
	for i, sp := range s.canonicalSpecs() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(sp.String())
	}
	return b.String()
}

// Equal reports whether both sets have the same clauses, compared with
// Specifier.Equal after sorting; the pre-release policy is ignored.
func (s Specifiers) Equal(o Specifiers) bool {
	a, b := s.canonicalSpecs(), o.canonicalSpecs()
	return slices.EqualFunc(a, b, Specifier.Equal)
}

// ErrConflictingPrereleases is returned by And when one set forces
// pre-releases on and the other forces them off.
var ErrConflictingPrereleases = errors.New("cannot combine specifier sets that force pre-releases on and off")

// And returns the set holding the clauses of both. The pre-release policy is
// the one both share, or the one that is set when only one is.
func (s Specifiers) And(o Specifiers) (Specifiers, error) {
	out := Specifiers{specs: slices.Concat(s.specs, o.specs)}
	switch {
	case s.pre == nil:
		out.pre = o.pre
	case o.pre == nil || *o.pre == *s.pre:
		out.pre = s.pre
	default:
		return Specifiers{}, ErrConflictingPrereleases
	}
	return out, nil
}

// WithPrereleases returns a copy of s that admits (true) or rejects (false)
// pre-releases regardless of what its clauses name.
func (s Specifiers) WithPrereleases(allow bool) Specifiers {
	return s.WithPrereleasePolicy(&allow)
}

// WithPrereleasePolicy returns a copy of s with the policy set: nil restores
// the default (pre-releases admitted when a clause names one, or when nothing
// else matches), a pointer forces them on or off.
func (s Specifiers) WithPrereleasePolicy(policy *bool) Specifiers {
	if policy != nil {
		p := *policy
		policy = &p
	}
	return Specifiers{specs: s.specs, pre: policy}
}

// Prereleases returns the effective policy: the forced value if one was set,
// otherwise true when a clause names a pre-release (">=1.0b1"), otherwise
// nil (the default: pre-releases only when nothing else matches).
func (s Specifiers) Prereleases() *bool {
	if s.pre != nil {
		p := *s.pre
		return &p
	}
	for _, sp := range s.specs {
		if sp.ImpliesPrereleases() {
			t := true
			return &t
		}
	}
	return nil
}

func (s Specifiers) hasArbitrary() bool {
	for _, sp := range s.specs {
		if sp.op == OpArbitraryEqual {
			return true
		}
	}
	return false
}

// Contains reports whether v satisfies every clause, with the default
// policy. As in pypa/packaging (and PEP 440's "unless ... the only available
// version that satisfies the version specifier is a pre-release"), a single
// candidate is judged on its own: a pre-release that satisfies the clauses
// is contained unless pre-releases were forced off with WithPrereleases.
// To choose among several candidates with PEP 440's preference for final
// releases, use Filter.
func (s Specifiers) Contains(v Version) bool { return s.ContainsWith(v, nil, false) }

// ContainsWith is Contains with a per-call policy: prereleases non-nil
// overrides the set's own; installed true says v is already installed, which
// admits it even when it is a pre-release and pre-releases are off.
func (s Specifiers) ContainsWith(v Version, prereleases *bool, installed bool) bool {
	return s.contains(v.String(), v, prereleases, installed)
}

// ContainsString is Contains for a version string: it is parsed for the
// ordinary clauses, while "===" clauses compare it as written
// (case-insensitively). A string that is not PEP 440 satisfies only
// "===" clauses that spell it, or the empty set.
func (s Specifiers) ContainsString(v string) bool { return s.ContainsStringWith(v, nil, false) }

// ContainsStringWith is ContainsString with the options of ContainsWith.
func (s Specifiers) ContainsStringWith(v string, prereleases *bool, installed bool) bool {
	parsed, _ := Parse(v)
	return s.contains(v, parsed, prereleases, installed)
}

func (s Specifiers) contains(raw string, parsed Version, prereleases *bool, installed bool) bool {
	if !parsed.IsZero() && installed && parsed.IsPrerelease() {
		t := true
		prereleases = &t
	}
	if prereleases == nil {
		prereleases = s.pre
	}
	if !parsed.IsZero() && parsed.IsPrerelease() && prereleases != nil && !*prereleases {
		return false
	}
	for _, sp := range s.specs {
		if !sp.matches(raw, parsed) {
			return false
		}
	}
	return true
}

// Filter returns the versions that satisfy s, in input order. prereleases
// nil uses the set's policy (Prereleases); when that is nil too, PEP 440's
// default applies: pre-releases are dropped unless no final release
// matches, in which case the matching pre-releases are returned.
func (s Specifiers) Filter(versions []Version, prereleases *bool) []Version {
	raw := make([]string, len(versions))
	for i, v := range versions {
		raw[i] = v.String()
	}
	keep := s.filter(raw, versions, prereleases)
	out := make([]Version, 0, len(keep))
	for _, i := range keep {
		out = append(out, versions[i])
	}
	return out
}

// FilterStrings is Filter for version strings, kept as written; "==="
// clauses compare them verbatim, and strings that are not PEP 440 are kept
// only by "===" clauses that spell them or by the empty set.
func (s Specifiers) FilterStrings(versions []string, prereleases *bool) []string {
	parsed := make([]Version, len(versions))
	for i, v := range versions {
		parsed[i], _ = Parse(v)
	}
	keep := s.filter(versions, parsed, prereleases)
	out := make([]string, 0, len(keep))
	for _, i := range keep {
		out = append(out, versions[i])
	}
	return out
}

// filter returns the indexes kept.
func (s Specifiers) filter(raw []string, parsed []Version, prereleases *bool) []int {
	if prereleases == nil {
		prereleases = s.Prereleases()
	}
	var matched []int
	for i := range raw {
		if len(s.specs) == 0 {
			matched = append(matched, i)
			continue
		}
		ok := true
		for _, sp := range s.specs {
			if !sp.matches(raw[i], parsed[i]) {
				ok = false
				break
			}
		}
		if ok {
			matched = append(matched, i)
		}
	}
	isPre := func(i int) bool { return !parsed[i].IsZero() && parsed[i].IsPrerelease() }
	switch {
	case prereleases != nil && *prereleases:
		return matched
	case prereleases != nil:
		return slices.DeleteFunc(matched, isPre)
	}
	// Default policy: finals (and strings that are not versions, which
	// cannot be judged) win; pre-releases only when nothing else matched.
	finals := slices.DeleteFunc(slices.Clone(matched), isPre)
	for _, i := range finals {
		if !parsed[i].IsZero() {
			return finals
		}
	}
	return matched
}

// IsUnsatisfiable reports whether no version (or, for "===", no string) can
// satisfy every clause under the set's policy: the clauses' ranges do not
// meet, "===" clauses disagree with each other or with the other clauses,
// or pre-releases are forced off and only pre-releases remain.
func (s Specifiers) IsUnsatisfiable() bool {
	if len(s.specs) == 0 {
		return false
	}
	r := FullRange()
	for _, sp := range s.specs {
		if sp.op != OpArbitraryEqual {
			r = r.Intersect(sp.Range())
		}
	}
	if r.IsEmpty() || s.arbitraryUnsatisfiable() {
		return true
	}
	pol := s.Prereleases()
	return pol != nil && !*pol && !r.HasFinal()
}

// arbitraryUnsatisfiable checks "===" clauses: the only string they admit is
// their own (case-insensitively), so they must agree, and that string must
// satisfy every other clause.
func (s Specifiers) arbitraryUnsatisfiable() bool {
	var want string
	found := false
	for _, sp := range s.specs {
		if sp.op != OpArbitraryEqual {
			continue
		}
		if l := strings.ToLower(sp.text); !found {
			want, found = l, true
		} else if l != want {
			return true
		}
	}
	if !found {
		return false
	}
	cand, _ := Parse(want)
	if pol := s.Prereleases(); pol != nil && !*pol && !cand.IsZero() && cand.IsPrerelease() {
		return true
	}
	for _, sp := range s.specs {
		if sp.op != OpArbitraryEqual && (cand.IsZero() || !sp.matchVersion(cand)) {
			return true
		}
	}
	return false
}
