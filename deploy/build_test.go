package deploy_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/pydeploy/pydeploy/deploy"
	"github.com/pydeploy/pydeploy/probe"
)

func buildErr(t *testing.T, a deploy.App) *deploy.ValidationError {
	t.Helper()
	_, err := a.Build()
	var ve *deploy.ValidationError
	assert.Assert(t, errors.As(err, &ve), "want a *ValidationError, got %v", err)
	return ve
}

// TestBuild_TenMistakes is the acceptance test: ten different
// mistakes, one error, every one listed with its field path and check ID.
func TestBuild_TenMistakes(t *testing.T) {
	t.Parallel()
	a := deploy.NewApp("payments-api", "payments").
		WithImage("ghcr.io/acme/payments:latest").                               // 1 image.latest-tag
		WithServer(deploy.Gunicorn("payments.wsgi:application")).                //
		WithEnv("DATABASE_PASSWORD", "hunter2").                                 // 2 env.secret
		WithEnv("DJANGO_DEBUG", "0").WithEnv("DJANGO_DEBUG", "1").               // 3 env.duplicate
		WithRollingUpdate(intstr.FromInt32(0), intstr.FromString("0%")).         // 4 deployment.strategy
		WithMinReady(30*time.Second).WithProgressDeadline(10*time.Second).       // 5 deployment.spec
		WithTerminationGracePeriod(10*time.Second).                              // 6 shutdown.budget
		WithLiveness(probe.HTTPGet("/health/ready", intstr.FromString("http"))). // 7 probe.identical
		WithUser(1000, 1000).                                                    // 8 security.run-as-non-root
		WithMemory("1Gi", "512Mi").                                              // 9 resources.format
		WithExtraPort("ssh", 22)                                                 // 10 ports.ssh
	ve := buildErr(t, a)
	want := []deploy.CheckID{
		deploy.CheckShutdown, deploy.CheckDeploymentSpec, deploy.CheckStrategy, deploy.CheckImageLatest,
		deploy.CheckSSHPort, deploy.CheckEnvSecret, deploy.CheckEnvDuplicate, deploy.CheckResourcesFormat,
		deploy.CheckRunAsNonRoot, deploy.CheckProbeIdentical,
	}
	got := slices.Compact(slices.Clone(ve.Checks()))
	assert.DeepEqual(t, got, want)
	for _, p := range ve.Problems {
		assert.Assert(t, p.Err.Field != "", "%s has no field path", p)
	}
	goldenFile(t, "ten-mistakes.golden", []byte(ve.Error()+"\n"))
	assert.Equal(t, len(ve.ErrorList()), len(ve.Problems))
}

func TestBuild_Defaults(t *testing.T) {
	t.Parallel()
	b := mustBuild(t, payments())
	d := b.Deployment
	assert.Equal(t, *d.Spec.Replicas, int32(3))
	assert.DeepEqual(t, d.Spec.Selector.MatchLabels, map[string]string{deploy.LabelName: "payments-api", deploy.LabelInstance: "payments-api"})
	ps := d.Spec.Template.Spec
	c := ps.Containers[0]
	assert.Equal(t, *ps.TerminationGracePeriodSeconds, int64(40))
	assert.Equal(t, c.Lifecycle.PreStop.Sleep.Seconds, int64(5))
	assert.Equal(t, c.Env[0], corev1.EnvVar{Name: "PYTHONUNBUFFERED", Value: "1"})
	assert.Equal(t, c.ImagePullPolicy, corev1.PullPolicy(""))
	assert.Equal(t, c.StartupProbe.FailureThreshold, int32(6))
	assert.Assert(t, c.LivenessProbe == nil)
	assert.Equal(t, b.Service.Spec.Ports[0].TargetPort, intstr.FromString("http"))
	assert.Equal(t, b.PodDisruptionBudget.Spec.MaxUnavailable.IntValue(), 1)
	assert.Assert(t, b.HorizontalPodAutoscaler == nil)
	assert.Equal(t, len(b.Warnings), 0)
	var kinds []string
	for _, o := range b.Objects() {
		gvk := o.GetObjectKind().GroupVersionKind()
		assert.Assert(t, gvk.Version != "" && gvk.Kind != "", "object without TypeMeta: %T", o)
		kinds = append(kinds, gvk.Kind)
	}
	assert.DeepEqual(t, kinds, []string{"ServiceAccount", "NetworkPolicy", "Service", "Deployment", "PodDisruptionBudget"})
}

