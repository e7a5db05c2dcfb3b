package deploy

import (
	"maps"
	"strings"
	"time"

	"github.com/distribution/reference"
	corev1 "k8s.io/api/core/v1"
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
	tmpVolume                = "tmp"
)

// builder holds the state of one Build call, so App stays unmodified.
type builder struct {
	app      App
	minor    int
	problems []Problem
	sel      map[string]string
	labels   map[string]string
	annots   map[string]string
	digest   bool
	grace    int64
	shutdown Shutdown
	cmNames  map[string]string // generated ConfigMap base name -> rendered name
	// suppress lists checks whose failure on the built objects is a
	// consequence of a problem already reported on the spec.
	suppress map[CheckID]bool
	// knownBad holds values (the app name, say) already reported as the
	// cause; object problems quoting them are cascades.
	knownBad map[string]bool
	// repeated holds the object fields (by check) that hold an option
	// value already reported as invalid (see repeats.go).
	repeated map[string]bool
}

func (b *builder) add(id CheckID, kind string, errs ...*field.Error) {
	for _, e := range errs {
		b.problems = append(b.problems, Problem{Check: id, Kind: kind, Err: e})
	}
}

func (b *builder) workloadKind() string {
	switch b.app.Kind() {
	case WorkloadJob:
		return "Job"
	case WorkloadCronJob:
		return "CronJob"
	}
	return "Deployment"
}

// podPath is the path of the pod spec inside the workload object.
func (b *builder) podPath() *field.Path {
	if b.app.Kind() == WorkloadCronJob {
		return field.NewPath("spec", "jobTemplate", "spec", "template", "spec")
	}
	return field.NewPath("spec", "template", "spec")
}

func (b *builder) meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: b.app.namespace, Labels: maps.Clone(b.labels), Annotations: maps.Clone(b.annots)}
}

func (b *builder) selectorLabels() map[string]string {
	a := b.app
	if a.selector != nil {
		return maps.Clone(a.selector)
	}
	return map[string]string{LabelName: a.name, LabelInstance: b.instance()}
}

func (b *builder) instance() string {
	if b.app.instance != "" {
		return b.app.instance
	}
	return b.app.name
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
		if !ok || strings.TrimSpace(w.reason) == "" {
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
		m = mergeCopy(m, map[string]string{WritablePathAnnotation: strings.Join(paths, "; ")})
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
func (a App) effectiveReplicas() int32 {
	switch {
	case a.Kind() == WorkloadJob || a.Kind() == WorkloadCronJob:
		return 1
	case a.autoscaling != nil:
		return a.autoscaling.MinReplicas
	case a.replicas != nil:
		return *a.replicas
	case a.Kind() == WorkloadWorker || a.noService:
		return 1
	}
	return 2
}

// hasService reports whether Build generates a Service.
func (a App) hasService() bool { return a.Kind() == WorkloadWeb && !a.noService }

func secondsCeil(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second > 0 {
		s++
	}
	return s
}

// quantity parses s; an unparsable one is reported with the API server's
// words and suppresses the "missing" check of that resource.
func (b *builder) quantity(s string, fld *field.Path, missing CheckID) (resource.Quantity, bool) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		b.add(CheckResourcesFormat, b.workloadKind(), field.Invalid(fld, s, resource.ErrFormatWrong.Error()))
		if missing != "" {
			b.suppress[missing] = true
		}
		return resource.Quantity{}, false
	}
	return q, true
}

type resourceSpec struct {
	cpuRequest, cpuLimit, memRequest, memLimit string
	ephemeral                                  bool
	// app: the app container, which the emptyDirs and WithEphemeralStorage
	// size; other containers get the headroom only.
	app bool
}

func (b *builder) appResources() resourceSpec {
	a := b.app
	r := resourceSpec{cpuRequest: a.cpuRequest, cpuLimit: a.cpuLimit, memRequest: a.memRequest, memLimit: a.memLimit, ephemeral: !a.noEphemeral, app: true}
	if cpu, memReq, memLim, ok := a.server.sizing(); ok {
		if !a.cpuSet {
			r.cpuRequest = cpu
		}
		if !a.memReqSet {
			r.memRequest = memReq
		}
		if !a.memLimSet {
			r.memLimit = memLim
		}
	}
	return r
}

