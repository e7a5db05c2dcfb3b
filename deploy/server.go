package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ServerKind names a server preset.
type ServerKind string

// The server presets. Gunicorn and Uvicorn serve web services; Celery, RQ,
// Dramatiq and Arq consume task queues (NewWorker); Command runs any argv
// for any workload kind.
const (
	KindGunicorn ServerKind = "gunicorn" // WSGI
	KindUvicorn  ServerKind = "uvicorn"  // ASGI
	KindCelery   ServerKind = "celery"   // Celery worker
	KindRQ       ServerKind = "rq"       // RQ worker
	KindDramatiq ServerKind = "dramatiq" // Dramatiq worker
	KindArq      ServerKind = "arq"      // arq worker (asyncio)
	KindCommand  ServerKind = "command"  // any argv
)

// Server describes how the container starts the Python process. Build it
// with a preset constructor and refine it with the With* methods, which
// return a modified copy (Server is a value, like App). A With* method that
// does not apply to the preset (WithThreads on Uvicorn) is recorded and
// reported by Build under option.not-applicable, never ignored.
type Server struct {
	kind    ServerKind
	app     string
	workers int32
	threads int32
	timeout time.Duration
	argv    []string
	queues  []string
	extra   []string
	asArgs  bool
	errs    []optionFail
}

// Default server settings.
const (
	DefaultWorkers       = int32(2)
	DefaultThreads       = int32(1)
	DefaultWorkerTimeout = 30 * time.Second
	// DefaultDramatiqThreads is Dramatiq's own default of threads per
	// process.
	DefaultDramatiqThreads = int32(8)
)

// Gunicorn returns the WSGI preset for app ("module:callable", e.g.
// "payments.wsgi:application"): DefaultWorkers sync workers, DefaultThreads
// threads, a DefaultWorkerTimeout worker timeout, the graceful timeout from
// the Shutdown budget and the worker heartbeat file on the /tmp emptyDir:
//
//	gunicorn --bind 0.0.0.0:<port> --workers 2 --threads 1 --timeout 30 --graceful-timeout 30 --worker-tmp-dir /tmp <app>
func Gunicorn(app string) Server {
	return Server{kind: KindGunicorn, app: app, workers: DefaultWorkers, threads: DefaultThreads, timeout: DefaultWorkerTimeout}
}

// Uvicorn returns the ASGI preset for app ("module:attr"): DefaultWorkers
// worker processes and --timeout-graceful-shutdown always set from the
// Shutdown budget (uvicorn's own default is to wait forever):
//
//	uvicorn <app> --host 0.0.0.0 --port <port> --workers 2 --timeout-graceful-shutdown 30
func Uvicorn(app string) Server {
	return Server{kind: KindUvicorn, app: app, workers: DefaultWorkers}
}

// Celery returns the Celery worker preset for app (the --app value, e.g.
// "payments.celery:app" or "payments"): DefaultWorkers prefork processes.
// SIGTERM, kubelet's stop signal, is Celery's warm shutdown: it stops
// taking tasks and waits for the running ones, with no bound of its own, so
// the Shutdown budget's Graceful (default 60s) is how long a task may still
// run when a pod stops; longer tasks are killed and, with acks_late,
// redelivered.
//
//	celery --app <app> worker --loglevel INFO --concurrency 2 [--queues a,b]
func Celery(app string) Server {
	return Server{kind: KindCelery, app: app, workers: DefaultWorkers}
}

// RQ returns the RQ worker preset for queues (default "default"). An RQ
// worker runs one job at a time (scale with replicas; WithWorkers does not
// apply). SIGTERM is RQ's warm shutdown: the current job finishes; the
// default Graceful is 180s, RQ's default job timeout. The Redis URL comes
// from the environment (RQ_REDIS_URL).
//
//	rq worker <queues...>
func RQ(queues ...string) Server {
	return Server{kind: KindRQ, queues: slices.Clone(queues), workers: 1, threads: 1}
}

// Dramatiq returns the Dramatiq worker preset for the broker modules (e.g.
// "payments.tasks"): DefaultWorkers processes of DefaultDramatiqThreads
// threads. SIGTERM is Dramatiq's graceful shutdown; the preset renders the
// Shutdown budget's Graceful (default 60s) as --worker-shutdown-timeout
// (Dramatiq's own default is 10 minutes, longer than any grace period):
//
//	dramatiq --processes 2 --threads 8 --worker-shutdown-timeout 60000 <modules...>
func Dramatiq(modules ...string) Server {
	return Server{kind: KindDramatiq, argv: slices.Clone(modules), workers: DefaultWorkers, threads: DefaultDramatiqThreads}
}

