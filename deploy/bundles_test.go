package deploy_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/pydeploy/pydeploy/deploy"
	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/probe"
)

// The five descriptions of services teams actually run. Each is
// rendered to testdata/bundles/<name>.yaml; the golden files are also
// parsed strictly, validated, scored by kube-score (kubescore_test.go) and
// dry-run on a real control plane (internal/testcluster/integration).

const shopImage = "ghcr.io/acme/shop:9c41e2d07b3a5f68e1d2c3b4a5968778695a4b3c"

// celeryWorker is a Celery worker: four prefork processes on two queues,
// two replicas, the broker URL from a Secret.
func celeryWorker() deploy.App {
	return deploy.NewWorker("shop-worker", "shop").
		WithImage(shopImage).
		WithServer(deploy.Celery("shop.celery:app").WithWorkers(4).WithQueues("default", "emails")).
		WithReplicas(2).
		WithEnv("DJANGO_SETTINGS_MODULE", "shop.settings.production").
		WithEnvFromSecret("CELERY_BROKER_URL", "shop-broker", "url").
		WithPartOf("shop")
}

// djangoWeb is a Django web service with a pre-deploy migration Job:
// gunicorn 4 workers x 4 threads, the Host header Django's ALLOWED_HOSTS
// needs on every probe, a distinct liveness endpoint.
func djangoWeb() deploy.App {
	return deploy.NewApp("shop-web", "shop").
		WithImage(shopImage).
		WithServer(deploy.Gunicorn("shop.wsgi:application").WithWorkers(4).WithThreads(4)).
		WithReplicas(3).
		WithDjango("shop-web.shop.svc").
		WithLiveness(probe.HTTPGet("/health/live", intstr.FromString("http")).WithPeriod(20*time.Second).WithTimeout(5*time.Second)).
		WithEnv("DJANGO_SETTINGS_MODULE", "shop.settings.production").
		WithEnvFromSecret("DATABASE_URL", "shop-db", "url").
		WithMigration(deploy.NewMigration("python", "manage.py", "migrate", "--noinput")).
		WithPartOf("shop")
}

// fastAPIWithSidecar is a FastAPI service reaching Cloud SQL through the
// cloud-sql-proxy as a native sidecar, which starts before the app and
// stops after it.
func fastAPIWithSidecar() deploy.App {
	health := intstr.FromString("proxy-health")
	return deploy.NewApp("orders-api", "orders").
		WithImage("ghcr.io/acme/orders:4.7.1").
		WithServer(deploy.Uvicorn("orders.main:app").WithWorkers(2).WithArgs("--proxy-headers")).
		WithReplicas(2).
		WithEnv("DATABASE_HOST", "127.0.0.1").
		WithEnvFromSecret("DATABASE_PASSWORD", "orders-db", "password").
		WithSidecar(deploy.NewContainer("cloud-sql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1").
			WithArgs("--port=5432", "--http-port=9090", "--http-address=0.0.0.0", "--health-check", "--structured-logs", "acme-prod:europe-west1:orders").
			WithPort("proxy-health", 9090).
			WithStartup(probe.HTTPGet("/startup", health).WithPeriod(time.Second).WithFailureThreshold(30)).
			WithLiveness(probe.HTTPGet("/liveness", health)).
			WithMemory("64Mi", "256Mi").
			// A vendor's release tag, not a commit SHA: pull it every time.
			WithImagePullPolicy(corev1.PullAlways)).
		WithServiceAccountName("orders-api-sql").
		WithPartOf("orders")
}

