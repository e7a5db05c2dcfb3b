package deploy_test

import (
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/pydeploy/pydeploy/deploy"
	"github.com/pydeploy/pydeploy/probe"
)

func web() deploy.App {
	return deploy.NewApp("api", "shop").WithImage("ghcr.io/acme/api:1.0.0").WithServer(deploy.Gunicorn("api.wsgi:application"))
}

func worker() deploy.App {
	return deploy.NewWorker("jobs", "shop").WithImage("ghcr.io/acme/api:1.0.0").WithServer(deploy.Celery("api.celery:app"))
}

func oneOff() deploy.App {
	return deploy.NewJob("backfill", "shop").WithImage("ghcr.io/acme/api:1.0.0").WithCommand("python", "-m", "api.backfill")
}

func cron() deploy.App {
	return deploy.NewCronJob("report", "shop", "@daily").WithImage("ghcr.io/acme/api:1.0.0").WithCommand("python", "-m", "api.report")
}

// TestOptions_NeverIgnored is the table: every option that does
// not apply to the server, the workload kind or the probe, and every
// invalid value, is an error under the right check, with a message naming
// the option. It starts with the silent no-ops the issue lists.
func TestOptions_NeverIgnored(t *testing.T) {
	t.Parallel()
	http := intstr.FromString("http")
	cases := []struct {
		name  string
		app   deploy.App
		check deploy.CheckID
		text  string
	}{
		// The no-ops of the issue.
		{"Uvicorn WithThreads", web().WithServer(deploy.Uvicorn("api.asgi:app").WithThreads(8)), deploy.CheckOption, "server.WithThreads: Forbidden: does not apply to Uvicorn"},
		{"negative boot time", web().WithBootTime(-5 * time.Second), deploy.CheckProbeSpec, `options.WithBootTime: Invalid value: "-5s": must be greater than 0`},
		{"selector key in WithLabels", web().WithLabels(map[string]string{deploy.LabelName: "other"}), deploy.CheckOption, "options.WithLabels[app.kubernetes.io/name]: Forbidden: is set by the builder"},
		{"instance key in WithLabels", web().WithLabels(map[string]string{deploy.LabelInstance: "blue"}), deploy.CheckOption, "use WithInstance"},
		{"probe period 0", web().WithReadiness(probe.HTTPGet("/ready", http).WithPeriod(0)), deploy.CheckProbeSpec, "periodSeconds must be greater than or equal to 1"},
		{"probe timeout 0", web().WithLiveness(probe.HTTPGet("/live", http).WithTimeout(0)), deploy.CheckProbeSpec, "timeoutSeconds must be greater than or equal to 1"},
		{"probe negative delay", web().WithLiveness(probe.HTTPGet("/live", http).WithInitialDelay(-time.Second)), deploy.CheckProbeSpec, "initialDelaySeconds must be greater than or equal to 0"},
		{"probe failure threshold 0", web().WithLiveness(probe.HTTPGet("/live", http).WithFailureThreshold(0)), deploy.CheckProbeSpec, "failureThreshold must be greater than or equal to 1"},
		{"header on a TCP probe", web().WithLiveness(probe.TCP(http).WithHeader("X", "1")), deploy.CheckOption, "WithHeader: Forbidden: applies only to httpGet probes"},
		{"Shutdown literal", web().WithShutdown(deploy.Shutdown{PreStopSleep: 5 * time.Second}), deploy.CheckShutdown, "shutdown.graceful"},
		// Workload kinds.
		{"port on a worker", worker().WithPort(8000, "http"), deploy.CheckOption, "options.WithPort: Forbidden: applies only to web services (NewApp), not to a worker"},
		{"service port on a worker", worker().WithServicePort(80), deploy.CheckOption, "WithServicePort"},
		{"ingress on a worker", worker().WithIngress(deploy.NewIngress("x.example.com")), deploy.CheckOption, "WithIngress"},
		{"HTTP readiness on a worker", worker().WithReadiness(probe.HTTPGet("/ready", http)), deploy.CheckOption, "a worker has no port"},
		{"Django on a worker", worker().WithDjango("x"), deploy.CheckOption, "WithDjango"},
		{"boot time on a worker without liveness", worker().WithBootTime(time.Minute), deploy.CheckOption, "there is none; add WithLiveness"},
		{"network peers on a worker without ports", worker().WithNetworkPolicyFrom(), deploy.CheckOption, "admits no ingress"},
		{"replicas on a Job", oneOff().WithReplicas(2), deploy.CheckOption, "WithReplicas: Forbidden: applies only to web services (NewApp) and workers (NewWorker), not to a job"},
		{"readiness on a Job", oneOff().WithReadiness(probe.Exec("true")), deploy.CheckOption, "WithReadiness"},
		{"migration of a Job", oneOff().WithMigration(deploy.NewMigration("true")), deploy.CheckOption, "WithMigration"},
		{"rolling update on a CronJob", cron().WithRollingUpdate(intstr.FromInt32(1), intstr.FromInt32(0)), deploy.CheckOption, "WithRollingUpdate"},
		{"schedule on a web service", web().WithSchedule("@hourly"), deploy.CheckOption, "WithSchedule: Forbidden: applies only to CronJobs"},
		{"backoff limit on a web service", web().WithBackoffLimit(2), deploy.CheckOption, "WithBackoffLimit"},
		{"time zone on a Job", oneOff().WithTimeZone("UTC"), deploy.CheckOption, "WithTimeZone"},
		{"Celery behind a Service", web().WithServer(deploy.Celery("api.celery:app")), deploy.CheckOption, "describe it with NewWorker"},
		{"gunicorn as a CronJob", cron().WithServer(deploy.Gunicorn("api.wsgi:application")), deploy.CheckOption, "serves HTTP"},
		{"the issue's Celery worker as a web service", deploy.NewApp("jobs", "shop").WithImage("ghcr.io/acme/api:1.0.0").
			WithServer(deploy.Command("celery", "-A", "x", "worker")).WithoutService().WithoutReadiness("worker"),
			deploy.CheckOption, "server.command: Forbidden: runs celery, a task-queue worker that serves no HTTP"},
		{"python -m celery as a web service", web().WithCommand("python3.12", "-m", "celery", "-A", "x", "worker"), deploy.CheckOption, "NewWorker(...).WithServer(deploy.Celery(...))"},
		{"uv run dramatiq as a web service", web().WithArgs("uv", "run", "dramatiq", "api.tasks"), deploy.CheckOption, "runs dramatiq"},
		{"rq in a shell as a web service", web().WithCommand("/bin/sh", "-c", "exec rq worker default"), deploy.CheckOption, "NewWorker(...).WithServer(deploy.RQ(...))"},
		{"arq by path as a web service", web().WithCommand("/usr/local/bin/arq", "api.worker.Settings"), deploy.CheckOption, "runs arq"},
		{"django-rq worker as a web service", web().WithCommand("python", "manage.py", "rqworker", "default"), deploy.CheckOption, "runs manage.py rqworker"},
		{"huey as a web service", web().WithCommand("./manage.py", "run_huey"), deploy.CheckOption, "runs manage.py run_huey"},
		{"celery beat as a web service", web().WithCommand("celery", "-A", "x", "beat"), deploy.CheckOption, "runs celery"},
		{"boot time with nothing to hold back", web().WithServer(deploy.Command("python", "-m", "api.consumer")).WithoutService().WithoutReadiness("no traffic").WithBootTime(2 * time.Minute),
			deploy.CheckOption, "options.WithBootTime: Forbidden: derives a startup probe"},
		{"Celery as a Job", oneOff().WithServer(deploy.Celery("api.celery:app")), deploy.CheckOption, "never completes"},
		// Servers.
		{"Uvicorn WithTimeout", web().WithServer(deploy.Uvicorn("api.asgi:app").WithTimeout(time.Minute)), deploy.CheckOption, "server.WithTimeout"},
		{"RQ WithWorkers", worker().WithServer(deploy.RQ("default").WithWorkers(4)), deploy.CheckOption, "one job at a time"},
		{"Arq WithThreads", worker().WithServer(deploy.Arq("api.worker.Settings").WithThreads(2)), deploy.CheckOption, "server.WithThreads"},
		{"Gunicorn WithQueues", web().WithServer(deploy.Gunicorn("api.wsgi:application").WithQueues("x")), deploy.CheckOption, "server.WithQueues"},
		{"Command WithWorkers", oneOff().WithServer(deploy.Command("python").WithWorkers(2)), deploy.CheckOption, "server.WithWorkers"},
		{"zero workers", web().WithServer(deploy.Gunicorn("api.wsgi:application").WithWorkers(0)), deploy.CheckServer, "must be greater than or equal to 1"},
		// Contradictions and options with nothing to act on.
		{"PDB for one replica", web().WithReplicas(1).WithPDB(intstr.FromInt32(1)), deploy.CheckOption, "no PodDisruptionBudget is generated for a single replica"},
		{"WithoutPDB for one replica", web().WithReplicas(1).WithoutPDB("x"), deploy.CheckOption, "nothing to remove"},
		{"WithoutSpread for one replica", web().WithReplicas(1).WithoutSpread("x"), deploy.CheckOption, "nothing to remove"},
		{"PDB and WithoutPDB", web().WithPDB(intstr.FromInt32(1)).WithoutPDB("x"), deploy.CheckOption, "contradicts WithPDB"},
		{"service port without Service", web().WithServicePort(80).WithoutService(), deploy.CheckOption, "contradicts WithServicePort"},
		{"route without Service", web().WithHTTPRoute(deploy.NewHTTPRoute("gw")).WithoutService(), deploy.CheckOption, "contradicts WithHTTPRoute"},
		{"readiness path and readiness", web().WithReadinessPath("/r").WithReadiness(probe.HTTPGet("/x", http)), deploy.CheckOption, "contradicts WithReadinessPath"},
		{"boot time and no startup probe", web().WithBootTime(time.Minute).WithoutStartupProbe(), deploy.CheckOption, "contradicts WithBootTime"},
		{"ephemeral storage set and dropped", web().WithEphemeralStorage("1Gi", "2Gi").WithoutEphemeralStorage("x"), deploy.CheckOption, "contradicts WithEphemeralStorage"},
		{"network peers and no policy", web().WithNetworkPolicyFrom().WithoutNetworkPolicy(), deploy.CheckOption, "contradicts WithNetworkPolicyFrom"},
		{"Django without HTTP probes", web().WithDjango("x").WithReadiness(probe.Exec("true")), deploy.CheckOption, "the app has none"},
		{"pod label on a selector key", web().WithPodLabels(map[string]string{deploy.LabelName: "x"}), deploy.CheckOption, "is a selector label"},
		// Invalid counts and durations, with the API server's words.
		{"negative replicas", web().WithReplicas(-1), deploy.CheckDeploymentSpec, "must be greater than or equal to 0"},
		{"negative min ready", web().WithMinReady(-time.Second), deploy.CheckDeploymentSpec, "must be greater than or equal to 0"},
		{"negative backoff", oneOff().WithBackoffLimit(-1), deploy.CheckJobSpec, "must be greater than or equal to 0"},
		{"zero active deadline", oneOff().WithActiveDeadline(0), deploy.CheckJobSpec, "must be greater than 0"},
		{"negative TTL", oneOff().WithTTLAfterFinished(-time.Hour), deploy.CheckJobSpec, "must be greater than or equal to 0"},
		{"negative migration backoff", web().WithMigration(deploy.NewMigration("true").WithBackoffLimit(-2)), deploy.CheckJobSpec, "must be greater than or equal to 0"},
		{"negative history", cron().WithHistoryLimits(-1, 1), deploy.CheckCronJobSpec, "must be greater than or equal to 0"},
		{"negative starting deadline", cron().WithStartingDeadline(-time.Second), deploy.CheckCronJobSpec, "must be greater than or equal to 0"},
		{"service port 0", web().WithServicePort(0), deploy.CheckPorts, "options.WithServicePort: Invalid value: 0: must be between 1 and 65535, inclusive"},
		{"negative service port", web().WithServicePort(-80), deploy.CheckPorts, "options.WithServicePort: Invalid value: -80: must be between 1 and 65535, inclusive"},
		{"migration without a command", web().WithMigration(deploy.NewMigration()), deploy.CheckServer, "migration.command: Required value: the migration needs the command to run"},
		{"migration literal without a command", web().WithMigration(deploy.Migration{}.AsArgs()), deploy.CheckServer, "runs the image's default CMD"},
		{"bad schedule", deploy.NewCronJob("report", "shop", "every day").WithImage("ghcr.io/acme/api:1.0.0").WithCommand("true"), deploy.CheckCronJobSpec, "expected exactly 5 fields"},
		{"bad time zone", cron().WithTimeZone("Mars/Olympus"), deploy.CheckCronJobSpec, "unknown time zone"},
		{"bad Kubernetes version", web().WithKubernetesVersion("1.10"), deploy.CheckKubernetesVersion, "is older than 1.23"},
		{"service type", web().WithServiceType("Internal"), deploy.CheckServiceType, "Unsupported value"},
		{"bad toleration", web().WithTolerations(corev1.Toleration{Key: "k", Operator: corev1.TolerationOpExists, Value: "v"}), deploy.CheckScheduling, "value must be empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ve := buildErr(t, tc.app)
			assert.Assert(t, ve.Has(tc.check), "want %s in:\n%s", tc.check, ve)
			assert.Assert(t, strings.Contains(ve.Error(), tc.text), "want %q in:\n%s", tc.text, ve)
		})
	}
}

