package deploy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pydeploy/pydeploy/probe"
)

// Defaults applied by the constructors. Each has a With*/Without* to change
// or drop it.
const (
	DefaultPort                 = int32(8000)
	DefaultPortName             = "http"
	DefaultReadinessPath        = "/health/ready"
	DefaultBootTime             = 60 * time.Second
	DefaultProgressDeadline     = 600 * time.Second
	DefaultRevisionHistoryLimit = int32(10)
	DefaultCPURequest           = "100m"
	DefaultMemoryRequest        = "256Mi"
	DefaultMemoryLimit          = "512Mi"
	DefaultTmpSize              = "128Mi"
	DefaultUID                  = int64(10001)
	DefaultGID                  = int64(10001)
	DefaultComponent            = "web"
	ManagedBy                   = "pydeploy"
)

// WorkloadKind says what an App runs and therefore which objects Build
// generates and which options apply.
type WorkloadKind string

// The workload kinds.
const (
	// WorkloadWeb is a web service (NewApp): a Deployment behind a Service,
	// with HTTP probes, a PodDisruptionBudget and a NetworkPolicy admitting
	// its ports.
	WorkloadWeb WorkloadKind = "web"
	// WorkloadWorker is a background worker (NewWorker): a Deployment with
	// no port, no Service, no HTTP probe and a NetworkPolicy admitting no
	// ingress.
	WorkloadWorker WorkloadKind = "worker"
	// WorkloadJob is a one-off Job (NewJob) that runs to completion.
	WorkloadJob WorkloadKind = "job"
	// WorkloadCronJob is a CronJob (NewCronJob) that starts a Job on a
	// schedule.
	WorkloadCronJob WorkloadKind = "cronjob"
)

// Port is an additional named container port, exposed on the Service and
// admitted by the NetworkPolicy (e.g. a metrics port).
type Port struct {
	Name string
	Port int32
}

type writablePath struct {
	path   string
	size   string
	reason string
}

type saMode int

const (
	saCreate   saMode = iota // a dedicated ServiceAccount named after the app
	saExisting               // serviceAccountName of an existing account
	saNone                   // the namespace's default account
)

type waiver struct {
	id     CheckID
	reason string
}

// App describes one Python workload — a web service, a background worker, a
// one-off Job or a CronJob — and builds its Kubernetes objects.
//
// App is a value, like Server, Container, ConfigMap, Ingress, HTTPRoute,
// Migration and probe.Builder: every With*/Without* method returns a
// modified copy and never changes its receiver, so a preset can be shared
// and specialised safely:
//
//	base := deploy.NewApp("payments-api", "shop").WithImage(img).WithServer(srv)
//	prod := base.WithReplicas(5)    // base still has the default replica count
//	staging := base.WithReplicas(1) // prod still has 5
//
// Assign the result (app = app.WithEnv(...)); a call whose result is dropped
// changes nothing. The zero App is a web service with nothing set. Build
// does not modify the App and may be called repeatedly and concurrently.
//
// An option that does not apply to the workload kind or server (WithPort on
// a worker, WithThreads on Uvicorn) or that contradicts another option
// (WithPDB with WithoutPDB) is not ignored: Build reports it under
// option.not-applicable. Every default is listed on the method that changes
// it; the package doc has the full table.
type App struct {
	kind            WorkloadKind
	name, namespace string
	image           string
	port            int32
	portName        string
	servicePort     int32
	serviceType     corev1.ServiceType
	extraPorts      []Port
	server          Server
	shutdown        *Shutdown
	grace           *time.Duration
	kubeVersion     string

	replicas             *int32
	autoscaling          *Autoscaling
	strategy             *appsv1.DeploymentStrategy
	minReady             time.Duration
	progressDeadline     time.Duration
	revisionHistoryLimit int32

	labels, annotations       map[string]string
	podLabels, podAnnotations map[string]string
	selector                  map[string]string
	instance, version         string
	component, partOf         string
	noRecommendedLabels       bool

	readiness     *probe.Builder
	readinessPath string
	noReadiness   bool
	liveness      *probe.Builder
	bootTime      time.Duration
	noStartup     bool
	djangoHost    string

	env          []corev1.EnvVar
	envFrom      []corev1.EnvFromSource
	noUnbuffered bool
	mounts       []mount

	cpuRequest, cpuLimit     string
	memRequest, memLimit     string
	cpuSet, memReqSet        bool
	memLimSet                bool
	ephRequest, ephLimit     string
	ephExplicit, noEphemeral bool
	tmpSize                  string
	tmpMemory, noTmp         bool
	writable                 []writablePath
	uid, gid                 int64
	podSecurity              *corev1.PodSecurityContext
	containerSecurity        *corev1.SecurityContext
	writableRoot             bool
	automountToken           bool
	saMode                   saMode
	saName                   string
	pullPolicy               corev1.PullPolicy
	pullSecrets              []string

	containers     []Container
	initContainers []Container
	sidecars       []Container
	configMaps     []ConfigMap

	nodeSelector  map[string]string
	tolerations   []corev1.Toleration
	affinity      *corev1.Affinity
	spread        []corev1.TopologySpreadConstraint
	priorityClass string
	noSpread      bool

	noService         bool
	noNetworkPolicy   bool
	networkPeers      []networkingv1.NetworkPolicyPeer
	noPDB             bool
	pdbMaxUnavailable *intstr.IntOrString
	ingresses         []Ingress
	routes            []HTTPRoute

	job       jobSettings
	cron      cronSettings
	migration *Migration

	waivers []waiver
	used    []string     // options called, in order, for the applicability checks
	errs    []optionFail // invalid option values, reported by Build
}