// Arq returns the arq worker preset for settings ("module.WorkerSettings").
// An arq worker is one asyncio process (max_jobs concurrency is a
// WorkerSettings field, so WithWorkers and WithThreads do not apply). On
// SIGTERM arq waits WorkerSettings.job_completion_wait for running jobs and
// cancels the rest; keep it below the Shutdown budget's Graceful (default
// 30s).
//
//	arq <settings>
func Arq(settings string) Server {
	return Server{kind: KindArq, app: settings, workers: 1, threads: 1}
}

// Command runs argv as the container command, replacing the image's
// ENTRYPOINT and CMD. The process must itself stop within the Shutdown
// budget's graceful timeout after SIGTERM.
func Command(argv ...string) Server {
	return Server{kind: KindCommand, argv: slices.Clone(argv)}
}

// Args runs argv as the container args: the image's ENTRYPOINT (tini,
// dumb-init, an entrypoint script) stays and receives argv, which replaces
// its CMD. It is Command(argv...).AsArgs().
func Args(argv ...string) Server { return Command(argv...).AsArgs() }

// Kind reports the preset.
func (s Server) Kind() ServerKind { return s.kind }

// StopSignal is the signal that makes the server shut down gracefully:
// SIGTERM for every preset, which is what kubelet sends (unless the image
// sets another STOPSIGNAL), so nothing needs rendering.
func (s Server) StopSignal() string { return "SIGTERM" }

// AsArgs renders the preset's argv as the container's args instead of its
// command, so the image's ENTRYPOINT (tini, dumb-init) stays PID 1 and
// runs the server.
func (s Server) AsArgs() Server { s.asArgs = true; return s }

func (s Server) misuse(method, detail string) Server {
	s.errs = appendClip(s.errs, optionFail{check: CheckOption, option: method, detail: detail})
	return s
}

func (s Server) presetName() string {
	switch s.kind {
	case "":
		return "an unset server"
	case KindCommand:
		if s.asArgs {
			return "Args"
		}
		return "Command"
	case KindRQ:
		return "RQ"
	}
	return strings.ToUpper(string(s.kind[:1])) + string(s.kind[1:])
}

// WithWorkers sets the number of worker processes: gunicorn and uvicorn
// workers, Celery --concurrency, Dramatiq --processes. It must be at least 1.
func (s Server) WithWorkers(n int32) Server {
	switch s.kind {
	case KindGunicorn, KindUvicorn, KindCelery, KindDramatiq:
		s.workers = n
		return s
	}
	return s.misuse("WithWorkers", "does not apply to "+s.presetName()+": "+s.scaleHint())
}

func (s Server) scaleHint() string {
	switch s.kind {
	case KindRQ:
		return "an RQ worker runs one job at a time; scale with WithReplicas"
	case KindArq:
		return "arq's concurrency is WorkerSettings.max_jobs; scale processes with WithReplicas"
	}
	return "the process count of a command is the command's business"
}

// WithThreads sets threads per worker: gunicorn --threads (more than 1
// selects the gthread worker) and Dramatiq --threads.
func (s Server) WithThreads(n int32) Server {
	switch s.kind {
	case KindGunicorn, KindDramatiq:
		s.threads = n
		return s
	case KindUvicorn:
		return s.misuse("WithThreads", "does not apply to Uvicorn: its workers run one asyncio event loop each; use WithWorkers")
	}
	return s.misuse("WithThreads", "does not apply to "+s.presetName()+"; only Gunicorn and Dramatiq have threads per worker")
}

// WithTimeout sets gunicorn's --timeout: a worker silent for longer is
// killed and restarted. Gunicorn only.
func (s Server) WithTimeout(d time.Duration) Server {
	if s.kind != KindGunicorn {
		return s.misuse("WithTimeout", "does not apply to "+s.presetName()+": it is gunicorn's silent-worker --timeout; the graceful timeout comes from the Shutdown budget")
	}
	s.timeout = d
	return s
}

// WithQueues sets the queues consumed: Celery --queues, Dramatiq --queues,
// RQ's queue arguments.
func (s Server) WithQueues(queues ...string) Server {
	switch s.kind {
	case KindCelery, KindDramatiq, KindRQ:
		s.queues = slices.Clone(queues)
		return s
	}
	return s.misuse("WithQueues", "does not apply to "+s.presetName()+"; only Celery, RQ and Dramatiq consume named queues on the command line")
}

// WithArgs appends extra arguments after the preset's own flags (before the
// app for gunicorn, before the modules or queues for Dramatiq and RQ).
func (s Server) WithArgs(args ...string) Server {
	s.extra = appendClip(s.extra, args...)
	return s
}

