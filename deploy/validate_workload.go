package deploy

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// podOf validates a workload's template labels and selector and returns
// the pod reference relations use.
func (v *validator) podOf(it *item, t *corev1.PodTemplateSpec, tpath *field.Path, sel *metav1.LabelSelector, replicas *int32, scalable bool) *podRef {
	p := &podRef{labels: t.Labels, spec: &t.Spec, specPath: tpath.Child("spec"), selector: sel, replicasOf: replicas, scalable: scalable, replicas: 1}
	if replicas != nil {
		p.replicas = *replicas
	}
	lerrs := labelErrs(t.Labels, tpath.Child("metadata", "labels"))
	v.add(it, CheckLabels, lerrs...)
	v.add(it, CheckLabels, apivalidation.ValidateAnnotations(t.Annotations, tpath.Child("metadata", "annotations"))...)
	if sel == nil {
		p.selectorOK = len(lerrs) == 0
		return p
	}
	spath := field.NewPath("spec", "selector")
	serrs := metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, spath)
	v.add(it, CheckLabels, serrs...)
	s, err := metav1.LabelSelectorAsSelector(sel)
	switch {
	case len(serrs) > 0 || len(lerrs) > 0 || err != nil:
	case s.Empty():
		v.add(it, CheckSelectorMatch, field.Invalid(spath, sel, "empty selector is invalid for deployment"))
	case !s.Matches(labels.Set(t.Labels)):
		// apps validation.go:443
		v.add(it, CheckSelectorMatch, field.Invalid(tpath.Child("metadata", "labels"), t.Labels, "`selector` does not match template `labels`"))
	default:
		p.selectorOK = true
	}
	return p
}

func (v *validator) checkDeployment(it *item, d *appsv1.Deployment) {
	spec := field.NewPath("spec")
	it.pod = v.podOf(it, &d.Spec.Template, spec.Child("template"), d.Spec.Selector, d.Spec.Replicas, true)
	if d.Spec.Replicas == nil {
		it.pod.replicas = 1
	}
	nonNegative := func(f *field.Path, n int64) {
		if n < 0 {
			v.add(it, CheckDeploymentSpec, field.Invalid(f, n, "must be greater than or equal to 0"))
		}
	}
	if d.Spec.Replicas != nil {
		nonNegative(spec.Child("replicas"), int64(*d.Spec.Replicas))
	}
	nonNegative(spec.Child("minReadySeconds"), int64(d.Spec.MinReadySeconds))
	if n := d.Spec.RevisionHistoryLimit; n != nil {
		nonNegative(spec.Child("revisionHistoryLimit"), int64(*n))
	}
	if p := d.Spec.ProgressDeadlineSeconds; p != nil && *p <= d.Spec.MinReadySeconds {
		// apps validation.go:666
		v.add(it, CheckDeploymentSpec, field.Invalid(spec.Child("progressDeadlineSeconds"), *p, "must be greater than minReadySeconds"))
	}
	v.checkStrategy(it, d.Spec.Strategy, spec.Child("strategy"))
	v.checkPod(it, corev1.RestartPolicyAlways)
}

