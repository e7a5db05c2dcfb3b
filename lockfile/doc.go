// Package lockfile turns a Python service's declared dependencies into a
// pinned, hashed PEP 751 lock file and tells CI when that lock is stale.
//
// The workflow runs through the subpackages, each usable on its own:
//
//   - pep440: versions and specifiers (">=0.110,<1"), the arithmetic
//     everything else compares with;
//   - pep508: requirements and environment markers
//     (`uvicorn[standard]>=0.29; python_version >= "3.11"`);
//   - wheel: wheel file names and install targets
//     ("cp312-manylinux_2_36_x86_64"), which decide which files fit an image;
//   - project: the declared inputs — pyproject.toml, requirements.in files
//     with -r/-c — gathered into project.Inputs with a canonical form and a
//     hash;
//   - simpleapi: the index client (PEP 503/691/658/700), the only part that
//     does network I/O;
//   - resolve: the PubGrub resolver, which picks one version of every
//     package and the best file for the target;
//   - pylock: the pylock.toml format, written byte-stably and atomically.
//
// Lock runs resolve over the inputs and builds a pylock.Lock; Write also
// downloads every locked file through the index client's cache and checks
// its size and hashes (Verify; Options.SkipVerify turns it off), then writes
// the lock atomically, only once it is complete, valid and verified, and
// returns pylock.Hash of the bytes — the content hash manifest stamps into
// pod templates. Before a lock is returned, pylock.Select (the installer's
// selection) runs on it for every target and must give exactly the
// packages and files resolved (a universal lock without targets is tried
// on common images inside its range, where no two entries of a package may
// apply at once): a lock an installer would refuse, or install
// differently, is never written. The same inputs against the same
// index always give the same bytes, whatever the order of the
// requirements.
//
// One lock can serve several images: with several Inputs.Targets the lock
// is universal, each package carrying a marker where it does not apply
// everywhere and a wheel for every target it is installed on; with none, a
// requires-python range (and Inputs.Environments markers) gives a uv-style
// universal lock. Extras and dependency groups the inputs selected are
// written as extras and dependency-groups, and packages only they need
// carry "'dev' in dependency_groups" markers (Project.Selected fills the
// inputs). Options.RequestTimeout and Options.Deadline bound a stalled
// index; the error names the index and the project it was waiting for.
//
// # Freshness
//
// Every lock records its inputs in [tool.pydeploy]: the canonical input
// items ("requires:fastapi>=0.110", "index:https://…",
// "target:cp312-manylinux_2_36_x86_64", "exclude-newer:…"), their hash, the
// target and the exclude-newer cut-off. Check is the cheap offline test a CI
// job runs on every change: equal input hashes mean fresh; otherwise a
// *StaleError lists what changed ("added requirement httpx", "changed index
// …") and which current requirements the locked versions no longer satisfy.
// CheckStrict goes further: it re-resolves with the recorded exclude-newer and
// demands byte-identical output, so a lock that cannot be reproduced from its
// inputs (edited by hand, or an index that rewrote history) is caught too.
// Both work on universal locks: the recorded targets are inputs, and the
// requirements are checked on each of them.
package lockfile
