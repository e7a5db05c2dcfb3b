package deploy

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const kindApp = "App"

// validateSpec checks what is not visible in a single object field: the
// waivers, the image reference, the server preset and the shutdown budget.
func (b *builder) validateSpec() {
	a := b.app
	b.validateWaivers()
	b.validateImage()
	if a.server.kind == "" {
		b.add(CheckServer, kindApp, field.Required(field.NewPath("server"), "set a server with WithServer(deploy.Gunicorn(...)), deploy.Uvicorn(...) or deploy.Command(...)"))
	} else {
		b.add(CheckServer, kindApp, a.server.validate(field.NewPath("server"))...)
	}
	if (a.server.kind == KindGunicorn && a.server.workers == 1 && a.server.threads <= 1) ||
		(a.server.kind == KindUvicorn && a.server.workers == 1) {
		b.add(CheckSingleWorker, kindApp, field.Invalid(field.NewPath("server", "workers"), a.server.workers,
			"a single worker cannot answer probes while it serves a slow request, so probes flap; use at least 2 workers (or threads)"))
	}
	b.validateShutdown()
}

func (b *builder) validateWaivers() {
	seen := map[CheckID]bool{}
	for _, w := range b.app.waivers {
		fld := field.NewPath("waivers").Key(string(w.id))
		switch _, known := LookupCheck(w.id); {
		case !known:
			b.add(CheckWaiver, kindApp, field.NotFound(fld, string(w.id)))
		case w.id == CheckWaiver:
			b.add(CheckWaiver, kindApp, field.Forbidden(fld, "waiver checks cannot be waived"))
		case strings.TrimSpace(w.reason) == "":
			b.add(CheckWaiver, kindApp, field.Required(fld.Child("reason"), "a waiver needs a written reason"))
		case seen[w.id]:
			b.add(CheckWaiver, kindApp, field.Duplicate(fld, string(w.id)))
		}
		seen[w.id] = true
	}
	for _, w := range b.app.writable {
		fld := field.NewPath("writablePaths").Key(w.path)
		switch {
		case !path.IsAbs(w.path) || path.Clean(w.path) != w.path || w.path == "/":
			b.add(CheckTmpVolume, kindApp, field.Invalid(fld, w.path, "must be a clean absolute path other than /"))
		case w.path == TmpPath && !b.app.noTmp:
			b.add(CheckTmpVolume, kindApp, field.Duplicate(fld, w.path))
		case strings.TrimSpace(w.reason) == "":
			b.add(CheckTmpVolume, kindApp, field.Required(fld.Child("reason"), "a writable path needs a written reason"))
		}
	}
}

func (b *builder) validateImage() {
	img := b.app.image
	fld := field.NewPath("spec", "template", "spec", "containers").Index(0).Child("image")
	if img == "" {
		b.add(CheckImageFormat, "Deployment", field.Required(fld, "set the image with WithImage"))
		return
	}
	if strings.Contains(img, "${") || strings.Contains(img, "$(") {
		b.add(CheckImageFormat, "Deployment", field.Invalid(fld, img, "contains an unexpanded variable; expand it with manifest.Expand before Build"))
		return
	}
	ref, err := reference.ParseNormalizedNamed(img)
	if err != nil {
		b.add(CheckImageFormat, "Deployment", field.Invalid(fld, img, fmt.Sprintf("is not a valid image reference: %v", err)))
		return
	}
	_, digested := ref.(reference.Digested)
	tagged, hasTag := ref.(reference.Tagged)
	switch {
	case hasTag && tagged.Tag() == "latest" && !digested:
		b.add(CheckImageLatest, "Deployment", field.Invalid(fld, img, "uses the mutable tag latest; tag the image with the git SHA or pin it by digest"))
	case !hasTag && !digested:
		b.add(CheckImageLatest, "Deployment", field.Invalid(fld, img, "has no tag, so it pulls latest; tag the image with the git SHA or pin it by digest"))
	}
}

func (b *builder) validateShutdown() {
	a := b.app
	b.add(CheckShutdown, kindApp, a.shutdown.validate(field.NewPath("shutdown"))...)
	pfld := field.NewPath("spec", "template", "spec")
	budget := secondsCeil(a.shutdown.Total())
	if b.grace < budget {
		b.add(CheckShutdown, "Deployment", field.Invalid(pfld.Child("terminationGracePeriodSeconds"), b.grace,
			fmt.Sprintf("must be at least %d, the shutdown budget (preStop sleep %s + graceful timeout %s + margin %s)",
				budget, a.shutdown.PreStopSleep, a.shutdown.Graceful, a.shutdown.Margin)))
	}
	if a.grace != nil && *a.grace%time.Second != 0 {
		b.add(CheckShutdown, kindApp, field.Invalid(field.NewPath("terminationGracePeriod"), a.grace.String(), "must be a whole number of seconds"))
	}
	if sleep := secondsCeil(a.shutdown.PreStopSleep); sleep > 0 && sleep >= b.grace {
		// core validation.go:3483
		b.add(CheckShutdown, "Deployment", field.Invalid(pfld.Child("containers").Index(0).Child("lifecycle", "preStop", "sleep", "seconds"), sleep,
			fmt.Sprintf("must be non-negative and less than terminationGracePeriodSeconds (%d)", b.grace)))
	}
}
