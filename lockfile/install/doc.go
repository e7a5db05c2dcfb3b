// Package install is the third phase of pydeploy's workflow: it turns a
// pylock.toml into an isolated Python environment, and into a requirements
// file for teams whose Dockerfile runs pip.
//
// Install narrows a lock to one target with the lock's own installation
// algorithm (pylock.Select: environments, requires-python, markers, the
// best wheel by tag) and writes a virtual environment for that target's
// interpreter: bin/ with the interpreter links python -m venv makes and
// the entry-point launchers, lib/pythonX.Y/site-packages, include/,
// lib64 -> lib and pyvenv.cfg. Wheels are downloaded in parallel through
// lockfile/simpleapi's cache (Client.DownloadFile), their size and hashes
// checked against the lock before they are opened, and unpacked as the
// binary distribution format says and pip 23 does, byte for byte:
// .data/{purelib,platlib,scripts,headers,data}, "#!python" script
// shebangs, console_scripts and gui_scripts launchers with pip's template
// and shebang rules, INSTALLER, REQUESTED and a rewritten RECORD.
//
// It refuses what it cannot install faithfully, before writing anything:
// source distributions (ErrSdist: building runs arbitrary code and needs a
// backend from an index), VCS and directory sources, members that would
// leave their directory or links pointing out of the environment
// (*UnsafeArchiveError), members RECORD does not list or contradicts
// (*RecordError), and two packages writing different content to one path
// (*ConflictError). The environment appears atomically, and the same lock
// gives the same tree: contents, modes and timestamps (Options.ModTime or
// SOURCE_DATE_EPOCH). Options.Prefix builds an environment for another
// place (an image's /opt/venv) in a local directory.
//
// Compared with `pip install --no-deps --require-hashes --no-compile -r`
// of Export's output into `python -m venv --without-pip`, the trees are
// identical except, by design: INSTALLER says "pydeploy" (and its RECORD
// row hashes that), pyvenv.cfg has no "command" line and names the
// interpreter as given rather than resolved, there are no activate
// scripts, and no bytecode is compiled (pip compiles unless --no-compile;
// Python writes __pycache__ on first import, or an image build step may
// run compileall with the target interpreter).
//
// Export writes the same selection as pinned requirements with --hash
// lines, so `pip install --no-deps --require-hashes -r` installs exactly
// the locked files. Targets reads the targets a lock was made for;
// ParseRecord reads RECORD files, for tools that verify installed trees.
package install
