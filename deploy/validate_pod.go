package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/pydeploy/pydeploy/probe"
)

var safeSysctls = []string{
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
}

// containerRole says where a container sits in the pod.
type containerRole int

const (
	roleMain containerRole = iota
	roleInit
	roleSidecar
)

type podContainer struct {
	c    *corev1.Container
	fld  *field.Path
	role containerRole
}

func podContainers(ps *corev1.PodSpec, pf *field.Path) []podContainer {
	var out []podContainer
	for i := range ps.InitContainers {
		c := &ps.InitContainers[i]
		role := roleInit
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			role = roleSidecar
		}
		out = append(out, podContainer{c, pf.Child("initContainers").Index(i), role})
	}
	for i := range ps.Containers {
		out = append(out, podContainer{&ps.Containers[i], pf.Child("containers").Index(i), roleMain})
	}
	return out
}

// checkPod runs the pod-level and per-container checks of a workload.
// allowed lists the restartPolicy values the workload kind accepts (none:
// any, a bare Pod).
func (v *validator) checkPod(it *item, allowed ...corev1.RestartPolicy) {
	ps, pf := it.pod.spec, it.pod.specPath
	switch {
	case len(allowed) == 0:
	case ps.RestartPolicy == "" && !slices.Contains(allowed, corev1.RestartPolicyAlways):
		v.add(it, CheckRestartPolicy, field.Required(pf.Child("restartPolicy"), "a Job's pods need restartPolicy OnFailure or Never (the default, Always, is refused)"))
	case ps.RestartPolicy != "" && !slices.Contains(allowed, ps.RestartPolicy):
		v.add(it, CheckRestartPolicy, field.NotSupported(pf.Child("restartPolicy"), ps.RestartPolicy, allowed))
	}
	for _, hn := range []struct {
		name string
		on   bool
	}{{"hostNetwork", ps.HostNetwork}, {"hostPID", ps.HostPID}, {"hostIPC", ps.HostIPC}} {
		if hn.on {
			v.add(it, CheckHostNamespaces, field.Forbidden(pf.Child(hn.name), "must not share the host's namespaces"))
		}
	}
	if psc := ps.SecurityContext; psc != nil {
		for i, s := range psc.Sysctls {
			if !slices.Contains(safeSysctls, s.Name) {
				v.add(it, CheckSysctls, field.Forbidden(pf.Child("securityContext", "sysctls").Index(i).Child("name"),
					fmt.Sprintf("sysctl %q is not in the safe set", s.Name)))
			}
		}
	}
	cs := podContainers(ps, pf)
	v.checkContainerNames(it, cs)
	v.checkVolumes(it, ps, pf, cs)
	mainSeen := false
	for _, pc := range cs {
		v.checkContainer(it, ps, pc)
		if pc.role == roleMain && !mainSeen {
			mainSeen = true
			v.checkTmp(it, ps, pc)
		}
	}
	v.checkScheduling(it, ps, pf)
	v.checkServiceAccount(it, ps, pf)
	v.checkPodVersion(it, ps, pf)
}

func (v *validator) checkContainerNames(it *item, cs []podContainer) {
	seen := map[string]bool{}
	for _, pc := range cs {
		f := pc.fld.Child("name")
		if pc.c.Name == "" {
			v.add(it, CheckContainers, field.Required(f, ""))
			continue
		}
		for _, msg := range validation.IsDNS1123Label(pc.c.Name) {
			v.add(it, CheckContainers, field.Invalid(f, pc.c.Name, msg))
		}
		if seen[pc.c.Name] {
			v.add(it, CheckContainers, field.Duplicate(f, pc.c.Name))
		}
		seen[pc.c.Name] = true
		switch {
		case pc.role == roleMain && pc.c.RestartPolicy != nil:
			v.add(it, CheckContainers, field.Forbidden(pc.fld.Child("restartPolicy"), "only init containers take a restartPolicy (Always makes a native sidecar)"))
		case pc.role == roleInit && pc.c.RestartPolicy != nil:
			v.add(it, CheckContainers, field.NotSupported(pc.fld.Child("restartPolicy"), *pc.c.RestartPolicy, []corev1.ContainerRestartPolicy{corev1.ContainerRestartPolicyAlways}))
		}
		if pc.role == roleInit {
			for _, p := range []struct {
				name string
				p    *corev1.Probe
			}{{"readinessProbe", pc.c.ReadinessProbe}, {"livenessProbe", pc.c.LivenessProbe}, {"startupProbe", pc.c.StartupProbe}} {
				if p.p != nil {
					v.add(it, CheckContainers, field.Forbidden(pc.fld.Child(p.name), "may not be set for init containers without restartPolicy=Always"))
				}
			}
		}
	}
}

