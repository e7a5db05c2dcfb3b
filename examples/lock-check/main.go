// Command lock-check is the CI helper that fails with a clear message when a
// service's pylock.toml is stale: when the declared dependencies
// (pyproject.toml or requirements.in) no longer match what the lock was made
// from, or, with -strict, when re-locking no longer reproduces it.
//
// A team runs it on every change, next to its tests:
//
//	go run github.com/pydeploy/pydeploy/examples/lock-check -project pyproject.toml
//	go run github.com/pydeploy/pydeploy/examples/lock-check -requirements requirements.in -lock pylock.toml
//	go run github.com/pydeploy/pydeploy/examples/lock-check -strict -format github -relock "make lock"
//
// The default check is offline and cheap (lockfile.CheckFile): every lock
// written by lockfile.Write records its inputs in [tool.pydeploy], and the
// check compares them with the current ones. When they differ it prints each
// change — an added, removed or changed requirement, constraint, extra, group,
// index or target — and every current requirement the locked versions no
// longer satisfy, then the command that re-locks (-relock; a generic hint
// otherwise). -strict also re-resolves against the index with the recorded
// exclude-newer cut-off (lockfile.CheckStrictFile) and demands byte-identical
// output, which catches a hand-edited lock and an index that rewrote history
// (a release published retroactively before the cut-off).
//
// What the lock is compared with: the requirements come from the declared
// file (-project, default pyproject.toml, or -requirements); requires-python
// from pyproject.toml. Settings that are not declared in those files default
// to what the lock recorded — extras and dependency groups (-extra, -group),
// index URLs (-index, repeatable, primary first), the target (-target, e.g.
// cp312-manylinux_2_36_x86_64), the exclude-newer cut-off and the sdist
// policy — so a flag is only needed to demand a particular value. Without
// -lock the lock is looked up next to the declared file as PEP 751 names it:
// pylock.<project-name>.toml, then pylock.toml.
//
// Output (-format): text (default) for people, github for GitHub Actions
// (one ::error file=…:: annotation per finding, on the declared file or the
// lock, with the text report on stderr for the job log), json for other
// tools (one object: status, exit_code, changes, unsatisfied, drift, message,
// advice).
//
// Exit codes:
//
//	0  the lock is fresh (and, with -strict, reproduces byte for byte)
//	1  the lock is stale: its inputs changed (each change is printed)
//	2  usage, input or I/O error: bad flags, unreadable or invalid files,
//	   no lock found, a lock without [tool.pydeploy], an unreachable index
//	3  -strict only: the inputs match, but re-locking with the recorded
//	   exclude-newer gives a different lock (the drift is printed)
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := runContext(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
