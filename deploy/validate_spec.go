package deploy

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const kindApp = "App"

// validateSpec checks what is not visible in a single object field, or is
// better reported once at its cause than on every object that inherits it:
// the target version, waivers, names and labels, options, the server
// preset, the shutdown budget, the boot time and the resource sizing.
func (b *builder) validateSpec() {
	a := b.app
	if _, err := kubeMinor(a.kubeVersion); err != nil {
		b.add(CheckKubernetesVersion, kindApp, field.Invalid(field.NewPath("kubernetesVersion"), a.kubeVersion, err.Error()))
	}
	b.validateWaivers()
	b.validateIdentity()
	b.validateOptions()
	if a.server.kind == "" {
		b.add(CheckServer, kindApp, field.Required(field.NewPath("server"),
			"set a server with WithServer(...): deploy.Gunicorn, Uvicorn, Celery, RQ, Dramatiq, Arq, Command or Args"))
	} else {
		b.add(CheckServer, kindApp, a.server.validate(field.NewPath("server"))...)
	}
	if w, t, ok := a.server.processes(); ok && a.Kind() == WorkloadWeb && w == 1 && t <= 1 {
		b.add(CheckSingleWorker, kindApp, field.Invalid(field.NewPath("server", "workers"), w,
			"a single worker cannot answer probes while it serves a slow request, so probes flap; use at least 2 workers (or threads)"))
	}
	b.validateShutdown()
	b.validateBootTime()
	b.validateSizing()
}

// validateIdentity checks the name, namespace and label inputs once, as the
// cause, and marks their values so the objects that repeat them do not
// report them again.
func (b *builder) validateIdentity() {
	a := b.app
	name := field.NewPath("name")
	var msgs []string
	switch {
	case a.name == "":
		b.add(CheckName, kindApp, field.Required(name, "pass the app name to the constructor, e.g. NewApp(\"payments-api\", \"shop\")"))
	case a.hasService():
		msgs = apivalidation.NameIsDNS1035Label(a.name, false)
	default:
		msgs = validation.IsDNS1123Label(a.name)
	}
	limit, why := 63, "it is the app.kubernetes.io/name label"
	switch {
	case a.Kind() == WorkloadCronJob:
		limit, why = 52, "the CronJob controller appends an 11-character suffix to name each Job"
	case a.migration != nil:
		limit, why = 44, "the migration Job is named <name>-migrate-<10-character hash>, at most 63 characters"
	}
	if len(a.name) > limit && len(msgs) == 0 {
		msgs = append(msgs, fmt.Sprintf("must be no more than %d characters: %s", limit, why))
	}
	for _, m := range msgs {
		b.add(CheckName, kindApp, field.Invalid(name, a.name, m+" (it names every object and is the app.kubernetes.io/name label)"))
		b.knownBad[a.name] = true
	}
	if a.namespace == "" {
		b.add(CheckNamespace, kindApp, field.Required(field.NewPath("namespace"),
			"the objects land in whatever namespace they are applied to; pass one to the constructor, or for a kustomize base leave it empty and set namespace: in the overlay (manifest.ApplyOptions.Namespace also fills it)"))
		b.suppress[CheckNamespace] = true
	} else {
		for _, m := range apivalidation.ValidateNamespaceName(a.namespace, false) {
			b.add(CheckName, kindApp, field.Invalid(field.NewPath("namespace"), a.namespace, m))
			b.knownBad[a.namespace] = true
		}
	}
	b.validateLabelInputs()
}

func (b *builder) validateLabelInputs() {
	a := b.app
	for _, l := range []struct {
		option, value string
	}{{"instance", a.instance}, {"version", a.version}, {"component", a.component}, {"partOf", a.partOf}} {
		for _, m := range validation.IsValidLabelValue(l.value) {
			b.add(CheckLabels, kindApp, field.Invalid(field.NewPath(l.option), l.value, m))
			b.knownBad[l.value] = true
		}
	}
	for _, set := range []struct {
		option string
		labels map[string]string
	}{{"labels", a.labels}, {"podLabels", a.podLabels}, {"selector", a.selector}} {
		for _, e := range metav1validation.ValidateLabels(set.labels, field.NewPath(set.option)) {
			b.add(CheckLabels, kindApp, e)
			if s, ok := e.BadValue.(string); ok {
				b.knownBad[s] = true
			}
		}
	}
	if a.selector != nil && len(a.selector) == 0 {
		b.add(CheckSelectorMatch, kindApp, field.Invalid(field.NewPath("selector"), a.selector, "empty selector is invalid for deployment"))
		b.suppress[CheckSelectorMatch] = true
	}
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

func (b *builder) validateShutdown() {
	a := b.app
	s := b.shutdown
	errs := s.validate(field.NewPath("shutdown"), a.server)
	b.add(CheckShutdown, kindApp, errs...)
	if len(errs) > 0 {
		// The object check (preStop sleep below the grace period) would
		// only repeat the budget's problem.
		b.suppress[CheckShutdown] = true
	}
	pfld := b.podPath()
	budget := secondsCeil(s.Total())
	if b.grace < budget {
		b.add(CheckShutdown, b.workloadKind(), field.Invalid(pfld.Child("terminationGracePeriodSeconds"), b.grace,
			fmt.Sprintf("must be at least %d, the shutdown budget (preStop sleep %s + graceful timeout %s + margin %s)",
				budget, s.PreStopSleep, s.Graceful, s.Margin)))
	}
	if a.grace != nil && *a.grace%time.Second != 0 {
		b.add(CheckShutdown, kindApp, field.Invalid(field.NewPath("terminationGracePeriod"), a.grace.String(), "must be a whole number of seconds"))
	}
}

// validateBootTime is V10: a liveness probe without a startup probe must
// allow the expected boot time.
func (b *builder) validateBootTime() {
	a := b.app
	if a.liveness == nil || !a.noStartup || a.bootTime <= 0 {
		return
	}
	l := a.liveness.Probe()
	budget := time.Duration(l.InitialDelaySeconds+l.FailureThreshold*l.PeriodSeconds) * time.Second
	if a.bootTime > budget {
		b.add(CheckProbeStartup, b.workloadKind(), field.Required(b.podPath().Child("containers").Index(0).Child("startupProbe"),
			fmt.Sprintf("expected boot time %s exceeds the liveness budget %s (initialDelaySeconds %d + failureThreshold %d x periodSeconds %d); the container would be killed while booting",
				a.bootTime, budget, l.InitialDelaySeconds, l.FailureThreshold, l.PeriodSeconds)))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func fieldInternal(err error) *field.Error {
	return field.InternalError(field.NewPath("<root>"), err)
}
