// Command image-check is the CI helper that proves a built image holds what
// its lock says: it reads the image from a registry (any image — built with
// pydeploy's manifest/image or by `docker build` with pip), flattens its
// layers with whiteouts honoured, finds the environment's *.dist-info and
// compares them with the packages the lock selects for the image's platform,
// then hashes every file each distribution's RECORD lists.
//
//	go run github.com/pydeploy/pydeploy/examples/image-check -image ghcr.io/acme/payments@sha256:… -lock pylock.payments-api.toml
//	go run github.com/pydeploy/pydeploy/examples/image-check -image registry.internal/acme/payments:1.4.0 -lock pylock.toml -format github
//
// It reports packages that are missing, extra or at another version, and
// files that contradict their RECORD hash, are missing, or sit in
// site-packages without any RECORD listing them (a dropped .pth file runs
// code at every interpreter start). A multi-platform index is checked per
// platform the lock has a target for.
//
// Which environment: -site-packages names it; otherwise the one under the
// image's $VIRTUAL_ENV, else the directory holding the most locked
// distributions. -allow-extra lists packages that may be present without
// being locked (default pip,setuptools,wheel: what a python base image or
// `python -m venv` brings); their files are still checked. Credentials come
// from docker's config.json ($DOCKER_CONFIG) and its credential helpers;
// -insecure talks plain HTTP to a registry that is not on localhost.
//
// Output (-format): text (default), github (one ::error annotation per
// finding on the lock file, with the text report on stderr), json (one
// object: status, exit_code, image, lock, reports, error).
//
// Exit codes:
//
//	0  the image holds exactly the locked packages at the locked versions,
//	   and every file matches its RECORD
//	1  package drift: a locked package is missing, an unlocked one is
//	   installed, or a version differs
//	2  usage, input, registry or I/O error (no verdict)
//	3  the packages match, but files drifted: modified, missing or
//	   untracked files
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
