package deploy

import (
	"maps"
	"strings"
	"time"

	"github.com/distribution/reference"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/pydeploy/pydeploy/probe"
)

// Well-known label keys (kubernetes.io "Recommended Labels").
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelVersion   = "app.kubernetes.io/version"
	LabelComponent = "app.kubernetes.io/component"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelManagedBy = "app.kubernetes.io/managed-by"
)

// Annotation prefixes under which waivers are recorded.
const (
	WaiverAnnotationPrefix     = "ignore-check.pydeploy.io/"
	KubeLinterAnnotationPrefix = "ignore-check.kube-linter.io/"
	WritablePathAnnotation     = "pydeploy.io/writable-paths"
)

// ContainerName is the name of the app's container in the pod template.
const ContainerName = "app"

// TmpPath is where the /tmp emptyDir is mounted.
const TmpPath = "/tmp"

const (
	ephemeralRequestHeadroom = "64Mi"
	ephemeralLimitHeadroom   = "256Mi"
)

// builder holds the state of one Build call, so App stays unmodified.
type builder struct {
	app      *App
	problems []Problem
	sel      map[string]string
	labels   map[string]string
	annots   map[string]string
	digest   bool
	grace    int64
}

func (b *builder) add(id CheckID, kind string, errs ...*field.Error) {
	for _, e := range errs {
		b.problems = append(b.problems, Problem{Check: id, Kind: kind, Err: e})
	}
}

func (b *builder) meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: b.app.namespace, Labels: maps.Clone(b.labels), Annotations: maps.Clone(b.annots)}
}

func (b *builder) selectorLabels() map[string]string {
	a := b.app
	if a.selector != nil {
		return maps.Clone(a.selector)
	}
	inst := a.instance
	if inst == "" {
		inst = a.name
	}
	return map[string]string{LabelName: a.name, LabelInstance: inst}
}

func (b *builder) commonLabels(tag string) map[string]string {
	a := b.app
	l := maps.Clone(a.labels)
	if l == nil {
		l = map[string]string{}
	}
	if !a.noRecommendedLabels {
		v := a.version
		if v == "" && len(validation.IsValidLabelValue(tag)) == 0 {
			v = tag
		}
		for k, val := range map[string]string{LabelVersion: v, LabelComponent: a.component, LabelPartOf: a.partOf, LabelManagedBy: ManagedBy} {
			if val != "" {
				l[k] = val
			}
		}
	}
	maps.Copy(l, b.sel)
	return l
}

func (b *builder) commonAnnotations() map[string]string {
	a := b.app
	m := maps.Clone(a.annotations)
	if len(a.waivers) > 0 && m == nil {
		m = map[string]string{}
	}
	for _, w := range a.waivers {
		c, ok := LookupCheck(w.id)
		if !ok || w.reason == "" {
			continue
		}
		m[WaiverAnnotationPrefix+string(w.id)] = w.reason
		for _, kl := range c.KubeLinter {
			m[KubeLinterAnnotationPrefix+kl] = w.reason
		}
	}
	if len(a.writable) > 0 {
		paths := make([]string, len(a.writable))
		for i, w := range a.writable {
			paths[i] = w.path + ": " + w.reason
		}
		m = merge(m, map[string]string{WritablePathAnnotation: strings.Join(paths, "; ")})
	}
	return m
}

// imageTag parses the image leniently for label defaults and pull policy;
// validation reports parse errors separately.
func imageTag(img string) (tag string, digest bool) {
	ref, err := reference.ParseNormalizedNamed(img)
	if err != nil {
		return "", false
	}
	if t, ok := ref.(reference.Tagged); ok {
		tag = t.Tag()
	}
	_, digest = ref.(reference.Digested)
	return tag, digest
}

// effectiveReplicas is the replica count that decides on the PDB and
// spreading: the HPA's minimum when autoscaled.
func (a *App) effectiveReplicas() int32 {
	switch {
	case a.autoscaling != nil:
		return a.autoscaling.MinReplicas
	case a.replicas != nil:
		return *a.replicas
	case a.noService:
		return 1
	}
	return 2
}

func secondsCeil(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second > 0 {
		s++
	}
	return s
}