func TestBuild_Servers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		server deploy.Server
		shut   deploy.Shutdown
		want   []string
	}{
		{"gunicorn", deploy.Gunicorn("app.wsgi:application").WithWorkers(3).WithThreads(4).WithTimeout(60 * time.Second),
			deploy.Shutdown{PreStopSleep: 10 * time.Second, Graceful: 20 * time.Second, Margin: 5 * time.Second},
			[]string{"gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--timeout", "60", "--graceful-timeout", "20", "--worker-tmp-dir", "/tmp", "app.wsgi:application"}},
		{"uvicorn", deploy.Uvicorn("app.asgi:app").WithArgs("--proxy-headers"), deploy.DefaultShutdown(),
			[]string{"uvicorn", "app.asgi:app", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--timeout-graceful-shutdown", "30", "--proxy-headers"}},
		{"command", deploy.Command("python", "-m", "app"), deploy.DefaultShutdown(), []string{"python", "-m", "app"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := mustBuild(t, deploy.NewApp("svc", "ns").WithImage("reg.example/svc:v1").WithServer(tc.server).WithShutdown(tc.shut))
			c := b.Deployment.Spec.Template.Spec.Containers[0]
			assert.DeepEqual(t, c.Command, tc.want)
			assert.Equal(t, *b.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds, int64(tc.shut.Total()/time.Second))
		})
	}
}

func TestBuild_ShutdownBudget(t *testing.T) {
	t.Parallel()
	base := func() deploy.App {
		return deploy.NewApp("svc", "ns").WithImage("reg.example/svc:v1").WithServer(deploy.Uvicorn("app:app"))
	}
	b := mustBuild(t, base().WithTerminationGracePeriod(90*time.Second))
	assert.Equal(t, *b.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds, int64(90))

	ve := buildErr(t, base().WithTerminationGracePeriod(39*time.Second))
	assert.Equal(t, ve.Problems[0].String(), `Deployment spec.template.spec.terminationGracePeriodSeconds: Invalid value: 39: must be at least 40, the shutdown budget (preStop sleep 5s + graceful timeout 30s + margin 5s) [shutdown.budget]`)

	ve = buildErr(t, base().WithShutdown(deploy.Shutdown{PreStopSleep: 5 * time.Second}))
	assert.Assert(t, ve.Has(deploy.CheckShutdown), "sleep == grace must fail: %s", ve)

	ve = buildErr(t, base().WithShutdown(deploy.Shutdown{PreStopSleep: 1500 * time.Millisecond, Graceful: 10 * time.Second}))
	assert.Assert(t, ve.Has(deploy.CheckShutdown))

	b = mustBuild(t, base().WithShutdown(deploy.Shutdown{Graceful: 10 * time.Second}))
	assert.Assert(t, b.Deployment.Spec.Template.Spec.Containers[0].Lifecycle == nil, "no preStop hook without a sleep")
}

func TestBuild_Autoscaling(t *testing.T) {
	t.Parallel()
	a := deploy.NewApp("svc", "ns").WithImage("reg.example/svc:v1").WithServer(deploy.Uvicorn("app:app")).WithAutoscaling(2, 10, 70)
	b := mustBuild(t, a)
	assert.Assert(t, b.Deployment.Spec.Replicas == nil, "the HPA owns replicas")
	assert.Equal(t, b.HorizontalPodAutoscaler.Spec.ScaleTargetRef.Name, "svc")
	assert.Assert(t, b.PodDisruptionBudget != nil)

	ve := buildErr(t, a.WithReplicas(3))
	assert.Assert(t, ve.Has(deploy.CheckHPA))
	ve = buildErr(t, deploy.NewApp("svc", "ns").WithImage("reg.example/svc:v1").WithServer(deploy.Uvicorn("app:app")).
		WithAutoscaling(4, 2, 0).WithoutCPURequest("scale on memory later"))
	assert.DeepEqual(t, ve.Checks(), []deploy.CheckID{deploy.CheckHPA, deploy.CheckHPA})
	ve = buildErr(t, deploy.NewApp("svc", "ns").WithImage("reg.example/svc:v1").WithServer(deploy.Uvicorn("app:app")).
		WithAutoscaling(2, 5, 70).WithoutCPURequest("scale on memory later"))
	assert.ErrorContains(t, ve, `utilization is a percentage of the request, and container "app" of Deployment "svc" requests no cpu [hpa.config]`)
}

func TestBuild_Django(t *testing.T) {
	t.Parallel()
	b := mustBuild(t, payments().WithDjango("payments.internal").WithLiveness(probe.HTTPGet("/health/live", intstr.FromString("http"))))
	c := b.Deployment.Spec.Template.Spec.Containers[0]
	for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
		assert.DeepEqual(t, p.HTTPGet.HTTPHeaders, []corev1.HTTPHeader{{Name: "Host", Value: "payments.internal"}})
	}
	assert.Equal(t, c.StartupProbe.HTTPGet.Path, "/health/live", "startup follows liveness")
}