// catalogWithConfig is a service whose settings come from files, mounted
// as a generated ConfigMap (its name carries a content hash, so editing a
// file rolls the pods), behind an Ingress with TLS.
func catalogWithConfig(t testing.TB) deploy.App {
	t.Helper()
	fsys := os.DirFS(filepath.Join("testdata", "config"))
	return deploy.NewApp("catalog", "shop").
		WithImage("ghcr.io/acme/catalog:2.3.0").
		WithServer(deploy.Gunicorn("catalog.wsgi:application").WithWorkers(3)).
		WithReplicas(2).
		WithConfigMap(deploy.NewConfigMap("catalog-config").
			WithFile(fsys, "settings.toml").
			WithFile(fsys, "logging.json").
			WithLiteral("LOG_LEVEL", "info")).
		WithConfigMapVolume("catalog-config", "/etc/catalog").
		WithEnvFromConfigMap("LOG_LEVEL", "catalog-config", "LOG_LEVEL").
		WithEnv("CATALOG_SETTINGS", "/etc/catalog/settings.toml").
		WithIngress(deploy.NewIngress("catalog.example.com").WithClassName("nginx").WithTLS("catalog-example-com-tls")).
		WithPartOf("shop")
}

// nightlyReport is a CronJob: a report at 03:00 Berlin time, never two at
// once, at most 30 minutes a run.
func nightlyReport() deploy.App {
	return deploy.NewCronJob("nightly-report", "shop", "0 3 * * *").
		WithImage(shopImage).
		WithCommand("python", "-m", "shop.reports.nightly").
		WithTimeZone("Europe/Berlin").
		WithActiveDeadline(30*time.Minute).
		WithEnvFromSecret("DATABASE_URL", "shop-db", "url").
		WithPartOf("shop")
}

type namedBundle struct {
	name string
	app  func(testing.TB) deploy.App
}

var goldenBundles = []namedBundle{
	{"celery-worker", func(testing.TB) deploy.App { return celeryWorker() }},
	{"django-web-migration", func(testing.TB) deploy.App { return djangoWeb() }},
	{"fastapi-sidecar", func(testing.TB) deploy.App { return fastAPIWithSidecar() }},
	{"configmap-ingress", catalogWithConfig},
	{"cronjob", func(testing.TB) deploy.App { return nightlyReport() }},
}

// TestGolden_Bundles renders each bundle and compares it with its golden
// file; the golden file then passes strict parsing, the structural check
// and Validate with no warning, and rendering is byte-stable.
func TestGolden_Bundles(t *testing.T) {
	t.Parallel()
	for _, gb := range goldenBundles {
		t.Run(gb.name, func(t *testing.T) {
			b := mustBuild(t, gb.app(t))
			assert.DeepEqual(t, b.Warnings, []deploy.Problem(nil))
			out, err := manifest.RenderBytes(b.Objects()...)
			assert.NilError(t, err)
			golden.Assert(t, string(out), filepath.Join("bundles", gb.name+".yaml"))
			again, err := manifest.RenderBytes(mustBuild(t, gb.app(t)).Objects()...)
			assert.NilError(t, err)
			assert.Equal(t, string(again), string(out), "two builds must render the same bytes")

			parsed, err := manifest.Parse(bytes.NewReader(out), manifest.ParseOptions{})
			assert.NilError(t, err, "strict parse")
			assert.DeepEqual(t, identities(parsed), identities(b.Objects())) // Objects is in Render's order
			for _, o := range parsed {
				if o.GetObjectKind().GroupVersionKind().Group == "gateway.networking.k8s.io" {
					continue
				}
				assert.NilError(t, deploy.ValidateStructure(o))
			}
			warnings, err := deploy.Validate(parsed...)
			assert.NilError(t, err)
			assert.Equal(t, len(warnings), 0, "%v", warnings)
		})
	}
}