func (b *builder) quantity(s string, fld *field.Path) (resource.Quantity, bool) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		b.add(CheckResourcesFormat, "Deployment", field.Invalid(fld, s, "must be a resource quantity such as 250m or 512Mi"))
		return resource.Quantity{}, false
	}
	return q, true
}

func (b *builder) resources(fld *field.Path) corev1.ResourceRequirements {
	a := b.app
	r := corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	set := func(list corev1.ResourceList, name corev1.ResourceName, s string, f *field.Path) {
		if s == "" {
			return
		}
		if q, ok := b.quantity(s, f.Key(string(name))); ok {
			list[name] = q
		}
	}
	set(r.Requests, corev1.ResourceCPU, a.cpuRequest, fld.Child("requests"))
	set(r.Limits, corev1.ResourceCPU, a.cpuLimit, fld.Child("limits"))
	set(r.Requests, corev1.ResourceMemory, a.memRequest, fld.Child("requests"))
	set(r.Limits, corev1.ResourceMemory, a.memLimit, fld.Child("limits"))
	if !a.noEphemeral {
		if a.ephExplicit {
			set(r.Requests, corev1.ResourceEphemeralStorage, a.ephRequest, fld.Child("requests"))
			set(r.Limits, corev1.ResourceEphemeralStorage, a.ephLimit, fld.Child("limits"))
		} else {
			disk := resource.MustParse("0")
			if !a.noTmp && !a.tmpMemory {
				if q, err := resource.ParseQuantity(a.tmpSize); err == nil {
					disk.Add(q)
				}
			}
			for _, w := range a.writable {
				if q, err := resource.ParseQuantity(w.size); err == nil {
					disk.Add(q)
				}
			}
			req, lim := disk.DeepCopy(), disk.DeepCopy()
			req.Add(resource.MustParse(ephemeralRequestHeadroom))
			lim.Add(resource.MustParse(ephemeralLimitHeadroom))
			r.Requests[corev1.ResourceEphemeralStorage] = normalizeBinary(req)
			r.Limits[corev1.ResourceEphemeralStorage] = normalizeBinary(lim)
		}
	}
	if len(r.Requests) == 0 {
		r.Requests = nil
	}
	if len(r.Limits) == 0 {
		r.Limits = nil
	}
	return r
}

// normalizeBinary re-parses a sum so it renders canonically (e.g. "192Mi").
func normalizeBinary(q resource.Quantity) resource.Quantity {
	return resource.MustParse(q.String())
}

func (b *builder) emptyDir(size string, memory bool, fld *field.Path) *corev1.EmptyDirVolumeSource {
	ed := &corev1.EmptyDirVolumeSource{}
	if memory {
		ed.Medium = corev1.StorageMediumMemory
	}
	if q, ok := b.quantity(size, fld); ok {
		ed.SizeLimit = &q
	}
	return ed
}

func (b *builder) probes(c *corev1.Container) {
	a := b.app
	host := func(p *corev1.Probe) *corev1.Probe {
		if p == nil || p.HTTPGet == nil || a.djangoHost == "" {
			return p
		}
		for _, h := range p.HTTPGet.HTTPHeaders {
			if strings.EqualFold(h.Name, "Host") {
				return p
			}
		}
		p.HTTPGet.HTTPHeaders = append(p.HTTPGet.HTTPHeaders, corev1.HTTPHeader{Name: "Host", Value: a.djangoHost})
		return p
	}
	cfld := field.NewPath("spec", "template", "spec", "containers").Index(0)
	use := func(pb *probe.Builder, kind probe.Kind) *corev1.Probe {
		if err := pb.Err(); err != nil {
			b.add(CheckProbeSpec, "Deployment", field.Invalid(cfld.Child(kind.String()), "", err.Error()))
		}
		return host(pb.Probe())
	}
	var base *probe.Builder
	if !a.noReadiness {
		rb := a.readiness
		if rb == nil {
			rb = probe.HTTPGet(a.readinessPath, intstr.FromString(a.portName))
		}
		c.ReadinessProbe = use(rb, probe.KindReadiness)
		base = rb
	}
	if a.liveness != nil {
		c.LivenessProbe = use(a.liveness, probe.KindLiveness)
		base = a.liveness
	}
	if !a.noStartup && a.bootTime > 0 {
		if base == nil {
			base = probe.TCP(intstr.FromString(a.portName))
		}
		c.StartupProbe = host(probe.Startup(base, a.bootTime))
	}
}

