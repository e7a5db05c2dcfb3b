// Package pep508 parses PEP 508 dependency specifiers and evaluates
// environment markers, with the semantics of pypa/packaging (what pip uses).
//
// A requirement such as
//
//	requests[socks] >=2.31, <3 ; python_version >= "3.8" and extra == "http"
//
// parses with Parse into a Requirement: the project name as written (and
// its PEP 503 CanonicalName), the PEP 685-normalized extras, the version
// Specifiers (from package pep440), an optional direct URL and an optional
// Marker. Requirement.String writes the normalized text packaging writes,
// so requirements read from metadata and written to a lock file stay
// byte-stable. Syntax errors are *SyntaxError values whose messages and
// caret lines match packaging's, so a user sees what pip would show.
// ParseLenient additionally repairs the handful of malformed strings that
// old PyPI metadata carries ("tinycss2>=1.1.0<1.2") and says what it changed.
//
// A Marker is a small tree of *Compare, *And and *Or nodes. Evaluate checks
// it against an Environment — the marker variables of one target
// interpreter; wheel.Target.Environment builds one for a container image.
// Version-like variables (python_version, python_full_version,
// implementation_version, platform_release) compare as PEP 440 versions
// when the other side is a valid version clause and as strings otherwise;
// "in" and "not in" are substring tests; "extra" compares after PEP 685
// normalization; and the lock-file set variables "extras" and
// "dependency_groups" (PEP 751) test membership. Comparisons PEP 508 leaves
// undefined evaluate to false, or to an *UndefinedComparisonError with
// EvaluateStrict.
//
// In the lockfile workflow the resolver parses every Requires-Dist of a
// candidate, drops those whose marker does not hold for the target
// (EvaluateExtras handles the extras a parent requested; Mentions tells
// which requirements belong to an extra at all), and writes the remaining
// markers into pylock.toml with String.
package pep508
