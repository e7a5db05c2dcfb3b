package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/pydeploy/pydeploy/probe"
)

// validateObjects runs the checks that look at the built objects, alone and
// together (selectors, target ports, PDB and HPA against the Deployment).
func (b *builder) validateObjects(bundle *Bundle) {
	d := bundle.Deployment
	b.validateMeta("Deployment", &d.ObjectMeta, apivalidation.NameIsDNSSubdomain)
	if s := bundle.Service; s != nil {
		b.add(CheckName, "Service", nameErrs(apivalidation.NameIsDNS1035Label, s.Name, field.NewPath("metadata", "name"))...)
	}
	b.validateDeployment(d, bundle.Service != nil)
	b.validatePod(&d.Spec.Template.Spec, d.Spec.Template.Labels, bundle.Service != nil)
	b.validateService(bundle.Service, d)
	b.validatePDB(bundle, d)
	b.validateHPA(bundle, d)
	b.validateNetworkPolicy(bundle, d)
	b.validateServiceAccount(&d.Spec.Template.Spec)
}

func nameErrs(fn apivalidation.ValidateNameFunc, name string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if name == "" {
		return field.ErrorList{field.Required(fld, "name or generateName is required")}
	}
	for _, msg := range fn(name, false) {
		errs = append(errs, field.Invalid(fld, name, msg))
	}
	return errs
}

// validateMeta runs apimachinery's ValidateObjectMeta and files each error
// under the name or label check by its field path.
func (b *builder) validateMeta(kind string, m *metav1.ObjectMeta, fn apivalidation.ValidateNameFunc) {
	for _, e := range apivalidation.ValidateObjectMeta(m, true, fn, field.NewPath("metadata")) {
		id := CheckName
		if strings.HasPrefix(e.Field, "metadata.labels") || strings.HasPrefix(e.Field, "metadata.annotations") {
			id = CheckLabels
		}
		b.add(id, kind, e)
	}
}

func (b *builder) validateDeployment(d *appsv1.Deployment, hasService bool) {
	a := b.app
	spec := field.NewPath("spec")
	const kind = "Deployment"
	tmplLabels := field.NewPath("spec", "template", "metadata", "labels")
	b.add(CheckLabels, kind, metav1validation.ValidateLabels(d.Spec.Template.Labels, tmplLabels)...)
	b.add(CheckLabels, kind, apivalidation.ValidateAnnotations(d.Spec.Template.Annotations, field.NewPath("spec", "template", "metadata", "annotations"))...)
	selErrs := metav1validation.ValidateLabelSelector(d.Spec.Selector, metav1validation.LabelSelectorValidationOptions{}, spec.Child("selector"))
	b.add(CheckLabels, kind, selErrs...)
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	switch {
	case len(selErrs) > 0 || err != nil:
	case sel.Empty():
		b.add(CheckSelectorMatch, kind, field.Invalid(spec.Child("selector"), d.Spec.Selector, "empty selector is invalid for deployment"))
	case !sel.Matches(labels.Set(d.Spec.Template.Labels)):
		// apps validation.go:443
		b.add(CheckSelectorMatch, kind, field.Invalid(tmplLabels, d.Spec.Template.Labels, "`selector` does not match template `labels`"))
	}

	if d.Spec.Replicas != nil && *d.Spec.Replicas < 0 {
		b.add(CheckDeploymentSpec, kind, field.Invalid(spec.Child("replicas"), *d.Spec.Replicas, "must be greater than or equal to 0"))
	}
	if d.Spec.MinReadySeconds < 0 {
		b.add(CheckDeploymentSpec, kind, field.Invalid(spec.Child("minReadySeconds"), d.Spec.MinReadySeconds, "must be greater than or equal to 0"))
	}
	if n := d.Spec.RevisionHistoryLimit; n != nil && *n < 0 {
		b.add(CheckDeploymentSpec, kind, field.Invalid(spec.Child("revisionHistoryLimit"), *n, "must be greater than or equal to 0"))
	}
	if p := d.Spec.ProgressDeadlineSeconds; p != nil && *p <= d.Spec.MinReadySeconds {
		// apps validation.go:666
		b.add(CheckDeploymentSpec, kind, field.Invalid(spec.Child("progressDeadlineSeconds"), *p, "must be greater than minReadySeconds"))
	}
	if a.autoscaling == nil && hasService && d.Spec.Replicas != nil && *d.Spec.Replicas < 2 {
		b.add(CheckReplicas, kind, field.Invalid(spec.Child("replicas"), *d.Spec.Replicas,
			"a Deployment targeted by a Service should run at least 2 replicas so one pod can be replaced while another serves"))
	}
	b.validateStrategy(d.Spec.Strategy, spec.Child("strategy"), hasService)
	if a.effectiveReplicas() > 1 {
		ps := d.Spec.Template.Spec
		if ps.Affinity == nil || ps.Affinity.PodAntiAffinity == nil || len(ps.TopologySpreadConstraints) == 0 {
			b.add(CheckAntiAffinity, kind, field.Required(spec.Child("template", "spec", "affinity", "podAntiAffinity"),
				fmt.Sprintf("a Deployment with %d replicas should spread its pods across nodes (pod anti-affinity and topology spread on %s)",
					a.effectiveReplicas(), corev1.LabelHostname)))
		}
	}
}