func (b *builder) container(grace int64) corev1.Container {
	a := b.app
	cfld := field.NewPath("spec", "template", "spec", "containers").Index(0)
	tmpDir := ""
	if !a.noTmp {
		tmpDir = TmpPath
	}
	c := corev1.Container{
		Name:                     ContainerName,
		Image:                    a.image,
		Command:                  a.server.command(a.port, a.shutdown.Graceful, tmpDir),
		Ports:                    []corev1.ContainerPort{{Name: a.portName, ContainerPort: a.port, Protocol: corev1.ProtocolTCP}},
		Resources:                b.resources(cfld.Child("resources")),
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		ImagePullPolicy:          a.pullPolicy,
	}
	for _, p := range a.extraPorts {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: p.Name, ContainerPort: p.Port, Protocol: corev1.ProtocolTCP})
	}
	if c.ImagePullPolicy == "" && b.digest {
		c.ImagePullPolicy = corev1.PullIfNotPresent
	}
	userSetUnbuffered := false
	for _, e := range a.env {
		userSetUnbuffered = userSetUnbuffered || e.Name == "PYTHONUNBUFFERED"
	}
	if !a.noUnbuffered && !userSetUnbuffered {
		c.Env = append(c.Env, corev1.EnvVar{Name: "PYTHONUNBUFFERED", Value: "1"})
	}
	for _, e := range a.env {
		c.Env = append(c.Env, *e.DeepCopy())
	}
	for _, e := range a.envFrom {
		c.EnvFrom = append(c.EnvFrom, *e.DeepCopy())
	}
	if s := secondsCeil(a.shutdown.PreStopSleep); s > 0 {
		c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: s}}}
	}
	if a.containerSecurity != nil {
		c.SecurityContext = a.containerSecurity.DeepCopy()
	} else {
		c.SecurityContext = &corev1.SecurityContext{
			RunAsNonRoot:             ptrTo(true),
			RunAsUser:                ptrTo(a.uid),
			RunAsGroup:               ptrTo(a.gid),
			AllowPrivilegeEscalation: ptrTo(false),
			Privileged:               ptrTo(false),
			ReadOnlyRootFilesystem:   ptrTo(!a.writableRoot),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
	}
	if !a.noTmp {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "tmp", MountPath: TmpPath})
	}
	for i, w := range a.writable {
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: writableVolume(i), MountPath: w.path})
	}
	b.probes(&c)
	return c
}

func writableVolume(i int) string { return "writable-" + itoa(int32(i)) }

func (b *builder) podSpec() corev1.PodSpec {
	a := b.app
	pfld := field.NewPath("spec", "template", "spec")
	ps := corev1.PodSpec{
		Containers:                    []corev1.Container{b.container(b.grace)},
		TerminationGracePeriodSeconds: ptrTo(b.grace),
		AutomountServiceAccountToken:  ptrTo(a.automountToken),
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
			RunAsNonRoot:   ptrTo(true),
			RunAsUser:      ptrTo(a.uid),
			RunAsGroup:     ptrTo(a.gid),
			FSGroup:        ptrTo(a.gid),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}
	}
	if !a.noTmp {
		ps.Volumes = append(ps.Volumes, corev1.Volume{Name: "tmp", VolumeSource: corev1.VolumeSource{
			EmptyDir: b.emptyDir(a.tmpSize, a.tmpMemory, pfld.Child("volumes").Index(0).Child("emptyDir", "sizeLimit"))}})
	}
	for i, w := range a.writable {
		ps.Volumes = append(ps.Volumes, corev1.Volume{Name: writableVolume(i), VolumeSource: corev1.VolumeSource{
			EmptyDir: b.emptyDir(w.size, false, pfld.Child("volumes").Index(len(ps.Volumes)).Child("emptyDir", "sizeLimit"))}})
	}
	if a.effectiveReplicas() > 1 && !a.noSpread {
		sel := &metav1.LabelSelector{MatchLabels: maps.Clone(b.sel)}
		ps.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
				Weight: 100,
				PodAffinityTerm: corev1.PodAffinityTerm{
					LabelSelector: sel.DeepCopy(),
					TopologyKey:   corev1.LabelHostname,
				},
			}},
		}}
		for _, key := range []string{corev1.LabelHostname, corev1.LabelTopologyZone} {
			ps.TopologySpreadConstraints = append(ps.TopologySpreadConstraints, corev1.TopologySpreadConstraint{
				MaxSkew:           1,
				TopologyKey:       key,
				WhenUnsatisfiable: corev1.ScheduleAnyway,
				LabelSelector:     sel.DeepCopy(),
				MatchLabelKeys:    []string{appsv1.DefaultDeploymentUniqueLabelKey},
			})
		}
	}
	return ps
}

