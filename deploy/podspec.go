package deploy

import (
	"maps"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// restrictedContainer is the default container security context (PSS
// restricted plus a read-only root filesystem).
func (b *builder) restrictedContainer(readOnly bool) *corev1.SecurityContext {
	a := b.app
	return &corev1.SecurityContext{
		RunAsNonRoot:             new(true),
		RunAsUser:                new(a.uid),
		RunAsGroup:               new(a.gid),
		AllowPrivilegeEscalation: new(false),
		Privileged:               new(false),
		ReadOnlyRootFilesystem:   new(readOnly),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// preStop renders the shutdown budget's sleep: the sleep action from 1.30,
// an exec of sleep(1) before (the image must then ship a sleep binary).
func (b *builder) preStop() *corev1.Lifecycle {
	s := secondsCeil(b.shutdown.PreStopSleep)
	if s <= 0 {
		return nil
	}
	if b.minor >= featurePreStopSleep.since {
		return &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: s}}}
	}
	return &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sleep", strconv.FormatInt(s, 10)}}}}
}

// appContainer builds the app container.
func (b *builder) appContainer() corev1.Container {
	a := b.app
	cfld := b.podPath().Child("containers").Index(0)
	tmpDir := ""
	if !a.noTmp {
		tmpDir = TmpPath
	}
	c := corev1.Container{
		Name:                     ContainerName,
		Image:                    a.image,
		Resources:                b.resources(b.appResources(), cfld.Child("resources")),
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		ImagePullPolicy:          a.pullPolicy,
	}
	argv := a.server.render(a.port, b.shutdown.Graceful, tmpDir)
	if a.server.asArgs {
		c.Args = argv
	} else {
		c.Command = argv
	}
	if a.Kind() == WorkloadWeb {
		c.Ports = []corev1.ContainerPort{{Name: a.portName, ContainerPort: a.port, Protocol: corev1.ProtocolTCP}}
	}
	for _, p := range a.extraPorts {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: p.Name, ContainerPort: p.Port, Protocol: corev1.ProtocolTCP})
	}
	if c.ImagePullPolicy == "" && b.digest {
		c.ImagePullPolicy = corev1.PullIfNotPresent
	}
	userSetUnbuffered := slices.ContainsFunc(a.env, func(e corev1.EnvVar) bool { return e.Name == "PYTHONUNBUFFERED" })
	if !a.noUnbuffered && !userSetUnbuffered {
		c.Env = append(c.Env, corev1.EnvVar{Name: "PYTHONUNBUFFERED", Value: "1"})
	}
	c.Env = append(c.Env, b.env(a.env)...)
	c.EnvFrom = b.envFrom(a.envFrom)
	c.Lifecycle = b.preStop()
	if a.containerSecurity != nil {
		c.SecurityContext = a.containerSecurity.DeepCopy()
	} else {
		c.SecurityContext = b.restrictedContainer(!a.writableRoot)
	}
	c.VolumeMounts = b.commonMounts()
	for i, w := range a.writable {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: writableVolume(i), MountPath: w.path})
	}
	c.VolumeMounts = append(c.VolumeMounts, b.mounts(a.mounts)...)
	b.probes(&c)
	return c
}

func (b *builder) commonMounts() []corev1.VolumeMount {
	if b.app.noTmp {
		return nil
	}
	return []corev1.VolumeMount{{Name: tmpVolume, MountPath: TmpPath}}
}

