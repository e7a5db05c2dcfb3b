// Package deploy turns the description of one Python web service into the
// Kubernetes objects that run it, with the defaults a production reviewer
// insists on, and refuses to return objects that the API server, kube-linter,
// kube-score or Polaris would reject or flag.
//
// In the pydeploy workflow, deploy sits between the service spec and
// manifest: deploy.NewApp(...).Build() returns typed objects
// (*appsv1.Deployment, *corev1.Service, ...), manifest renders, stamps and
// applies them, rollout waits for them. Build does no I/O.
//
// # The model
//
// An App is a builder in the client-go applyconfigurations style: NewApp
// takes the identity (name, namespace), With* methods refine it and return
// the receiver, Without* methods remove a default. Build validates
// everything and returns a *Bundle, or a *ValidationError that lists every
// problem at once, one per line, each with the object kind, field path,
// the API server's wording where it has one, and a stable check ID:
//
//	Deployment spec.template.spec.containers[0].image: Invalid value: "ghcr.io/acme/payments:latest": uses the mutable tag latest; ... [image.latest-tag]
//
// Bundle.Objects returns the objects in apply order: ServiceAccount,
// Service, Deployment, PodDisruptionBudget, HorizontalPodAutoscaler,
// NetworkPolicy. Every object carries apiVersion and kind.
//
// # Defaults and how to remove them
//
//	Default                                                   Change / remove
//	app.kubernetes.io/{name,instance,version,component,       WithInstance, WithVersion, WithComponent, WithPartOf,
//	  part-of,managed-by} on every object                       WithoutRecommendedLabels
//	selector = name + instance (immutable)                    WithSelector (adopt an existing selector)
//	replicas 2 with a Service, 1 without; omitted with an HPA WithReplicas, WithAutoscaling
//	RollingUpdate 25%/25%                                     WithRollingUpdate, WithStrategy (zero = API default)
//	progressDeadlineSeconds 600, revisionHistoryLimit 10      WithProgressDeadline, WithMinReady, WithRevisionHistoryLimit
//	port 8000 "http"; Service port = container port,          WithPort, WithServicePort, WithExtraPort, WithoutService
//	  targetPort by name, ClusterIP
//	readiness GET /health/ready on "http"                     WithReadiness, WithReadinessPath, WithoutReadiness(reason)
//	no liveness probe                                         WithLiveness (must differ from readiness)
//	startup probe, failureThreshold = ceil(60s boot / 10s)    WithBootTime, WithoutStartupProbe
//	Django Host header on HTTP probes: off                    WithDjango(host)
//	shutdown: preStop sleep 5s + graceful 30s + margin 5s     WithShutdown, WithTerminationGracePeriod (not below budget)
//	  = terminationGracePeriodSeconds 40
//	PYTHONUNBUFFERED=1                                        WithoutPythonUnbuffered
//	requests cpu 100m, memory 256Mi; limit memory 512Mi;      WithCPU, WithCPULimit, WithMemory, WithoutCPURequest(reason),
//	  no CPU limit                                              WithoutMemoryLimit(reason)
//	ephemeral-storage request/limit = disk emptyDirs +        WithEphemeralStorage, WithoutEphemeralStorage(reason)
//	  64Mi / +256Mi
//	/tmp emptyDir, sizeLimit 128Mi, disk-backed               WithTmp(size, memory), WithoutTmp, WithWritablePath(path, size, reason)
//	runAsNonRoot, UID/GID/fsGroup 10001, no privilege         WithUser, WithPodSecurityContext, WithContainerSecurityContext,
//	  escalation, not privileged, drop ALL, seccomp             WithWritableRootFilesystem(reason)
//	  RuntimeDefault, read-only root filesystem
//	ServiceAccount named after the app, token not mounted     WithServiceAccountName, WithoutServiceAccount, WithServiceAccountToken
//	imagePullPolicy IfNotPresent for digest-pinned images     WithImagePullPolicy
//	>1 replica: preferred pod anti-affinity on hostname and   WithoutSpread(reason)
//	  topology spread on hostname and zone (ScheduleAnyway)
//	>1 replica: PDB maxUnavailable 1, unhealthyPodEviction-   WithPDB, WithoutPDB(reason)
//	  Policy AlwaysAllow
//	NetworkPolicy: ingress only to the declared ports         WithNetworkPolicyFrom, WithoutNetworkPolicy
//
// The server has no default: WithServer(Gunicorn("pkg.wsgi:application")),
// Uvicorn("pkg.asgi:app") or Command(argv...). Gunicorn renders
// --workers/--threads/--timeout/--graceful-timeout and --worker-tmp-dir /tmp
// (the heartbeat file needs a writable directory under a read-only root);
// Uvicorn always renders --timeout-graceful-shutdown, whose own default is to
// wait forever. Both take the graceful timeout from the Shutdown budget, so
// the server stops draining before the kubelet's SIGKILL.
//
// # Checks and waivers
//
// Checks are data (Checks, LookupCheck): an ID, a severity, a summary, the
// kube-linter, kube-score and Polaris checks it mirrors, and a remediation.
// CHECKS.md is generated from the registry by a test, so the table cannot
// drift. Error-severity failures fail Build; warnings are returned in
// Bundle.Warnings. App.Waive(id, reason) accepts a check's failures for a
// written reason, recorded on every object as
// ignore-check.pydeploy.io/<id> and, for the kube-linter checks it mirrors,
// ignore-check.kube-linter.io/<check>. An empty reason or unknown ID is
// itself an error (waiver.format). Without* opt-outs that would trip a
// linter take the reason directly.
//
// Validation reuses apimachinery: ValidateObjectMeta with NameIsDNSSubdomain
// (Deployment) and NameIsDNS1035Label (Service), ValidateLabels,
// ValidateLabelSelector, IsValidPortName, IsValidPortNum, IsEnvVarName,
// IsValidPercent; probes go through probe.Validate. Messages that the API
// server also produces use its words ("may not be 0 when `maxSurge` is 0",
// "`selector` does not match template `labels`", "must be greater than
// minReadySeconds", "must be less than or equal to memory limit of 512Mi").
//
// # Offline structural validation
//
// Build also converts every object with the type converter backed by the
// OpenAPI schema that client-go embeds for apply configurations
// (applyconfigurations.NewTypeConverter(scheme.Scheme), no network).
// ValidateStructure exposes it for any typed or unstructured object. It
// catches wrong types (replicas: "three"), fields the schema does not
// declare (a misspelt "prots"), and duplicate keys in associative lists
// (two env vars or containers with the same name). It does not check values
// (name formats, ranges, enum members, cross-field rules): those are Build's
// checks. Inside Build duplicates are left to the dedicated checks
// (env.duplicate, ports.format) so they are not reported twice.
//
// # kube-score
//
// The quickstart's payments-api passes kube-score v1.20.0 except for two
// documented CRITICAL findings: container-resources (no CPU limit, on
// purpose: CPU limits throttle Python servers; WithCPULimit adds one, or run
// kube-score with --ignore-container-cpu-limit) and
// container-image-pull-policy (kube-score wants Always; a SHA tag or digest
// is immutable, so IfNotPresent / the API default is correct). It also
// warns that the NetworkPolicy has no egress rules: egress is left open
// because the app's dependencies are not known to the builder.
package deploy