// TestOptions_NegativeQuantities: the API server refuses negative
// quantities with "must be greater than or equal to 0"; so does Build.
func TestOptions_NegativeQuantities(t *testing.T) {
	t.Parallel()
	ve := buildErr(t, web().WithCPU("-100m").WithMemory("-1Gi", "-512Mi"))
	assert.Equal(t, ve.Error(), `app shop/api: 3 problem(s):
  Deployment spec.template.spec.containers[0].resources.requests[cpu]: Invalid value: "-100m": must be greater than or equal to 0 [resources.format]
  Deployment spec.template.spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0 [resources.format]
  Deployment spec.template.spec.containers[0].resources.limits[memory]: Invalid value: "-512Mi": must be greater than or equal to 0 [resources.format]`)
	ve = buildErr(t, web().WithContainer(deploy.NewContainer("exporter", "ghcr.io/acme/exporter:1.0.0").WithCPU("-1")).
		WithEphemeralStorage("-1Gi", "1Gi"))
	assert.DeepEqual(t, ve.Checks(), []deploy.CheckID{deploy.CheckResourcesFormat, deploy.CheckResourcesFormat})
	assert.ErrorContains(t, ve, `containers[1].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0`)
	// A negative emptyDir.sizeLimit, which the API server refuses too.
	ve = buildErr(t, web().WithTmp("-1Mi", false).WithWritablePath("/cache", "-2Mi", "the model cache"))
	assert.Equal(t, ve.Error(), `app shop/api: 2 problem(s):
  App options.WithTmp: Invalid value: "-1Mi": SizeLimit field must be a valid resource quantity: must be greater than or equal to 0 [resources.format]
  App options.WithWritablePath[/cache]: Invalid value: "-2Mi": SizeLimit field must be a valid resource quantity: must be greater than or equal to 0 [resources.format]`)
	b := mustBuild(t, web())
	neg := resource.MustParse("-1Mi")
	b.Deployment.Spec.Template.Spec.Volumes[0].EmptyDir.SizeLimit = &neg
	_, err := deploy.Validate(b.Objects()...)
	assert.Error(t, err, `1 problem(s):
  Deployment/api spec.template.spec.volumes[0].emptyDir.sizeLimit: Invalid value: "-1Mi": SizeLimit field must be a valid resource quantity: must be greater than or equal to 0 [resources.format]`)
	ve = buildErr(t, web().WithCPU("lots"))
	assert.ErrorContains(t, ve, `Invalid value: "lots": quantities must match the regular expression`)
	assert.DeepEqual(t, ve.Checks(), []deploy.CheckID{deploy.CheckResourcesFormat})
}
