// Package project reads what a lock is derived from: the declared inputs of
// a Python service. LoadPyProject reads pyproject.toml ([project]
// dependencies, optional-dependencies, requires-python, and PEP 735
// [dependency-groups] with include-group expanded and cycles refused);
// LoadRequirements reads requirements.in-style files with -r includes and
// -c constraint files, ${VAR} environment variables and bare wheel or sdist
// URLs as pip reads them (VCS references and local paths are refused,
// naming the construct). Every requirement is parsed with lockfile/pep508,
// and errors name the file and line (or key and the TOML type expected); a
// pyproject.toml with nothing to lock (no [project], a Poetry project's
// [tool.poetry]) is an error saying what it holds. Project.Selected gives
// the inputs for chosen extras and dependency groups, with what each
// brings in, so the lock can mark what only they need.
//
// Inputs gathers everything that determines a lock — requirements,
// constraints, requires-python, selected extras and groups, index URLs
// (never with credentials), targets and the exclude-newer cut-off. Items
// turns it into sorted canonical "kind:value" strings; InputHash hashes
// them. The top-level lockfile package records both in the lock's
// [tool.pydeploy] table, so that a cheap offline freshness check can compare
// hashes and, when they differ, Diff can say exactly what changed ("added
// requirement httpx>=0.27; changed index …").
package project
