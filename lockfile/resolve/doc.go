// Package resolve turns Python requirements into pinned versions for one
// target environment: the resolver step of the lockfile workflow, between
// the index client (lockfile/simpleapi) and the pylock.toml writer.
//
// Resolve takes a Request (root requirements with markers and extras,
// constraints, the project's requires-python, the wheel.Target the lock is
// for, the versions of an existing lock to keep, upgrade choices,
// exclude-newer, the pre-release policy and which distribution kinds are
// allowed) and Options (the Source to read, prefetch parallelism). It runs
// the generic PubGrub solver of lockfile/pubgrub over a provider that reads
// the index and returns a Resolution: every package with its version, the
// file to install (best wheel for the target, else the sdist when allowed)
// with URL, hashes, size and upload time, its resolved dependencies, whether
// it is direct and which extras were requested. Same request and index state,
// same result.
//
// # Rules
//
//   - Candidate files: a release is installable through its best compatible
//     wheel (wheel.Matcher priority); when none fits, through its sdist if
//     Request.AllowSdist (or NoBinary) permits and NoBuild does not. The
//     metadata of a release is read once, from its best wheel (else any
//     wheel, else the sdist): all files of a version are assumed to share
//     one Requires-Dist, as uv assumes. An sdist without a PEP 658 metadata
//     file is read for its PKG-INFO when the Source can download (see
//     Downloader); no build backend is ever run.
//   - Requires-Python: the whole specifier counts for the target's Python,
//     upper bounds included, because every installer refuses a package
//     whose Requires-Python excludes the interpreter (uv ignores upper
//     bounds; pip does not); against Request.RequiresPython only its lower
//     bound counts. A release failing either is unavailable with that
//     reason ("typing==3.10.0.0 requires Python<3.5").
//   - Yanked releases (PEP 592) are selected only when a root requirement
//     or constraint pins them with == or ===.
//   - Pre-releases follow uv's default: admitted for a package when a root
//     requirement or constraint names one, or when it has no final release;
//     PrereleasesAllow and PrereleasesDisallow override.
//   - ExcludeNewer ignores files uploaded after the cut-off and files with
//     no upload time.
//   - Markers are evaluated against Target.Environment(); a dependency on
//     "name[extra]" adds the virtual package "name[extra]", which pins name
//     to the same version and brings the extra's requirements.
//   - Requires-Dist strings that are not valid PEP 508 are repaired with
//     pep508.ParseLenient (uv is lenient; pip would skip the release) and
//     reported in Resolution.Warnings; unrepairable ones make the release
//     unavailable.
//   - Preferences keep locked versions first in the candidate order unless
//     Upgrade or UpgradePackages names them; a locked version that no longer
//     fits is simply not chosen.
//   - Decision order: packages pinned to a single candidate first, then in
//     the order they were first seen, with the root requirements sorted by
//     normalized name first, so that the result depends on the set of
//     requirements, never on the order they were written in (uv breaks
//     ties by declaration order, which lets reordering pyproject.toml
//     change the lock).
//
// While the solver works, the provider prefetches in the background the
// project pages of new dependencies and the metadata of the release each is
// likely to get, bounded by Options.Prefetch, so a resolution mostly waits
// on the slowest chain of requests rather than on every request in turn.
// Releases are built lazily: a project page is grouped by the version in
// each file name, and the file a release would be installed from is picked
// (its wheel tags parsed and matched) only when the solver or a prefetcher
// looks at that version, since most versions of a project never are.
//
// # Explanations
//
// An unsatisfiable request returns a *NoSolutionError whose Explanation
// walks the derivation (see lockfile/pubgrub). With Request.Name "payments":
//
//	Because fastapi depends on pydantic<2 and payments depends on fastapi==0.95, payments requires pydantic<2.
//	And because payments depends on pydantic>=2, version solving failed.
//
// Releases that cannot be used say why: "a>=2.0 requires Python>=3.12",
// "a==2.0 was yanked", "a has no wheel for cp311-manylinux_2_28_x86_64".
//
// Universal (multi-environment, forking) resolution and direct URL
// requirements are not supported.
package resolve
