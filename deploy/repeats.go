package deploy

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/pydeploy/pydeploy/probe"
)

// An invalid option value is reported once, on the option
// ("options.WithReplicas: Invalid value: -1"), and Build still renders it,
// so the object checks meet the same value in the object's field
// ("Deployment spec.replicas: Invalid value: -1"): one cause, two lines.
// The builder records the fields an invalid option lands in; a problem of
// the named check on such a field of a built object is the option's
// problem again and is dropped (builder.cascade).

// repeatKey identifies an object field holding a value already reported.
func repeatKey(id CheckID, path string) string { return string(id) + "\x00" + path }

// repeat records that problems of check id on the object fields at paths
// repeat a problem already reported on the spec.
func (b *builder) repeat(id CheckID, paths ...*field.Path) {
	for _, p := range paths {
		b.repeated[repeatKey(id, p.String())] = true
	}
}

// repeats reports whether p, found on a built object, is one of them.
func (b *builder) repeats(p Problem) bool {
	return p.Kind != kindApp && b.repeated[repeatKey(p.Check, p.Err.Field)]
}

// optionFields returns the object fields the value of option is rendered
// into (the option's own check applies to them). Options whose invalid
// value is not rendered verbatim have none.
func (b *builder) optionFields(option string) []*field.Path {
	spec := field.NewPath("spec")
	job := spec
	if b.app.Kind() == WorkloadCronJob {
		job = spec.Child("jobTemplate", "spec")
	}
	port := b.podPath().Child("containers").Index(0).Child("ports").Index(0)
	svc := spec.Child("ports").Index(0)
	switch option {
	case "WithReplicas":
		return []*field.Path{spec.Child("replicas")}
	case "WithMinReady":
		return []*field.Path{spec.Child("minReadySeconds")}
	case "WithBackoffLimit":
		return []*field.Path{job.Child("backoffLimit")}
	case "WithActiveDeadline":
		return []*field.Path{job.Child("activeDeadlineSeconds")}
	case "WithTTLAfterFinished":
		return []*field.Path{job.Child("ttlSecondsAfterFinished")}
	case "Migration.WithBackoffLimit":
		return []*field.Path{spec.Child("backoffLimit")}
	case "Migration.WithActiveDeadline":
		return []*field.Path{spec.Child("activeDeadlineSeconds")}
	case "Migration.WithTTLAfterFinished":
		return []*field.Path{spec.Child("ttlSecondsAfterFinished")}
	case "WithStartingDeadline":
		return []*field.Path{spec.Child("startingDeadlineSeconds")}
	case "WithHistoryLimits":
		return []*field.Path{spec.Child("successfulJobsHistoryLimit"), spec.Child("failedJobsHistoryLimit")}
	case "WithPDB":
		return []*field.Path{spec.Child("maxUnavailable")}
	case "WithServicePort":
		return []*field.Path{svc.Child("port")}
	case "WithPort":
		// The Service repeats the container port's name as its own name and
		// targetPort, and its number unless WithServicePort gives another.
		fields := []*field.Path{port.Child("containerPort"), port.Child("name"), svc.Child("targetPort"), svc.Child("name")}
		if b.app.servicePort == 0 {
			fields = append(fields, svc.Child("port"))
		}
		return fields
	}
	return nil
}

// probePorts returns the port fields of the probes Build derives from pb
// as the app container's readiness or liveness probe (a liveness probe also
// seeds the startup probe).
func (b *builder) probePorts(pb *probe.Builder, kinds ...probe.Kind) []*field.Path {
	h := pb.Handler()
	handler, _, ok := portHandler(&h)
	if !ok {
		return nil
	}
	c := b.podPath().Child("containers").Index(0)
	out := make([]*field.Path, len(kinds))
	for i, k := range kinds {
		out[i] = c.Child(k.String(), handler, "port")
	}
	return out
}