// optionFail is an invalid value given to a With* method, kept for Build.
type optionFail struct {
	check  CheckID
	option string
	value  any
	detail string
}

func newApp(kind WorkloadKind, name, namespace string) App {
	a := App{
		kind: kind, name: name, namespace: namespace,
		progressDeadline:     DefaultProgressDeadline,
		revisionHistoryLimit: DefaultRevisionHistoryLimit,
		readinessPath:        DefaultReadinessPath,
		bootTime:             DefaultBootTime,
		cpuRequest:           DefaultCPURequest,
		memRequest:           DefaultMemoryRequest,
		memLimit:             DefaultMemoryLimit,
		tmpSize:              DefaultTmpSize,
		uid:                  DefaultUID,
		gid:                  DefaultGID,
		component:            string(kind),
	}
	if kind == WorkloadWeb {
		a.port, a.portName = DefaultPort, DefaultPortName
	}
	return a
}

// NewApp starts the description of the web service name in namespace, with
// every production default in place: port 8000 named "http", readiness probe
// GET /health/ready, a startup probe for a 60s boot, the DefaultShutdown
// budget, restricted security context, requests and a memory limit sized
// from the server's workers and threads, a /tmp emptyDir, a ServiceAccount,
// a ClusterIP Service, a NetworkPolicy, and (with more than one replica) a
// PDB and spreading. The server and image have no default and must be set.
// An empty namespace is allowed (a kustomize base) and reported as a
// warning.
func NewApp(name, namespace string) App { return newApp(WorkloadWeb, name, namespace) }

// NewWorker starts the description of a background worker (a Celery, RQ,
// Dramatiq or arq consumer): a Deployment with no container port, no
// Service, no probe unless asked (WithReadiness/WithLiveness with an exec
// probe), a NetworkPolicy that admits no ingress, one replica, and the
// server preset's graceful-shutdown budget with no preStop sleep (there are
// no endpoints to leave). The component label defaults to "worker".
func NewWorker(name, namespace string) App { return newApp(WorkloadWorker, name, namespace) }

// NewJob starts the description of a one-off Job (a data backfill, a
// report): restartPolicy Never, backoffLimit 3, activeDeadlineSeconds 3600,
// ttlSecondsAfterFinished 86400 (a day to read its logs), no Service, no
// readiness probe, a NetworkPolicy admitting no ingress. Set the command
// with WithServer(Command(...)), WithCommand or WithArgs. For a database
// migration that must run before a release, use App.WithMigration instead.
func NewJob(name, namespace string) App {
	return newApp(WorkloadJob, name, namespace)
}

// NewCronJob starts the description of a CronJob run on schedule (cron
// syntax, e.g. "*/15 * * * *" or "@hourly", in the time zone of
// WithTimeZone or the controller's, usually UTC): concurrencyPolicy Forbid,
// startingDeadlineSeconds 300, successful/failed history 3/1, and the Job
// defaults of NewJob except the TTL (the history limits clean up).
func NewCronJob(name, namespace, schedule string) App {
	a := newApp(WorkloadCronJob, name, namespace)
	a.cron.schedule = schedule
	return a
}

