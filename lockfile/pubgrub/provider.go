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
	// Forks, when not empty (only from an EnvProvider), splits the
	// resolution: each fork continues from the current state on its own,
	// with its own Env and its own answer for this package version
	// (Requires or Unavailable). Requires and Unavailable above are
	// ignored then. Forks are solved in the order given.
	Forks []Fork
}

// Fork is one part of a split resolution: the environments it covers, in
// the provider's terms, and the answer for the package version that split
// it within those environments.
type Fork struct {
	Env         any
	Requires    []Dependency
	Unavailable string
}

// EnvProvider is a Provider for a universal resolution, one that must hold
// in a set of environments (platforms, Python versions) at once. Its
// answers depend on the environments of the fork asking (Env, as given to
// SolveForks or in a Fork), and it may split the resolution where the
// environments need different versions (Dependencies.Forks), as uv's
// forking resolver does. The plain Provider methods are used for nothing
// else.
type EnvProvider interface {
	Provider
	// VersionsIn is Versions within env. It is asked again when a fork
	// resumes after another fork was solved, so it may prefer the
	// versions solved forks chose (see ForkObserver).
	VersionsIn(ctx context.Context, env any, pkg string) ([]pep440.Version, error)
	// DependenciesIn is Dependencies within env; state shows the
	// decisions of the fork so far (for instance, to find out which
	// packages need this one).
	DependenciesIn(ctx context.Context, env any, state State, pkg string, v pep440.Version) (Dependencies, error)
}

// State is a fork's partial solution, as an EnvProvider may look at it.
type State interface {
	// Decisions returns the packages decided so far, in decision order.
	Decisions() []Decision
}

// ForkObserver is an optional EnvProvider extension told about every fork
// solved, before the next one starts.
type ForkObserver interface {
	Solved(env any, decisions []Decision)
}

// Solution is the outcome of one fork of a universal resolution.
type Solution struct {
	Env       any
	Decisions []Decision
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