func (v *validator) checkContainer(it *item, ps *corev1.PodSpec, pc podContainer) {
	v.checkImage(it, pc.c, pc.fld.Child("image"))
	v.checkPorts(it, pc.c, pc.fld)
	v.checkEnv(it, pc.c, pc.fld)
	v.checkResources(it, ps, pc.c, pc.fld)
	v.checkSecurity(it, ps, pc.c, pc.fld)
	if pc.role != roleInit {
		v.checkProbes(it, pc.c, pc.fld)
	}
	if lc := pc.c.Lifecycle; lc != nil && lc.PreStop != nil && lc.PreStop.Sleep != nil && ps.TerminationGracePeriodSeconds != nil {
		grace := *ps.TerminationGracePeriodSeconds
		if s := lc.PreStop.Sleep.Seconds; s < 0 || (grace > 0 && s >= grace) {
			// core validation.go:3483
			v.add(it, CheckShutdown, field.Invalid(pc.fld.Child("lifecycle", "preStop", "sleep", "seconds"), s,
				fmt.Sprintf("must be non-negative and less than terminationGracePeriodSeconds (%d)", grace)))
		}
	}
}

func (v *validator) checkPorts(it *item, c *corev1.Container, cfld *field.Path) {
	names, nums := map[string]bool{}, map[int32]bool{}
	for i, p := range c.Ports {
		f := cfld.Child("ports").Index(i)
		for _, m := range validation.IsValidPortNum(int(p.ContainerPort)) {
			v.add(it, CheckPorts, field.Invalid(f.Child("containerPort"), p.ContainerPort, m))
		}
		if p.ContainerPort == 22 {
			v.add(it, CheckSSHPort, field.Invalid(f.Child("containerPort"), p.ContainerPort, "exposes the SSH port"))
		}
		if nums[p.ContainerPort] {
			v.add(it, CheckPorts, field.Duplicate(f.Child("containerPort"), p.ContainerPort))
		}
		nums[p.ContainerPort] = true
		if p.Name == "" {
			v.add(it, CheckPorts, field.Required(f.Child("name"), "ports are targeted by name; name every port"))
			continue
		}
		if msgs := validation.IsValidPortName(p.Name); len(msgs) > 0 {
			v.add(it, CheckPorts, field.Invalid(f.Child("name"), p.Name, strings.Join(msgs, " and ")))
		}
		if names[p.Name] {
			v.add(it, CheckPorts, field.Duplicate(f.Child("name"), p.Name))
		}
		names[p.Name] = true
	}
}

// secretName matches variable names that usually carry credentials
// (kube-linter env-var-secret, Polaris sensitiveContainerEnvVar).
var secretName = regexp.MustCompile(`(?i)(secret|passw(or)?d|token|api[_-]?key|private[_-]?key|credential)`)

