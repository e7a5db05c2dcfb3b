package deploy

import (
	"regexp"
	"slices"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ServerKind names a server preset.
type ServerKind string

// The server presets.
const (
	KindGunicorn ServerKind = "gunicorn" // WSGI
	KindUvicorn  ServerKind = "uvicorn"  // ASGI
	KindCommand  ServerKind = "command"  // any argv
)

// Server describes how the container starts the Python app. Build it with
// Gunicorn, Uvicorn or Command and refine it with the With* methods, which
// return a modified copy.
type Server struct {
	kind    ServerKind
	app     string
	workers int32
	threads int32
	timeout time.Duration
	argv    []string
	extra   []string
}

// Default server settings.
const (
	DefaultWorkers       = int32(2)
	DefaultThreads       = int32(1)
	DefaultWorkerTimeout = 30 * time.Second
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

// Command runs argv as the container command unchanged. The process must
// itself stop within the Shutdown budget's graceful timeout after SIGTERM.
func Command(argv ...string) Server {
	return Server{kind: KindCommand, argv: slices.Clone(argv)}
}

// Kind reports the preset.
func (s Server) Kind() ServerKind { return s.kind }

// WithWorkers sets the number of worker processes (gunicorn, uvicorn).
func (s Server) WithWorkers(n int32) Server { s.workers = n; return s }

// WithThreads sets gunicorn's threads per worker (more than 1 selects the
// gthread worker).
func (s Server) WithThreads(n int32) Server { s.threads = n; return s }

// WithTimeout sets gunicorn's --timeout: a worker silent for longer is killed
// and restarted.
func (s Server) WithTimeout(d time.Duration) Server { s.timeout = d; return s }

// WithArgs appends extra arguments after the preset's own flags (before the
// app for gunicorn).
func (s Server) WithArgs(args ...string) Server {
	s.extra = append(slices.Clone(s.extra), args...)
	return s
}

// appPattern is a Python "module:callable" reference; gunicorn also accepts a
// factory call such as "pkg:create_app()".
var appPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_.]*(\(.*\))?$`)

func (s Server) validate(fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch s.kind {
	case KindGunicorn, KindUvicorn:
		if !appPattern.MatchString(s.app) {
			errs = append(errs, field.Invalid(fld.Child("app"), s.app, "must be a Python \"module:callable\" reference, e.g. \"payments.wsgi:application\""))
		}
		if s.workers < 1 {
			errs = append(errs, field.Invalid(fld.Child("workers"), s.workers, "must be at least 1"))
		}
		if s.kind == KindGunicorn {
			if s.threads < 1 {
				errs = append(errs, field.Invalid(fld.Child("threads"), s.threads, "must be at least 1"))
			}
			if s.timeout <= 0 || s.timeout%time.Second != 0 {
				errs = append(errs, field.Invalid(fld.Child("timeout"), s.timeout.String(), "must be a positive whole number of seconds"))
			}
		}
	case KindCommand:
		if len(s.argv) == 0 || s.argv[0] == "" {
			errs = append(errs, field.Required(fld.Child("command"), "Command needs at least the program to run"))
		}
	default:
		errs = append(errs, field.Required(fld, "set a server with WithServer(deploy.Gunicorn(...)), deploy.Uvicorn(...) or deploy.Command(...)"))
	}
	return errs
}

// command renders the container command for port and graceful timeout.
func (s Server) command(port int32, graceful time.Duration, tmpDir string) []string {
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
	default:
		return append(slices.Clone(s.argv), s.extra...)
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// Shutdown is the one budget that drives graceful termination:
//   - PreStopSleep becomes lifecycle.preStop.sleep, so the pod leaves the
//     Service's endpoints before the server sees SIGTERM (0 = no preStop hook);
//   - Graceful becomes gunicorn --graceful-timeout or uvicorn
//     --timeout-graceful-shutdown (time to finish in-flight requests);
//   - Margin is slack before SIGKILL.
//
// terminationGracePeriodSeconds = PreStopSleep + Graceful + Margin. All three
// are whole seconds.
type Shutdown struct {
	PreStopSleep time.Duration
	Graceful     time.Duration
	Margin       time.Duration
}

// DefaultShutdown returns the default budget: 5s preStop sleep + 30s graceful
// (gunicorn's own default) + 5s margin = a 40s grace period.
func DefaultShutdown() Shutdown {
	return Shutdown{PreStopSleep: 5 * time.Second, Graceful: 30 * time.Second, Margin: 5 * time.Second}
}

// Total is the grace period the budget needs.
func (s Shutdown) Total() time.Duration { return s.PreStopSleep + s.Graceful + s.Margin }

func (s Shutdown) validate(fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"preStopSleep", s.PreStopSleep}, {"graceful", s.Graceful}, {"margin", s.Margin}} {
		if f.d < 0 || f.d%time.Second != 0 {
			errs = append(errs, field.Invalid(fld.Child(f.name), f.d.String(), "must be a non-negative whole number of seconds"))
		}
	}
	return errs
}