// isWorker reports whether the preset is a task-queue worker.
func (s Server) isWorker() bool {
	return s.kind == KindCelery || s.kind == KindRQ || s.kind == KindDramatiq || s.kind == KindArq
}

// defaultGraceful is the preset's graceful timeout for workers and Jobs.
func (s Server) defaultGraceful() time.Duration {
	switch s.kind {
	case KindRQ:
		return 180 * time.Second
	case KindCelery, KindDramatiq:
		return 60 * time.Second
	}
	return 30 * time.Second
}

// processes returns the worker processes and threads per process the
// preset runs, for resource sizing; ok is false for Command and Args.
func (s Server) processes() (workers, threads int32, ok bool) {
	switch s.kind {
	case KindGunicorn, KindDramatiq:
		return s.workers, s.threads, true
	case KindUvicorn, KindCelery:
		return s.workers, 1, true
	case KindRQ, KindArq:
		return 1, 1, true
	}
	return 0, 0, false
}

// pyRef is a Python "module:callable" or "module.attr" reference; gunicorn
// also accepts a factory call such as "pkg:create_app()".
var (
	appPattern    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_.]*(\(.*\))?$`)
	modulePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_.]*)?$`)
)

func (s Server) validate(fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch s.kind {
	case KindGunicorn, KindUvicorn:
		if !appPattern.MatchString(s.app) {
			errs = append(errs, field.Invalid(fld.Child("app"), s.app, "must be a Python \"module:callable\" reference, e.g. \"payments.wsgi:application\""))
		}
	case KindCelery:
		if !modulePattern.MatchString(s.app) {
			errs = append(errs, field.Invalid(fld.Child("app"), s.app, "must be a Celery --app reference, e.g. \"payments.celery:app\" or \"payments\""))
		}
	case KindArq:
		if !modulePattern.MatchString(s.app) || !strings.Contains(s.app, ".") {
			errs = append(errs, field.Invalid(fld.Child("settings"), s.app, "must be the dotted path of the worker settings class, e.g. \"payments.worker.WorkerSettings\""))
		}
	case KindDramatiq:
		if len(s.argv) == 0 {
			errs = append(errs, field.Required(fld.Child("modules"), "Dramatiq needs the module(s) declaring the broker and actors"))
		}
		for i, m := range s.argv {
			if !modulePattern.MatchString(m) {
				errs = append(errs, field.Invalid(fld.Child("modules").Index(i), m, "must be a Python module path, e.g. \"payments.tasks\""))
			}
		}
	case KindRQ:
	case KindCommand:
		if len(s.argv) == 0 || s.argv[0] == "" {
			errs = append(errs, field.Required(fld.Child("command"), s.presetName()+" needs at least the program to run"))
		}
	default:
		errs = append(errs, field.Required(fld, "set a server with WithServer(deploy.Gunicorn(...)), deploy.Uvicorn(...), a worker preset or deploy.Command(...)"))
	}
	for i, q := range s.queues {
		if strings.TrimSpace(q) == "" || strings.ContainsAny(q, ", ") {
			errs = append(errs, field.Invalid(fld.Child("queues").Index(i), q, "must be a queue name without spaces or commas"))
		}
	}
	if _, _, ok := s.processes(); ok {
		if s.workers < 1 {
			errs = append(errs, field.Invalid(fld.Child("workers"), s.workers, "must be greater than or equal to 1"))
		}
		if s.threads < 1 && (s.kind == KindGunicorn || s.kind == KindDramatiq) {
			errs = append(errs, field.Invalid(fld.Child("threads"), s.threads, "must be greater than or equal to 1"))
		}
	}
	if s.kind == KindGunicorn && (s.timeout <= 0 || s.timeout%time.Second != 0) {
		errs = append(errs, field.Invalid(fld.Child("timeout"), s.timeout.String(), "must be a positive whole number of seconds"))
	}
	return errs
}