// Kind returns the workload kind chosen by the constructor.
func (a App) Kind() WorkloadKind {
	if a.kind == "" {
		return WorkloadWeb
	}
	return a.kind
}

// Name returns the app name given to the constructor.
func (a App) Name() string { return a.name }

// Namespace returns the namespace given to the constructor.
func (a App) Namespace() string { return a.namespace }

// use records that option was called, for the applicability checks.
func (a App) use(option string) App {
	a.used = appendClip(a.used, option)
	return a
}

func (a App) fail(check CheckID, option string, value any, detail string) App {
	a.errs = appendClip(a.errs, optionFail{check: check, option: option, value: value, detail: detail})
	return a
}

// appendClip appends to a copy-on-write slice: slices.Clip makes append
// allocate, so a value copied before the call never sees the new elements.
func appendClip[T any](s []T, v ...T) []T { return append(slices.Clip(s), v...) }

// mergeCopy returns a new map holding dst's entries overridden by src's.
func mergeCopy(dst, src map[string]string) map[string]string {
	out := make(map[string]string, len(dst)+len(src))
	maps.Copy(out, dst)
	maps.Copy(out, src)
	return out
}

// WithImage sets the container image: "registry/repo:tag" or
// "registry/repo@sha256:..." (no default). Build refuses :latest, a missing
// tag and unexpanded ${VARS}; expand those with manifest.Expand first.
func (a App) WithImage(ref string) App { a.image = ref; return a }

// WithServer sets how the container starts (no default): Gunicorn, Uvicorn,
// Celery, RQ, Dramatiq, Arq, Command or Args.
func (a App) WithServer(s Server) App { a.server = s; return a }

// WithCommand is WithServer(Command(argv...)): argv replaces the image's
// ENTRYPOINT and CMD.
func (a App) WithCommand(argv ...string) App { return a.WithServer(Command(argv...)) }

// WithArgs is WithServer(Args(argv...)): argv replaces the image's CMD and
// runs under its ENTRYPOINT (tini, dumb-init).
func (a App) WithArgs(argv ...string) App { return a.WithServer(Args(argv...)) }

// WithKubernetesVersion sets the oldest Kubernetes minor version the objects
// must work on, as "1.30" (default DefaultKubernetesVersion, the oldest minor
// still supported upstream). Build avoids defaults newer than it (preStop
// sleep becomes an exec sleep below 1.30; matchLabelKeys and
// unhealthyPodEvictionPolicy are left out below 1.27) and refuses options
// that need a newer version (native sidecars below 1.29, CronJob time zones
// below 1.27) under kubernetes.version. Versions older than
// MinKubernetesVersion are refused.
func (a App) WithKubernetesVersion(v string) App {
	a.kubeVersion = v
	return a.use("WithKubernetesVersion")
}

// WithPort sets the container port the web server binds (default 8000) and
// its name (default "http"); probes and the Service target it by name. Web
// services only: a worker or Job has no port.
func (a App) WithPort(port int32, name string) App {
	if msgs := portErrs(port, name); len(msgs) > 0 {
		// One problem per call, showing the arguments at fault.
		var value any = []any{port, name}
		switch portOK := len(validation.IsValidPortNum(int(port))) == 0; {
		case portOK:
			value = name
		case len(msgs) == 1:
			value = port
		}
		a = a.fail(CheckPorts, "WithPort", value, strings.Join(msgs, "; "))
	}
	a.port, a.portName = port, name
	return a.use("WithPort")
}

// portErrs checks a container port's number and name as the API server
// does, in one list: a port has one cause of failure per WithPort call.
func portErrs(port int32, name string) []string {
	var msgs []string
	for _, m := range validation.IsValidPortNum(int(port)) {
		msgs = append(msgs, "port "+m)
	}
	if name == "" {
		return append(msgs, "name is required: probes and the Service target the port by name")
	}
	if nm := validation.IsValidPortName(name); len(nm) > 0 {
		msgs = append(msgs, fmt.Sprintf("name %q %s", name, strings.Join(nm, " and ")))
	}
	return msgs
}

// WithServicePort sets the Service's port number, 1-65535 (default: the
// container port); 0 is out of range, not "the default". The targetPort is
// always the container port's name.
func (a App) WithServicePort(port int32) App {
	if msgs := validation.IsValidPortNum(int(port)); len(msgs) > 0 {
		a = a.fail(CheckPorts, "WithServicePort", port, strings.Join(msgs, "; "))
	}
	a.servicePort = port
	return a.use("WithServicePort")
}

