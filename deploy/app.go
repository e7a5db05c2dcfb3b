package deploy

import (
	"maps"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/pydeploy/pydeploy/probe"
)

// Defaults applied by NewApp. Each has a With*/Without* to change or drop it.
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

// Port is an additional named container port, exposed on the Service and
// admitted by the NetworkPolicy (e.g. a metrics port).
type Port struct {
	Name string
	Port int32
}

// Autoscaling configures the optional HorizontalPodAutoscaler.
type Autoscaling struct {
	MinReplicas         int32
	MaxReplicas         int32
	CPUUtilizationRatio int32 // target average CPU utilization, percent of the request
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

// App describes one Python web service and builds its Kubernetes objects.
// Create it with NewApp, refine it with the With*/Without* methods (each
// returns the receiver), then call Build. An App is not safe for concurrent
// mutation; Build does not modify it and may be called repeatedly.
//
// Every default is listed on the method that changes it; the package doc has
// the full table.
type App struct {
	name, namespace string
	image           string
	port            int32
	portName        string
	servicePort     int32
	extraPorts      []Port
	server          Server
	shutdown        Shutdown
	grace           *time.Duration

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

	cpuRequest, cpuLimit     string
	memRequest, memLimit     string
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
	noSpread                 bool
	noService                bool
	noNetworkPolicy          bool
	networkPeers             []networkingv1.NetworkPolicyPeer
	noPDB                    bool
	pdbMaxUnavailable        *intstr.IntOrString
	waivers                  []waiver
}

// NewApp starts the description of the app name in namespace, with every
// production default in place: port 8000 named "http", readiness probe
// GET /health/ready, a startup probe for a 60s boot, the DefaultShutdown
// budget, restricted security context, requests of 100m CPU / 256Mi memory,
// a 512Mi memory limit, a 128Mi /tmp emptyDir, a ServiceAccount, a Service,
// a NetworkPolicy, and (with more than one replica) a PDB and spreading.
// The server and image have no default and must be set.
func NewApp(name, namespace string) *App {
	return &App{
		name: name, namespace: namespace,
		port: DefaultPort, portName: DefaultPortName,
		shutdown:             DefaultShutdown(),
		progressDeadline:     DefaultProgressDeadline,
		revisionHistoryLimit: DefaultRevisionHistoryLimit,
		component:            DefaultComponent,
		readinessPath:        DefaultReadinessPath,
		bootTime:             DefaultBootTime,
		cpuRequest:           DefaultCPURequest,
		memRequest:           DefaultMemoryRequest,
		memLimit:             DefaultMemoryLimit,
		tmpSize:              DefaultTmpSize,
		uid:                  DefaultUID,
		gid:                  DefaultGID,
	}
}

// Name returns the app name given to NewApp.
func (a *App) Name() string { return a.name }

// Namespace returns the namespace given to NewApp.
func (a *App) Namespace() string { return a.namespace }

// WithImage sets the container image: "registry/repo:tag" or
// "registry/repo@sha256:..." (no default). Build refuses :latest, a missing
// tag and unexpanded ${VARS}; expand those with manifest.Expand first.
func (a *App) WithImage(ref string) *App { a.image = ref; return a }

// WithServer sets how the app is served (no default): Gunicorn, Uvicorn or
// Command.
func (a *App) WithServer(s Server) *App { a.server = s; return a }

// WithPort sets the container port the server binds (default 8000) and its
// name (default "http"); probes and the Service target it by name.
func (a *App) WithPort(port int32, name string) *App { a.port, a.portName = port, name; return a }

// WithServicePort sets the Service's port number (default: the container
// port). The targetPort is always the container port's name.
func (a *App) WithServicePort(port int32) *App { a.servicePort = port; return a }

// WithExtraPort declares another container port (e.g. metrics), also
// exposed on the Service and admitted by the NetworkPolicy.
func (a *App) WithExtraPort(name string, port int32) *App {
	a.extraPorts = append(a.extraPorts, Port{Name: name, Port: port})
	return a
}

// WithShutdown replaces the shutdown budget (default DefaultShutdown()).
func (a *App) WithShutdown(s Shutdown) *App { a.shutdown = s; return a }

// WithTerminationGracePeriod sets terminationGracePeriodSeconds explicitly
// (default: the Shutdown budget's Total). A value below the budget is an
// error.
func (a *App) WithTerminationGracePeriod(d time.Duration) *App { a.grace = &d; return a }

// WithReplicas sets spec.replicas (default 2 with a Service, else 1). It
// cannot be combined with WithAutoscaling.
func (a *App) WithReplicas(n int32) *App { a.replicas = &n; return a }

// WithAutoscaling adds a HorizontalPodAutoscaler (autoscaling/v2, CPU
// utilization) and omits spec.replicas so the HPA owns the count.
func (a *App) WithAutoscaling(minReplicas, maxReplicas, cpuPercent int32) *App {
	a.autoscaling = &Autoscaling{MinReplicas: minReplicas, MaxReplicas: maxReplicas, CPUUtilizationRatio: cpuPercent}
	return a
}

// WithRollingUpdate sets the RollingUpdate parameters (default 25%/25%).
func (a *App) WithRollingUpdate(maxSurge, maxUnavailable intstr.IntOrString) *App {
	a.strategy = &appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &maxSurge, MaxUnavailable: &maxUnavailable}}
	return a
}

