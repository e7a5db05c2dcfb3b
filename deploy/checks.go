package deploy

import (
	"fmt"
	"slices"
	"strings"
)

// CheckID is the stable identifier of one build-time check, e.g.
// "image.latest-tag". IDs never change meaning; they appear in error lines,
// in waivers and in the ignore-check annotations a waiver records.
type CheckID string

// Severity says whether a failed check stops Build.
type Severity string

const (
	// SeverityError fails Build unless the check is waived.
	SeverityError Severity = "error"
	// SeverityWarning is reported in Bundle.Warnings and never fails Build.
	SeverityWarning Severity = "warning"
)

// Check describes one build-time check: what it enforces, how bad a failure
// is, which linter checks it mirrors and how to fix a failure. The registry
// (Checks) is data so that the docs (CHECKS.md) are generated from it.
type Check struct {
	ID          CheckID
	Severity    Severity
	Summary     string
	KubeLinter  []string // stackrox/kube-linter check names
	KubeScore   []string // zegl/kube-score check IDs
	Polaris     []string // FairwindsOps/polaris check IDs
	Remediation string
}

// The check IDs. Each is documented in CHECKS.md, generated from Checks.
const (
	CheckName                CheckID = "name.format"
	CheckLabels              CheckID = "labels.format"
	CheckSelectorMatch       CheckID = "selector.match"
	CheckServiceDangling     CheckID = "service.dangling"
	CheckServiceTargetPort   CheckID = "service.target-port"
	CheckServicePortNames    CheckID = "service.port-names"
	CheckPorts               CheckID = "ports.format"
	CheckSSHPort             CheckID = "ports.ssh"
	CheckProbePort           CheckID = "probe.port"
	CheckProbeSpec           CheckID = "probe.spec"
	CheckProbeIdentical      CheckID = "probe.identical"
	CheckProbeStartup        CheckID = "probe.startup-needed"
	CheckProbeReadiness      CheckID = "probe.readiness"
	CheckImageFormat         CheckID = "image.format"
	CheckImageLatest         CheckID = "image.latest-tag"
	CheckStrategy            CheckID = "deployment.strategy"
	CheckDeploymentSpec      CheckID = "deployment.spec"
	CheckReplicas            CheckID = "deployment.replicas"
	CheckRestartPolicy       CheckID = "pod.restart-policy"
	CheckShutdown            CheckID = "shutdown.budget"
	CheckServer              CheckID = "server.config"
	CheckSingleWorker        CheckID = "server.single-worker"
	CheckEnvName             CheckID = "env.name"
	CheckEnvDuplicate        CheckID = "env.duplicate"
	CheckEnvSecret           CheckID = "env.secret"
	CheckResourcesFormat     CheckID = "resources.format"
	CheckCPURequest          CheckID = "resources.cpu-request"
	CheckMemory              CheckID = "resources.memory"
	CheckEphemeralStorage    CheckID = "resources.ephemeral-storage"
	CheckRunAsNonRoot        CheckID = "security.run-as-non-root"
	CheckPrivilegeEscalation CheckID = "security.privilege-escalation"
	CheckPrivileged          CheckID = "security.privileged"
	CheckReadOnlyRootFS      CheckID = "security.read-only-root-fs"
	CheckCapabilities        CheckID = "security.capabilities"
	CheckSeccomp             CheckID = "security.seccomp"
	CheckHostNamespaces      CheckID = "security.host-namespaces"
	CheckHostPath            CheckID = "security.host-path"
	CheckSysctls             CheckID = "security.unsafe-sysctls"
	CheckTmpVolume           CheckID = "volumes.tmp"
	CheckServiceAccount      CheckID = "serviceaccount.token"
	CheckServiceAccountField CheckID = "serviceaccount.field"
	CheckAntiAffinity        CheckID = "scheduling.anti-affinity"
	CheckPDB                 CheckID = "pdb.policy"
	CheckPDBMissing          CheckID = "pdb.missing"
	CheckHPA                 CheckID = "hpa.config"
	CheckNetworkPolicy       CheckID = "networkpolicy.missing"
	CheckWaiver              CheckID = "waiver.format"
	CheckSchema              CheckID = "schema.structural"
	CheckOption              CheckID = "option.not-applicable"
	CheckResourceSizing      CheckID = "resources.sizing"
	CheckKubernetesVersion   CheckID = "kubernetes.version"
	CheckJobSpec             CheckID = "job.spec"
	CheckCronJobSpec         CheckID = "cronjob.spec"
	CheckContainers          CheckID = "containers.spec"
	CheckVolumes             CheckID = "volumes.reference"
	CheckConfigReference     CheckID = "config.reference"
	CheckScheduling          CheckID = "scheduling.spec"
	CheckServiceType         CheckID = "service.type"
	CheckIngress             CheckID = "ingress.backend"
	CheckHTTPRoute           CheckID = "httproute.backend"
	CheckNamespace           CheckID = "namespace.unset"
)