// WithServiceType sets the Service type: ClusterIP (default), NodePort or
// LoadBalancer.
func (a App) WithServiceType(t corev1.ServiceType) App {
	a.serviceType = t
	return a.use("WithServiceType")
}

// WithExtraPort declares another container port (e.g. metrics), exposed on
// the Service (web services) and admitted by the NetworkPolicy.
func (a App) WithExtraPort(name string, port int32) App {
	a.extraPorts = appendClip(a.extraPorts, Port{Name: name, Port: port})
	return a.use("WithExtraPort")
}

// WithShutdown replaces the shutdown budget (default: DefaultShutdown() for
// web services; for workers and Jobs the server preset's budget, with no
// preStop sleep).
func (a App) WithShutdown(s Shutdown) App { a.shutdown = &s; return a }

// WithTerminationGracePeriod sets terminationGracePeriodSeconds explicitly
// (default: the Shutdown budget's Total). A value below the budget is an
// error.
func (a App) WithTerminationGracePeriod(d time.Duration) App { a.grace = &d; return a }

// WithReplicas sets spec.replicas (default 2 for a web service with a
// Service, else 1). It cannot be combined with WithAutoscaling.
func (a App) WithReplicas(n int32) App {
	if n < 0 {
		a = a.fail(CheckDeploymentSpec, "WithReplicas", n, "must be greater than or equal to 0")
	}
	a.replicas = &n
	return a.use("WithReplicas")
}

// WithRollingUpdate sets the RollingUpdate parameters (default 25%/25%).
func (a App) WithRollingUpdate(maxSurge, maxUnavailable intstr.IntOrString) App {
	a.strategy = &appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &maxSurge, MaxUnavailable: &maxUnavailable}}
	return a.use("WithRollingUpdate")
}

// WithStrategy replaces the strategy verbatim. The zero value leaves
// spec.strategy to the API server's defaulting (the opt-out from the
// explicit RollingUpdate).
func (a App) WithStrategy(s appsv1.DeploymentStrategy) App {
	a.strategy = s.DeepCopy()
	return a.use("WithStrategy")
}

// WithMinReady sets minReadySeconds (default 0).
func (a App) WithMinReady(d time.Duration) App {
	if d < 0 {
		a = a.fail(CheckDeploymentSpec, "WithMinReady", d.String(), "must be greater than or equal to 0")
	}
	a.minReady = d
	return a.use("WithMinReady")
}

// WithProgressDeadline sets progressDeadlineSeconds (default 600s); it must
// exceed minReadySeconds.
func (a App) WithProgressDeadline(d time.Duration) App {
	a.progressDeadline = d
	return a.use("WithProgressDeadline")
}

// WithRevisionHistoryLimit sets revisionHistoryLimit (default 10).
func (a App) WithRevisionHistoryLimit(n int32) App {
	a.revisionHistoryLimit = n
	return a.use("WithRevisionHistoryLimit")
}

// WithLabels adds labels to every object and the pod template. Keys the
// builder owns (app.kubernetes.io/name, instance, version, component,
// part-of, managed-by) are refused: use WithSelector, WithInstance,
// WithVersion, WithComponent or WithPartOf.
func (a App) WithLabels(l map[string]string) App {
	a.labels = mergeCopy(a.labels, l)
	return a.use("WithLabels")
}

// WithAnnotations adds annotations to every object.
func (a App) WithAnnotations(m map[string]string) App {
	a.annotations = mergeCopy(a.annotations, m)
	return a
}

// WithPodLabels adds labels to the pod template only. Selector keys are
// refused, since they would detach the pods from their controller.
func (a App) WithPodLabels(l map[string]string) App {
	a.podLabels = mergeCopy(a.podLabels, l)
	return a.use("WithPodLabels")
}

// WithPodAnnotations adds annotations to the pod template only.
func (a App) WithPodAnnotations(m map[string]string) App {
	a.podAnnotations = mergeCopy(a.podAnnotations, m)
	return a
}

// WithInstance sets app.kubernetes.io/instance (default: the app name).
func (a App) WithInstance(s string) App { a.instance = s; return a }