func (b *builder) validateStrategy(s appsv1.DeploymentStrategy, fld *field.Path, hasService bool) {
	const kind = "Deployment"
	switch s.Type {
	case "":
		if s.RollingUpdate != nil {
			b.add(CheckStrategy, kind, field.Required(fld.Child("type"), "set type RollingUpdate with rollingUpdate parameters"))
		}
		return
	case appsv1.RecreateDeploymentStrategyType:
		if s.RollingUpdate != nil {
			b.add(CheckStrategy, kind, field.Forbidden(fld.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
		}
		if hasService {
			b.add(CheckStrategy, kind, field.Invalid(fld.Child("type"), s.Type, "Recreate stops every pod before starting new ones, so the Service has no endpoints during a rollout; use RollingUpdate"))
		}
		return
	case appsv1.RollingUpdateDeploymentStrategyType:
	default:
		b.add(CheckStrategy, kind, field.NotSupported(fld.Child("type"), s.Type, []string{string(appsv1.RecreateDeploymentStrategyType), string(appsv1.RollingUpdateDeploymentStrategyType)}))
		return
	}
	ru := s.RollingUpdate
	if ru == nil {
		return
	}
	ru = ru.DeepCopy()
	surge, unavail := ptrTo(intstr.FromString("25%")), ptrTo(intstr.FromString("25%"))
	if ru.MaxSurge != nil {
		surge = ru.MaxSurge
	}
	if ru.MaxUnavailable != nil {
		unavail = ru.MaxUnavailable
	}
	rfld := fld.Child("rollingUpdate")
	okS := b.validateIntOrPercent(*surge, rfld.Child("maxSurge"))
	okU := b.validateIntOrPercent(*unavail, rfld.Child("maxUnavailable"))
	if okS && okU && isZero(*surge) && isZero(*unavail) {
		// apps validation.go:595
		b.add(CheckStrategy, kind, field.Invalid(rfld.Child("maxUnavailable"), unavail.String(), "may not be 0 when `maxSurge` is 0"))
	}
	if okU && unavail.Type == intstr.String && percent(*unavail) > 100 {
		b.add(CheckStrategy, kind, field.Invalid(rfld.Child("maxUnavailable"), unavail.String(), "must not be greater than 100%"))
	}
}

func (b *builder) validateIntOrPercent(v intstr.IntOrString, fld *field.Path) bool {
	if v.Type == intstr.String {
		msgs := validation.IsValidPercent(v.StrVal)
		for _, m := range msgs {
			b.add(CheckStrategy, "Deployment", field.Invalid(fld, v.StrVal, m))
		}
		return len(msgs) == 0
	}
	if v.IntVal < 0 {
		b.add(CheckStrategy, "Deployment", field.Invalid(fld, v.IntVal, "must be greater than or equal to 0"))
		return false
	}
	return true
}

func percent(v intstr.IntOrString) int {
	var n int
	_, _ = fmt.Sscanf(strings.TrimSuffix(v.StrVal, "%"), "%d", &n)
	return n
}

func isZero(v intstr.IntOrString) bool {
	if v.Type == intstr.String {
		return percent(v) == 0
	}
	return v.IntVal == 0
}

var safeSysctls = []string{
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
}

func (b *builder) validatePod(ps *corev1.PodSpec, podLabels map[string]string, hasService bool) {
	const kind = "Deployment"
	pfld := field.NewPath("spec", "template", "spec")
	if ps.RestartPolicy != "" && ps.RestartPolicy != corev1.RestartPolicyAlways {
		b.add(CheckRestartPolicy, kind, field.NotSupported(pfld.Child("restartPolicy"), ps.RestartPolicy, []string{string(corev1.RestartPolicyAlways)}))
	}
	for _, hn := range []struct {
		name string
		on   bool
	}{{"hostNetwork", ps.HostNetwork}, {"hostPID", ps.HostPID}, {"hostIPC", ps.HostIPC}} {
		if hn.on {
			b.add(CheckHostNamespaces, kind, field.Forbidden(pfld.Child(hn.name), "must not share the host's namespaces"))
		}
	}
	for i, v := range ps.Volumes {
		if v.HostPath != nil {
			b.add(CheckHostPath, kind, field.Forbidden(pfld.Child("volumes").Index(i).Child("hostPath"),
				fmt.Sprintf("volume %q mounts host path %q", v.Name, v.HostPath.Path)))
		}
	}
	if psc := ps.SecurityContext; psc != nil {
		for i, s := range psc.Sysctls {
			if !slices.Contains(safeSysctls, s.Name) {
				b.add(CheckSysctls, kind, field.Forbidden(pfld.Child("securityContext", "sysctls").Index(i).Child("name"),
					fmt.Sprintf("sysctl %q is not in the safe set", s.Name)))
			}
		}
	}
	for i := range ps.Containers {
		b.validateContainer(ps, &ps.Containers[i], pfld.Child("containers").Index(i), hasService)
	}
}

func (b *builder) validateContainer(ps *corev1.PodSpec, c *corev1.Container, cfld *field.Path, hasService bool) {
	b.validatePorts(c, cfld)
	b.validateEnv(c, cfld)
	b.validateResources(ps, c, cfld)
	b.validateSecurity(ps, c, cfld)
	b.validateProbes(c, cfld, hasService)
}

func (b *builder) validatePorts(c *corev1.Container, cfld *field.Path) {
	const kind = "Deployment"
	names, nums := map[string]bool{}, map[int32]bool{}
	for i, p := range c.Ports {
		f := cfld.Child("ports").Index(i)
		for _, m := range validation.IsValidPortNum(int(p.ContainerPort)) {
			b.add(CheckPorts, kind, field.Invalid(f.Child("containerPort"), p.ContainerPort, m))
		}
		if p.ContainerPort == 22 {
			b.add(CheckSSHPort, kind, field.Invalid(f.Child("containerPort"), p.ContainerPort, "exposes the SSH port"))
		}
		if nums[p.ContainerPort] {
			b.add(CheckPorts, kind, field.Duplicate(f.Child("containerPort"), p.ContainerPort))
		}
		nums[p.ContainerPort] = true
		if p.Name == "" {
			b.add(CheckPorts, kind, field.Required(f.Child("name"), "ports are targeted by name; name every port"))
			continue
		}
		for _, m := range validation.IsValidPortName(p.Name) {
			b.add(CheckPorts, kind, field.Invalid(f.Child("name"), p.Name, m))
		}
		if names[p.Name] {
			b.add(CheckPorts, kind, field.Duplicate(f.Child("name"), p.Name))
		}
		names[p.Name] = true
	}
}

// secretName matches variable names that usually carry credentials
// (kube-linter env-var-secret, Polaris sensitiveContainerEnvVar).
var secretName = regexp.MustCompile(`(?i)(secret|passw(or)?d|token|api[_-]?key|private[_-]?key|credential)`)

func (b *builder) validateEnv(c *corev1.Container, cfld *field.Path) {
	const kind = "Deployment"
	seen := map[string]bool{}
	for i, e := range c.Env {
		f := cfld.Child("env").Index(i)
		for _, m := range validation.IsEnvVarName(e.Name) {
			b.add(CheckEnvName, kind, field.Invalid(f.Child("name"), e.Name, m))
		}
		if seen[e.Name] {
			b.add(CheckEnvDuplicate, kind, field.Duplicate(f.Child("name"), e.Name))
		}
		seen[e.Name] = true
		if e.Value != "" && secretName.MatchString(e.Name) {
			b.add(CheckEnvSecret, kind, field.Forbidden(f.Child("value"),
				fmt.Sprintf("environment variable %q looks like a secret but has a literal value; use WithEnvFromSecret", e.Name)))
		}
	}
}

func (b *builder) validateResources(ps *corev1.PodSpec, c *corev1.Container, cfld *field.Path) {
	const kind = "Deployment"
	r := c.Resources
	rfld := cfld.Child("resources")
	if _, ok := r.Requests[corev1.ResourceCPU]; !ok {
		b.add(CheckCPURequest, kind, field.Required(rfld.Child("requests").Key("cpu"), "set a CPU request so the scheduler reserves capacity"))
	}
	if _, ok := r.Requests[corev1.ResourceMemory]; !ok {
		b.add(CheckMemory, kind, field.Required(rfld.Child("requests").Key("memory"), "set a memory request so the scheduler reserves capacity"))
	}
	if _, ok := r.Limits[corev1.ResourceMemory]; !ok {
		b.add(CheckMemory, kind, field.Required(rfld.Child("limits").Key("memory"), "set a memory limit so a leak is OOM-killed in this container, not on the node"))
	}
	_, req := r.Requests[corev1.ResourceEphemeralStorage]
	_, lim := r.Limits[corev1.ResourceEphemeralStorage]
	if !req || !lim {
		b.add(CheckEphemeralStorage, kind, field.Required(rfld, "set an ephemeral-storage request and limit (logs and emptyDirs count against it)"))
	}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		rq, okR := r.Requests[name]
		lq, okL := r.Limits[name]
		if okR && okL && rq.Cmp(lq) > 0 {
			// core validation.go:8302
			b.add(CheckResourcesFormat, kind, field.Invalid(rfld.Child("requests").Key(string(name)), rq.String(),
				fmt.Sprintf("must be less than or equal to %s limit of %s", name, lq.String())))
		}
	}
	memLimit, hasMem := r.Limits[corev1.ResourceMemory]
	for i, v := range ps.Volumes {
		ed := v.EmptyDir
		if ed == nil || ed.Medium != corev1.StorageMediumMemory || ed.SizeLimit == nil || !hasMem {
			continue
		}
		if ed.SizeLimit.Cmp(memLimit) >= 0 {
			b.add(CheckResourcesFormat, kind, field.Invalid(field.NewPath("spec", "template", "spec", "volumes").Index(i).Child("emptyDir", "sizeLimit"),
				ed.SizeLimit.String(), fmt.Sprintf("a memory-backed emptyDir counts against the memory limit of %s and must be smaller", memLimit.String())))
		}
	}
}

func (b *builder) validateSecurity(ps *corev1.PodSpec, c *corev1.Container, cfld *field.Path) {
	const kind = "Deployment"
	sc := c.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	psc := ps.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	sfld := cfld.Child("securityContext")
	nonRoot := firstBool(sc.RunAsNonRoot, psc.RunAsNonRoot)
	if nonRoot == nil || !*nonRoot {
		b.add(CheckRunAsNonRoot, kind, field.Invalid(sfld.Child("runAsNonRoot"), nonRoot, "must be true (PSS restricted)"))
	}
	for _, id := range []struct {
		name      string
		c, p      *int64
		fieldName string
	}{{"UID", sc.RunAsUser, psc.RunAsUser, "runAsUser"}, {"GID", sc.RunAsGroup, psc.RunAsGroup, "runAsGroup"}} {
		v := id.c
		if v == nil {
			v = id.p
		}
		switch {
		case v == nil:
			b.add(CheckRunAsNonRoot, kind, field.Required(sfld.Child(id.fieldName), fmt.Sprintf("set a %s above 10000", id.name)))
		case *v <= 10000:
			b.add(CheckRunAsNonRoot, kind, field.Invalid(sfld.Child(id.fieldName), *v, fmt.Sprintf("must be greater than 10000 so the %s cannot collide with a host account", id.name)))
		}
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		b.add(CheckPrivilegeEscalation, kind, field.Invalid(sfld.Child("allowPrivilegeEscalation"), sc.AllowPrivilegeEscalation, "must be false (PSS restricted)"))
	}
	if sc.Privileged != nil && *sc.Privileged {
		b.add(CheckPrivileged, kind, field.Forbidden(sfld.Child("privileged"), "must not be true"))
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		b.add(CheckReadOnlyRootFS, kind, field.Invalid(sfld.Child("readOnlyRootFilesystem"), sc.ReadOnlyRootFilesystem, "must be true; write to /tmp or a WithWritablePath emptyDir"))
	}
	caps := sc.Capabilities
	if caps == nil || !slices.Contains(caps.Drop, "ALL") {
		b.add(CheckCapabilities, kind, field.Required(sfld.Child("capabilities", "drop"), "must drop ALL capabilities (PSS restricted)"))
	}
	if caps != nil {
		for i, add := range caps.Add {
			if add != "NET_BIND_SERVICE" {
				b.add(CheckCapabilities, kind, field.NotSupported(sfld.Child("capabilities", "add").Index(i), add, []string{"NET_BIND_SERVICE"}))
			}
		}
	}
	prof := sc.SeccompProfile
	if prof == nil {
		prof = psc.SeccompProfile
	}
	if prof == nil || (prof.Type != corev1.SeccompProfileTypeRuntimeDefault && prof.Type != corev1.SeccompProfileTypeLocalhost) {
		var got any
		if prof != nil {
			got = prof.Type
		}
		b.add(CheckSeccomp, kind, field.Invalid(sfld.Child("seccompProfile", "type"), got, "must be RuntimeDefault or Localhost (PSS restricted)"))
	}
	if sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem && !mountsTmp(ps, c) {
		b.add(CheckTmpVolume, kind, field.Required(cfld.Child("volumeMounts"),
			"a read-only root filesystem needs a sized emptyDir at /tmp (gunicorn's worker heartbeat and Python's tempfile write there); keep the default or use WithTmp"))
	}
}

func mountsTmp(ps *corev1.PodSpec, c *corev1.Container) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath != TmpPath {
			continue
		}
		for _, v := range ps.Volumes {
			if v.Name == m.Name && v.EmptyDir != nil && v.EmptyDir.SizeLimit != nil {
				return true
			}
		}
	}
	return false
}