// TestBundles_Shapes pins what each kind of workload gets and does not get.
func TestBundles_Shapes(t *testing.T) {
	t.Parallel()
	w := mustBuild(t, celeryWorker())
	c := w.Deployment.Spec.Template.Spec.Containers[0]
	assert.Assert(t, w.Service == nil, "a worker has no Service")
	assert.Equal(t, len(c.Ports), 0, "a worker has no port")
	assert.Assert(t, c.ReadinessProbe == nil && c.LivenessProbe == nil && c.StartupProbe == nil, "a worker has no HTTP probe")
	assert.Assert(t, c.Lifecycle == nil, "a worker has no endpoints to leave: no preStop sleep")
	assert.Equal(t, len(w.NetworkPolicy.Spec.Ingress), 0, "the worker's NetworkPolicy admits no ingress")
	assert.DeepEqual(t, c.Command, []string{"celery", "--app", "shop.celery:app", "worker", "--loglevel", "INFO", "--concurrency", "4", "--queues", "default,emails"})
	assert.Equal(t, *w.Deployment.Spec.Template.Spec.TerminationGracePeriodSeconds, int64(65), "Celery's 60s warm shutdown + 5s margin")
	assert.Equal(t, c.Resources.Limits.Memory().String(), "1152Mi", "sized from 4 processes")

	d := mustBuild(t, djangoWeb())
	m := d.Migration
	assert.Equal(t, m.Annotations[deploy.PhaseAnnotation], deploy.PhasePreWorkload)
	assert.DeepEqual(t, m.Spec.Template.Spec.Containers[0].Command, []string{"python", "manage.py", "migrate", "--noinput"})
	assert.Equal(t, m.Spec.Template.Spec.Containers[0].Image, d.Deployment.Spec.Template.Spec.Containers[0].Image)
	assert.Equal(t, *m.Spec.BackoffLimit, int32(0))
	assert.Equal(t, *m.Spec.ActiveDeadlineSeconds, int64(600))
	assert.Equal(t, *m.Spec.TTLSecondsAfterFinished, int32(86400))
	assert.Equal(t, m.Spec.Template.Spec.RestartPolicy, corev1.RestartPolicyNever)
	assert.Assert(t, !selectsLabels(d.Service.Spec.Selector, m.Spec.Template.Labels), "the Service must not route to the migration pod")
	assert.Assert(t, !selectsLabels(d.PodDisruptionBudget.Spec.Selector.MatchLabels, m.Spec.Template.Labels))
	assert.Equal(t, d.Deployment.Spec.Template.Spec.Containers[0].Resources.Limits.Memory().String(), "1536Mi", "4 workers x 4 threads: 2 x (64Mi + 4 x (128Mi + 3 x 16Mi))")

	f := mustBuild(t, fastAPIWithSidecar())
	ps := f.Deployment.Spec.Template.Spec
	assert.Equal(t, len(ps.InitContainers), 1)
	assert.Equal(t, *ps.InitContainers[0].RestartPolicy, corev1.ContainerRestartPolicyAlways)
	assert.DeepEqual(t, ps.InitContainers[0].Args[:2], []string{"--port=5432", "--http-port=9090"})
	assert.Assert(t, ps.InitContainers[0].Command == nil, "args keep the image's entrypoint")

	cm := mustBuild(t, catalogWithConfig(t))
	assert.Equal(t, len(cm.ConfigMaps), 1)
	name := cm.ConfigMaps[0].Name
	vols := cm.Deployment.Spec.Template.Spec.Volumes
	assert.Equal(t, vols[len(vols)-1].ConfigMap.Name, name, "the volume refers to the generated name")
	assert.Equal(t, cm.Deployment.Spec.Template.Spec.Containers[0].Env[1].ValueFrom.ConfigMapKeyRef.Name, name)
	assert.Equal(t, cm.Ingresses[0].Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name, "catalog")

	cj := mustBuild(t, nightlyReport())
	assert.Assert(t, cj.CronJob != nil && cj.Deployment == nil && cj.Service == nil && cj.PodDisruptionBudget == nil)
	assert.Equal(t, *cj.CronJob.Spec.StartingDeadlineSeconds, int64(300))
	assert.Equal(t, string(cj.CronJob.Spec.ConcurrencyPolicy), "Forbid")
	assert.Equal(t, *cj.CronJob.Spec.JobTemplate.Spec.ActiveDeadlineSeconds, int64(1800))
	assert.Equal(t, cj.CronJob.Spec.JobTemplate.Spec.Template.Spec.RestartPolicy, corev1.RestartPolicyNever)
}

func identities(objs []runtime.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.GetObjectKind().GroupVersionKind().Kind + "/" + o.(metav1.Object).GetName()
	}
	return out
}

func selectsLabels(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}