// WithVersion sets app.kubernetes.io/version (default: the image tag, when it
// is a valid label value).
func (a App) WithVersion(s string) App { a.version = s; return a }

// WithComponent sets app.kubernetes.io/component (default: the workload
// kind, "web", "worker", "job" or "cronjob").
func (a App) WithComponent(s string) App { a.component = s; return a }

// WithPartOf sets app.kubernetes.io/part-of (default: unset).
func (a App) WithPartOf(s string) App { a.partOf = s; return a }

// WithSelector replaces the selector labels (default
// app.kubernetes.io/name + app.kubernetes.io/instance). Selectors are
// immutable, so use it to adopt an existing Deployment whose selector differs.
func (a App) WithSelector(l map[string]string) App {
	a.selector = maps.Clone(l)
	if a.selector == nil {
		a.selector = map[string]string{}
	}
	return a.use("WithSelector")
}

// WithoutRecommendedLabels drops the app.kubernetes.io labels other than the
// selector's (version, component, part-of, managed-by).
func (a App) WithoutRecommendedLabels() App { a.noRecommendedLabels = true; return a }

// WithReadiness replaces the readiness probe (default for web services
// probe.HTTPGet("/health/ready", "http"); workers have none, and take an
// exec probe here). Jobs take none.
func (a App) WithReadiness(b probe.Builder) App {
	a.readiness, a.noReadiness = &b, false
	return a.use("WithReadiness")
}

// WithReadinessPath changes the default readiness probe's path.
func (a App) WithReadinessPath(path string) App {
	a.readinessPath = path
	return a.use("WithReadinessPath")
}

// WithoutReadiness removes the readiness probe of a web service, waiving
// probe.readiness with reason.
func (a App) WithoutReadiness(reason string) App {
	a.noReadiness, a.readiness = true, nil
	return a.use("WithoutReadiness").Waive(CheckProbeReadiness, reason)
}

// WithLiveness adds a liveness probe (default: none). It must differ from
// the readiness probe (probe.identical). A worker takes an exec probe.
func (a App) WithLiveness(b probe.Builder) App { a.liveness = &b; return a.use("WithLiveness") }

// WithProbes sets the readiness and liveness probes from a probe.Set, as
// probe.Python and probe.Django return it; a nil member leaves that probe
// as it was. The Set's startup probe is not used: the startup probe is
// derived from WithBootTime.
func (a App) WithProbes(s probe.Set) App {
	if s.Readiness != nil {
		a = a.WithReadiness(probe.From(s.Readiness))
	}
	if s.Liveness != nil {
		a = a.WithLiveness(probe.From(s.Liveness))
	}
	return a
}

// WithBootTime sets the expected worst-case boot time (default 60s) from
// which the startup probe's failureThreshold is derived. It must be
// positive; use WithoutStartupProbe to drop the probe.
func (a App) WithBootTime(d time.Duration) App {
	if d <= 0 {
		a = a.fail(CheckProbeSpec, "WithBootTime", d.String(), "must be greater than 0; use WithoutStartupProbe to drop the startup probe")
	}
	a.bootTime = d
	return a.use("WithBootTime")
}

// WithoutStartupProbe removes the derived startup probe.
func (a App) WithoutStartupProbe() App { a.noStartup = true; return a.use("WithoutStartupProbe") }

// WithDjango sends "Host: host" on every HTTP probe, so Django's
// ALLOWED_HOSTS check does not answer kubelet with 400 DisallowedHost.
func (a App) WithDjango(host string) App { a.djangoHost = host; return a.use("WithDjango") }

// WithEnv adds a literal environment variable. Secret-looking names are
// refused; use WithEnvFromSecret.
func (a App) WithEnv(name, value string) App {
	a.env = appendClip(a.env, corev1.EnvVar{Name: name, Value: value})
	return a
}

// WithEnvFromSecret adds a variable read from key of the Secret secret.
func (a App) WithEnvFromSecret(name, secret, key string) App {
	a.env = appendClip(a.env, secretEnv(name, secret, key))
	return a
}

// WithEnvFromConfigMap adds a variable read from key of the ConfigMap
// configMap. A ConfigMap generated with WithConfigMap is named by its base
// name here; Build substitutes the hash-suffixed name.
func (a App) WithEnvFromConfigMap(name, configMap, key string) App {
	a.env = appendClip(a.env, configMapEnv(name, configMap, key))
	return a
}