func TestBuild_Image(t *testing.T) {
	t.Parallel()
	cases := []struct {
		image  string
		check  deploy.CheckID // "" = accepted
		policy corev1.PullPolicy
	}{
		{"ghcr.io/acme/payments:1.2.3", "", ""},
		{"ghcr.io/acme/payments@sha256:" + sha, "", corev1.PullIfNotPresent},
		{"ghcr.io/acme/payments:1.2.3@sha256:" + sha, "", corev1.PullIfNotPresent},
		{"ghcr.io/acme/payments:${GIT_SHA}", deploy.CheckImageFormat, ""},
		{"ghcr.io/acme/Payments:1", deploy.CheckImageFormat, ""},
		{"", deploy.CheckImageFormat, ""},
		{"ghcr.io/acme/payments:latest", deploy.CheckImageLatest, ""},
		{"payments", deploy.CheckImageLatest, ""},
	}
	for _, tc := range cases {
		a := payments().WithImage(tc.image)
		if tc.check == "" {
			b := mustBuild(t, a)
			assert.Equal(t, b.Deployment.Spec.Template.Spec.Containers[0].ImagePullPolicy, tc.policy, tc.image)
			continue
		}
		ve := buildErr(t, a)
		assert.DeepEqual(t, ve.Checks(), []deploy.CheckID{tc.check})
	}
	ve := buildErr(t, payments().WithImage("ghcr.io/acme/payments:${GIT_SHA}"))
	assert.ErrorContains(t, ve, "expand it with manifest.Expand before Build")
}

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestBuild_Waivers(t *testing.T) {
	t.Parallel()
	b := mustBuild(t, payments().WithImage("ghcr.io/acme/payments:latest").Waive(deploy.CheckImageLatest, "dev cluster, rebuilt hourly"))
	for _, o := range b.Objects() {
		ann := o.(interface{ GetAnnotations() map[string]string }).GetAnnotations()
		assert.Equal(t, ann["ignore-check.pydeploy.io/image.latest-tag"], "dev cluster, rebuilt hourly")
		assert.Equal(t, ann["ignore-check.kube-linter.io/latest-tag"], "dev cluster, rebuilt hourly")
	}
	ve := buildErr(t, payments().Waive("no.such-check", "because").Waive(deploy.CheckImageLatest, " "))
	assert.Equal(t, ve.Error(), `app payments/payments-api: 2 problem(s):
  App waivers[no.such-check]: Not found: "no.such-check" [waiver.format]
  App waivers[image.latest-tag].reason: Required value: a waiver needs a written reason [waiver.format]`)
	// An empty reason does not waive.
	ve = buildErr(t, payments().WithImage("ghcr.io/acme/payments:latest").Waive(deploy.CheckImageLatest, ""))
	assert.DeepEqual(t, ve.Checks(), []deploy.CheckID{deploy.CheckWaiver, deploy.CheckImageLatest})
}

