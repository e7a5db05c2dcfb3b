// Package resolve turns Python requirements into pinned versions for one
// target environment, or for many at once (a universal resolution): the
// resolver step of the lockfile workflow, between the index client
// (lockfile/simpleapi) and the pylock.toml writer.
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
// # Universal resolution
//
// Request.Targets asks for one set of pins for several images (CPython
// 3.11 and 3.12 on manylinux x86_64 and aarch64, say); Request.Universal
// for every environment a requires-python range admits (below Python 4),
// optionally narrowed by environment markers, as uv lock does. The
// resolver forks as uv's does (crates/uv-resolver, resolver/mod.rs):
//
//   - a package version whose requirements name one package under
//     conflicting markers ("numpy<1.26; python_version < '3.12'" and
//     "numpy>=1.26; python_version >= '3.12'") splits the environments by
//     those markers; each fork continues from the same state (pubgrub
//     SolveForks) with its own requirements, and a single requirement
//     with a marker never splits, it applies wherever its marker may hold;
//   - a release whose Requires-Python admits only some of a fork's
//     Python versions splits the fork there (older Pythons keep an older
//     release), and, for targets, a release with no file for some targets
//     where the package is needed splits those targets off;
//   - forks are solved higher Python first, and each solved fork's
//     versions are preferred by the forks after it, so forks agree where
//     they can.
//
// Markers are handled as sets of environments: with targets every question
// is answered exactly by evaluating on each target; otherwise by a marker
// algebra (python_version rewritten onto python_full_version ranges, value
// sets per string variable, uv's known-incompatible os_name / sys_platform
// / platform_system pairs). The Resolution has one Package per (name,
// version) with a Marker saying where it applies (simplified within the
// environments: "platform_machine == 'x86_64'", not a list of targets),
// the files each target installs (or every wheel that may fit where the
// package applies), and per target the exact installation (Installs),
// which lockfile checks with pylock.Select. Targets that no marker tells
// apart (glibc and musl on one architecture) get the same versions.
//
// Conflict tracking (pubgrub) applies in every resolution: a package whose
// versions keep being rejected because of one decided package is decided
// before it, as uv does.
//
// # Where the answer is not packse's or uv's
//
// All 148 packse scenarios run in lockfile's tests (TestPackse,
// TestPackseUniversal); two universal ones deliberately differ:
//
//   - preferences-dependent-forking-conflicting: packse expects
//     "unsatisfiable", but that expectation describes a resolver that does
//     not fork there. Forking on cleaver 1.0.0's conflicting markers gives
//     a lock whose install is consistent in every environment (foo 1.0.0
//     with bar 2.0.0 on Linux, bar 1.0.0 with foo 2.0.0 elsewhere); uv
//     (commit 26a9dd4b) resolves it too, and so does this resolver:
//     refusing a lock that installs everywhere would be a false alarm.
//   - wrong-backtracking-indirect: uv locks a 2.0.0 with b-inner 1.0.0
//     and too-old, backtracking through every b-inner 2.0.x
//     (astral-sh/uv#12060, noted in the scenario). This resolver's conflict
//     tracking decides b-inner before a once a keeps rejecting it, and
//     locks the answer the scenario intends: a 1.0.0, b 1.0.0,
//     b-inner 2.0.9.
//
// Direct references (name @ URL) are refused with an error naming the
// requirement: a lock resolves packages from indexes.
package resolve
