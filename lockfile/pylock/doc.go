// Package pylock reads, validates and writes PEP 751 lock files
// (pylock.toml), the last step of the lockfile workflow: the resolver's pins
// become a Lock, Marshal writes it byte-stably, WriteFile puts it on disk
// atomically, and Hash gives the content hash that manifest stamps into pod
// templates so a lock change forces a rollout.
//
// Lock, Package and File mirror the specification's tables. Marshal is a
// hand-written emitter with a fixed key order (the order of the
// specification's tables), the layout of the specification's example
// (indented [[packages.wheels]] blocks, inline hashes tables), sorted
// unordered arrays and UTC date-times, so the same lock always gives the same
// bytes. Unmarshal parses with github.com/pelletier/go-toml/v2 and then
// checks every rule of the specification in Validate: a 1.x lock-version (an
// unknown major version is an *UnsupportedVersionError), required keys,
// normalized names, PEP 440 versions and specifiers, markers without the
// legacy "extra" variable, hashes, wheel and sdist file names that belong to
// their package, and mutually exclusive sources. Problems come back together
// in a *ValidationError whose entries name the key path
// ("packages[3].wheels[0].hashes: at least one hash must be provided").
// Files larger than MaxFileSize are refused before parsing.
//
// Select runs the installation algorithm offline for one interpreter and
// platform (a wheel.Target): the file an installer would pick for every
// package, or the specification's errors (requires-python unmet, no matching
// environment, ambiguous entries). A runtime drift check or an installer
// builds on it, and lockfile runs it on every lock before writing it; on a
// universal lock it picks, for each target, the entries whose markers hold
// there and the target's own wheel.
//
// FileName and ParseFileName implement the naming rule: pylock.toml, or
// pylock.<service>.toml for one service of many.
package pylock
