package deploy

import (
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
)

// Job defaults (NewJob, NewCronJob and WithMigration).
const (
	DefaultJobBackoffLimit       = int32(3)
	DefaultJobActiveDeadline     = time.Hour
	DefaultJobTTLAfterFinished   = 24 * time.Hour
	DefaultMigrationBackoffLimit = int32(0)
	DefaultMigrationDeadline     = 10 * time.Minute
	DefaultCronStartingDeadline  = 300 * time.Second
	DefaultCronSuccessfulHistory = int32(3)
	DefaultCronFailedHistory     = int32(1)
)

// PhaseAnnotation marks a Job that must complete before the workload
// starts: manifest.Render and manifest.Apply order a Job annotated
// "pydeploy.io/phase: pre-workload" before Deployments, StatefulSets and
// DaemonSets (other Jobs come with the workloads). WithMigration sets it;
// set it by hand on a Job of your own to get the same order.
const (
	PhaseAnnotation  = "pydeploy.io/phase"
	PhasePreWorkload = "pre-workload"
)

// jobSettings are the batch/v1 Job fields the builders set; nil means the
// kind's default.
type jobSettings struct {
	backoff    *int32
	deadline   *time.Duration
	noDeadline bool
	ttl        *time.Duration
	noTTL      bool
}

// cronSettings are the CronJob fields.
type cronSettings struct {
	schedule           string
	concurrency        batchv1.ConcurrencyPolicy
	startingDeadline   *time.Duration
	noStartingDeadline bool
	successfulHistory  *int32
	failedHistory      *int32
	timeZone           string
}

// WithBackoffLimit sets the Job's backoffLimit: how many times a failed
// pod is retried (default 3; 0 for a migration). Jobs and CronJobs.
func (a App) WithBackoffLimit(n int32) App {
	if n < 0 {
		a = a.fail(CheckJobSpec, "WithBackoffLimit", n, "must be greater than or equal to 0")
	}
	a.job.backoff = &n
	return a.use("WithBackoffLimit")
}

// WithActiveDeadline sets activeDeadlineSeconds: the Job fails when it runs
// longer (default 1h). Jobs and CronJobs.
func (a App) WithActiveDeadline(d time.Duration) App {
	if d <= 0 {
		a = a.fail(CheckJobSpec, "WithActiveDeadline", d.String(), "must be greater than 0; use WithoutActiveDeadline to let the Job run forever")
	}
	a.job.deadline, a.job.noDeadline = &d, false
	return a.use("WithActiveDeadline")
}

// WithoutActiveDeadline lets the Job run as long as it takes.
func (a App) WithoutActiveDeadline() App {
	a.job.deadline, a.job.noDeadline = nil, true
	return a.use("WithoutActiveDeadline")
}

// WithTTLAfterFinished sets ttlSecondsAfterFinished: the finished Job and
// its pods are deleted that long after it ends (default 24h for Jobs, none
// for CronJobs, whose history limits clean up). Jobs and CronJobs.
func (a App) WithTTLAfterFinished(d time.Duration) App {
	if d < 0 {
		a = a.fail(CheckJobSpec, "WithTTLAfterFinished", d.String(), "must be greater than or equal to 0")
	}
	a.job.ttl, a.job.noTTL = &d, false
	return a.use("WithTTLAfterFinished")
}

// WithoutTTLAfterFinished keeps the finished Job until deleted.
func (a App) WithoutTTLAfterFinished() App {
	a.job.ttl, a.job.noTTL = nil, true
	return a.use("WithoutTTLAfterFinished")
}

// WithSchedule replaces the CronJob's schedule.
func (a App) WithSchedule(schedule string) App {
	a.cron.schedule = schedule
	return a.use("WithSchedule")
}

// WithConcurrencyPolicy sets what happens when a run is due while the last
// one still runs: Forbid (default: skip it), Allow or Replace. CronJobs.
func (a App) WithConcurrencyPolicy(p batchv1.ConcurrencyPolicy) App {
	a.cron.concurrency = p
	return a.use("WithConcurrencyPolicy")
}

// WithStartingDeadline sets startingDeadlineSeconds: a run that could not
// start within d of its time is skipped (default 300s; without one, a
// controller that missed more than 100 runs stops scheduling). CronJobs.
func (a App) WithStartingDeadline(d time.Duration) App {
	if d < 0 {
		a = a.fail(CheckCronJobSpec, "WithStartingDeadline", d.String(), "must be greater than or equal to 0")
	}
	a.cron.startingDeadline, a.cron.noStartingDeadline = &d, false
	return a.use("WithStartingDeadline")
}

// WithoutStartingDeadline leaves startingDeadlineSeconds unset.
func (a App) WithoutStartingDeadline() App {
	a.cron.startingDeadline, a.cron.noStartingDeadline = nil, true
	return a.use("WithoutStartingDeadline")
}

// WithHistoryLimits sets how many successful and failed Jobs the CronJob
// keeps (default 3 and 1). CronJobs.
func (a App) WithHistoryLimits(successful, failed int32) App {
	// One problem per call, showing the arguments at fault.
	switch {
	case successful < 0 && failed < 0:
		a = a.fail(CheckCronJobSpec, "WithHistoryLimits", []int32{successful, failed}, "successfulJobsHistoryLimit and failedJobsHistoryLimit must be greater than or equal to 0")
	case successful < 0:
		a = a.fail(CheckCronJobSpec, "WithHistoryLimits", successful, "successfulJobsHistoryLimit must be greater than or equal to 0")
	case failed < 0:
		a = a.fail(CheckCronJobSpec, "WithHistoryLimits", failed, "failedJobsHistoryLimit must be greater than or equal to 0")
	}
	a.cron.successfulHistory, a.cron.failedHistory = &successful, &failed
	return a.use("WithHistoryLimits")
}