// WithStrategy replaces the strategy verbatim. The zero value leaves
// spec.strategy to the API server's defaulting (the opt-out from the
// explicit RollingUpdate).
func (a *App) WithStrategy(s appsv1.DeploymentStrategy) *App { a.strategy = s.DeepCopy(); return a }

// WithMinReady sets minReadySeconds (default 0).
func (a *App) WithMinReady(d time.Duration) *App { a.minReady = d; return a }

// WithProgressDeadline sets progressDeadlineSeconds (default 600s); it must
// exceed minReadySeconds.
func (a *App) WithProgressDeadline(d time.Duration) *App { a.progressDeadline = d; return a }

// WithRevisionHistoryLimit sets revisionHistoryLimit (default 10).
func (a *App) WithRevisionHistoryLimit(n int32) *App { a.revisionHistoryLimit = n; return a }

// WithLabels adds labels to every object and the pod template. They cannot
// change the selector labels.
func (a *App) WithLabels(l map[string]string) *App { a.labels = merge(a.labels, l); return a }

// WithAnnotations adds annotations to every object.
func (a *App) WithAnnotations(m map[string]string) *App {
	a.annotations = merge(a.annotations, m)
	return a
}

// WithPodLabels adds labels to the pod template only.
func (a *App) WithPodLabels(l map[string]string) *App { a.podLabels = merge(a.podLabels, l); return a }

// WithPodAnnotations adds annotations to the pod template only.
func (a *App) WithPodAnnotations(m map[string]string) *App {
	a.podAnnotations = merge(a.podAnnotations, m)
	return a
}

// WithInstance sets app.kubernetes.io/instance (default: the app name).
func (a *App) WithInstance(s string) *App { a.instance = s; return a }

// WithVersion sets app.kubernetes.io/version (default: the image tag, when it
// is a valid label value).
func (a *App) WithVersion(s string) *App { a.version = s; return a }

// WithComponent sets app.kubernetes.io/component (default "web").
func (a *App) WithComponent(s string) *App { a.component = s; return a }

// WithPartOf sets app.kubernetes.io/part-of (default: unset).
func (a *App) WithPartOf(s string) *App { a.partOf = s; return a }

// WithSelector replaces the selector labels (default
// app.kubernetes.io/name + app.kubernetes.io/instance). Selectors are
// immutable, so use it to adopt an existing Deployment whose selector differs.
func (a *App) WithSelector(l map[string]string) *App { a.selector = maps.Clone(l); return a }

// WithoutRecommendedLabels drops the app.kubernetes.io labels other than the
// selector's (version, component, part-of, managed-by).
func (a *App) WithoutRecommendedLabels() *App { a.noRecommendedLabels = true; return a }

// WithReadiness replaces the readiness probe (default
// probe.HTTPGet("/health/ready", "http")).
func (a *App) WithReadiness(b *probe.Builder) *App { a.readiness, a.noReadiness = b, false; return a }

// WithReadinessPath changes the default readiness probe's path.
func (a *App) WithReadinessPath(path string) *App { a.readinessPath = path; return a }

// WithoutReadiness removes the readiness probe, waiving probe.readiness with
// reason.
func (a *App) WithoutReadiness(reason string) *App {
	a.noReadiness = true
	return a.Waive(CheckProbeReadiness, reason)
}

