package deploy

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/pydeploy/pydeploy/probe"
)

var (
	kindsDeployment = []WorkloadKind{WorkloadWeb, WorkloadWorker}
	kindsBatch      = []WorkloadKind{WorkloadJob, WorkloadCronJob}
	kindsWeb        = []WorkloadKind{WorkloadWeb}
	kindsCron       = []WorkloadKind{WorkloadCronJob}
)

// optionKinds lists the options that apply to some workload kinds only.
// Options not listed apply to every kind.
var optionKinds = map[string][]WorkloadKind{
	"WithPort":                 kindsWeb,
	"WithServicePort":          kindsWeb,
	"WithServiceType":          kindsWeb,
	"WithoutService":           kindsWeb,
	"WithIngress":              kindsWeb,
	"WithHTTPRoute":            kindsWeb,
	"WithReadinessPath":        kindsWeb,
	"WithoutReadiness":         kindsWeb,
	"WithDjango":               kindsWeb,
	"WithReadiness":            kindsDeployment,
	"WithReplicas":             kindsDeployment,
	"WithAutoscaling":          kindsDeployment,
	"WithRollingUpdate":        kindsDeployment,
	"WithStrategy":             kindsDeployment,
	"WithMinReady":             kindsDeployment,
	"WithProgressDeadline":     kindsDeployment,
	"WithRevisionHistoryLimit": kindsDeployment,
	"WithPDB":                  kindsDeployment,
	"WithoutPDB":               kindsDeployment,
	"WithoutSpread":            kindsDeployment,
	"WithMigration":            kindsDeployment,
	"WithBackoffLimit":         kindsBatch,
	"WithActiveDeadline":       kindsBatch,
	"WithoutActiveDeadline":    kindsBatch,
	"WithTTLAfterFinished":     kindsBatch,
	"WithoutTTLAfterFinished":  kindsBatch,
	"WithSchedule":             kindsCron,
	"WithConcurrencyPolicy":    kindsCron,
	"WithStartingDeadline":     kindsCron,
	"WithoutStartingDeadline":  kindsCron,
	"WithHistoryLimits":        kindsCron,
	"WithTimeZone":             kindsCron,
}

// conflicts are pairs of options that contradict each other.
var conflicts = [][2]string{
	{"WithPDB", "WithoutPDB"},
	{"WithEphemeralStorage", "WithoutEphemeralStorage"},
	{"WithNetworkPolicyFrom", "WithoutNetworkPolicy"},
	{"WithServicePort", "WithoutService"},
	{"WithServiceType", "WithoutService"},
	{"WithIngress", "WithoutService"},
	{"WithHTTPRoute", "WithoutService"},
	{"WithReadinessPath", "WithReadiness"},
	{"WithReadinessPath", "WithoutReadiness"},
	{"WithBootTime", "WithoutStartupProbe"},
	{"WithCPU", "WithoutCPURequest"},
	{"WithServiceAccountName", "WithoutServiceAccount"},
	{"WithTopologySpread", "WithoutSpread"},
}

func kindNames(ks []WorkloadKind) string {
	names := map[WorkloadKind]string{WorkloadWeb: "web services (NewApp)", WorkloadWorker: "workers (NewWorker)",
		WorkloadJob: "Jobs (NewJob)", WorkloadCronJob: "CronJobs (NewCronJob)"}
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = names[k]
	}
	return strings.Join(parts, " and ")
}