func (b *builder) resources(rs resourceSpec, fld *field.Path) corev1.ResourceRequirements {
	a := b.app
	r := corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	set := func(list corev1.ResourceList, name corev1.ResourceName, s string, f *field.Path, missing CheckID) {
		if s == "" {
			return
		}
		if q, ok := b.quantity(s, f.Key(string(name)), missing); ok {
			list[name] = q
		}
	}
	set(r.Requests, corev1.ResourceCPU, rs.cpuRequest, fld.Child("requests"), CheckCPURequest)
	set(r.Limits, corev1.ResourceCPU, rs.cpuLimit, fld.Child("limits"), "")
	set(r.Requests, corev1.ResourceMemory, rs.memRequest, fld.Child("requests"), CheckMemory)
	set(r.Limits, corev1.ResourceMemory, rs.memLimit, fld.Child("limits"), CheckMemory)
	switch {
	case !rs.ephemeral:
	case !rs.app:
		r.Requests[corev1.ResourceEphemeralStorage] = resource.MustParse(ephemeralRequestHeadroom)
		r.Limits[corev1.ResourceEphemeralStorage] = resource.MustParse(ephemeralLimitHeadroom)
	default:
		if a.ephExplicit {
			set(r.Requests, corev1.ResourceEphemeralStorage, a.ephRequest, fld.Child("requests"), CheckEphemeralStorage)
			set(r.Limits, corev1.ResourceEphemeralStorage, a.ephLimit, fld.Child("limits"), CheckEphemeralStorage)
		} else {
			req, lim := b.ephemeralDefault()
			r.Requests[corev1.ResourceEphemeralStorage] = req
			r.Limits[corev1.ResourceEphemeralStorage] = lim
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

// ephemeralDefault sizes ephemeral storage from the disk-backed emptyDirs
// plus headroom for logs and writes to the container layer.
func (b *builder) ephemeralDefault() (resource.Quantity, resource.Quantity) {
	a := b.app
	disk := resource.MustParse("0")
	// Unparsable and negative sizes are reported on their own; they add
	// nothing here, so the sum does not turn into a second problem.
	if q, err := resource.ParseQuantity(a.tmpSize); err == nil && q.Sign() > 0 && !a.noTmp && !a.tmpMemory {
		disk.Add(q)
	}
	for _, w := range a.writable {
		if q, err := resource.ParseQuantity(w.size); err == nil && q.Sign() > 0 {
			disk.Add(q)
		}
	}
	req, lim := disk.DeepCopy(), disk.DeepCopy()
	req.Add(resource.MustParse(ephemeralRequestHeadroom))
	lim.Add(resource.MustParse(ephemeralLimitHeadroom))
	return normalizeBinary(req), normalizeBinary(lim)
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
	if q, ok := b.quantity(size, fld, ""); ok {
		ed.SizeLimit = &q
		if q.Sign() < 0 {
			// WithTmp or WithWritablePath reported it.
			b.repeat(CheckResourcesFormat, fld)
		}
	}
	return ed
}

// djangoHost adds the Host header to an HTTP probe unless it has one.
func (b *builder) djangoHost(p *corev1.Probe) *corev1.Probe {
	host := b.app.djangoHost
	if p == nil || p.HTTPGet == nil || host == "" {
		return p
	}
	for _, h := range p.HTTPGet.HTTPHeaders {
		if strings.EqualFold(h.Name, "Host") {
			return p
		}
	}
	p.HTTPGet.HTTPHeaders = append(p.HTTPGet.HTTPHeaders, corev1.HTTPHeader{Name: "Host", Value: host})
	return p
}

// probes sets the app container's probes: readiness (web default: GET on
// the port), liveness if asked, and a startup probe sized for the boot
// time on the liveness (else readiness) handler; a web service behind a
// Service with neither gets a TCP startup probe on its port.
func (b *builder) probes(c *corev1.Container) {
	a := b.app
	var base *probe.Builder
	if !a.noReadiness && a.Kind() != WorkloadJob && a.Kind() != WorkloadCronJob {
		rb := a.readiness
		if rb == nil && a.Kind() == WorkloadWeb {
			def := probe.HTTPGet(a.readinessPath, intstr.FromString(a.portName))
			rb = &def
		}
		if rb != nil {
			c.ReadinessProbe = b.djangoHost(rb.Probe())
			base = rb
		}
	}
	if a.liveness != nil {
		c.LivenessProbe = b.djangoHost(a.liveness.Probe())
		base = a.liveness
	}
	if a.noStartup || a.bootTime <= 0 {
		return
	}
	if base == nil && a.hasService() {
		// Readiness waived behind a Service: the startup probe is what
		// keeps traffic away until the port accepts connections. Without a
		// Service nothing waits on it, and a TCP probe on a port the
		// process may never open (a consumer run with NewApp) would only
		// get it killed.
		tcp := probe.TCP(intstr.FromString(a.portName))
		base = &tcp
	}
	if base == nil || (a.Kind() != WorkloadWeb && c.LivenessProbe == nil) {
		return // nothing kubelet would kill during a slow boot
	}
	c.StartupProbe = b.djangoHost(probe.Startup(*base, a.bootTime))
}