func (v *validator) checkEnv(it *item, c *corev1.Container, cfld *field.Path) {
	seen := map[string]bool{}
	for i, e := range c.Env {
		f := cfld.Child("env").Index(i)
		for _, m := range validation.IsEnvVarName(e.Name) {
			v.add(it, CheckEnvName, field.Invalid(f.Child("name"), e.Name, m))
		}
		if seen[e.Name] {
			v.add(it, CheckEnvDuplicate, field.Duplicate(f.Child("name"), e.Name))
		}
		seen[e.Name] = true
		if e.Value != "" && secretName.MatchString(e.Name) {
			v.add(it, CheckEnvSecret, field.Forbidden(f.Child("value"),
				fmt.Sprintf("environment variable %q looks like a secret but has a literal value; use WithEnvFromSecret", e.Name)))
		}
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "" {
			v.add(it, CheckEnvName, field.Required(f.Child("valueFrom", "fieldRef", "fieldPath"), ""))
		}
	}
}

func (v *validator) checkResources(it *item, ps *corev1.PodSpec, c *corev1.Container, cfld *field.Path) {
	r := c.Resources
	rfld := cfld.Child("resources")
	if _, ok := r.Requests[corev1.ResourceCPU]; !ok {
		v.add(it, CheckCPURequest, field.Required(rfld.Child("requests").Key("cpu"), "set a CPU request so the scheduler reserves capacity"))
	}
	if _, ok := r.Requests[corev1.ResourceMemory]; !ok {
		v.add(it, CheckMemory, field.Required(rfld.Child("requests").Key("memory"), "set a memory request so the scheduler reserves capacity"))
	}
	if _, ok := r.Limits[corev1.ResourceMemory]; !ok {
		v.add(it, CheckMemory, field.Required(rfld.Child("limits").Key("memory"), "set a memory limit so a leak is OOM-killed in this container, not on the node"))
	}
	_, req := r.Requests[corev1.ResourceEphemeralStorage]
	_, lim := r.Limits[corev1.ResourceEphemeralStorage]
	if !req || !lim {
		v.add(it, CheckEphemeralStorage, field.Required(rfld, "set an ephemeral-storage request and limit (logs and emptyDirs count against it)"))
	}
	negative := map[string]bool{}
	for _, list := range []struct {
		name string
		l    corev1.ResourceList
	}{{"requests", r.Requests}, {"limits", r.Limits}} {
		for _, name := range slices.Sorted(func(yield func(corev1.ResourceName) bool) {
			for k := range list.l {
				if !yield(k) {
					return
				}
			}
		}) {
			q := list.l[name]
			if q.Sign() < 0 {
				// core ValidateNonnegativeQuantity
				v.add(it, CheckResourcesFormat, field.Invalid(rfld.Child(list.name).Key(string(name)), q.String(), "must be greater than or equal to 0"))
				negative[string(name)] = true
			}
		}
	}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		rq, okR := r.Requests[name]
		lq, okL := r.Limits[name]
		if okR && okL && !negative[string(name)] && rq.Cmp(lq) > 0 {
			// core validation.go:8302
			v.add(it, CheckResourcesFormat, field.Invalid(rfld.Child("requests").Key(string(name)), rq.String(),
				fmt.Sprintf("must be less than or equal to %s limit of %s", name, lq.String())))
		}
	}
	memLimit, hasMem := r.Limits[corev1.ResourceMemory]
	for i, vol := range ps.Volumes {
		ed := vol.EmptyDir
		if ed == nil || ed.Medium != corev1.StorageMediumMemory || ed.SizeLimit == nil || !hasMem || !mountsVolume(c, vol.Name) {
			continue
		}
		if ed.SizeLimit.Cmp(memLimit) >= 0 {
			v.add(it, CheckResourcesFormat, field.Invalid(it.pod.specPath.Child("volumes").Index(i).Child("emptyDir", "sizeLimit"),
				ed.SizeLimit.String(), fmt.Sprintf("a memory-backed emptyDir counts against the memory limit of %s and must be smaller", memLimit.String())))
		}
	}
}

func mountsVolume(c *corev1.Container, name string) bool {
	return slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == name })
}