// validateOptions reports options that do not apply to the workload kind,
// the server preset or the probe, and options that contradict each other.
func (b *builder) validateOptions() {
	a := b.app
	fld := field.NewPath("options")
	seen := map[string]bool{}
	for _, opt := range a.used {
		if seen[opt] {
			continue
		}
		seen[opt] = true
		if kinds, ok := optionKinds[opt]; ok && !slices.Contains(kinds, a.Kind()) {
			b.add(CheckOption, kindApp, field.Forbidden(fld.Child(opt),
				fmt.Sprintf("applies only to %s, not to a %s", kindNames(kinds), a.Kind())))
		}
	}
	for _, c := range conflicts {
		if a.called(c[0]) && a.called(c[1]) {
			b.add(CheckOption, kindApp, field.Forbidden(fld.Child(c[1]), fmt.Sprintf("contradicts %s; use one of them", c[0])))
		}
	}
	b.validateConditionalOptions(fld)
	for _, f := range a.server.errs {
		b.add(f.check, kindApp, field.Forbidden(field.NewPath("server", f.option), f.detail))
	}
	b.validateServerKind()
	b.probeOptions("readiness", a.readiness)
	b.probeOptions("liveness", a.liveness)
	for _, cs := range [][]Container{a.containers, a.sidecars, a.initContainers} {
		for _, c := range cs {
			b.probeOptions("containers["+c.name+"].readiness", c.readiness)
			b.probeOptions("containers["+c.name+"].liveness", c.liveness)
			b.probeOptions("containers["+c.name+"].startup", c.startup)
		}
	}
	for _, f := range a.errs {
		b.add(f.check, kindApp, field.Invalid(fld.Child(f.option), f.value, f.detail))
		b.repeat(f.check, b.optionFields(f.option)...)
	}
	for _, cm := range a.configMaps {
		for _, f := range cm.errs {
			b.add(f.check, kindApp, field.Invalid(field.NewPath("configMaps").Key(cm.name), f.value, f.detail))
		}
	}
	if m := a.migration; m != nil {
		if len(m.argv) == 0 || strings.TrimSpace(m.argv[0]) == "" {
			b.add(CheckServer, kindApp, field.Required(field.NewPath("migration", "command"),
				`the migration needs the command to run, e.g. NewMigration("python", "manage.py", "migrate", "--noinput"); without one the Job runs the image's default CMD, usually the web server, which never completes`))
		}
		for _, f := range m.errs {
			b.add(f.check, kindApp, field.Invalid(fld.Child(f.option), f.value, f.detail))
			b.repeat(f.check, b.optionFields(f.option)...)
		}
	}
}

// validateConditionalOptions reports options whose effect depends on the
// rest of the spec and that would do nothing here.
func (b *builder) validateConditionalOptions(fld *field.Path) {
	a := b.app
	single := a.effectiveReplicas() <= 1
	deploymentKind := a.Kind() == WorkloadWeb || a.Kind() == WorkloadWorker
	if deploymentKind && single && a.called("WithPDB") {
		b.add(CheckOption, kindApp, field.Forbidden(fld.Child("WithPDB"), "no PodDisruptionBudget is generated for a single replica; raise WithReplicas"))
	}
	if deploymentKind && single && a.called("WithoutPDB") {
		b.add(CheckOption, kindApp, field.Forbidden(fld.Child("WithoutPDB"), "no PodDisruptionBudget is generated for a single replica, so there is nothing to remove"))
	}
	if deploymentKind && single && a.called("WithoutSpread") {
		b.add(CheckOption, kindApp, field.Forbidden(fld.Child("WithoutSpread"), "a single replica is not spread, so there is nothing to remove"))
	}
	if a.Kind() == WorkloadWorker && len(a.extraPorts) == 0 && a.called("WithNetworkPolicyFrom") {
		b.add(CheckOption, kindApp, field.Forbidden(fld.Child("WithNetworkPolicyFrom"), "the worker declares no port, so its NetworkPolicy admits no ingress from anyone; declare one with WithExtraPort"))
	}
	if a.Kind() == WorkloadWeb && a.noReadiness && a.liveness == nil && !a.hasService() && a.called("WithBootTime") {
		b.add(CheckOption, kindApp, field.Forbidden(fld.Child("WithBootTime"),
			"derives a startup probe that holds back the readiness or liveness probe, and without readiness, liveness or a Service there is none; add WithLiveness"))
	}
	if a.Kind() != WorkloadWeb && a.liveness == nil && a.called("WithBootTime") {
		b.add(CheckOption, kindApp, field.Forbidden(fld.Child("WithBootTime"), "derives a startup probe that holds back the liveness probe, and there is none; add WithLiveness"))
	}
	if a.called("WithDjango") && a.Kind() == WorkloadWeb && !b.hasHTTPProbe() {
		b.add(CheckOption, kindApp, field.Forbidden(fld.Child("WithDjango"), "sets the Host header of HTTP probes, and the app has none"))
	}
	if a.Kind() == WorkloadWorker {
		for _, p := range []struct {
			name  string
			b     *probe.Builder
			kinds []probe.Kind // the probes Build derives from it
		}{{"WithReadiness", a.readiness, []probe.Kind{probe.KindReadiness}}, {"WithLiveness", a.liveness, []probe.Kind{probe.KindLiveness, probe.KindStartup}}} {
			if p.b != nil && p.b.Handler().Exec == nil && len(a.extraPorts) == 0 {
				b.add(CheckOption, kindApp, field.Forbidden(fld.Child(p.name), "a worker has no port; give it an exec probe (probe.Exec), e.g. one that checks a heartbeat file"))
				// The probe's port, which no container declares, is this cause.
				b.repeat(CheckProbePort, b.probePorts(p.b, p.kinds...)...)
			}
		}
	}
	for _, key := range sortedKeys(a.labels) {
		if owned := ownedLabel(key); owned != "" {
			b.add(CheckOption, kindApp, field.Forbidden(fld.Child("WithLabels").Key(key), "is set by the builder; use "+owned))
		}
	}
	for _, key := range sortedKeys(a.podLabels) {
		if _, isSel := b.sel[key]; isSel {
			b.add(CheckOption, kindApp, field.Forbidden(fld.Child("WithPodLabels").Key(key),
				"is a selector label; changing it in the pod template detaches the pods from their Deployment and Service (use WithSelector to adopt a different selector)"))
		}
	}
}