func firstBool(vs ...*bool) *bool {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}

type probeRef struct {
	kind probe.Kind
	p    *corev1.Probe
}

func (b *builder) validateProbes(c *corev1.Container, cfld *field.Path, hasService bool) {
	const kind = "Deployment"
	for _, pr := range []probeRef{{probe.KindReadiness, c.ReadinessProbe}, {probe.KindLiveness, c.LivenessProbe}, {probe.KindStartup, c.StartupProbe}} {
		if pr.p == nil {
			continue
		}
		f := cfld.Child(pr.kind.String())
		b.add(CheckProbeSpec, kind, probe.Validate(pr.p, pr.kind, f)...)
		b.validateProbePort(c, pr.p, f)
	}
	if c.ReadinessProbe == nil && hasService {
		b.add(CheckProbeReadiness, kind, field.Required(cfld.Child("readinessProbe"),
			"a Service routes to this container; without a readiness probe it gets traffic before it can serve"))
	}
	if c.LivenessProbe != nil && c.ReadinessProbe != nil && probe.Equivalent(c.LivenessProbe, c.ReadinessProbe) {
		b.add(CheckProbeIdentical, kind, field.Invalid(cfld.Child("livenessProbe"), describeProbe(c.LivenessProbe),
			"is the same endpoint as the readinessProbe; a busy pod would be restarted instead of taken out of rotation"))
	}
	if l := c.LivenessProbe; l != nil && c.StartupProbe == nil {
		budget := time.Duration(l.InitialDelaySeconds+l.FailureThreshold*l.PeriodSeconds) * time.Second
		if b.app.bootTime > budget {
			b.add(CheckProbeStartup, kind, field.Required(cfld.Child("startupProbe"),
				fmt.Sprintf("expected boot time %s exceeds the liveness budget %s (initialDelaySeconds %d + failureThreshold %d x periodSeconds %d); the container would be killed while booting",
					b.app.bootTime, budget, l.InitialDelaySeconds, l.FailureThreshold, l.PeriodSeconds)))
		}
	}
}