// WithEnvFromField adds a variable from the downward API, e.g.
// WithEnvFromField("POD_NAME", "metadata.name") or "status.podIP".
func (a App) WithEnvFromField(name, fieldPath string) App {
	a.env = appendClip(a.env, fieldEnv(name, fieldPath))
	return a
}

// WithEnvVar adds an environment variable verbatim.
func (a App) WithEnvVar(v corev1.EnvVar) App { a.env = appendClip(a.env, *v.DeepCopy()); return a }

// WithEnvFrom adds an envFrom source (every key of a ConfigMap or Secret).
func (a App) WithEnvFrom(s corev1.EnvFromSource) App {
	a.envFrom = appendClip(a.envFrom, *s.DeepCopy())
	return a
}

// WithoutPythonUnbuffered drops the default PYTHONUNBUFFERED=1 (which makes
// print and logging reach kubectl logs immediately).
func (a App) WithoutPythonUnbuffered() App { a.noUnbuffered = true; return a }

// WithConfigMapVolume mounts the ConfigMap configMap read-only at mountPath
// in the app container. A ConfigMap generated with WithConfigMap is named by
// its base name.
func (a App) WithConfigMapVolume(configMap, mountPath string) App {
	a.mounts = appendClip(a.mounts, mount{kind: mountConfigMap, source: configMap, path: mountPath})
	return a
}

// WithSecretVolume mounts the Secret secret read-only at mountPath in the
// app container.
func (a App) WithSecretVolume(secret, mountPath string) App {
	a.mounts = appendClip(a.mounts, mount{kind: mountSecret, source: secret, path: mountPath})
	return a
}

// WithConfigMap generates the ConfigMap cm with the app's labels, named
// "<name>-<hash>" from its content (kustomize's configMapGenerator hash), so
// changing the content renames it and rolls the pods that use it. Refer to
// it by its base name in WithEnvFromConfigMap, WithConfigMapVolume,
// WithEnvFrom and the containers' equivalents.
func (a App) WithConfigMap(cm ConfigMap) App {
	a.configMaps = appendClip(a.configMaps, cm)
	return a
}

// WithCPU sets the CPU request (default: 100m per worker process of the
// server preset, 100m for Command and Args).
func (a App) WithCPU(request string) App {
	a.cpuRequest, a.cpuSet = request, true
	return a.use("WithCPU")
}

// WithCPULimit adds a CPU limit (default: none, to avoid CFS throttling).
func (a App) WithCPULimit(limit string) App { a.cpuLimit = limit; return a }

// WithoutCPURequest drops the CPU request, waiving resources.cpu-request.
func (a App) WithoutCPURequest(reason string) App {
	a.cpuRequest, a.cpuSet = "", true
	return a.use("WithoutCPURequest").Waive(CheckCPURequest, reason)
}

// WithMemory sets the memory request and limit (default: derived from the
// server preset's workers and threads, see the package doc; 256Mi / 512Mi
// for Command and Args).
func (a App) WithMemory(request, limit string) App {
	a.memRequest, a.memLimit = request, limit
	a.memReqSet, a.memLimSet = true, true
	return a
}

// WithoutMemoryLimit drops the memory limit, waiving resources.memory.
func (a App) WithoutMemoryLimit(reason string) App {
	a.memLimit, a.memLimSet = "", true
	return a.Waive(CheckMemory, reason)
}

// WithEphemeralStorage sets the ephemeral-storage request and limit
// (default: the disk-backed /tmp and writable paths' sizes plus 64Mi, and
// plus 256Mi, for logs and image layers' writes).
func (a App) WithEphemeralStorage(request, limit string) App {
	a.ephRequest, a.ephLimit, a.ephExplicit = request, limit, true
	return a.use("WithEphemeralStorage")
}

// WithoutEphemeralStorage drops the ephemeral-storage request and limit,
// waiving resources.ephemeral-storage.
func (a App) WithoutEphemeralStorage(reason string) App {
	a.noEphemeral = true
	return a.use("WithoutEphemeralStorage").Waive(CheckEphemeralStorage, reason)
}

// WithTmp sizes the /tmp emptyDir (default 128Mi, disk-backed); memory
// backs it with tmpfs, which counts against the memory limit instead. A
// negative size is an error (resources.format), as on the API server.
func (a App) WithTmp(sizeLimit string, memory bool) App {
	if negativeQuantity(sizeLimit) {
		a = a.fail(CheckResourcesFormat, "WithTmp", sizeLimit, emptyDirNegative)
	}
	a.tmpSize, a.tmpMemory, a.noTmp = sizeLimit, memory, false
	return a
}