func (v *validator) checkStrategy(it *item, s appsv1.DeploymentStrategy, fld *field.Path) {
	switch s.Type {
	case "":
		if s.RollingUpdate != nil {
			v.add(it, CheckStrategy, field.Required(fld.Child("type"), "set type RollingUpdate with rollingUpdate parameters"))
		}
		return
	case appsv1.RecreateDeploymentStrategyType:
		if s.RollingUpdate != nil {
			v.add(it, CheckStrategy, field.Forbidden(fld.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
		}
		return
	case appsv1.RollingUpdateDeploymentStrategyType:
	default:
		v.add(it, CheckStrategy, field.NotSupported(fld.Child("type"), s.Type, []string{string(appsv1.RecreateDeploymentStrategyType), string(appsv1.RollingUpdateDeploymentStrategyType)}))
		return
	}
	ru := s.RollingUpdate
	if ru == nil {
		return
	}
	surge, unavail := intstr.FromString("25%"), intstr.FromString("25%")
	if ru.MaxSurge != nil {
		surge = *ru.MaxSurge
	}
	if ru.MaxUnavailable != nil {
		unavail = *ru.MaxUnavailable
	}
	rfld := fld.Child("rollingUpdate")
	okS := v.intOrPercent(it, surge, rfld.Child("maxSurge"))
	okU := v.intOrPercent(it, unavail, rfld.Child("maxUnavailable"))
	if okS && okU && isZero(surge) && isZero(unavail) {
		// apps validation.go:595
		v.add(it, CheckStrategy, field.Invalid(rfld.Child("maxUnavailable"), unavail.String(), "may not be 0 when `maxSurge` is 0"))
	}
	if okU && unavail.Type == intstr.String && percent(unavail) > 100 {
		v.add(it, CheckStrategy, field.Invalid(rfld.Child("maxUnavailable"), unavail.String(), "must not be greater than 100%"))
	}
}

func (v *validator) intOrPercent(it *item, val intstr.IntOrString, fld *field.Path) bool {
	if val.Type == intstr.String {
		msgs := validation.IsValidPercent(val.StrVal)
		for _, m := range msgs {
			v.add(it, CheckStrategy, field.Invalid(fld, val.StrVal, m))
		}
		return len(msgs) == 0
	}
	if val.IntVal < 0 {
		v.add(it, CheckStrategy, field.Invalid(fld, val.IntVal, "must be greater than or equal to 0"))
		return false
	}
	return true
}

func percent(v intstr.IntOrString) int {
	var n int
	_, _ = fmt.Sscanf(strings.TrimSuffix(v.StrVal, "%"), "%d", &n)
	return n
}

func isZero(v intstr.IntOrString) bool {
	if v.Type == intstr.String {
		return percent(v) == 0
	}
	return v.IntVal == 0
}

// checkJob validates the numbers of a Job spec (also a CronJob's template).
func (v *validator) checkJob(it *item, s *batchv1.JobSpec, fld *field.Path) {
	nonNeg := func(name string, n *int32) {
		if n != nil && *n < 0 {
			v.add(it, CheckJobSpec, field.Invalid(fld.Child(name), *n, "must be greater than or equal to 0"))
		}
	}
	nonNeg("backoffLimit", s.BackoffLimit)
	nonNeg("completions", s.Completions)
	nonNeg("parallelism", s.Parallelism)
	nonNeg("ttlSecondsAfterFinished", s.TTLSecondsAfterFinished)
	if d := s.ActiveDeadlineSeconds; d != nil && *d <= 0 {
		v.add(it, CheckJobSpec, field.Invalid(fld.Child("activeDeadlineSeconds"), *d, "must be greater than 0"))
	}
}

func (v *validator) checkCronJob(it *item, c *batchv1.CronJob) {
	spec := field.NewPath("spec")
	v.checkJob(it, &c.Spec.JobTemplate.Spec, spec.Child("jobTemplate", "spec"))
	if msg := checkSchedule(c.Spec.Schedule); msg != "" {
		v.add(it, CheckCronJobSpec, field.Invalid(spec.Child("schedule"), c.Spec.Schedule, msg))
	}
	switch c.Spec.ConcurrencyPolicy {
	case "", batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent:
	default:
		v.add(it, CheckCronJobSpec, field.NotSupported(spec.Child("concurrencyPolicy"), c.Spec.ConcurrencyPolicy,
			[]batchv1.ConcurrencyPolicy{batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent}))
	}
	if d := c.Spec.StartingDeadlineSeconds; d == nil {
		v.add(it, CheckCronJobSpec, field.Required(spec.Child("startingDeadlineSeconds"),
			"without a starting deadline, a controller that missed more than 100 runs stops scheduling this CronJob"))
	} else if *d < 0 {
		v.add(it, CheckCronJobSpec, field.Invalid(spec.Child("startingDeadlineSeconds"), *d, "must be greater than or equal to 0"))
	}
	for name, n := range map[string]*int32{"successfulJobsHistoryLimit": c.Spec.SuccessfulJobsHistoryLimit, "failedJobsHistoryLimit": c.Spec.FailedJobsHistoryLimit} {
		if n != nil && *n < 0 {
			v.add(it, CheckCronJobSpec, field.Invalid(spec.Child(name), *n, "must be greater than or equal to 0"))
		}
	}
	if tz := c.Spec.TimeZone; tz != nil {
		if v.minor < featureCronJobTimeZone.since {
			v.add(it, CheckKubernetesVersion, field.Forbidden(spec.Child("timeZone"), featureCronJobTimeZone.detail(v.minor)))
		}
		if _, err := time.LoadLocation(*tz); err != nil || *tz == "" || strings.EqualFold(*tz, "local") {
			v.add(it, CheckCronJobSpec, field.Invalid(spec.Child("timeZone"), *tz, "unknown time zone; use an IANA name such as Europe/Berlin"))
		}
	}
}

// cronMacros are the schedule shorthands the CronJob controller accepts
// (robfig/cron's standard parser).
var cronMacros = map[string]bool{"@yearly": true, "@annually": true, "@monthly": true, "@weekly": true, "@daily": true, "@midnight": true, "@hourly": true}

// checkSchedule accepts what the API server's standard cron parser does
// (five fields, or a macro) and returns why not otherwise. The API server
// refuses TZ= and CRON_TZ= in the schedule in favour of spec.timeZone.
func checkSchedule(s string) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "the schedule is empty; give five cron fields (minute hour day-of-month month day-of-week) or a macro such as @hourly"
	case strings.Contains(s, "TZ="):
		return "cannot use TZ or CRON_TZ in the schedule; use spec.timeZone (WithTimeZone)"
	case strings.HasPrefix(s, "@every "):
		if _, err := time.ParseDuration(strings.TrimPrefix(s, "@every ")); err != nil {
			return "@every takes a duration such as 15m"
		}
		return ""
	case strings.HasPrefix(s, "@"):
		if !cronMacros[s] {
			return "unknown macro; use @yearly, @monthly, @weekly, @daily or @hourly"
		}
		return ""
	}
	fields := strings.Fields(s)
	if len(fields) != 5 {
		return fmt.Sprintf("expected exactly 5 fields (minute hour day-of-month month day-of-week), found %d", len(fields))
	}
	bounds := [][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
	names := []string{"minute", "hour", "day-of-month", "month", "day-of-week"}
	for i, f := range fields {
		if msg := checkCronField(f, bounds[i][0], bounds[i][1], i >= 3); msg != "" {
			return names[i] + " field " + strconvQuote(f) + ": " + msg
		}
	}
	return ""
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

var cronNames = map[string]bool{
	"jan": true, "feb": true, "mar": true, "apr": true, "may": true, "jun": true, "jul": true, "aug": true, "sep": true, "oct": true, "nov": true, "dec": true,
	"sun": true, "mon": true, "tue": true, "wed": true, "thu": true, "fri": true, "sat": true,
}

func checkCronField(f string, lo, hi int, named bool) string {
	for part := range strings.SplitSeq(f, ",") {
		rng, step, hasStep := strings.Cut(part, "/")
		if hasStep {
			var n int
			if _, err := fmt.Sscanf(step, "%d", &n); err != nil || n < 1 || fmt.Sprint(n) != step {
				return "the step must be a positive number"
			}
		}
		if rng == "*" || rng == "?" {
			continue
		}
		from, to, isRange := strings.Cut(rng, "-")
		ends := []string{from}
		if isRange {
			ends = append(ends, to)
		}
		for _, x := range ends {
			if named && cronNames[strings.ToLower(x)] {
				continue
			}
			var n int
			if _, err := fmt.Sscanf(x, "%d", &n); err != nil || fmt.Sprint(n) != x {
				return "not a number or name"
			}
			if n < lo || n > hi {
				return fmt.Sprintf("%d is out of range %d-%d", n, lo, hi)
			}
		}
	}
	return ""
}