// WithLiveness adds a liveness probe (default: none). It must differ from
// the readiness probe (probe.identical).
func (a *App) WithLiveness(b *probe.Builder) *App { a.liveness = b; return a }

// WithBootTime sets the expected worst-case boot time (default 60s) from
// which the startup probe's failureThreshold is derived.
func (a *App) WithBootTime(d time.Duration) *App { a.bootTime = d; return a }

// WithoutStartupProbe removes the derived startup probe.
func (a *App) WithoutStartupProbe() *App { a.noStartup = true; return a }

// WithDjango sends "Host: host" on every HTTP probe, so Django's
// ALLOWED_HOSTS check does not answer kubelet with 400 DisallowedHost.
func (a *App) WithDjango(host string) *App { a.djangoHost = host; return a }

// WithEnv adds a literal environment variable. Secret-looking names are
// refused; use WithEnvFromSecret.
func (a *App) WithEnv(name, value string) *App {
	a.env = append(a.env, corev1.EnvVar{Name: name, Value: value})
	return a
}

// WithEnvFromSecret adds a variable read from key of the Secret secret.
func (a *App) WithEnvFromSecret(name, secret, key string) *App {
	a.env = append(a.env, corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key}}})
	return a
}

// WithEnvVar adds an environment variable verbatim.
func (a *App) WithEnvVar(v corev1.EnvVar) *App { a.env = append(a.env, *v.DeepCopy()); return a }

// WithEnvFrom adds an envFrom source (ConfigMap or Secret).
func (a *App) WithEnvFrom(s corev1.EnvFromSource) *App {
	a.envFrom = append(a.envFrom, *s.DeepCopy())
	return a
}

// WithoutPythonUnbuffered drops the default PYTHONUNBUFFERED=1 (which makes
// print and logging reach kubectl logs immediately).
func (a *App) WithoutPythonUnbuffered() *App { a.noUnbuffered = true; return a }

// WithCPU sets the CPU request (default 100m).
func (a *App) WithCPU(request string) *App { a.cpuRequest = request; return a }

// WithCPULimit adds a CPU limit (default: none, to avoid CFS throttling).
func (a *App) WithCPULimit(limit string) *App { a.cpuLimit = limit; return a }

// WithoutCPURequest drops the CPU request, waiving resources.cpu-request.
func (a *App) WithoutCPURequest(reason string) *App {
	a.cpuRequest = ""
	return a.Waive(CheckCPURequest, reason)
}

// WithMemory sets the memory request and limit (default 256Mi / 512Mi).
func (a *App) WithMemory(request, limit string) *App {
	a.memRequest, a.memLimit = request, limit
	return a
}

// WithoutMemoryLimit drops the memory limit, waiving resources.memory.
func (a *App) WithoutMemoryLimit(reason string) *App {
	a.memLimit = ""
	return a.Waive(CheckMemory, reason)
}

// WithEphemeralStorage sets the ephemeral-storage request and limit
// (default: the disk-backed /tmp and writable paths' sizes plus 64Mi, and
// plus 256Mi, for logs and image layers' writes).
func (a *App) WithEphemeralStorage(request, limit string) *App {
	a.ephRequest, a.ephLimit, a.ephExplicit = request, limit, true
	return a
}

// WithoutEphemeralStorage drops the ephemeral-storage request and limit,
// waiving resources.ephemeral-storage.
func (a *App) WithoutEphemeralStorage(reason string) *App {
	a.noEphemeral = true
	return a.Waive(CheckEphemeralStorage, reason)
}

// WithTmp sizes the /tmp emptyDir (default 128Mi, disk-backed); memory
// backs it with tmpfs, which counts against the memory limit instead.
func (a *App) WithTmp(sizeLimit string, memory bool) *App {
	a.tmpSize, a.tmpMemory, a.noTmp = sizeLimit, memory, false
	return a
}

// WithoutTmp drops the /tmp emptyDir. With a read-only root filesystem this
// is an error (volumes.tmp).
func (a *App) WithoutTmp() *App { a.noTmp = true; return a }