func TestBuild_Warnings(t *testing.T) {
	t.Parallel()
	b := mustBuild(t, payments().WithReplicas(1).WithoutNetworkPolicy().WithServiceAccountToken().
		WithServer(deploy.Uvicorn("app:app").WithWorkers(1)))
	var got []deploy.CheckID
	for _, w := range b.Warnings {
		got = append(got, w.Check)
	}
	assert.DeepEqual(t, got, []deploy.CheckID{deploy.CheckSingleWorker, deploy.CheckServiceAccount, deploy.CheckReplicas, deploy.CheckNetworkPolicy})
	assert.Assert(t, b.PodDisruptionBudget == nil && b.NetworkPolicy == nil)
	assert.Assert(t, b.Deployment.Spec.Template.Spec.Affinity == nil, "no spreading for one replica")
}

func TestBuild_OptOuts(t *testing.T) {
	t.Parallel()
	b := mustBuild(t, deploy.NewApp("payments-api", "payments").WithImage(paymentsImage).
		WithServer(deploy.Gunicorn("payments.wsgi:application").WithWorkers(4)).WithReplicas(3).
		WithoutService().WithoutPDB("singleton consumer").WithoutSpread("two nodes only").
		WithoutServiceAccount().WithoutPythonUnbuffered().WithoutStartupProbe().
		WithoutEphemeralStorage("node-local disk is not metered here").
		WithoutRecommendedLabels().WithoutReadiness("worker, no traffic").
		WithWritableRootFilesystem("legacy matplotlib cache").WithoutTmp().
		WithStrategy(appsv1.DeploymentStrategy{}))
	d := b.Deployment
	c := d.Spec.Template.Spec.Containers[0]
	assert.Assert(t, b.Service == nil && b.PodDisruptionBudget == nil && b.ServiceAccount == nil)
	assert.Assert(t, c.ReadinessProbe == nil && c.StartupProbe == nil && c.Env == nil)
	assert.Assert(t, !slices.Contains(c.Command, "--worker-tmp-dir"))
	assert.DeepEqual(t, d.Labels, map[string]string{deploy.LabelName: "payments-api", deploy.LabelInstance: "payments-api"})
	assert.Equal(t, d.Spec.Strategy.Type, appsv1.DeploymentStrategyType(""))
	_, hasEph := c.Resources.Requests[corev1.ResourceEphemeralStorage]
	assert.Assert(t, !hasEph)
	assert.Equal(t, d.Annotations["ignore-check.pydeploy.io/pdb.missing"], "singleton consumer")
}

// TestBuild_WebProbesWithoutReadiness: a startup probe is derived only
// where it holds something back. Behind a Service a waived readiness probe
// leaves a TCP startup probe that keeps traffic away until the port
// accepts; with no Service, no readiness and no liveness nothing waits on
// the port, and a probe on it would only get the process killed. Celery's
// flower (an HTTP server) is a web service, not a refused worker.
func TestBuild_WebProbesWithoutReadiness(t *testing.T) {
	t.Parallel()
	consumer := web().WithServer(deploy.Command("python", "-m", "api.consumer"))
	cases := []struct {
		name    string
		app     deploy.App
		startup string // describe the startup probe; "" for none
	}{
		{"behind a Service", consumer.WithReplicas(2).WithoutReadiness("answers TCP only"), "tcp http"},
		{"no Service", consumer.WithoutService().WithoutReadiness("no traffic"), ""},
		{"no Service, liveness", consumer.WithoutService().WithoutReadiness("no traffic").WithLiveness(probe.TCP(intstr.FromString("http"))), "tcp http"},
		{"no Service, readiness kept", consumer.WithoutService(), "get /health/ready http"},
		{"celery flower", web().WithCommand("celery", "-A", "x", "flower", "--port=8000"), "get /health/ready http"},
		{"Django runserver", web().WithCommand("python", "manage.py", "runserver", "0.0.0.0:8000"), "get /health/ready http"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := mustBuild(t, tc.app).Deployment.Spec.Template.Spec.Containers[0]
			got := ""
			switch sp := c.StartupProbe; {
			case sp == nil:
			case sp.TCPSocket != nil:
				got = "tcp " + sp.TCPSocket.Port.String()
			case sp.HTTPGet != nil:
				got = "get " + sp.HTTPGet.Path + " " + sp.HTTPGet.Port.String()
			}
			assert.Equal(t, got, tc.startup)
		})
	}
	// The refusal's advice builds: the same command as a worker.
	c := mustBuild(t, worker().WithCommand("celery", "-A", "x", "worker")).Deployment.Spec.Template.Spec.Containers[0]
	assert.Assert(t, c.Ports == nil && c.ReadinessProbe == nil && c.StartupProbe == nil)
}

