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
// Marker. Requirement.String writes the text packaging's str() writes (the
// name and extras as spelled, sorted extras, normalized specifiers and
// marker), so requirements read from metadata and written to a lock file
// stay byte-stable; Normalized gives the spelling-independent form. Syntax
// errors are *SyntaxError values whose messages and caret lines match
// packaging's, so a user sees what pip would show.
// ParseLenient additionally repairs the handful of malformed strings that
// old PyPI metadata carries ("tinycss2>=1.1.0<1.2") and says what it changed.
//
// A Marker is a small tree of *Compare, *And and *Or nodes. Evaluate checks
// it against an Environment — the marker variables of one target
// interpreter; wheel.Target.Environment builds one for a container image.
// Evaluation follows the marker field types of the current dependency
// specifiers text: Version fields (python_version, python_full_version,
// implementation_version) and "Version | String" fields (platform_release,
// platform_version) compare as PEP 440 versions when both sides are
// versions (platform_version >= "10.0" holds for "10.0.19045") and as
// strings otherwise; on strings ">=" and "<=" mean "==" and ">" and "<" are
// false; "in" and "not in" are substring tests; "extra" knows only "==" and
// "!=", after PEP 685 normalization (any other comparison is false); and the
// lock-file set variables "extras" and "dependency_groups" (PEP 751) test
// membership. Comparisons the text leaves undefined evaluate to false, or
// to an *UndefinedComparisonError with EvaluateStrict.
//
// Parsing is bounded: strings longer than MaxLength and markers nesting
// parentheses deeper than MaxNesting are *SyntaxErrors (whose message quotes
// an excerpt of long input), so hostile metadata cannot exhaust the stack.
//
// In the lockfile workflow the resolver parses every Requires-Dist of a
// candidate, drops those whose marker does not hold for the target
// (EvaluateExtras handles the extras a parent requested; Mentions tells
// which requirements belong to an extra at all), and writes the remaining
// markers into pylock.toml with String.
package pep508