func describeProbe(p *corev1.Probe) string {
	switch {
	case p.HTTPGet != nil:
		return fmt.Sprintf("GET %s on %s", p.HTTPGet.Path, p.HTTPGet.Port.String())
	case p.TCPSocket != nil:
		return "TCP " + p.TCPSocket.Port.String()
	case p.GRPC != nil:
		return fmt.Sprintf("gRPC %d", p.GRPC.Port)
	case p.Exec != nil:
		return "exec " + strings.Join(p.Exec.Command, " ")
	}
	return "no handler"
}

func (b *builder) validateProbePort(c *corev1.Container, p *corev1.Probe, f *field.Path) {
	var port intstr.IntOrString
	var pf *field.Path
	var handler string
	switch {
	case p.HTTPGet != nil:
		port, pf, handler = p.HTTPGet.Port, f.Child("httpGet", "port"), "HTTPGet"
	case p.TCPSocket != nil:
		port, pf, handler = p.TCPSocket.Port, f.Child("tcpSocket", "port"), "TCPSocket"
	case p.GRPC != nil:
		port, pf, handler = intstr.FromInt32(p.GRPC.Port), f.Child("grpc", "port"), "GRPC"
	default:
		return
	}
	if !exposes(c, port) {
		b.add(CheckProbePort, "Deployment", field.Invalid(pf, port.String(),
			fmt.Sprintf("container %q does not expose port %s for the %s", c.Name, port.String(), handler)))
	}
}

func exposes(c *corev1.Container, port intstr.IntOrString) bool {
	return slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool {
		if port.Type == intstr.String {
			return cp.Name == port.StrVal
		}
		return cp.ContainerPort == port.IntVal
	})
}