func TestBuild_Resources(t *testing.T) {
	t.Parallel()
	b := mustBuild(t, payments().WithCPU("250m").WithCPULimit("1").WithMemory("300Mi", "600Mi").
		WithTmp("64Mi", true).WithWritablePath("/app/.cache", "100Mi", "pip cache"))
	r := b.Deployment.Spec.Template.Spec.Containers[0].Resources
	got := map[string]string{}
	for k, v := range r.Requests {
		got["requests."+string(k)] = v.String()
	}
	for k, v := range r.Limits {
		got["limits."+string(k)] = v.String()
	}
	assert.DeepEqual(t, got, map[string]string{
		"requests.cpu": "250m", "requests.memory": "300Mi", "requests.ephemeral-storage": "164Mi",
		"limits.cpu": "1", "limits.memory": "600Mi", "limits.ephemeral-storage": "356Mi",
	})
	// An unparsable request is reported once, not again as a missing one.
	ve := buildErr(t, payments().WithCPU("lots").WithTmp("2Gi", true))
	assert.DeepEqual(t, ve.Checks(), []deploy.CheckID{deploy.CheckResourcesFormat, deploy.CheckResourcesFormat})
}

func TestBuild_DoesNotMutateApp(t *testing.T) {
	t.Parallel()
	a := payments().WithDjango("x.example")
	first := render(t, mustBuild(t, a).Objects())
	second := render(t, mustBuild(t, a).Objects())
	assert.Equal(t, string(first), string(second))
}

