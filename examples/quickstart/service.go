package main

import (
	"time"

	"github.com/pydeploy/pydeploy/deploy"
)

// paymentsAPI is the declared intent of the seed service, as a team would keep
// it in Git next to the code: a FastAPI app served by gunicorn with uvicorn
// workers on port 8000, three replicas, readiness on /health/ready. Every
// other setting is a production default of the deploy package.
func paymentsAPI(namespace, image string) deploy.App {
	return deploy.NewApp("payments-api", namespace).
		WithImage(image).
		WithPort(8000, "http").
		WithReplicas(3).
		WithReadinessPath("/health/ready").
		WithBootTime(20*time.Second).
		WithServer(deploy.Gunicorn("payments.main:app").
			WithWorkers(2).
			WithArgs("--worker-class", "uvicorn.workers.UvicornWorker")).
		WithPartOf("payments").
		WithCPU("250m").
		WithMemory("256Mi", "512Mi")
}
