package deploy_test

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/pydeploy/pydeploy/deploy"
	"github.com/pydeploy/pydeploy/probe"
)

// Build the quickstart's payments-api: three gunicorn replicas behind a
// Service on port 8000, ready when /health/ready answers.
func Example() {
	bundle, err := deploy.NewApp("payments-api", "payments").
		WithImage("ghcr.io/acme/payments:3f2c1a9").
		WithServer(deploy.Gunicorn("payments.wsgi:application").WithWorkers(4)).
		WithReplicas(3).
		WithPort(8000, "http").
		WithReadinessPath("/health/ready").
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range bundle.Objects() {
		fmt.Println(o.GetObjectKind().GroupVersionKind().Kind)
	}
	pod := bundle.Deployment.Spec.Template.Spec
	c := pod.Containers[0]
	fmt.Println(strings.Join(c.Command, " "))
	fmt.Println("grace:", *pod.TerminationGracePeriodSeconds, "preStop sleep:", c.Lifecycle.PreStop.Sleep.Seconds)
	fmt.Println("readiness:", c.ReadinessProbe.HTTPGet.Path, "on", c.ReadinessProbe.HTTPGet.Port.String())
	fmt.Println("startup failureThreshold:", c.StartupProbe.FailureThreshold)
	// Output:
	// ServiceAccount
	// NetworkPolicy
	// Service
	// Deployment
	// PodDisruptionBudget
	// gunicorn --bind 0.0.0.0:8000 --workers 4 --threads 1 --timeout 30 --graceful-timeout 30 --worker-tmp-dir /tmp payments.wsgi:application
	// grace: 40 preStop sleep: 5
	// readiness: /health/ready on http
	// startup failureThreshold: 6
}

// A failing Build reports every problem at once, each with its field path
// and check ID; errors.As gives the structured list.
func Example_validationError() {
	_, err := deploy.NewApp("payments-api", "payments").
		WithImage("ghcr.io/acme/payments:latest").
		WithServer(deploy.Uvicorn("payments.asgi:app")).
		WithLiveness(probe.HTTPGet("/health/ready", intstr.FromString("http"))).
		WithEnv("API_TOKEN", "abc123").
		Build()
	fmt.Println(err)
	if ve, ok := errors.AsType[*deploy.ValidationError](err); ok {
		fmt.Println(ve.Has(deploy.CheckImageLatest), len(ve.ErrorList()))
	}
	// Output:
	// app payments/payments-api: 3 problem(s):
	//   Deployment spec.template.spec.containers[0].image: Invalid value: "ghcr.io/acme/payments:latest": uses the mutable tag latest; tag the image with the git SHA or pin it by digest [image.latest-tag]
	//   Deployment spec.template.spec.containers[0].env[1].value: Forbidden: environment variable "API_TOKEN" looks like a secret but has a literal value; use WithEnvFromSecret [env.secret]
	//   Deployment spec.template.spec.containers[0].livenessProbe: Invalid value: "GET /health/ready on http": is the same endpoint as the readinessProbe; a busy pod would be restarted instead of taken out of rotation [probe.identical]
	// true 3
}

// Opting out of a default that a linter insists on takes a written reason,
// recorded as an annotation that kube-linter honours too.
func ExampleApp_Waive() {
	bundle, err := deploy.NewApp("docs", "web").
		WithImage("ghcr.io/acme/docs:v3").
		WithServer(deploy.Command("python", "-m", "http.server", "8000")).
		WithReadinessPath("/").
		WithoutSpread("two-node cluster; spreading is best effort anyway").
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	ann := bundle.Deployment.Annotations
	fmt.Println(ann["ignore-check.pydeploy.io/scheduling.anti-affinity"])
	fmt.Println(ann["ignore-check.kube-linter.io/no-anti-affinity"])
	// Output:
	// two-node cluster; spreading is best effort anyway
	// two-node cluster; spreading is best effort anyway
}