var checkList = []Check{
	{CheckName, SeverityError, "Names are valid: namespace a DNS-1123 label, Deployment and most kinds a DNS-1123 subdomain, Service a DNS-1035 label (starts with a letter, at most 63 characters), Job at most 63 and CronJob at most 52 characters (their pods' labels carry the name).", nil, nil, nil,
		"Use a lower-case name that starts with a letter, e.g. payments-api."},
	{CheckLabels, SeverityError, "Label keys and values are valid (apimachinery ValidateLabels).", nil, []string{"label-values"}, nil,
		"Label values are at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric."},
	{CheckSelectorMatch, SeverityError, "The Deployment selector matches the pod template labels (API: \"`selector` does not match template `labels`\").", []string{"mismatching-selector"}, []string{"deployment-pod-selector-labels-match-template-metadata-labels"}, nil,
		"Do not override the selector keys (app.kubernetes.io/name, app.kubernetes.io/instance) in pod labels."},
	{CheckServiceDangling, SeverityError, "The Service selector selects the pod template.", []string{"dangling-service"}, []string{"service-targets-pod"}, nil,
		"Keep the Service selector equal to the Deployment selector."},
	{CheckServiceTargetPort, SeverityError, "Every targetPort of a Service that selects a workload names (or numbers) a declared containerPort.", []string{"invalid-target-ports"}, []string{"service-targets-pod"}, nil,
		"Declare the port on the container with WithPort/WithExtraPort."},
	{CheckServicePortNames, SeverityError, "A Service with several ports names every port, and names are unique.", nil, nil, nil,
		"Give every port a distinct IANA_SVC_NAME."},
	{CheckPorts, SeverityError, "Container and Service ports are valid numbers (1-65535) with valid, unique IANA_SVC_NAME names (at most 15 characters).", []string{"invalid-target-ports"}, nil, nil,
		"Use a port in 1-65535 and a name like http or metrics."},
	{CheckSSHPort, SeverityError, "No container exposes port 22 (SSH).", []string{"ssh-port"}, nil, nil,
		"Do not run an SSH server in an application container."},
	{CheckProbePort, SeverityError, "Every probe targets a port the container declares (gRPC probes need a number).", []string{"readiness-port", "liveness-port", "startup-port"}, nil, nil,
		"Probe the named service port, e.g. intstr.FromString(\"http\")."},
	{CheckProbeSpec, SeverityError, "Probes pass the API server's validation (one handler, successThreshold 1 for liveness/startup, positive timings).", nil, []string{"pod-probes"}, nil,
		"Build probes with the probe package and fix what probe.Validate reports."},
	{CheckProbeIdentical, SeverityError, "Liveness and readiness probes are not the same endpoint.", nil, []string{"pod-probes-identical"}, nil,
		"Give liveness its own cheap endpoint (e.g. /health/live), or waive with a reason."},
	{CheckProbeStartup, SeverityError, "A container whose expected boot time exceeds the liveness budget (initialDelay + failureThreshold x period) has a startup probe.", nil, nil, nil,
		"Keep the derived startup probe or lower WithBootTime."},
	{CheckProbeReadiness, SeverityError, "The container has a readiness probe (a Service routes to it).", nil, []string{"pod-probes"}, []string{"readinessProbeMissing"},
		"Serve a readiness endpoint; the default probes /health/ready on the service port."},
	{CheckImageFormat, SeverityError, "The image is a valid, fully expanded reference.", nil, nil, nil,
		"Expand ${VARS} with manifest.Expand before Build; use registry/repo:tag or @sha256 digest."},
	{CheckImageLatest, SeverityError, "The image has an explicit tag other than latest, or a digest.", []string{"latest-tag"}, []string{"container-image-tag"}, []string{"tagNotSpecified"},
		"Tag images with the git SHA or pin them by digest."},
	{CheckStrategy, SeverityError, "RollingUpdate parameters are valid: maxUnavailable may not be 0 when maxSurge is 0, and at most 100%.", []string{"no-rolling-update-strategy"}, []string{"deployment-strategy"}, nil,
		"Use WithRollingUpdate with a non-zero surge or unavailability."},
	{CheckDeploymentSpec, SeverityError, "Deployment numbers are valid: replicas, minReadySeconds and revisionHistoryLimit non-negative, progressDeadlineSeconds greater than minReadySeconds (API: \"must be greater than minReadySeconds\").", nil, nil, nil,
		"Raise WithProgressDeadline or lower WithMinReady."},
	{CheckReplicas, SeverityWarning, "A Deployment targeted by a Service runs at least 2 replicas (or an HPA minimum of 2).", []string{"minimum-three-replicas"}, []string{"deployment-replicas", "horizontalpodautoscaler-replicas"}, []string{"deploymentMissingReplicas"},
		"Use WithReplicas(2) or more, or WithAutoscaling."},
	{CheckRestartPolicy, SeverityError, "The pod template restartPolicy is Always for Deployments, StatefulSets and DaemonSets, OnFailure or Never for Jobs and CronJobs (the values the API server allows).", nil, []string{"cronjob-restartpolicy"}, nil,
		"Leave restartPolicy to the builder."},
	{CheckShutdown, SeverityError, "terminationGracePeriodSeconds covers preStop sleep + server graceful timeout + margin, in whole seconds.", nil, nil, nil,
		"Raise the grace period or shrink the Shutdown budget."},
	{CheckServer, SeverityError, "The server preset is complete: module:callable app, workers/threads >= 1, timeouts positive, a command for Command.", nil, nil, nil,
		"Use deploy.Gunicorn(\"pkg.wsgi:application\"), deploy.Uvicorn(\"pkg.asgi:app\") or deploy.Command(argv...)."},
	{CheckSingleWorker, SeverityWarning, "A server with a single worker (and thread) cannot answer probes while busy and flaps.", nil, nil, nil,
		"Use at least 2 workers, or threads for gunicorn."},
	{CheckEnvName, SeverityError, "Environment variable names are valid (IsEnvVarName).", nil, nil, nil,
		"Use names like DJANGO_SETTINGS_MODULE."},
	{CheckEnvDuplicate, SeverityError, "No environment variable is set twice.", []string{"duplicate-env-var"}, []string{"environment-variable-key-duplication"}, nil,
		"Remove the duplicate WithEnv call."},
	{CheckEnvSecret, SeverityError, "No secret-looking variable (SECRET, PASSWORD, TOKEN, API_KEY ...) has a literal value.", []string{"env-var-secret"}, nil, []string{"sensitiveContainerEnvVar"},
		"Reference a Secret with WithEnvFromSecret."},
	{CheckResourcesFormat, SeverityError, "Resource quantities parse and each request is at most its limit.", nil, nil, nil,
		"Use quantities like 250m and 512Mi; requests <= limits."},
	{CheckCPURequest, SeverityError, "The container requests CPU.", []string{"unset-cpu-requirements"}, []string{"container-resources"}, []string{"cpuRequestsMissing"},
		"Keep the default request or set WithCPU."},
	{CheckMemory, SeverityError, "The container requests memory and has a memory limit.", []string{"unset-memory-requirements"}, []string{"container-resources"}, []string{"memoryRequestsMissing", "memoryLimitsMissing"},
		"Keep the defaults or set WithMemory(request, limit)."},
	{CheckEphemeralStorage, SeverityError, "The container requests and limits ephemeral storage.", nil, []string{"container-ephemeral-storage-request-and-limit"}, nil,
		"Keep the defaults, sized from the /tmp emptyDir."},
	{CheckRunAsNonRoot, SeverityError, "The container runs as non-root with UID and GID above 10000.", []string{"run-as-non-root"}, []string{"container-security-context-user-group-id"}, []string{"runAsRootAllowed"},
		"Keep runAsNonRoot and use WithUser(uid, gid) with ids > 10000."},
	{CheckPrivilegeEscalation, SeverityError, "allowPrivilegeEscalation is false.", []string{"privilege-escalation-container"}, nil, []string{"privilegeEscalationAllowed"},
		"Do not override allowPrivilegeEscalation."},
	{CheckPrivileged, SeverityError, "The container is not privileged.", []string{"privileged-container"}, []string{"container-security-context-privileged"}, []string{"runAsPrivileged"},
		"Do not set privileged."},
	{CheckReadOnlyRootFS, SeverityError, "The root filesystem is read-only (writable paths are emptyDirs).", []string{"no-read-only-root-fs"}, []string{"container-security-context-readonlyrootfilesystem"}, []string{"notReadOnlyRootFilesystem"},
		"Write to /tmp or WithWritablePath; WithWritableRootFilesystem(reason) as a last resort."},
	{CheckCapabilities, SeverityError, "All capabilities are dropped; only NET_BIND_SERVICE may be added (PSS restricted).", []string{"drop-net-raw-capability"}, nil, []string{"dangerousCapabilities", "insecureCapabilities"},
		"Keep drop: [ALL]."},
	{CheckSeccomp, SeverityError, "The seccomp profile is RuntimeDefault or Localhost (PSS restricted).", nil, []string{"container-seccomp-profile"}, nil,
		"Keep the pod-level RuntimeDefault profile."},
	{CheckHostNamespaces, SeverityError, "The pod does not share the host network, PID or IPC namespace.", []string{"host-network", "host-pid", "host-ipc"}, nil, []string{"hostNetworkSet", "hostPIDSet", "hostIPCSet"},
		"Do not set hostNetwork, hostPID or hostIPC."},
	{CheckHostPath, SeverityError, "The pod mounts no hostPath volume (e.g. the docker socket).", []string{"sensitive-host-mounts", "docker-sock"}, nil, []string{"hostPathSet"},
		"Use emptyDir, ConfigMap or Secret volumes."},
	{CheckSysctls, SeverityError, "The pod sets only safe sysctls.", []string{"unsafe-sysctls"}, nil, nil,
		"Drop unsafe sysctls from the pod security context."},
	{CheckTmpVolume, SeverityError, "With a read-only root filesystem, /tmp is a sized emptyDir (gunicorn's worker heartbeat and tempfile need it).", nil, nil, nil,
		"Keep the /tmp emptyDir; size it with WithTmp."},
	{CheckServiceAccount, SeverityWarning, "The service account token is not mounted unless asked.", nil, nil, []string{"automountServiceAccountToken"},
		"Call WithServiceAccountToken only for apps that talk to the Kubernetes API."},
	{CheckServiceAccountField, SeverityError, "The pod does not use the deprecated serviceAccount field, and names a valid service account.", []string{"deprecated-service-account-field", "non-existent-service-account"}, nil, nil,
		"Use serviceAccountName (WithServiceAccountName)."},
	{CheckAntiAffinity, SeverityError, "A Deployment with more than one replica spreads pods across nodes (anti-affinity and topology spread).", []string{"no-anti-affinity"}, []string{"deployment-has-host-podantiaffinity", "pod-topology-spread-constraints"}, []string{"topologySpreadConstraint"},
		"Keep the default spread; WithoutSpread(reason) to drop it."},
	{CheckPDB, SeverityError, "The PodDisruptionBudget selects the workload, allows at least one disruption and (Kubernetes 1.27 or newer) sets unhealthyPodEvictionPolicy.", []string{"pdb-max-unavailable", "pdb-min-available", "pdb-unhealthy-pod-eviction-policy"}, []string{"poddisruptionbudget-has-policy"}, []string{"pdbDisruptionsIsZero", "pdbMinAvailableGreaterThanHPAMinReplicas"},
		"Use WithPDB with maxUnavailable >= 1."},
	{CheckPDBMissing, SeverityError, "A Deployment with more than one replica has a PodDisruptionBudget.", nil, []string{"deployment-has-poddisruptionbudget"}, []string{"missingPodDisruptionBudget"},
		"Keep the default PDB; WithoutPDB(reason) to drop it."},
	{CheckHPA, SeverityError, "The HorizontalPodAutoscaler has 1 <= minReplicas <= maxReplicas, at least one metric, a request for each resource it scales on, a valid behavior, and targets the Deployment, which sets no replicas.", []string{"hpa-minimum-three-replicas"}, []string{"horizontalpodautoscaler-has-target", "deployment-targeted-by-hpa-does-not-have-replicas-configured"}, nil,
		"Use WithAutoscaling(min, max, cpuPercent) with min >= 2."},
	{CheckNetworkPolicy, SeverityWarning, "Every workload's pods are selected by a NetworkPolicy (admitting ingress only to their ports, or none), and every NetworkPolicy selects some pods.", nil, []string{"pod-networkpolicy", "networkpolicy-targets-pod"}, nil,
		"Keep the default NetworkPolicy."},
	{CheckWaiver, SeverityError, "Waivers name a known check and give a reason.", nil, nil, nil,
		"Waive(id, \"why this is acceptable\")."},
	{CheckSchema, SeverityError, "Objects conform to the OpenAPI schema embedded in client-go (offline structural validation), or for Gateway API objects to the gateway-api Go types, and carry apiVersion and kind.", []string{"schema-validation"}, nil, nil,
		"Fix the field named; for objects from Build, report a bug."},
	{CheckOption, SeverityError, "Every builder option applies to the workload kind, server preset and probe it is given, and no option contradicts another (nothing is silently ignored).", nil, nil, nil,
		"Drop the option, or use the one the message names."},
	{CheckResourceSizing, SeverityWarning, "An explicit memory or CPU limit is not below the estimate for the server's workers x threads.", nil, nil, nil,
		"Raise WithMemory/WithCPULimit, or drop them to get the derived sizing."},
	{CheckKubernetesVersion, SeverityError, "No field is newer than the target Kubernetes version (preStop sleep 1.30, native sidecars 1.29, matchLabelKeys, unhealthyPodEvictionPolicy and CronJob timeZone 1.27, gRPC probes 1.24).", nil, nil, nil,
		"Raise WithKubernetesVersion / ValidateOptions.KubernetesVersion, or drop the field."},
	{CheckJobSpec, SeverityError, "Job numbers are valid: backoffLimit, completions, parallelism and ttlSecondsAfterFinished non-negative, activeDeadlineSeconds positive.", nil, nil, nil,
		"Use WithBackoffLimit, WithActiveDeadline and WithTTLAfterFinished with valid values."},
	{CheckCronJobSpec, SeverityError, "The CronJob has a valid schedule, concurrencyPolicy and time zone, non-negative startingDeadlineSeconds and history limits, and a starting deadline.", nil, []string{"cronjob-has-deadline"}, nil,
		"Use a five-field cron schedule or a macro such as @hourly; keep the default starting deadline."},
	{CheckContainers, SeverityError, "Container names are unique DNS labels; only native sidecars among init containers take probes or a restartPolicy (Always).", nil, nil, nil,
		"Name every container distinctly; use WithSidecar for a container that runs alongside the app."},
	{CheckVolumes, SeverityError, "Volumes have unique, valid names; every volumeMount names a declared volume at a path not mounted twice.", nil, nil, nil,
		"Mount ConfigMaps and Secrets with WithConfigMapVolume/WithSecretVolume."},
	{CheckConfigReference, SeverityError, "References to ConfigMaps and Secrets present in the same set name them exactly (a generated ConfigMap by its hash-suffixed name) and name existing keys; generated ConfigMaps have valid keys.", nil, nil, nil,
		"Refer to generated ConfigMaps by their base name in the builder; it substitutes the rendered name."},
	{CheckScheduling, SeverityError, "Scheduling fields are valid: tolerations, node selector labels, topology spread constraints, priorityClassName and imagePullSecrets names.", nil, nil, nil,
		"Fix the value the message names."},
	{CheckServiceType, SeverityError, "The Service type is ClusterIP, NodePort or LoadBalancer, with node ports only where the type has them.", nil, []string{"service-type"}, nil,
		"Use WithServiceType(corev1.ServiceTypeClusterIP) unless the Service must be reachable from outside the cluster."},
	{CheckIngress, SeverityError, "Every Ingress path has a pathType and a backend Service port that exists on a Service of the set, and its hosts are valid.", nil, []string{"ingress-targets-service"}, nil,
		"Use WithIngress; it targets the app's Service port by name."},
	{CheckHTTPRoute, SeverityError, "Every HTTPRoute has a parent Gateway, valid hostnames and path prefixes, and backendRefs whose port exists on the Service they name.", nil, nil, nil,
		"Use WithHTTPRoute; it targets the app's Service port."},
	{CheckNamespace, SeverityWarning, "Namespaced objects name their namespace.", nil, nil, nil,
		"Pass the namespace to NewApp; a kustomize base can leave it empty for the overlay's namespace: field to fill (or manifest.ApplyOptions.Namespace)."},
}