func (v *validator) checkImage(it *item, c *corev1.Container, fld *field.Path) {
	img := c.Image
	switch {
	case img == "":
		v.add(it, CheckImageFormat, field.Required(fld, "set the image (WithImage)"))
		return
	case strings.Contains(img, "${") || strings.Contains(img, "$("):
		v.add(it, CheckImageFormat, field.Invalid(fld, img, "contains an unexpanded variable; expand it with manifest.Expand before Build"))
		return
	}
	ref, err := reference.ParseNormalizedNamed(img)
	if err != nil {
		v.add(it, CheckImageFormat, field.Invalid(fld, img, fmt.Sprintf("is not a valid image reference: %v", err)))
		return
	}
	_, digested := ref.(reference.Digested)
	tagged, hasTag := ref.(reference.Tagged)
	switch {
	case hasTag && tagged.Tag() == "latest" && !digested:
		v.add(it, CheckImageLatest, field.Invalid(fld, img, "uses the mutable tag latest; tag the image with the git SHA or pin it by digest"))
	case !hasTag && !digested:
		v.add(it, CheckImageLatest, field.Invalid(fld, img, "has no tag, so it pulls latest; tag the image with the git SHA or pin it by digest"))
	}
}

func (v *validator) checkSecurity(it *item, ps *corev1.PodSpec, c *corev1.Container, cfld *field.Path) {
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
		v.add(it, CheckRunAsNonRoot, field.Invalid(sfld.Child("runAsNonRoot"), nonRoot, "must be true (PSS restricted)"))
	}
	for _, id := range []struct {
		name      string
		c, p      *int64
		fieldName string
	}{{"UID", sc.RunAsUser, psc.RunAsUser, "runAsUser"}, {"GID", sc.RunAsGroup, psc.RunAsGroup, "runAsGroup"}} {
		val := id.c
		if val == nil {
			val = id.p
		}
		switch {
		case val == nil:
			v.add(it, CheckRunAsNonRoot, field.Required(sfld.Child(id.fieldName), fmt.Sprintf("set a %s above 10000", id.name)))
		case *val <= 10000:
			v.add(it, CheckRunAsNonRoot, field.Invalid(sfld.Child(id.fieldName), *val, fmt.Sprintf("must be greater than 10000 so the %s cannot collide with a host account", id.name)))
		}
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		v.add(it, CheckPrivilegeEscalation, field.Invalid(sfld.Child("allowPrivilegeEscalation"), sc.AllowPrivilegeEscalation, "must be false (PSS restricted)"))
	}
	if sc.Privileged != nil && *sc.Privileged {
		v.add(it, CheckPrivileged, field.Forbidden(sfld.Child("privileged"), "must not be true"))
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		v.add(it, CheckReadOnlyRootFS, field.Invalid(sfld.Child("readOnlyRootFilesystem"), sc.ReadOnlyRootFilesystem, "must be true; write to /tmp or a WithWritablePath emptyDir"))
	}
	caps := sc.Capabilities
	if caps == nil || !slices.Contains(caps.Drop, "ALL") {
		v.add(it, CheckCapabilities, field.Required(sfld.Child("capabilities", "drop"), "must drop ALL capabilities (PSS restricted)"))
	}
	if caps != nil {
		for i, add := range caps.Add {
			if add != "NET_BIND_SERVICE" {
				v.add(it, CheckCapabilities, field.NotSupported(sfld.Child("capabilities", "add").Index(i), add, []string{"NET_BIND_SERVICE"}))
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
		v.add(it, CheckSeccomp, field.Invalid(sfld.Child("seccompProfile", "type"), got, "must be RuntimeDefault or Localhost (PSS restricted)"))
	}
}

// checkTmp is volumes.tmp for the app container (the first main one): a
// read-only root needs a sized emptyDir at /tmp.
func (v *validator) checkTmp(it *item, ps *corev1.PodSpec, pc podContainer) {
	sc := pc.c.SecurityContext
	if sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem && !mountsTmp(ps, pc.c) {
		v.add(it, CheckTmpVolume, field.Required(pc.fld.Child("volumeMounts"),
			"a read-only root filesystem needs a sized emptyDir at /tmp (gunicorn's worker heartbeat and Python's tempfile write there); keep the default or use WithTmp"))
	}
}

func mountsTmp(ps *corev1.PodSpec, c *corev1.Container) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath != TmpPath {
			continue
		}
		for _, vol := range ps.Volumes {
			if vol.Name == m.Name && vol.EmptyDir != nil && vol.EmptyDir.SizeLimit != nil {
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

func (v *validator) checkVolumes(it *item, ps *corev1.PodSpec, pf *field.Path, cs []podContainer) {
	declared := map[string]bool{}
	for i, vol := range ps.Volumes {
		f := pf.Child("volumes").Index(i)
		if vol.HostPath != nil {
			v.add(it, CheckHostPath, field.Forbidden(f.Child("hostPath"), fmt.Sprintf("volume %q mounts host path %q", vol.Name, vol.HostPath.Path)))
		}
		for _, msg := range validation.IsDNS1123Label(vol.Name) {
			v.add(it, CheckVolumes, field.Invalid(f.Child("name"), vol.Name, msg))
		}
		if declared[vol.Name] {
			v.add(it, CheckVolumes, field.Duplicate(f.Child("name"), vol.Name))
		}
		if ed := vol.EmptyDir; ed != nil && ed.SizeLimit != nil && ed.SizeLimit.Sign() < 0 {
			// core validation.go:557
			v.add(it, CheckResourcesFormat, field.Invalid(f.Child("emptyDir", "sizeLimit"), ed.SizeLimit.String(), emptyDirNegative))
		}
		declared[vol.Name] = true
	}
	for _, pc := range cs {
		paths := map[string]bool{}
		for i, m := range pc.c.VolumeMounts {
			f := pc.fld.Child("volumeMounts").Index(i)
			if !declared[m.Name] {
				v.add(it, CheckVolumes, field.NotFound(f.Child("name"), m.Name))
			}
			if paths[m.MountPath] {
				v.add(it, CheckVolumes, field.Invalid(f.Child("mountPath"), m.MountPath, "must be unique"))
			}
			paths[m.MountPath] = true
		}
	}
}

func (v *validator) checkScheduling(it *item, ps *corev1.PodSpec, pf *field.Path) {
	v.add(it, CheckScheduling, labelErrs(ps.NodeSelector, pf.Child("nodeSelector"))...)
	for i, t := range ps.Tolerations {
		f := pf.Child("tolerations").Index(i)
		if t.Key != "" {
			for _, msg := range validation.IsQualifiedName(t.Key) {
				v.add(it, CheckScheduling, field.Invalid(f.Child("key"), t.Key, msg))
			}
		}
		switch t.Operator {
		case corev1.TolerationOpExists:
			if t.Value != "" {
				v.add(it, CheckScheduling, field.Invalid(f.Child("operator"), t.Value, "value must be empty when `operator` is 'Exists'"))
			}
		case corev1.TolerationOpEqual, "":
			if t.Key == "" {
				v.add(it, CheckScheduling, field.Invalid(f.Child("operator"), t.Operator, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
			}
		default:
			v.add(it, CheckScheduling, field.NotSupported(f.Child("operator"), t.Operator, []corev1.TolerationOperator{corev1.TolerationOpEqual, corev1.TolerationOpExists}))
		}
		switch t.Effect {
		case "", corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		default:
			v.add(it, CheckScheduling, field.NotSupported(f.Child("effect"), t.Effect, []corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute}))
		}
		if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
			v.add(it, CheckScheduling, field.Invalid(f.Child("effect"), t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
		}
	}
	for i, c := range ps.TopologySpreadConstraints {
		f := pf.Child("topologySpreadConstraints").Index(i)
		if c.MaxSkew <= 0 {
			v.add(it, CheckScheduling, field.Invalid(f.Child("maxSkew"), c.MaxSkew, "must be greater than zero"))
		}
		if c.TopologyKey == "" {
			v.add(it, CheckScheduling, field.Required(f.Child("topologyKey"), "can not be empty"))
		}
		if c.WhenUnsatisfiable != corev1.DoNotSchedule && c.WhenUnsatisfiable != corev1.ScheduleAnyway {
			v.add(it, CheckScheduling, field.NotSupported(f.Child("whenUnsatisfiable"), c.WhenUnsatisfiable, []corev1.UnsatisfiableConstraintAction{corev1.DoNotSchedule, corev1.ScheduleAnyway}))
		}
		if c.LabelSelector != nil {
			v.add(it, CheckScheduling, metav1validation.ValidateLabelSelector(c.LabelSelector, metav1validation.LabelSelectorValidationOptions{}, f.Child("labelSelector"))...)
		}
	}
	if ps.PriorityClassName != "" {
		for _, msg := range apivalidation.NameIsDNSSubdomain(ps.PriorityClassName, false) {
			v.add(it, CheckScheduling, field.Invalid(pf.Child("priorityClassName"), ps.PriorityClassName, msg))
		}
	}
	for i, s := range ps.ImagePullSecrets {
		f := pf.Child("imagePullSecrets").Index(i).Child("name")
		if s.Name == "" {
			v.add(it, CheckScheduling, field.Required(f, ""))
			continue
		}
		for _, msg := range apivalidation.NameIsDNSSubdomain(s.Name, false) {
			v.add(it, CheckScheduling, field.Invalid(f, s.Name, msg))
		}
	}
}

func (v *validator) checkServiceAccount(it *item, ps *corev1.PodSpec, pf *field.Path) {
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		v.add(it, CheckServiceAccount, field.Invalid(pf.Child("automountServiceAccountToken"), ps.AutomountServiceAccountToken,
			"mounts a Kubernetes API token into the app; only apps that call the API need it"))
	}
	if ps.DeprecatedServiceAccount != "" {
		v.add(it, CheckServiceAccountField, field.Forbidden(pf.Child("serviceAccount"), "deprecated; use serviceAccountName"))
	}
	if ps.ServiceAccountName != "" {
		for _, msg := range apivalidation.NameIsDNSSubdomain(ps.ServiceAccountName, false) {
			v.add(it, CheckServiceAccountField, field.Invalid(pf.Child("serviceAccountName"), ps.ServiceAccountName, msg))
		}
	}
}

// checkPodVersion reports fields newer than the target version.
func (v *validator) checkPodVersion(it *item, ps *corev1.PodSpec, pf *field.Path) {
	for _, pc := range podContainers(ps, pf) {
		if pc.role == roleSidecar && v.minor < featureSidecars.since {
			v.add(it, CheckKubernetesVersion, field.Forbidden(pc.fld.Child("restartPolicy"), featureSidecars.detail(v.minor)))
		}
		if v.minor < featureGRPCProbe.since {
			for _, p := range []struct {
				name string
				p    *corev1.Probe
			}{{"readinessProbe", pc.c.ReadinessProbe}, {"livenessProbe", pc.c.LivenessProbe}, {"startupProbe", pc.c.StartupProbe}} {
				if p.p != nil && p.p.GRPC != nil {
					v.add(it, CheckKubernetesVersion, field.Forbidden(pc.fld.Child(p.name, "grpc"), featureGRPCProbe.detail(v.minor)))
				}
			}
		}
		if lc := pc.c.Lifecycle; lc != nil && v.minor < featurePreStopSleep.since {
			for _, h := range []struct {
				name string
				h    *corev1.LifecycleHandler
			}{{"preStop", lc.PreStop}, {"postStart", lc.PostStart}} {
				if h.h != nil && h.h.Sleep != nil {
					v.add(it, CheckKubernetesVersion, field.Forbidden(pc.fld.Child("lifecycle", h.name, "sleep"), featurePreStopSleep.detail(v.minor)))
				}
			}
		}
	}
	if v.minor < featureMatchLabelKeys.since {
		for i, c := range ps.TopologySpreadConstraints {
			if len(c.MatchLabelKeys) > 0 {
				v.add(it, CheckKubernetesVersion, field.Forbidden(pf.Child("topologySpreadConstraints").Index(i).Child("matchLabelKeys"), featureMatchLabelKeys.detail(v.minor)))
			}
		}
	}
}

type probeRef struct {
	kind probe.Kind
	p    *corev1.Probe
}

func (v *validator) checkProbes(it *item, c *corev1.Container, cfld *field.Path) {
	for _, pr := range []probeRef{{probe.KindReadiness, c.ReadinessProbe}, {probe.KindLiveness, c.LivenessProbe}, {probe.KindStartup, c.StartupProbe}} {
		if pr.p == nil {
			continue
		}
		f := cfld.Child(pr.kind.String())
		errs := probe.Validate(pr.p, pr.kind, f)
		port, pf := probePort(pr.p, f)
		if pf != nil && targetsInvalidPort(c, port) {
			// The container port is reported itself (ports.format); the
			// probe naming it is that cause again.
			errs = slices.DeleteFunc(errs, func(e *field.Error) bool { return e.Field == pf.String() })
			v.add(it, CheckProbeSpec, errs...)
			continue
		}
		v.add(it, CheckProbeSpec, errs...)
		if len(errs) == 0 {
			v.checkProbePort(it, c, pr.p, f)
		}
	}
	if c.LivenessProbe != nil && c.ReadinessProbe != nil && probe.Equivalent(c.LivenessProbe, c.ReadinessProbe) {
		v.add(it, CheckProbeIdentical, field.Invalid(cfld.Child("livenessProbe"), describeProbe(c.LivenessProbe),
			"is the same endpoint as the readinessProbe; a busy pod would be restarted instead of taken out of rotation"))
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

// portHandler names the field of a probe handler that targets a port
// (httpGet, tcpSocket, grpc) and returns that port; ok is false for an
// exec probe or none.
func portHandler(h *corev1.ProbeHandler) (name string, port intstr.IntOrString, ok bool) {
	switch {
	case h.HTTPGet != nil:
		return "httpGet", h.HTTPGet.Port, true
	case h.TCPSocket != nil:
		return "tcpSocket", h.TCPSocket.Port, true
	case h.GRPC != nil:
		return "grpc", intstr.FromInt32(h.GRPC.Port), true
	}
	return "", intstr.IntOrString{}, false
}

// handlerNames are the handlers' names as messages show them.
var handlerNames = map[string]string{"httpGet": "HTTPGet", "tcpSocket": "TCPSocket", "grpc": "GRPC"}

// probePort returns the port a probe targets and the path of its field;
// nil for exec probes.
func probePort(p *corev1.Probe, f *field.Path) (intstr.IntOrString, *field.Path) {
	name, port, ok := portHandler(&p.ProbeHandler)
	if !ok {
		return intstr.IntOrString{}, nil
	}
	return port, f.Child(name, "port")
}

// targetsInvalidPort reports whether port names (or numbers) a port the
// container declares with an invalid number or name.
func targetsInvalidPort(c *corev1.Container, port intstr.IntOrString) bool {
	return slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool {
		invalid := len(validation.IsValidPortNum(int(cp.ContainerPort))) > 0 || cp.Name == "" || len(validation.IsValidPortName(cp.Name)) > 0
		return invalid && portMatches(cp, port)
	})
}

func (v *validator) checkProbePort(it *item, c *corev1.Container, p *corev1.Probe, f *field.Path) {
	name, port, ok := portHandler(&p.ProbeHandler)
	if ok && !exposes(c, port) {
		v.add(it, CheckProbePort, field.Invalid(f.Child(name, "port"), port.String(),
			fmt.Sprintf("container %q does not expose port %s for the %s", c.Name, port.String(), handlerNames[name])))
	}
}

func exposes(c *corev1.Container, port intstr.IntOrString) bool {
	return slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return portMatches(cp, port) })
}

// portMatches reports whether port (a name or a number) targets cp.
func portMatches(cp corev1.ContainerPort, port intstr.IntOrString) bool {
	if port.Type == intstr.String {
		return cp.Name == port.StrVal
	}
	return cp.ContainerPort == port.IntVal
}