// TestBuild_OneProblemPerCause: an invalid option value is reported once,
// on the option, not again on the object field it is rendered into, nor on
// the probes and Service that name an invalid port.
func TestBuild_OneProblemPerCause(t *testing.T) {
	t.Parallel()
	http := intstr.FromString("http")
	cases := []struct {
		name string
		app  deploy.App
		want string // the one problem
	}{
		{"negative replicas", web().WithReplicas(-1), "App options.WithReplicas: Invalid value: -1: must be greater than or equal to 0 [deployment.spec]"},
		{"negative min ready", web().WithMinReady(-time.Second), `App options.WithMinReady: Invalid value: "-1s": must be greater than or equal to 0 [deployment.spec]`},
		{"negative backoff", oneOff().WithBackoffLimit(-1), "App options.WithBackoffLimit: Invalid value: -1: must be greater than or equal to 0 [job.spec]"},
		{"negative CronJob backoff", cron().WithBackoffLimit(-1), "App options.WithBackoffLimit: Invalid value: -1: must be greater than or equal to 0 [job.spec]"},
		{"zero active deadline", oneOff().WithActiveDeadline(0), `App options.WithActiveDeadline: Invalid value: "0s": must be greater than 0; use WithoutActiveDeadline to let the Job run forever [job.spec]`},
		{"negative TTL", oneOff().WithTTLAfterFinished(-time.Second), `App options.WithTTLAfterFinished: Invalid value: "-1s": must be greater than or equal to 0 [job.spec]`},
		{"negative starting deadline", cron().WithStartingDeadline(-time.Second), `App options.WithStartingDeadline: Invalid value: "-1s": must be greater than or equal to 0 [cronjob.spec]`},
		{"negative history limits", cron().WithHistoryLimits(-1, -1), "App options.WithHistoryLimits: Invalid value: [-1,-1]: successfulJobsHistoryLimit and failedJobsHistoryLimit must be greater than or equal to 0 [cronjob.spec]"},
		{"negative failed history", cron().WithHistoryLimits(3, -1), "App options.WithHistoryLimits: Invalid value: -1: failedJobsHistoryLimit must be greater than or equal to 0 [cronjob.spec]"},
		{"negative migration backoff", web().WithMigration(deploy.NewMigration("true").WithBackoffLimit(-1)), "App options.Migration.WithBackoffLimit: Invalid value: -1: must be greater than or equal to 0 [job.spec]"},
		{"negative migration TTL", web().WithMigration(deploy.NewMigration("true").WithTTLAfterFinished(-time.Second)), `App options.Migration.WithTTLAfterFinished: Invalid value: "-1s": must be greater than or equal to 0 [job.spec]`},
		{"port 0 without a name", web().WithPort(0, ""), `App options.WithPort: Invalid value: [0,""]: port must be between 1 and 65535, inclusive; name is required: probes and the Service target the port by name [ports.format]`},
		{"port out of range", web().WithPort(70000, "http"), "App options.WithPort: Invalid value: 70000: port must be between 1 and 65535, inclusive [ports.format]"},
		{"port name invalid", web().WithPort(8000, "HTTP_1"), `App options.WithPort: Invalid value: "HTTP_1": name "HTTP_1" must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-) and must contain at least one letter (a-z) [ports.format]`},
		{"port name empty", web().WithPort(8000, ""), `App options.WithPort: Invalid value: "": name is required: probes and the Service target the port by name [ports.format]`},
		{"negative /tmp size", web().WithTmp("-1Mi", false), `App options.WithTmp: Invalid value: "-1Mi": SizeLimit field must be a valid resource quantity: must be greater than or equal to 0 [resources.format]`},
		{"negative /tmp size with a migration", web().WithTmp("-1Mi", true).WithMigration(deploy.NewMigration("true")),
			`App options.WithTmp: Invalid value: "-1Mi": SizeLimit field must be a valid resource quantity: must be greater than or equal to 0 [resources.format]`},
		{"negative writable path size", web().WithWritablePath("/x", "-1Gi", "cache"),
			`App options.WithWritablePath[/x]: Invalid value: "-1Gi": SizeLimit field must be a valid resource quantity: must be greater than or equal to 0 [resources.format]`},
		{"service port 0", web().WithServicePort(0), "App options.WithServicePort: Invalid value: 0: must be between 1 and 65535, inclusive [ports.format]"},
		{"service port out of range", web().WithServicePort(70000), "App options.WithServicePort: Invalid value: 70000: must be between 1 and 65535, inclusive [ports.format]"},
		{"migration without a command", worker().WithMigration(deploy.NewMigration()),
			`App migration.command: Required value: the migration needs the command to run, e.g. NewMigration("python", "manage.py", "migrate", "--noinput"); without one the Job runs the image's default CMD, usually the web server, which never completes [server.config]`},
		{"negative PDB budget", web().WithPDB(intstr.FromInt32(-1)), "App options.WithPDB: Invalid value: -1: must be greater than or equal to 0 [pdb.policy]"},
		{"unparsable PDB percentage", web().WithPDB(intstr.FromString("half")),
			`App options.WithPDB: Invalid value: "half": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%') [pdb.policy]`},
		{"PDB percentage over 100", web().WithPDB(intstr.FromString("150%")), `App options.WithPDB: Invalid value: "150%": must not be greater than 100% [pdb.policy]`},
		{"HTTP readiness on a worker", worker().WithReplicas(2).WithReadiness(probe.HTTPGet("/ready", http)),
			"App options.WithReadiness: Forbidden: a worker has no port; give it an exec probe (probe.Exec), e.g. one that checks a heartbeat file [option.not-applicable]"},
		{"TCP liveness on a worker", worker().WithLiveness(probe.TCP(http)),
			"App options.WithLiveness: Forbidden: a worker has no port; give it an exec probe (probe.Exec), e.g. one that checks a heartbeat file [option.not-applicable]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ve := buildErr(t, tc.app)
			assert.Equal(t, len(ve.Problems), 1, "%s", ve)
			assert.Equal(t, ve.Problems[0].String(), tc.want)
		})
	}
}