// extraContainer builds a Container of the pod other than the app's.
func (b *builder) extraContainer(spec Container, fld *field.Path, sidecar bool) corev1.Container {
	a := b.app
	c := corev1.Container{
		Name:                     spec.name,
		Image:                    spec.image,
		Command:                  slices.Clone(spec.command),
		Args:                     slices.Clone(spec.args),
		Env:                      b.env(spec.env),
		EnvFrom:                  b.envFrom(spec.envFrom),
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		ImagePullPolicy:          spec.pullPolicy,
		Resources: b.resources(resourceSpec{cpuRequest: spec.cpuRequest, cpuLimit: spec.cpuLimit,
			memRequest: spec.memRequest, memLimit: spec.memLimit, ephemeral: !a.noEphemeral}, fld.Child("resources")),
	}
	if c.Image == "" {
		c.Image = a.image
		if c.ImagePullPolicy == "" && b.digest {
			c.ImagePullPolicy = corev1.PullIfNotPresent
		}
	}
	for _, p := range spec.ports {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: p.Name, ContainerPort: p.Port, Protocol: corev1.ProtocolTCP})
	}
	if sidecar {
		c.RestartPolicy = new(corev1.ContainerRestartPolicyAlways)
	}
	if spec.security != nil {
		c.SecurityContext = spec.security.DeepCopy()
	} else {
		c.SecurityContext = b.restrictedContainer(true)
	}
	c.VolumeMounts = append(b.commonMounts(), b.mounts(spec.mounts)...)
	if spec.readiness != nil {
		c.ReadinessProbe = spec.readiness.Probe()
	}
	if spec.liveness != nil {
		c.LivenessProbe = spec.liveness.Probe()
	}
	if spec.startup != nil {
		c.StartupProbe = spec.startup.Probe()
	}
	return c
}

// configMapName resolves a ConfigMap reference: generated ones by their
// base name get the hash-suffixed name.
func (b *builder) configMapName(name string) string {
	if n, ok := b.cmNames[name]; ok {
		return n
	}
	return name
}

func (b *builder) env(vars []corev1.EnvVar) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, e := range vars {
		e = *e.DeepCopy()
		if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
			e.ValueFrom.ConfigMapKeyRef.Name = b.configMapName(e.ValueFrom.ConfigMapKeyRef.Name)
		}
		out = append(out, e)
	}
	return out
}

func (b *builder) envFrom(srcs []corev1.EnvFromSource) []corev1.EnvFromSource {
	var out []corev1.EnvFromSource
	for _, s := range srcs {
		s = *s.DeepCopy()
		if s.ConfigMapRef != nil {
			s.ConfigMapRef.Name = b.configMapName(s.ConfigMapRef.Name)
		}
		out = append(out, s)
	}
	return out
}

func (b *builder) mounts(ms []mount) []corev1.VolumeMount {
	var out []corev1.VolumeMount
	for _, m := range ms {
		out = append(out, corev1.VolumeMount{Name: m.volumeName(), MountPath: m.path, ReadOnly: true})
	}
	return out
}

// allMounts lists every ConfigMap/Secret mount of the pod, once per volume.
func (b *builder) allMounts() []mount {
	a := b.app
	var out []mount
	seen := map[string]bool{}
	add := func(ms []mount) {
		for _, m := range ms {
			if !seen[m.volumeName()] {
				seen[m.volumeName()] = true
				out = append(out, m)
			}
		}
	}
	add(a.mounts)
	for _, cs := range [][]Container{a.sidecars, a.initContainers, a.containers} {
		for _, c := range cs {
			add(c.mounts)
		}
	}
	return out
}

func writableVolume(i int) string { return "writable-" + strconv.Itoa(i) }