// emptyDirNegative is the API server's refusal of a negative
// emptyDir.sizeLimit, with the rule it applies.
const emptyDirNegative = "SizeLimit field must be a valid resource quantity: must be greater than or equal to 0"

// negativeQuantity reports whether s parses as a quantity below zero (an
// unparsable one is reported where it is rendered).
func negativeQuantity(s string) bool {
	q, err := resource.ParseQuantity(s)
	return err == nil && q.Sign() < 0
}

// WithoutTmp drops the /tmp emptyDir. With a read-only root filesystem this
// is an error (volumes.tmp).
func (a App) WithoutTmp() App { a.noTmp = true; return a }

// WithWritablePath mounts a sized emptyDir at path (e.g. a cache directory
// a library insists on); reason is recorded as an annotation. A negative
// size is an error (resources.format), as on the API server.
func (a App) WithWritablePath(path, sizeLimit, reason string) App {
	if negativeQuantity(sizeLimit) {
		a = a.fail(CheckResourcesFormat, "WithWritablePath["+path+"]", sizeLimit, emptyDirNegative)
	}
	a.writable = appendClip(a.writable, writablePath{path: path, size: sizeLimit, reason: reason})
	return a
}

// WithUser sets runAsUser/runAsGroup/fsGroup (default 10001/10001; both
// must exceed 10000).
func (a App) WithUser(uid, gid int64) App { a.uid, a.gid = uid, gid; return a }

// WithPodSecurityContext replaces the generated pod security context; Build
// still checks the result.
func (a App) WithPodSecurityContext(sc *corev1.PodSecurityContext) App {
	a.podSecurity = sc.DeepCopy()
	return a
}

// WithContainerSecurityContext replaces the generated container security
// context of the app container; Build still checks the result.
func (a App) WithContainerSecurityContext(sc *corev1.SecurityContext) App {
	a.containerSecurity = sc.DeepCopy()
	return a
}

// WithWritableRootFilesystem makes the root filesystem writable, waiving
// security.read-only-root-fs with reason.
func (a App) WithWritableRootFilesystem(reason string) App {
	a.writableRoot = true
	return a.Waive(CheckReadOnlyRootFS, reason)
}

// WithServiceAccountToken mounts the service account token (default: not
// mounted, automountServiceAccountToken false).
func (a App) WithServiceAccountToken() App { a.automountToken = true; return a }

// WithServiceAccountName runs the pod as an existing service account instead
// of the generated one (default: a ServiceAccount named after the app).
func (a App) WithServiceAccountName(name string) App {
	a.saMode, a.saName = saExisting, name
	return a.use("WithServiceAccountName")
}

// WithoutServiceAccount runs the pod as the namespace's default account and
// generates no ServiceAccount.
func (a App) WithoutServiceAccount() App {
	a.saMode, a.saName = saNone, ""
	return a.use("WithoutServiceAccount")
}

// WithImagePullPolicy sets imagePullPolicy (default IfNotPresent for
// digest-pinned images, else left to the API).
func (a App) WithImagePullPolicy(p corev1.PullPolicy) App { a.pullPolicy = p; return a }

// WithImagePullSecrets adds imagePullSecrets: the names of
// kubernetes.io/dockerconfigjson Secrets kubelet uses to pull from a
// private registry (default: none).
func (a App) WithImagePullSecrets(names ...string) App {
	a.pullSecrets = appendClip(a.pullSecrets, names...)
	return a
}

// WithContainer adds another main container to the pod, next to the app
// container; it starts and stops with it.
func (a App) WithContainer(c Container) App {
	a.containers = appendClip(a.containers, c)
	return a
}

// WithInitContainer adds an init container, run to completion, in order,
// before the app container starts (e.g. waiting for a database or
// collecting static files; a database migration belongs in WithMigration,
// not here: init containers of several replicas race).
func (a App) WithInitContainer(c Container) App {
	a.initContainers = appendClip(a.initContainers, c)
	return a
}

// WithSidecar adds a native sidecar: an init container with restartPolicy
// Always, started before the app container and stopped after it, and not
// holding a Job open once the app container exits (Kubernetes 1.29 or
// newer; Build refuses it for an older WithKubernetesVersion).
func (a App) WithSidecar(c Container) App {
	a.sidecars = appendClip(a.sidecars, c)
	return a
}

