// Package pubgrub is a generic PubGrub version solver: conflict-driven
// search with learned incompatibilities, as described in dart-lang/pub's
// doc/solver.md and the pubgrub-rs guide, over PEP 440 version ranges
// (pep440.Range).
//
// It sits in the middle of the lockfile workflow: lockfile/resolve adapts
// a package index to the Provider interface (which versions a package has,
// what a version depends on, or why it cannot be used) and Solve finds one
// version per package. Packages are plain strings; the resolver models an
// extra as a virtual package "name[extra]" that depends on "name" at the
// same version.
//
// # Algorithm
//
// The solver keeps a partial solution of decisions (package==version) and
// derivations (terms implied by incompatibilities), each at a decision level.
// Unit propagation derives every term that an incompatibility forces; when an
// incompatibility is fully satisfied, conflict resolution applies the
// resolution rule back through the assignments that caused it, learns the
// resulting incompatibility and backjumps to the level where it becomes
// useful. Decision making picks the undecided package with the lowest
// Prioritizer priority (ties: the package seen first) and its first
// candidate, in the provider's order, inside the allowed range; a package
// whose versions were rejected five times because of the
// same decided package is decided before it from then on, and that
// package's decision undone (uv's conflict tracking, which saves long walks
// back through old releases). Dependencies
// shared by neighbouring versions are merged into one incompatibility over a
// range ("a>=2.0, <3.0 depends on b<2"), which both speeds backjumping and
// shortens explanations. Everything is deterministic: the same provider
// answers give the same solution and the same explanation.
//
// # Forks
//
// An EnvProvider answers for environments (an opaque value the provider
// defines) and may split a resolution: Dependencies.Forks gives, for the
// package version being decided, one answer per part of the environments.
// SolveForks copies the solver state for each fork and solves them depth
// first, in the order given, telling a ForkObserver about each solution
// before the next fork resumes (asking VersionsIn again, so the provider
// can prefer what earlier forks chose). This is the forking of uv's
// universal resolver; lockfile/resolve builds it on markers.
//
// # Explanations
//
// A failed solve returns a *NoSolutionError holding the terminal
// incompatibility; Explain renders its derivation tree as sentences, one
// derivation per line, numbering a fact that is used more than once:
//
//	Because a depends on b>=2.0.0, <3.0.0 and foo<1.1.0 depends on a>=1.0.0, <2.0.0, foo<1.1.0 requires b>=2.0.0, <3.0.0.
//	And because foo<1.1.0 depends on b>=1.0.0, <2.0.0, foo<1.1.0 is forbidden. (1)
//
//	Because x depends on y>=2.0.0, <3.0.0 and foo>=1.1.0 depends on x>=1.0.0, <2.0.0, foo>=1.1.0 requires y>=2.0.0, <3.0.0.
//	And because foo>=1.1.0 depends on y>=1.0.0, <2.0.0, foo>=1.1.0 is forbidden.
//	And because foo<1.1.0 is forbidden (1), foo is forbidden.
//	And because root depends on foo>=1.0.0, <2.0.0, version solving failed.
//
// Ranges are written with RangeString (PEP 440 specifier spelling where it
// names the same versions); a package's full range is written as its bare
// name ("a depends on b" means every version of a).
package pubgrub