// Checks returns the registry of build-time checks, sorted by ID. The
// returned slice is a copy.
func Checks() []Check {
	out := slices.Clone(checkList)
	slices.SortFunc(out, func(a, b Check) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out
}

// LookupCheck returns the registered check with the given ID.
func LookupCheck(id CheckID) (Check, bool) {
	i := slices.IndexFunc(checkList, func(c Check) bool { return c.ID == id })
	if i < 0 {
		return Check{}, false
	}
	return checkList[i], true
}

// ChecksMarkdown renders the registry as the markdown table published as
// CHECKS.md.
func ChecksMarkdown() string {
	var b strings.Builder
	b.WriteString("# deploy build-time checks\n\n")
	b.WriteString("Generated from `deploy.Checks()` by `go test ./deploy -run TestChecksMarkdown -update`; do not edit.\n\n")
	b.WriteString("Every check but waiver.format can be waived with `App.Waive(id, reason)`; the reason is required and is recorded as the\n")
	b.WriteString("annotation `ignore-check.pydeploy.io/<id>` (plus `ignore-check.kube-linter.io/<check>` for the kube-linter\n")
	b.WriteString("checks it mirrors). Errors fail `Build`; warnings are returned in `Bundle.Warnings`.\n\n")
	b.WriteString("| ID | Severity | Checks | kube-linter | kube-score | Polaris | Remediation |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, c := range Checks() {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", c.ID, c.Severity, mdEscape(c.Summary),
			mdList(c.KubeLinter), mdList(c.KubeScore), mdList(c.Polaris), mdEscape(c.Remediation))
	}
	return b.String()
}

func mdList(ids []string) string {
	if len(ids) == 0 {
		return "–"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "`" + id + "`"
	}
	return strings.Join(parts, ", ")
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