// WithNodeSelector adds node labels the pod must be scheduled on (default:
// none).
func (a App) WithNodeSelector(l map[string]string) App {
	a.nodeSelector = mergeCopy(a.nodeSelector, l)
	return a
}

// WithTolerations adds tolerations, letting the pod run on tainted nodes
// (default: none).
func (a App) WithTolerations(ts ...corev1.Toleration) App {
	for _, t := range ts {
		a.tolerations = appendClip(a.tolerations, *t.DeepCopy())
	}
	return a
}

// WithAffinity sets the pod's affinity. Its node affinity and pod affinity
// are used as given; a pod anti-affinity replaces the default spreading
// anti-affinity (default: preferred anti-affinity on the hostname with more
// than one replica).
func (a App) WithAffinity(af *corev1.Affinity) App { a.affinity = af.DeepCopy(); return a }

// WithTopologySpread replaces the default topology spread constraints (on
// hostname and zone, ScheduleAnyway, with more than one replica).
func (a App) WithTopologySpread(cs ...corev1.TopologySpreadConstraint) App {
	a.spread = nil
	for _, c := range cs {
		a.spread = appendClip(a.spread, *c.DeepCopy())
	}
	return a.use("WithTopologySpread")
}

// WithPriorityClass sets priorityClassName (default: none, the cluster's
// default priority).
func (a App) WithPriorityClass(name string) App { a.priorityClass = name; return a }

// WithoutSpread drops the default pod anti-affinity and topology spread
// (across nodes and zones, for more than one replica), waiving
// scheduling.anti-affinity with reason.
func (a App) WithoutSpread(reason string) App {
	a.noSpread = true
	return a.use("WithoutSpread").Waive(CheckAntiAffinity, reason)
}

// WithoutService generates no Service for a web service; the default
// replica count becomes 1.
func (a App) WithoutService() App { a.noService = true; return a.use("WithoutService") }

// WithNetworkPolicyFrom restricts the NetworkPolicy's ingress sources
// (default: any source, but only to the declared ports).
func (a App) WithNetworkPolicyFrom(peers ...networkingv1.NetworkPolicyPeer) App {
	for _, p := range peers {
		a.networkPeers = appendClip(a.networkPeers, *p.DeepCopy())
	}
	return a.use("WithNetworkPolicyFrom")
}

// WithoutNetworkPolicy generates no NetworkPolicy (a warning,
// networkpolicy.missing).
func (a App) WithoutNetworkPolicy() App {
	a.noNetworkPolicy = true
	return a.use("WithoutNetworkPolicy")
}

// WithPDB sets the PodDisruptionBudget's maxUnavailable (default 1): a
// number of at least 1 or a percentage up to 100% ("25%"); a negative
// number, an unparsable percentage or one over 100% is refused with the API
// server's words, 0 or "0%" because no node could ever be drained. A PDB
// is generated only for more than one replica.
func (a App) WithPDB(maxUnavailable intstr.IntOrString) App {
	if msgs := budgetErrs(maxUnavailable); len(msgs) > 0 {
		a = a.fail(CheckPDB, "WithPDB", intOrStringValue(maxUnavailable), strings.Join(msgs, "; "))
	}
	a.pdbMaxUnavailable = &maxUnavailable
	return a.use("WithPDB")
}

// WithoutPDB drops the PodDisruptionBudget, waiving pdb.missing with reason.
func (a App) WithoutPDB(reason string) App {
	a.noPDB = true
	return a.use("WithoutPDB").Waive(CheckPDBMissing, reason)
}

// Waive accepts failures of check id, for the written reason, which is
// recorded on every object as the annotation ignore-check.pydeploy.io/<id>
// (and ignore-check.kube-linter.io/<check> for the kube-linter checks it
// mirrors). An unknown id or an empty reason is reported by Build.
func (a App) Waive(id CheckID, reason string) App {
	a.waivers = appendClip(a.waivers, waiver{id: id, reason: reason})
	return a
}

func (a App) waived(id CheckID) bool {
	return slices.ContainsFunc(a.waivers, func(w waiver) bool { return w.id == id && w.reason != "" })
}

func (a App) called(option string) bool { return slices.Contains(a.used, option) }
