// Package testindex is a Python package index for tests: a Simple API
// server on 127.0.0.1 built from an in-memory Index, so lockfile's index
// client and resolver (and pip, as a peer oracle) run against a real HTTP
// server without the network.
//
// An Index holds projects, versions and their metadata; files are
// generated from it deterministically: wheels are valid zips with
// <name>-<version>.dist-info/METADATA, WHEEL and RECORD (sha256 of every
// entry) and a small module, sdists are .tar.gz files with PKG-INFO, so
// hashes never change between runs and pip can resolve against the index.
// Indexes come from:
//
//   - New and Add, for hand-written cases;
//   - FromPackse, for any packse scenario in ../shared/testdata/packse;
//   - FromPyPI, for the real PyPI metadata in ../shared/testdata/pypi (one
//     of its root sets), synthesizing the projects that fixture references
//     but lacks (Index.Synthesized lists them);
//   - Generated, for shapes the real data lacks: yanked files, platform
//     wheels (manylinux, musllinux, macOS, Windows, abi3), a project with
//     thousands of versions, a file without upload time.
//
// The Server answers /simple/ and /simple/<project>/ as PEP 691 JSON or
// PEP 503 HTML by content negotiation (Accept with q-values, or ?format=),
// redirects non-normalized names like PyPI, serves files and PEP 658
// metadata files under /files/, sends ETag and Cache-Control and answers
// If-None-Match with 304. Faults are injected per path pattern: delays,
// 5xx for the first N requests, truncated bodies, wrong advertised hashes
// and missing metadata files. A request log, counters and the maximum
// number of concurrent requests let tests assert caching and parallelism.
package testindex