// A Celery worker: no port, no Service, no HTTP probe, a NetworkPolicy
// that admits no ingress, and Celery's warm-shutdown budget.
func ExampleNewWorker() {
	bundle, err := deploy.NewWorker("payments-worker", "payments").
		WithImage("ghcr.io/acme/payments:3f2c1a9").
		WithServer(deploy.Celery("payments.celery:app").WithWorkers(4).WithQueues("default", "emails")).
		WithEnvFromSecret("CELERY_BROKER_URL", "payments-broker", "url").
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range bundle.Objects() {
		fmt.Println(o.GetObjectKind().GroupVersionKind().Kind)
	}
	pod := bundle.Deployment.Spec.Template.Spec
	c := pod.Containers[0]
	fmt.Println(strings.Join(c.Command, " "))
	fmt.Println("ports:", len(c.Ports), "readiness:", c.ReadinessProbe != nil, "grace:", *pod.TerminationGracePeriodSeconds)
	fmt.Println("memory:", c.Resources.Requests.Memory(), "/", c.Resources.Limits.Memory())
	// Output:
	// ServiceAccount
	// NetworkPolicy
	// Deployment
	// celery --app payments.celery:app worker --loglevel INFO --concurrency 4 --queues default,emails
	// ports: 0 readiness: false grace: 65
	// memory: 576Mi / 1152Mi
}

// A Django web service whose database migration runs as a Job before the
// Deployment, from the same image and environment.
func ExampleApp_WithMigration() {
	bundle, err := deploy.NewApp("shop", "shop").
		WithImage("ghcr.io/acme/shop:9c41e2d").
		WithServer(deploy.Gunicorn("shop.wsgi:application").WithWorkers(4)).
		WithEnvFromSecret("DATABASE_URL", "shop-db", "url").
		WithMigration(deploy.NewMigration("python", "manage.py", "migrate", "--noinput")).
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range bundle.Objects() {
		fmt.Println(o.GetObjectKind().GroupVersionKind().Kind)
	}
	job := bundle.Migration
	fmt.Println(job.Annotations[deploy.PhaseAnnotation], *job.Spec.BackoffLimit, job.Spec.Template.Spec.Containers[0].Command)
	// Output:
	// ServiceAccount
	// NetworkPolicy
	// NetworkPolicy
	// Service
	// Job
	// Deployment
	// PodDisruptionBudget
	// pre-workload 0 [python manage.py migrate --noinput]
}

// Validate runs Build's checks on objects edited after Build (or parsed
// from YAML, or produced by kustomize): a hand edit cannot bypass them.
func ExampleValidate() {
	bundle, err := deploy.NewApp("payments-api", "payments").
		WithImage("ghcr.io/acme/payments:3f2c1a9").
		WithServer(deploy.Gunicorn("payments.wsgi:application")).
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	privileged := true
	bundle.Deployment.Spec.Template.Spec.Containers[0].SecurityContext.Privileged = &privileged
	warnings, err := deploy.Validate(bundle.Objects()...)
	fmt.Println(len(warnings))
	fmt.Println(err)
	// Output:
	// 0
	// 1 problem(s):
	//   Deployment/payments-api spec.template.spec.containers[0].securityContext.privileged: Forbidden: must not be true [security.privileged]
}

// Options that do nothing for the chosen server or workload kind are
// errors, not no-ops.
func ExampleApp_Build_misappliedOptions() {
	_, err := deploy.NewWorker("jobs", "shop").
		WithImage("ghcr.io/acme/shop:9c41e2d").
		WithServer(deploy.RQ("default").WithWorkers(4)).
		WithPort(8000, "http").
		Build()
	fmt.Println(err)
	// Output:
	// app shop/jobs: 2 problem(s):
	//   App options.WithPort: Forbidden: applies only to web services (NewApp), not to a worker [option.not-applicable]
	//   App server.WithWorkers: Forbidden: does not apply to RQ: an RQ worker runs one job at a time; scale with WithReplicas [option.not-applicable]
}