// WithTimeZone sets the CronJob's time zone, an IANA name such as
// "Europe/Berlin" (default: the kube-controller-manager's, usually UTC).
// CronJobs; Kubernetes 1.27 or newer.
func (a App) WithTimeZone(tz string) App {
	a.cron.timeZone = tz
	return a.use("WithTimeZone")
}

// Migration describes a one-off Job run before the workload of a release,
// typically a database migration ("python manage.py migrate --noinput").
// Its pod template is the app's own — image, env, ConfigMaps, volumes,
// service account, security context, resources and stamp — with the
// migration's command, restartPolicy Never, and no ports or probes. It is
// named "<app>-migrate-<hash of its spec>", because a Job's template is
// immutable: a release that changes the image or command creates a new Job,
// and re-applying the same release leaves the finished one alone. It is
// annotated pydeploy.io/phase: pre-workload, so manifest renders and
// applies it before the Deployment; rollout.Wait waits for it to complete
// and reports a failed migration with its pod's evidence. (manifest.Phases
// splits a bundle there, to wait for the migration before applying the
// workload.)
//
// The Job carries manifest.NameFromSpecAnnotation, so manifest.StampObjects
// and manifest.Kustomize rename it when they change its spec: every release
// with a new stamp (another git SHA, even for the same image) gets a Job of
// its own and runs its migration, while re-applying the same release leaves
// the finished Job alone.
//
// Migration is a value; With* methods return a modified copy. Defaults:
// backoffLimit 0 (a failed migration fails the release instead of running
// again), activeDeadlineSeconds 600, ttlSecondsAfterFinished 86400.
type Migration struct {
	argv   []string
	asArgs bool
	job    jobSettings
	errs   []optionFail
}

// NewMigration starts a migration running argv as the container command.
// argv is required: Build refuses a migration without a program (the Job
// would run the image's default CMD, usually the web server).
func NewMigration(argv ...string) Migration { return Migration{argv: slices.Clone(argv)} }

// AsArgs renders argv as the container's args, keeping the image's
// ENTRYPOINT.
func (m Migration) AsArgs() Migration { m.asArgs = true; return m }

// WithBackoffLimit sets backoffLimit (default 0).
func (m Migration) WithBackoffLimit(n int32) Migration {
	if n < 0 {
		m.errs = appendClip(m.errs, optionFail{check: CheckJobSpec, option: "Migration.WithBackoffLimit", value: n, detail: "must be greater than or equal to 0"})
	}
	m.job.backoff = &n
	return m
}

// WithActiveDeadline sets activeDeadlineSeconds (default 600s).
func (m Migration) WithActiveDeadline(d time.Duration) Migration {
	if d <= 0 {
		m.errs = appendClip(m.errs, optionFail{check: CheckJobSpec, option: "Migration.WithActiveDeadline", value: d.String(), detail: "must be greater than 0; use WithoutActiveDeadline"})
	}
	m.job.deadline, m.job.noDeadline = &d, false
	return m
}

// WithoutActiveDeadline lets the migration run as long as it takes.
func (m Migration) WithoutActiveDeadline() Migration {
	m.job.deadline, m.job.noDeadline = nil, true
	return m
}

// WithTTLAfterFinished sets ttlSecondsAfterFinished (default 24h).
func (m Migration) WithTTLAfterFinished(d time.Duration) Migration {
	if d < 0 {
		m.errs = appendClip(m.errs, optionFail{check: CheckJobSpec, option: "Migration.WithTTLAfterFinished", value: d.String(), detail: "must be greater than or equal to 0"})
	}
	m.job.ttl, m.job.noTTL = &d, false
	return m
}

// WithoutTTLAfterFinished keeps the finished Job until deleted.
func (m Migration) WithoutTTLAfterFinished() Migration {
	m.job.ttl, m.job.noTTL = nil, true
	return m
}

// WithMigration adds a migration Job run before the workload (web services
// and workers). See Migration. A Migration without a command (a zero value,
// or NewMigration()) is an error (server.config).
func (a App) WithMigration(m Migration) App {
	m.argv = slices.Clone(m.argv)
	a.migration = &m
	return a.use("WithMigration")
}

// resolve applies defaults to s.
func (s jobSettings) resolve(backoff int32, deadline, ttl time.Duration) (int32, *int64, *int32) {
	b := backoff
	if s.backoff != nil {
		b = *s.backoff
	}
	var dl *int64
	switch {
	case s.noDeadline:
	case s.deadline != nil:
		dl = new(secondsCeil(*s.deadline))
	case deadline > 0:
		dl = new(secondsCeil(deadline))
	}
	var t *int32
	switch {
	case s.noTTL:
	case s.ttl != nil:
		t = new(int32(secondsCeil(*s.ttl)))
	case ttl > 0:
		t = new(int32(secondsCeil(ttl)))
	}
	return b, dl, t
}