// podSpec builds the pod spec shared by the workload and the migration Job.
func (b *builder) podSpec() corev1.PodSpec {
	a := b.app
	pfld := b.podPath()
	ps := corev1.PodSpec{
		Containers:                    []corev1.Container{b.appContainer()},
		TerminationGracePeriodSeconds: new(b.grace),
		AutomountServiceAccountToken:  new(a.automountToken),
		NodeSelector:                  maps.Clone(a.nodeSelector),
		PriorityClassName:             a.priorityClass,
	}
	for i, c := range a.sidecars {
		ps.InitContainers = append(ps.InitContainers, b.extraContainer(c, pfld.Child("initContainers").Index(i), true))
	}
	for i, c := range a.initContainers {
		ps.InitContainers = append(ps.InitContainers, b.extraContainer(c, pfld.Child("initContainers").Index(len(a.sidecars)+i), false))
	}
	for i, c := range a.containers {
		ps.Containers = append(ps.Containers, b.extraContainer(c, pfld.Child("containers").Index(1+i), false))
	}
	for _, s := range a.pullSecrets {
		ps.ImagePullSecrets = append(ps.ImagePullSecrets, corev1.LocalObjectReference{Name: s})
	}
	for _, t := range a.tolerations {
		ps.Tolerations = append(ps.Tolerations, *t.DeepCopy())
	}
	switch a.saMode {
	case saCreate:
		ps.ServiceAccountName = a.name
	case saExisting:
		ps.ServiceAccountName = a.saName
	}
	if a.podSecurity != nil {
		ps.SecurityContext = a.podSecurity.DeepCopy()
	} else {
		ps.SecurityContext = &corev1.PodSecurityContext{
			RunAsNonRoot:   new(true),
			RunAsUser:      new(a.uid),
			RunAsGroup:     new(a.gid),
			FSGroup:        new(a.gid),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}
	}
	ps.Volumes = b.volumes(pfld)
	b.scheduling(&ps)
	return ps
}

func (b *builder) volumes(pfld *field.Path) []corev1.Volume {
	a := b.app
	var vs []corev1.Volume
	if !a.noTmp {
		vs = append(vs, corev1.Volume{Name: tmpVolume, VolumeSource: corev1.VolumeSource{
			EmptyDir: b.emptyDir(a.tmpSize, a.tmpMemory, pfld.Child("volumes").Index(0).Child("emptyDir", "sizeLimit"))}})
	}
	for i, w := range a.writable {
		vs = append(vs, corev1.Volume{Name: writableVolume(i), VolumeSource: corev1.VolumeSource{
			EmptyDir: b.emptyDir(w.size, false, pfld.Child("volumes").Index(len(vs)).Child("emptyDir", "sizeLimit"))}})
	}
	for _, m := range b.allMounts() {
		v := corev1.Volume{Name: m.volumeName()}
		if m.kind == mountSecret {
			v.Secret = &corev1.SecretVolumeSource{SecretName: m.source}
		} else {
			v.ConfigMap = &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: b.configMapName(m.source)}}
		}
		vs = append(vs, v)
	}
	return vs
}

// scheduling sets affinity and topology spread: the user's, and for more
// than one replica the default spreading across nodes and zones.
func (b *builder) scheduling(ps *corev1.PodSpec) {
	a := b.app
	if a.affinity != nil {
		ps.Affinity = a.affinity.DeepCopy()
	}
	for _, c := range a.spread {
		ps.TopologySpreadConstraints = append(ps.TopologySpreadConstraints, *c.DeepCopy())
	}
	if a.effectiveReplicas() <= 1 || a.noSpread {
		return
	}
	sel := &metav1.LabelSelector{MatchLabels: maps.Clone(b.sel)}
	if ps.Affinity == nil {
		ps.Affinity = &corev1.Affinity{}
	}
	if ps.Affinity.PodAntiAffinity == nil {
		ps.Affinity.PodAntiAffinity = &corev1.PodAntiAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
				Weight:          100,
				PodAffinityTerm: corev1.PodAffinityTerm{LabelSelector: sel.DeepCopy(), TopologyKey: corev1.LabelHostname},
			}},
		}
	}
	if a.spread != nil {
		return
	}
	for _, key := range []string{corev1.LabelHostname, corev1.LabelTopologyZone} {
		tsc := corev1.TopologySpreadConstraint{
			MaxSkew:           1,
			TopologyKey:       key,
			WhenUnsatisfiable: corev1.ScheduleAnyway,
			LabelSelector:     sel.DeepCopy(),
		}
		if b.minor >= featureMatchLabelKeys.since {
			// Spread each ReplicaSet's pods on their own during a rollout.
			tsc.MatchLabelKeys = []string{appsv1.DefaultDeploymentUniqueLabelKey}
		}
		ps.TopologySpreadConstraints = append(ps.TopologySpreadConstraints, tsc)
	}
}