// argv renders the process's argv for port and graceful timeout.
func (s Server) render(port int32, graceful time.Duration, tmpDir string) []string {
	p := strconv.Itoa(int(port))
	g := strconv.Itoa(int(graceful / time.Second))
	switch s.kind {
	case KindGunicorn:
		argv := []string{"gunicorn", "--bind", "0.0.0.0:" + p,
			"--workers", itoa(s.workers), "--threads", itoa(s.threads),
			"--timeout", strconv.Itoa(int(s.timeout / time.Second)), "--graceful-timeout", g}
		if tmpDir != "" {
			argv = append(argv, "--worker-tmp-dir", tmpDir)
		}
		argv = append(argv, s.extra...)
		return append(argv, s.app)
	case KindUvicorn:
		argv := []string{"uvicorn", s.app, "--host", "0.0.0.0", "--port", p,
			"--workers", itoa(s.workers), "--timeout-graceful-shutdown", g}
		return append(argv, s.extra...)
	case KindCelery:
		argv := []string{"celery", "--app", s.app, "worker", "--loglevel", "INFO", "--concurrency", itoa(s.workers)}
		if len(s.queues) > 0 {
			argv = append(argv, "--queues", strings.Join(s.queues, ","))
		}
		return append(argv, s.extra...)
	case KindRQ:
		argv := append([]string{"rq", "worker"}, s.extra...)
		if len(s.queues) == 0 {
			return append(argv, "default")
		}
		return append(argv, s.queues...)
	case KindDramatiq:
		argv := []string{"dramatiq", "--processes", itoa(s.workers), "--threads", itoa(s.threads),
			"--worker-shutdown-timeout", strconv.FormatInt(graceful.Milliseconds(), 10)}
		if len(s.queues) > 0 {
			argv = append(argv, "--queues")
			argv = append(argv, s.queues...)
		}
		argv = append(argv, s.extra...)
		return append(argv, s.argv...)
	case KindArq:
		return append(append([]string{"arq"}, s.extra...), s.app)
	default:
		return append(slices.Clone(s.argv), s.extra...)
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// Shutdown is the one budget that drives graceful termination:
//   - PreStopSleep becomes lifecycle.preStop.sleep, so the pod leaves the
//     Service's endpoints before the server sees SIGTERM (0 = no preStop hook);
//   - Graceful becomes gunicorn --graceful-timeout, uvicorn
//     --timeout-graceful-shutdown or Dramatiq --worker-shutdown-timeout (time
//     to finish in-flight requests or tasks);
//   - Margin is slack before SIGKILL.
//
// terminationGracePeriodSeconds = PreStopSleep + Graceful + Margin. All three
// are whole seconds. Start from DefaultShutdown() and change one field with
// the With* methods: a Shutdown literal leaves the others at 0, which Build
// reports.
type Shutdown struct {
	PreStopSleep time.Duration
	Graceful     time.Duration
	Margin       time.Duration
}

// DefaultShutdown returns the web-service budget: 5s preStop sleep + 30s
// graceful (gunicorn's own default) + 5s margin = a 40s grace period.
func DefaultShutdown() Shutdown {
	return Shutdown{PreStopSleep: 5 * time.Second, Graceful: 30 * time.Second, Margin: 5 * time.Second}
}

// WithPreStopSleep returns the budget with PreStopSleep d.
func (s Shutdown) WithPreStopSleep(d time.Duration) Shutdown { s.PreStopSleep = d; return s }

// WithGraceful returns the budget with Graceful d.
func (s Shutdown) WithGraceful(d time.Duration) Shutdown { s.Graceful = d; return s }

// WithMargin returns the budget with Margin d.
func (s Shutdown) WithMargin(d time.Duration) Shutdown { s.Margin = d; return s }

// Total is the grace period the budget needs.
func (s Shutdown) Total() time.Duration { return s.PreStopSleep + s.Graceful + s.Margin }

func (s Shutdown) validate(fld *field.Path, server Server) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"preStopSleep", s.PreStopSleep}, {"graceful", s.Graceful}, {"margin", s.Margin}} {
		switch {
		case f.d < 0:
			errs = append(errs, field.Invalid(fld.Child(f.name), f.d.String(), "must be greater than or equal to 0"))
		case f.d%time.Second != 0:
			errs = append(errs, field.Invalid(fld.Child(f.name), f.d.String(), "must be a whole number of seconds"))
		}
	}
	if s.Graceful == 0 && s.Margin == 0 && s.PreStopSleep > 0 {
		errs = append(errs, field.Invalid(fld.Child("graceful"), "0s",
			fmt.Sprintf("graceful and margin are 0, so the grace period equals the preStop sleep and %s is killed the moment it gets SIGTERM; a Shutdown literal leaves unset fields at 0: start from DefaultShutdown() and use WithPreStopSleep", server.presetName())))
	} else if s.Graceful == 0 && server.kind != KindCommand && server.kind != "" {
		errs = append(errs, field.Invalid(fld.Child("graceful"), "0s",
			fmt.Sprintf("must be greater than 0: %s would get no time to finish in-flight work; a Shutdown literal leaves unset fields at 0: start from DefaultShutdown()", server.presetName())))
	}
	return errs
}
