package status

import (
	"fmt"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestKinds(t *testing.T) {
	t.Parallel()
	const job = `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: prod, uid: j-1}
spec: {completions: 1}
`
	const svc = `
apiVersion: v1
kind: Service
metadata: {name: api, namespace: prod}
spec: {selector: {app: api}, clusterIP: 10.0.0.7, ports: [{port: 80}]}
`
	const slice = `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: api-x, namespace: prod, labels: {kubernetes.io/service-name: api}}
addressType: IPv4
endpoints:
- {addresses: [10.1.0.1], conditions: {ready: false}}
- {addresses: [10.1.0.2], conditions: {ready: %s}}
`
	jobPod := `
apiVersion: v1
kind: Pod
metadata:
  name: migrate-x
  namespace: prod
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: migrate, uid: j-1, controller: true}]
status:
  phase: Pending
  containerStatuses: [{name: main, ready: false, restartCount: 0, image: img, imageID: "", state: {waiting: {reason: ImagePullBackOff, message: "manifest unknown"}}}]
`
	tests := []struct {
		name string
		docs []string
		opts Options
		want want
	}{
		{"job complete", []string{job + `status: {succeeded: 1, conditions: [{type: Complete, status: "True"}]}`}, Options{},
			want{Current, JobComplete, `job "migrate" completed`}},
		{"job failed", []string{job + `status: {failed: 7, conditions: [{type: Failed, status: "True", reason: BackoffLimitExceeded, message: Job has reached the specified backoff limit}]}`}, Options{},
			want{Failed, JobFailed, `job "migrate" failed: BackoffLimitExceeded: Job has reached the specified backoff limit`}},
		{"job failure target ends the wait early", []string{job + `status: {conditions: [{type: FailureTarget, status: "True", reason: DeadlineExceeded, message: Job was active longer than specified deadline}]}`}, Options{},
			want{Failed, JobFailed, `job "migrate" failed: DeadlineExceeded: Job was active longer than specified deadline`}},
		{"job running", []string{job + `status: {active: 1, failed: 1}`}, Options{},
			want{InProgress, JobRunning, `Waiting for job "migrate" to complete: 0 of 1 completions succeeded, 1 active, 1 failed...`}},
		{"job pod cannot pull its image", []string{job + `status: {active: 1}`, jobPod}, Options{},
			want{Failed, ImagePullFailed, `job "migrate" cannot become ready: pod migrate-x container "main" cannot pull its image (ImagePullBackOff): manifest unknown`}},
		{"suspended job fails fast", []string{`
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec: {suspend: true}`}, Options{}, want{Failed, Paused, `job "migrate" is suspended and cannot complete; set spec.suspend to false to resume it`}},
		{"suspended job waits", []string{`
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec: {suspend: true}`}, Options{Paused: PausedWait}, want{InProgress, Paused, `Waiting for job "migrate" to be resumed...`}},
		{"service without children needs a cluster IP", []string{svc}, Options{},
			want{Current, Ready, `service "api" has cluster IP 10.0.0.7`}},
		{"service with no ready endpoint", append([]string{svc}, sprintf(slice, "false")), Options{},
			want{InProgress, NoReadyEndpoints, `Waiting for service "api" to have a ready endpoint: 0 of 2 endpoints are ready...`}},
		{"service with a ready endpoint", append([]string{svc}, sprintf(slice, "true")), Options{},
			want{Current, Ready, `service "api" has 1 of 2 endpoints ready`}},
		{"service listed with no slices", []string{svc, ""}, Options{},
			want{InProgress, NoReadyEndpoints, `Waiting for service "api" to have a ready endpoint: 0 of 0 endpoints are ready...`}},
		{"external name", []string{`
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {type: ExternalName, externalName: db.example.com}`}, Options{}, want{Current, Ready, `service "db" is an alias for db.example.com`}},
		{"load balancer without ingress", []string{`
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, selector: {app: api}, clusterIP: 10.0.0.8}`}, Options{RequireLoadBalancerIngress: true},
			want{InProgress, NoLoadBalancerIngress, `Waiting for load balancer ingress of service "lb"...`}},
		{"load balancer with ingress", []string{`
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, selector: {app: api}, clusterIP: 10.0.0.8}
status: {loadBalancer: {ingress: [{ip: 203.0.113.9}]}}`}, Options{RequireLoadBalancerIngress: true},
			want{Current, Ready, `service "lb" has cluster IP 10.0.0.8`}},
		{"pdb healthy", []string{`
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, generation: 1}
status: {observedGeneration: 1, currentHealthy: 3, desiredHealthy: 2}`}, Options{},
			want{Current, Ready, `poddisruptionbudget "api" has 3 healthy pods (2 desired)`}},
		{"pdb short of healthy pods", []string{`
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, generation: 1}
status: {observedGeneration: 1, currentHealthy: 1, desiredHealthy: 2}`}, Options{},
			want{InProgress, InsufficientHealthy, `Waiting for poddisruptionbudget "api": 1 of 2 desired pods are healthy...`}},
		{"pdb not observed", []string{`
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, generation: 2}
status: {observedGeneration: 1}`}, Options{},
			want{InProgress, GenerationNotObserved, `Waiting for poddisruptionbudget spec update to be observed...`}},
		{"bare pod ready", []string{`
apiVersion: v1
kind: Pod
metadata: {name: web}
status: {phase: Running, conditions: [{type: Ready, status: "True"}]}`}, Options{}, want{Current, Ready, `pod "web" is ready`}},
		{"bare pod failed", []string{`
apiVersion: v1
kind: Pod
metadata: {name: web}
status: {phase: Failed, reason: Evicted, message: The node was low on resource memory}`}, Options{},
			want{Failed, PodFailed, `pod "web" failed: Evicted: The node was low on resource memory`}},
		{"bare pod crash-looping", []string{pod("web", "h", crashLooping)}, Options{},
			want{Failed, PodCrashLooping, `pod "web" cannot become ready: pod web container "app" is crash-looping (CrashLoopBackOff, 4 restarts; last exit code 1 at 2026-08-01T09:59:30Z): back-off 40s restarting failed container=app pod=api-new-a`}},
		{"bare pod pending", []string{pod("web", "h", starting)}, Options{},
			want{InProgress, NotReady, `Waiting for pod "web" to be ready (phase Pending)...`}},
		{"replica set available", []string{`
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: api-1, generation: 1}
spec: {replicas: 2}
status: {observedGeneration: 1, replicas: 2, availableReplicas: 2}`}, Options{}, want{Current, Ready, `replica set "api-1" has 2 available replicas`}},
		{"replica set cannot create pods", []string{`
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: api-1, generation: 1}
spec: {replicas: 2}
status: {observedGeneration: 1, conditions: [{type: ReplicaFailure, status: "True", reason: FailedCreate, message: exceeded quota, lastTransitionTime: "2026-08-01T09:59:00Z"}]}`}, Options{Now: now},
			want{Failed, ReplicaFailure, `replicaset "api-1" cannot create pods (FailedCreate): exceeded quota`}},
		{"replica set cannot create pods, within the grace", []string{`
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: api-1, generation: 1}
spec: {replicas: 2}
status: {observedGeneration: 1, conditions: [{type: ReplicaFailure, status: "True", reason: FailedCreate, message: exceeded quota, lastTransitionTime: "2026-08-01T09:59:50Z"}]}`}, Options{Now: now},
			want{InProgress, LessAvailable, `Waiting for replica set "api-1": 0 of 2 replicas are available...` +
				"; the ReplicaSet controller could not create a pod (FailedCreate: exceeded quota) and retries by itself"}},
		{"replica set refused by a quota that has room again keeps waiting", []string{`
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: api-1, generation: 1}
spec: {replicas: 2}
status: {observedGeneration: 1, conditions: [{type: ReplicaFailure, status: "True", reason: FailedCreate, message: "exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2", lastTransitionTime: "2026-08-01T09:59:00Z"}]}`,
			pod("api-1-a", "1", "phase: Running")}, Options{Now: now},
			want{InProgress, LessAvailable, `Waiting for replica set "api-1": 0 of 2 replicas are available...` +
				"; a ResourceQuota refused a pod (FailedCreate: exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2)" +
				" and has room now: the ReplicaSet controller retries on its own back-off (up to 1000s between tries)"}},
		{"statefulset pod of the update revision crash-looping", []string{`
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: prod, uid: s-1, generation: 1}
spec: {replicas: 2, updateStrategy: {type: RollingUpdate}}
status: {observedGeneration: 1, readyReplicas: 1, updateRevision: db-2, currentRevision: db-1}`, `
apiVersion: v1
kind: Pod
metadata:
  name: db-1
  namespace: prod
  labels: {controller-revision-hash: db-2}
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: s-1, controller: true}]
status:
` + indent(crashLooping), `
apiVersion: v1
kind: Pod
metadata:
  name: db-0
  namespace: prod
  labels: {controller-revision-hash: db-1}
  ownerReferences: [{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: s-1, controller: true}]
status:
` + indent(crashLooping)}, Options{},
			want{Failed, PodCrashLooping, `statefulset "db" cannot become ready: pod db-1 container "app" is crash-looping (CrashLoopBackOff, 4 restarts; last exit code 1 at 2026-08-01T09:59:30Z): back-off 40s restarting failed container=app pod=api-new-a`}},
		{"daemon set pod of the newest revision crash-looping", []string{daemonSet, controllerRevision("agent-1", "h1", 1), controllerRevision("agent-2", "h2", 2),
			dsPod("agent-a", "h2"), dsPod("agent-b", "h1")}, Options{},
			want{Failed, PodCrashLooping, `daemon set "agent" cannot become ready: pod agent-a container "app" is crash-looping (CrashLoopBackOff, 4 restarts; last exit code 1 at 2026-08-01T09:59:30Z): back-off 40s restarting failed container=app pod=api-new-a`}},
		{"daemon set pod of an old revision crash-looping", []string{daemonSet, controllerRevision("agent-1", "h1", 1), controllerRevision("agent-2", "h2", 2), dsPod("agent-b", "h1")}, Options{},
			want{InProgress, LessUpdated, `Waiting for daemon set "agent" rollout to finish: 1 out of 2 new pods have been updated...`}},
		{"daemon set without revisions listed judges no pods", []string{daemonSet, dsPod("agent-a", "h2")}, Options{},
			want{InProgress, LessUpdated, `Waiting for daemon set "agent" rollout to finish: 1 out of 2 new pods have been updated...`}},
		{"CRD established", []string{sprintf(crd, `[{type: NamesAccepted, status: "True"}, {type: Established, status: "True"}]`)}, Options{},
			want{Current, Ready, `customresourcedefinition "widgets.example.com" is established`}},
		{"CRD not yet established", []string{sprintf(crd, `[{type: NamesAccepted, status: "True"}, {type: Established, status: "False", reason: Installing, message: "the initial names have not been accepted"}]`)}, Options{},
			want{InProgress, NotEstablished, `Waiting for customresourcedefinition "widgets.example.com" to be established: Installing: the initial names have not been accepted...`}},
		{"CRD without conditions", []string{sprintf(crd, `[]`)}, Options{},
			want{InProgress, NotEstablished, `Waiting for customresourcedefinition "widgets.example.com" to be established...`}},
		{"CRD names clash", []string{sprintf(crd, `[{type: NamesAccepted, status: "False", reason: MultipleNamesNotAllowed, message: "\"widgets\" is already in use"}]`)}, Options{},
			want{Failed, NamesNotAccepted, `customresourcedefinition "widgets.example.com": names not accepted: MultipleNamesNotAllowed: "widgets" is already in use`}},
		{"job pods that crash are left to backoffLimit", []string{migrateJob, migratePod(crashLooping)}, Options{},
			want{InProgress, JobRunning, `Waiting for job "migrate" to complete: 0 of 1 completions succeeded, 1 active, 0 failed...`}},
		{"job pods that cannot pull fail the job", []string{migrateJob, migratePod(`
phase: Pending
containerStatuses: [{name: app, ready: false, restartCount: 0, image: img, imageID: "", state: {waiting: {reason: ErrImagePull, message: "manifest unknown"}}}]`)}, Options{},
			want{Failed, ImagePullFailed, `job "migrate" cannot become ready: pod migrate-x container "app" cannot pull its image (ErrImagePull): manifest unknown`}},
		{"job failed without a message", []string{strings.Replace(migrateJob, "status: {active: 1, failed: 0}", `status: {failed: 7, conditions: [{type: Failed, status: "True"}]}`, 1)}, Options{},
			want{Failed, JobFailed, `job "migrate" failed`}},
		{"config map is current", []string{`
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}`}, Options{NoConditions: Unknown}, want{Current, Ready, `configmap "cfg" exists`}},
		{"invalid object", []string{`
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad}
spec: {replicas: many}`}, Options{},
			want{Unknown, InvalidObject, `cannot read deployment "bad" as Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.DeepEqual(t, got(Evaluate(world(t, tc.docs...), tc.opts)), tc.want)
		})
	}
}

func TestGeneric(t *testing.T) {
	t.Parallel()
	cr := func(status string) string {
		return `
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, generation: 2}
status: ` + status
	}
	tests := []struct {
		name string
		obj  string
		opts Options
		want want
	}{
		{"stalled", cr(`{observedGeneration: 2, conditions: [{type: Stalled, status: "True", reason: BadSpec, message: size must be positive}, {type: Ready, status: "False"}]}`), Options{},
			want{Failed, Stalled, `widget "w" is stalled: BadSpec: size must be positive`}},
		{"reconciling", cr(`{observedGeneration: 2, conditions: [{type: Reconciling, status: "True", reason: Scaling}]}`), Options{},
			want{InProgress, Reconciling, `Waiting for widget "w" to reconcile: Scaling...`}},
		{"ready", cr(`{observedGeneration: 2, conditions: [{type: Ready, status: "True"}]}`), Options{},
			want{Current, Ready, `widget "w" is ready`}},
		{"not ready", cr(`{observedGeneration: 2, conditions: [{type: Ready, status: "False", reason: Pending, message: waiting for disk}]}`), Options{},
			want{InProgress, NotReady, `Waiting for widget "w" to be ready: Pending: waiting for disk...`}},
		{"generation not observed", cr(`{observedGeneration: 1, conditions: [{type: Ready, status: "True"}]}`), Options{},
			want{InProgress, GenerationNotObserved, `Waiting for widget "w" spec update to be observed (generation 2, observed 1)...`}},
		{"string observedGeneration is read as a number", cr(`{observedGeneration: "1", conditions: [{type: Ready, status: "True"}]}`), Options{},
			want{InProgress, GenerationNotObserved, `Waiting for widget "w" spec update to be observed (generation 2, observed 1)...`}},
		{"garbage observedGeneration is ignored", cr(`{observedGeneration: soon, conditions: [{type: Ready, status: "True"}]}`), Options{},
			want{Current, Ready, `widget "w" is ready`}},
		{"no conditions is current by default", cr(`{}`), Options{},
			want{Current, NoConditions, `widget "w" reports no Ready, Reconciling or Stalled condition`}},
		{"no conditions can be unknown", cr(`{}`), Options{NoConditions: Unknown},
			want{Unknown, NoConditions, `widget "w" reports no Ready, Reconciling or Stalled condition`}},
		{"malformed conditions are skipped", cr(`{conditions: [7, {status: "True"}, {type: Ready, status: "True"}]}`), Options{},
			want{Current, Ready, `widget "w" is ready`}},
		{"min generation gate applies to every kind", cr(`{observedGeneration: 2, conditions: [{type: Ready, status: "True"}]}`), Options{MinGeneration: 3},
			want{InProgress, WriteNotObserved, `Waiting for a read of widget "w" at generation 3 or later (got generation 2)...`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.DeepEqual(t, got(Compute(obj(t, tc.obj), tc.opts)), tc.want)
		})
	}
}

func TestReaders(t *testing.T) {
	t.Parallel()
	rollout := obj(t, `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: api, namespace: prod}
status: {phase: Degraded, message: "RolloutAborted"}`)
	phase := func(obs Observation, _ Options) Result {
		p, _, _ := unstructuredString(obs.Object.Object, "status", "phase")
		if p == "Healthy" {
			return Result{State: Current, Reason: Ready, Message: "healthy"}
		}
		return Result{State: Failed, Reason: Reason(p), Message: "rollout is " + p}
	}
	never := func(Observation, Options) Result { t.Error("second reader consulted"); return Result{} }
	opts := Options{Readers: []Reader{
		{GroupKind: schema.GroupKind{Group: "other.io", Kind: "Rollout"}, Read: never},
		{GroupKind: schema.GroupKind{Group: "argoproj.io"}, Read: phase},
		{GroupKind: schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}, Read: never},
	}}
	r := Compute(rollout, opts)
	assert.DeepEqual(t, r, Result{
		Object: Object{GroupKind: schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}, Namespace: "prod", Name: "api"},
		State:  Failed, Reason: "Degraded", Message: "rollout is Degraded",
	})

	// Readers come before built-ins.
	d := obj(t, deploy)
	r = Compute(d, Options{Readers: []Reader{{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}, Read: phase}}})
	assert.Equal(t, r.Reason, Reason(""))
	assert.Equal(t, r.State, Failed)
}

func TestNilObject(t *testing.T) {
	t.Parallel()
	assert.DeepEqual(t, got(Evaluate(Observation{}, Options{})), want{Unknown, InvalidObject, "no object to compute the status of"})
}

func dsPod(name, hash string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: prod
  labels: {controller-revision-hash: %s}
  ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: ds-1, controller: true}]
status:
`, name, hash) + indent(crashLooping)
}

func controllerRevision(name, hash string, rev int) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: ControllerRevision
metadata:
  name: %s
  namespace: prod
  labels: {controller-revision-hash: %s}
  ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: ds-1, controller: true}]
revision: %d
`, name, hash, rev)
}

const daemonSet = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: prod, uid: ds-1, generation: 2}
spec: {updateStrategy: {type: RollingUpdate}}
status: {observedGeneration: 2, desiredNumberScheduled: 2, updatedNumberScheduled: 1, numberAvailable: 1}`

const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
status: {conditions: %s}`

const migrateJob = `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: prod, uid: j-1}
spec: {backoffLimit: 6}
status: {active: 1, failed: 0}`

func migratePod(status string) string {
	return `
apiVersion: v1
kind: Pod
metadata:
  name: migrate-x
  namespace: prod
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: migrate, uid: j-1, controller: true}]
spec: {restartPolicy: OnFailure, containers: [{name: app, image: img}]}
status:
` + indent(status)
}
