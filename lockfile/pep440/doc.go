// Package pep440 implements Python package versions and version specifiers
// as PEP 440 (the PyPA "Version specifiers" specification) defines them,
// with the behaviour of pypa/packaging, the reference implementation, and
// the set algebra a dependency resolver needs.
//
// It sits at the bottom of the lockfile workflow: requirement parsing
// (lockfile/pep508), the index client and the resolver all compare and
// filter versions through this package. It does no I/O.
//
// # Versions
//
// Parse accepts every spelling PEP 440 allows (epochs "1!2.0", pre-releases
// "1.0a1"/"1.0-alpha.1"/"1.0c1", post-releases "1.0.post1"/"1.0-1"/"1.0r1",
// dev releases, local labels "+ubuntu.1", a leading "v", any case and
// surrounding whitespace) and normalizes them: String returns the canonical
// spelling. Compare is the total order of PEP 440: epoch, release with
// trailing zeros ignored (1.0 == 1.0.0), then dev < a < b < rc < final <
// post, and a local label sorts after the same public version. A Version is
// an immutable value that is cheap to copy; Key gives a map key that is
// equal exactly for PEP 440-equal versions.
//
// Numeric components have arbitrary precision, as in PEP 440 and
// packaging: "1.18446744073709551616" (2^64) parses, prints and compares
// exactly (the int accessors clamp at MaxComponent). Input longer than
// MaxVersionLength is rejected before any other work, so hostile metadata
// (a 5000-digit component) fails fast.
//
// # Specifiers
//
// ParseSpecifiers parses a comma-separated set such as ">=1.0,!=1.3.*,<2".
// Every operator is supported with its PEP 440 rules: "==1.*" prefix
// matching with zero padding (2 matches ==2.0.*), "~=" compatible release,
// "<V" excluding pre-releases of V, ">V" excluding post-releases and local
// versions of V, "==V"/"!=V"/"<=V" ignoring the candidate's local label when
// V has none, and "===" arbitrary (case-insensitive string) equality.
//
// Pre-releases follow packaging's tri-state policy. By default a clause that
// names a pre-release (">=2.0b1") admits pre-releases; otherwise Filter
// drops pre-releases unless no final release matches, and Contains, which
// judges a single candidate, admits a matching pre-release (the candidate is
// then "the only available version"). WithPrereleases forces the policy on
// or off; ContainsWith can also say the candidate is already installed.
//
// # Ranges
//
// Range is the set algebra under the specifiers: a union of disjoint
// intervals over all versions (pre-releases included) with Intersect, Union,
// Complement, IsSubset and IsDisjoint. FromSpecifiers turns a specifier set
// into the exact set of versions it admits; the resolver applies the
// pre-release policy separately. ">1.0" is modelled with a bound that lies
// past every 1.0.postN (there is no smallest version after them), so
// ">1.0,<=1.0.post1" is correctly empty.
package pep440
