package pubgrub

import (
	"context"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
)

// Provider answers the solver's questions about packages. The solver calls
// it from one goroutine, in a deterministic order; a provider may prefetch in
// the background as long as its answers do not depend on timing.
type Provider interface {
	// Versions returns the candidate versions of pkg, most preferred first.
	// The solver picks the first one inside the allowed range, so the order
	// is the resolution strategy (newest first, locked version first, ...).
	// It is called at most once per package and the answer is kept.
	Versions(ctx context.Context, pkg string) ([]pep440.Version, error)
	// Dependencies returns what version v of pkg needs, or why it cannot be
	// used. It is called at most once per package version.
	Dependencies(ctx context.Context, pkg string, v pep440.Version) (Dependencies, error)
}

// Prioritizer is an optional Provider extension choosing which undecided
// package the solver decides next: the lowest priority wins, ties go to the
// package seen first. Without it every package has priority 0.
type Prioritizer interface {
	Priority(pkg string, allowed pep440.Range) int
}

// Dependencies is a Provider's answer for one package version.
type Dependencies struct {
	// Unavailable, when not empty, says why this version cannot be used;
	// it is phrased to follow the package and version in an explanation
	// ("requires Python>=3.12" reads "a==2.0 requires Python>=3.12").
	// Requires is ignored then.
	Unavailable string
	// Requires lists the packages the version depends on, each with the
	// range of versions it accepts, in a stable order.
	Requires []Dependency
}

// Dependency is one requirement of a package version.
type Dependency struct {
	Package string
	Range   pep440.Range
}

// Decision is one package of a solution.
type Decision struct {
	Package string
	Version pep440.Version
}
