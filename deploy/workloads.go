package deploy

import (
	"maps"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/pydeploy/pydeploy/manifest"
)

// MigrationComponent is the app.kubernetes.io/component of a migration
// Job's pods; their instance label is "<instance>-migrate", so the app's
// Service, PodDisruptionBudget and ReplicaSets never select them.
const MigrationComponent = "migration"

func (b *builder) podTemplate(spec corev1.PodSpec) corev1.PodTemplateSpec {
	a := b.app
	podLabels := maps.Clone(b.labels)
	maps.Copy(podLabels, a.podLabels)
	maps.Copy(podLabels, b.sel)
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: maps.Clone(a.podAnnotations)},
		Spec:       spec,
	}
}

func (b *builder) deployment(spec corev1.PodSpec) *appsv1.Deployment {
	a := b.app
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: b.meta(a.name),
		Spec: appsv1.DeploymentSpec{
			Selector:                &metav1.LabelSelector{MatchLabels: maps.Clone(b.sel)},
			Template:                b.podTemplate(spec),
			MinReadySeconds:         int32(secondsCeil(a.minReady)),
			ProgressDeadlineSeconds: new(int32(secondsCeil(a.progressDeadline))),
			RevisionHistoryLimit:    new(a.revisionHistoryLimit),
		},
	}
	if a.autoscaling == nil {
		d.Spec.Replicas = new(a.effectiveReplicas())
	} else if a.replicas != nil {
		d.Spec.Replicas = new(*a.replicas)
	}
	switch {
	case a.strategy != nil:
		d.Spec.Strategy = *a.strategy.DeepCopy()
	default:
		quarter := intstr.FromString("25%")
		d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: new(quarter), MaxUnavailable: new(quarter)}}
	}
	return d
}

// jobSpec builds a Job spec around a pod spec, with restartPolicy Never.
func jobSpec(tmpl corev1.PodTemplateSpec, s jobSettings, backoff int32, deadline, ttl time.Duration) batchv1.JobSpec {
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	bl, dl, t := s.resolve(backoff, deadline, ttl)
	return batchv1.JobSpec{
		BackoffLimit:            new(bl),
		ActiveDeadlineSeconds:   dl,
		TTLSecondsAfterFinished: t,
		Template:                tmpl,
	}
}

func (b *builder) job(spec corev1.PodSpec) *batchv1.Job {
	a := b.app
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: b.meta(a.name),
		Spec:       jobSpec(b.podTemplate(spec), a.job, DefaultJobBackoffLimit, DefaultJobActiveDeadline, DefaultJobTTLAfterFinished),
	}
}

func (b *builder) cronJob(spec corev1.PodSpec) *batchv1.CronJob {
	a := b.app
	c := a.cron
	tmpl := b.podTemplate(spec)
	cj := &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: b.meta(a.name),
		Spec: batchv1.CronJobSpec{
			Schedule:                   c.schedule,
			ConcurrencyPolicy:          c.concurrency,
			SuccessfulJobsHistoryLimit: new(DefaultCronSuccessfulHistory),
			FailedJobsHistoryLimit:     new(DefaultCronFailedHistory),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(b.labels)},
				Spec:       jobSpec(tmpl, a.job, DefaultJobBackoffLimit, DefaultJobActiveDeadline, 0),
			},
		},
	}
	if cj.Spec.ConcurrencyPolicy == "" {
		cj.Spec.ConcurrencyPolicy = batchv1.ForbidConcurrent
	}
	switch {
	case c.noStartingDeadline:
	case c.startingDeadline != nil:
		cj.Spec.StartingDeadlineSeconds = new(secondsCeil(*c.startingDeadline))
	default:
		cj.Spec.StartingDeadlineSeconds = new(secondsCeil(DefaultCronStartingDeadline))
	}
	if c.successfulHistory != nil {
		cj.Spec.SuccessfulJobsHistoryLimit = new(*c.successfulHistory)
	}
	if c.failedHistory != nil {
		cj.Spec.FailedJobsHistoryLimit = new(*c.failedHistory)
	}
	if c.timeZone != "" {
		cj.Spec.TimeZone = new(c.timeZone)
	}
	return cj
}

// migrationLabels are the pod labels of the migration Job: the app's
// without its selector labels, with name, instance "<instance>-migrate" and
// component "migration", so nothing that selects the app's pods selects it.
func (b *builder) migrationLabels() map[string]string {
	l := maps.Clone(b.labels)
	maps.Copy(l, b.app.podLabels)
	for k := range b.sel {
		delete(l, k)
	}
	l[LabelName] = b.app.name
	l[LabelInstance] = b.instance() + "-migrate"
	if !b.app.noRecommendedLabels {
		l[LabelComponent] = MigrationComponent
	}
	return l
}

// migrationJob derives the pre-workload Job from the app's pod spec: the
// migration's command in the app container, no ports, probes, lifecycle or
// extra main containers (they would keep the Job from completing), no
// spreading (one pod); init containers and native sidecars stay (a
// database proxy sidecar is what a migration needs).
func (b *builder) migrationJob(spec corev1.PodSpec) *batchv1.Job {
	a := b.app
	m := a.migration
	spec = *spec.DeepCopy()
	c := spec.Containers[0]
	c.Command, c.Args = nil, nil
	if m.asArgs {
		c.Args = append([]string(nil), m.argv...)
	} else {
		c.Command = append([]string(nil), m.argv...)
	}
	c.Ports, c.ReadinessProbe, c.LivenessProbe, c.StartupProbe, c.Lifecycle = nil, nil, nil, nil, nil
	spec.Containers = []corev1.Container{c}
	spec.Affinity, spec.TopologySpreadConstraints = nil, nil
	if a.affinity != nil {
		spec.Affinity = a.affinity.DeepCopy()
		spec.Affinity.PodAntiAffinity = nil
	}
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: b.migrationLabels(), Annotations: maps.Clone(a.podAnnotations)},
		Spec:       spec,
	}
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: b.meta(a.name + "-migrate"),
		Spec:       jobSpec(tmpl, m.job, DefaultMigrationBackoffLimit, DefaultMigrationDeadline, DefaultJobTTLAfterFinished),
	}
	job.Labels = b.migrationLabels()
	job.Annotations = mergeCopy(job.Annotations, map[string]string{
		PhaseAnnotation:                 PhasePreWorkload,
		manifest.NameFromSpecAnnotation: job.Name,
	})
	job.Name += "-" + manifest.JobSpecHash(job.Spec)
	return job
}