func (b *builder) hasHTTPProbe() bool {
	a := b.app
	if a.liveness != nil && a.liveness.Handler().HTTPGet != nil {
		return true
	}
	if a.noReadiness {
		return false
	}
	return a.readiness == nil || a.readiness.Handler().HTTPGet != nil
}

// ownedLabel names the option that sets a label key the builder owns.
func ownedLabel(key string) string {
	switch key {
	case LabelName:
		return "the app name (NewApp) or WithSelector"
	case LabelInstance:
		return "WithInstance"
	case LabelVersion:
		return "WithVersion"
	case LabelComponent:
		return "WithComponent"
	case LabelPartOf:
		return "WithPartOf"
	case LabelManagedBy:
		return "nothing: the builder marks its objects as managed by pydeploy"
	}
	return ""
}

// validateServerKind reports a server preset used for the wrong kind of
// workload (a Celery worker behind a Service, gunicorn as a CronJob).
func (b *builder) validateServerKind() {
	a := b.app
	s := a.server
	fld := field.NewPath("server")
	switch {
	case s.kind == "":
	case a.Kind() == WorkloadWeb && s.isWorker():
		b.add(CheckOption, kindApp, field.Forbidden(fld, s.presetName()+" is a task-queue worker with no HTTP port; describe it with NewWorker"))
	case a.Kind() == WorkloadWeb && s.kind == KindCommand:
		if prog, preset := queueWorkerProgram(s.argv); prog != "" {
			b.add(CheckOption, kindApp, field.Forbidden(fld.Child("command"), fmt.Sprintf(
				"runs %s, a task-queue worker that serves no HTTP; a web service (NewApp) declares a port, probes it and admits traffic to it, and kubelet restarts a process that never opens it; describe it with NewWorker(...).WithServer(%s(...)), or NewWorker with this Command",
				prog, preset)))
		}
	case a.Kind() != WorkloadWeb && (s.kind == KindGunicorn || s.kind == KindUvicorn):
		b.add(CheckOption, kindApp, field.Forbidden(fld, fmt.Sprintf("%s serves HTTP, and a %s has no port or Service; use NewApp, or Command for a one-off process", s.presetName(), a.Kind())))
	case (a.Kind() == WorkloadJob || a.Kind() == WorkloadCronJob) && s.isWorker():
		b.add(CheckOption, kindApp, field.Forbidden(fld, fmt.Sprintf("%s consumes a queue forever and never completes; run it with NewWorker", s.presetName())))
	}
}

func (b *builder) probeOptions(name string, pb *probe.Builder) {
	if pb == nil {
		return
	}
	for _, e := range pb.Errs() {
		f := field.NewPath("probes", name, e.Method)
		if e.Misapplied {
			b.add(CheckOption, kindApp, field.Forbidden(f, e.Reason))
			continue
		}
		b.add(CheckProbeSpec, kindApp, field.Invalid(f, field.OmitValueType{}, strings.TrimSpace(e.Reason)))
	}
}