// WithWritablePath mounts a sized emptyDir at path (e.g. a cache directory
// a library insists on); reason is recorded as an annotation.
func (a *App) WithWritablePath(path, sizeLimit, reason string) *App {
	a.writable = append(a.writable, writablePath{path: path, size: sizeLimit, reason: reason})
	return a
}

// WithUser sets runAsUser/runAsGroup/fsGroup (default 10001/10001; both
// must exceed 10000).
func (a *App) WithUser(uid, gid int64) *App { a.uid, a.gid = uid, gid; return a }

// WithPodSecurityContext replaces the generated pod security context; Build
// still checks the result.
func (a *App) WithPodSecurityContext(sc *corev1.PodSecurityContext) *App {
	a.podSecurity = sc.DeepCopy()
	return a
}

// WithContainerSecurityContext replaces the generated container security
// context; Build still checks the result.
func (a *App) WithContainerSecurityContext(sc *corev1.SecurityContext) *App {
	a.containerSecurity = sc.DeepCopy()
	return a
}

// WithWritableRootFilesystem makes the root filesystem writable, waiving
// security.read-only-root-fs with reason.
func (a *App) WithWritableRootFilesystem(reason string) *App {
	a.writableRoot = true
	return a.Waive(CheckReadOnlyRootFS, reason)
}

// WithServiceAccountToken mounts the service account token (default: not
// mounted, automountServiceAccountToken false).
func (a *App) WithServiceAccountToken() *App { a.automountToken = true; return a }

// WithServiceAccountName runs the pod as an existing service account instead
// of the generated one (default: a ServiceAccount named after the app).
func (a *App) WithServiceAccountName(name string) *App {
	a.saMode, a.saName = saExisting, name
	return a
}

// WithoutServiceAccount runs the pod as the namespace's default account and
// generates no ServiceAccount.
func (a *App) WithoutServiceAccount() *App { a.saMode, a.saName = saNone, ""; return a }

// WithImagePullPolicy sets imagePullPolicy (default IfNotPresent for
// digest-pinned images, else left to the API).
func (a *App) WithImagePullPolicy(p corev1.PullPolicy) *App { a.pullPolicy = p; return a }

// WithoutSpread drops the default pod anti-affinity and topology spread
// (across nodes and zones, for more than one replica), waiving
// scheduling.anti-affinity with reason.
func (a *App) WithoutSpread(reason string) *App {
	a.noSpread = true
	return a.Waive(CheckAntiAffinity, reason)
}

// WithoutService generates no Service; the default replica count becomes 1.
func (a *App) WithoutService() *App { a.noService = true; return a }

// WithNetworkPolicyFrom restricts the NetworkPolicy's ingress sources
// (default: any source, but only to the declared ports).
func (a *App) WithNetworkPolicyFrom(peers ...networkingv1.NetworkPolicyPeer) *App {
	for _, p := range peers {
		a.networkPeers = append(a.networkPeers, *p.DeepCopy())
	}
	return a
}

// WithoutNetworkPolicy generates no NetworkPolicy (a warning,
// networkpolicy.missing).
func (a *App) WithoutNetworkPolicy() *App { a.noNetworkPolicy = true; return a }

// WithPDB sets the PodDisruptionBudget's maxUnavailable (default 1).
func (a *App) WithPDB(maxUnavailable intstr.IntOrString) *App {
	a.pdbMaxUnavailable = &maxUnavailable
	return a
}

// WithoutPDB drops the PodDisruptionBudget, waiving pdb.missing with reason.
func (a *App) WithoutPDB(reason string) *App {
	a.noPDB = true
	return a.Waive(CheckPDBMissing, reason)
}

// Waive accepts failures of check id, for the written reason, which is
// recorded on every object as the annotation ignore-check.pydeploy.io/<id>
// (and ignore-check.kube-linter.io/<check> for the kube-linter checks it
// mirrors). An unknown id or an empty reason is reported by Build.
func (a *App) Waive(id CheckID, reason string) *App {
	a.waivers = append(a.waivers, waiver{id: id, reason: reason})
	return a
}

func merge(dst, src map[string]string) map[string]string {
	if dst == nil {
		dst = make(map[string]string, len(src))
	}
	maps.Copy(dst, src)
	return dst
}

func (a *App) waived(id CheckID) bool {
	return slices.ContainsFunc(a.waivers, func(w waiver) bool { return w.id == id && w.reason != "" })
}