func (b *builder) deployment() *appsv1.Deployment {
	a := b.app
	podLabels := maps.Clone(b.labels)
	maps.Copy(podLabels, a.podLabels)
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: b.meta(a.name),
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: maps.Clone(b.sel)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: maps.Clone(a.podAnnotations)},
				Spec:       b.podSpec(),
			},
			MinReadySeconds:         int32(secondsCeil(a.minReady)),
			ProgressDeadlineSeconds: ptrTo(int32(secondsCeil(a.progressDeadline))),
			RevisionHistoryLimit:    ptrTo(a.revisionHistoryLimit),
		},
	}
	if a.autoscaling == nil {
		d.Spec.Replicas = ptrTo(a.effectiveReplicas())
	} else if a.replicas != nil {
		d.Spec.Replicas = ptrTo(*a.replicas)
	}
	switch {
	case a.strategy != nil:
		d.Spec.Strategy = *a.strategy.DeepCopy()
	default:
		quarter := intstr.FromString("25%")
		d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: ptrTo(quarter), MaxUnavailable: ptrTo(quarter)}}
	}
	return d
}

func (b *builder) service() *corev1.Service {
	a := b.app
	sp := a.servicePort
	if sp == 0 {
		sp = a.port
	}
	s := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: b.meta(a.name),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: maps.Clone(b.sel),
			Ports:    []corev1.ServicePort{{Name: a.portName, Port: sp, TargetPort: intstr.FromString(a.portName), Protocol: corev1.ProtocolTCP}},
		},
	}
	for _, p := range a.extraPorts {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: p.Name, Port: p.Port, TargetPort: intstr.FromString(p.Name), Protocol: corev1.ProtocolTCP})
	}
	return s
}

func (b *builder) networkPolicy() *networkingv1.NetworkPolicy {
	a := b.app
	tcp := corev1.ProtocolTCP
	rule := networkingv1.NetworkPolicyIngressRule{}
	for _, name := range append([]string{a.portName}, portNames(a.extraPorts)...) {
		rule.Ports = append(rule.Ports, networkingv1.NetworkPolicyPort{Protocol: ptrTo(tcp), Port: ptrTo(intstr.FromString(name))})
	}
	for _, p := range a.networkPeers {
		rule.From = append(rule.From, *p.DeepCopy())
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: b.meta(a.name),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: maps.Clone(b.sel)},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{rule},
		},
	}
}

func portNames(ps []Port) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

func (b *builder) pdb() *policyv1.PodDisruptionBudget {
	a := b.app
	mu := intstr.FromInt32(1)
	if a.pdbMaxUnavailable != nil {
		mu = *a.pdbMaxUnavailable
	}
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: b.meta(a.name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			Selector:                   &metav1.LabelSelector{MatchLabels: maps.Clone(b.sel)},
			MaxUnavailable:             &mu,
			UnhealthyPodEvictionPolicy: ptrTo(policyv1.AlwaysAllow),
		},
	}
}

func (b *builder) hpa() *autoscalingv2.HorizontalPodAutoscaler {
	a := b.app
	as := a.autoscaling
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: b.meta(a.name),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: a.name},
			MinReplicas:    ptrTo(as.MinReplicas),
			MaxReplicas:    as.MaxReplicas,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptrTo(as.CPUUtilizationRatio)},
				},
			}},
		},
	}
}

func (b *builder) serviceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:                   b.meta(b.app.name),
		AutomountServiceAccountToken: ptrTo(false),
	}
}

func ptrTo[T any](v T) *T { return &v }
