package status

import (
	"errors"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
)

func TestDeployment(t *testing.T) {
	t.Parallel()
	paused := strings.Replace(deploy, "replicas: 3\n", "replicas: 3\n  paused: true\n", 1)
	done := strings.Replace(deploy, "replicas: 4, updatedReplicas: 1, availableReplicas: 3", "replicas: 3, updatedReplicas: 3, availableReplicas: 3", 1)
	pausedDone := strings.Replace(done, "replicas: 3\n", "replicas: 3\n  paused: true\n", 1)
	const waitMsg = `Waiting for deployment "api" rollout to finish: 1 out of 3 new replicas have been updated...`
	tests := []struct {
		name string
		docs []string
		opts Options
		want want
	}{
		{"crash loop in the new ReplicaSet fails fast", []string{deploy, oldRS, newRS, pod("api-new-a", "new", crashLooping)}, Options{},
			want{Failed, PodCrashLooping, `deployment "api" cannot become ready: pod api-new-a container "app" is crash-looping (CrashLoopBackOff, 4 restarts; last exit code 1 at 2026-08-01T09:59:30Z): back-off 40s restarting failed container=app pod=api-new-a`}},
		{"crash loop in an old ReplicaSet is ignored", []string{deploy, oldRS, newRS, pod("api-old-a", "old", crashLooping), pod("api-new-a", "new", starting)}, Options{},
			want{InProgress, LessUpdated, waitMsg}},
		{"before the new ReplicaSet exists no pod is judged", []string{deploy, oldRS, pod("api-old-a", "old", crashLooping)}, Options{},
			want{InProgress, LessUpdated, waitMsg}},
		{"exits within tolerance keep waiting", []string{deploy, newRS, pod("api-new-a", "new", crashLooping)}, Options{Tolerance: Tolerance{Restarts: 5}},
			want{InProgress, LessUpdated, waitMsg}},
		{"ReplicaFailure on the new ReplicaSet", []string{deploy, oldRS, rs("new", "2", "api:v2", `
  conditions:
  - {type: ReplicaFailure, status: "True", reason: FailedCreate, message: "pods \"api-new-x\" is forbidden: exceeded quota: compute", lastTransitionTime: "2026-08-01T09:59:00Z"}`)}, Options{Now: now},
			want{Failed, ReplicaFailure, `deployment "api" cannot create pods (FailedCreate): pods "api-new-x" is forbidden: exceeded quota: compute`}},
		{"ReplicaFailure within its grace keeps waiting", []string{deploy, oldRS, rs("new", "2", "api:v2", `
  conditions:
  - {type: ReplicaFailure, status: "True", reason: FailedCreate, message: quota, lastTransitionTime: "2026-08-01T09:59:50Z"}`)},
			Options{Now: now, Tolerance: Tolerance{ReplicaFailureGrace: 30e9}},
			want{InProgress, LessUpdated, waitMsg + "; the ReplicaSet controller could not create a pod (FailedCreate: quota) and retries by itself"}},
		{"a quota refusal stands while the quota is still full", []string{deploy, oldRS, rs("new", "2", "api:v2", `
  conditions:
  - {type: ReplicaFailure, status: "True", reason: FailedCreate, message: "pods \"api-new-x\" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=3, limited: pods=3", lastTransitionTime: "2026-08-01T09:59:00Z"}`),
			pod("api-old-a", "old", "phase: Running"), pod("api-old-b", "old", "phase: Running"), pod("api-old-c", "old", "phase: Running")}, Options{Now: now},
			want{Failed, ReplicaFailure, `deployment "api" cannot create pods (FailedCreate): pods "api-new-x" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=3, limited: pods=3`}},
		{"a quota refusal does not stand once the quota has room: the ReplicaSet controller retries", []string{deploy, oldRS, rs("new", "2", "api:v2", `
  conditions:
  - {type: ReplicaFailure, status: "True", reason: FailedCreate, message: "pods \"api-new-x\" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=3, limited: pods=3", lastTransitionTime: "2026-08-01T09:50:00Z"}`),
			pod("api-old-a", "old", "phase: Running"), pod("api-old-b", "old", "phase: Running")}, Options{Now: now},
			want{InProgress, LessUpdated, waitMsg + `; a ResourceQuota refused a pod (FailedCreate: pods "api-new-x" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=3, limited: pods=3)` +
				" and has room now: the ReplicaSet controller retries on its own back-off (up to 1000s between tries)"}},
		{"ReplicaFailure on the Deployment needs no children", []string{strings.Replace(deploy, "availableReplicas: 3}", `availableReplicas: 3,
  conditions: [{type: ReplicaFailure, status: "True", reason: FailedCreate, message: "exceeded quota", lastTransitionTime: "2026-08-01T09:59:00Z"}]}`, 1)}, Options{Now: now},
			want{Failed, ReplicaFailure, `deployment "api" cannot create pods (FailedCreate): exceeded quota`}},
		{"ReplicaFailure while the rollout progresses keeps waiting", []string{strings.Replace(deploy, "availableReplicas: 3}", `availableReplicas: 3,
  conditions: [{type: ReplicaFailure, status: "True", reason: FailedCreate, message: "exceeded quota", lastTransitionTime: "2026-08-01T09:58:00Z"},
    {type: Progressing, status: "True", reason: ReplicaSetUpdated, lastUpdateTime: "2026-08-01T09:59:50Z", lastTransitionTime: "2026-08-01T09:50:00Z"}]}`, 1)}, Options{Now: now},
			want{InProgress, LessUpdated, waitMsg + "; the ReplicaSet controller could not create a pod (FailedCreate: exceeded quota) and retries by itself"}},
		{"ReplicaFailure while old pods terminate keeps waiting", []string{strings.Replace(deploy, "availableReplicas: 3}", `availableReplicas: 3, terminatingReplicas: 1,
  conditions: [{type: ReplicaFailure, status: "True", reason: FailedCreate, message: "exceeded quota", lastTransitionTime: "2026-08-01T09:58:00Z"}]}`, 1)}, Options{Now: now},
			want{InProgress, LessUpdated, waitMsg + "; the ReplicaSet controller could not create a pod (FailedCreate: exceeded quota) and retries by itself"}},
		{"ReplicaFailure without a grace fails at once", []string{strings.Replace(deploy, "availableReplicas: 3}", `availableReplicas: 3, terminatingReplicas: 1,
  conditions: [{type: ReplicaFailure, status: "True", reason: FailedCreate, message: "exceeded quota", lastTransitionTime: "2026-08-01T09:59:59Z"}]}`, 1)},
			Options{Now: now, Tolerance: Tolerance{ReplicaFailureGrace: -1}},
			want{Failed, ReplicaFailure, `deployment "api" cannot create pods (FailedCreate): exceeded quota`}},
		{"ReplicaFailure without reason or message keeps waiting within its grace", []string{strings.Replace(deploy, "availableReplicas: 3}", `availableReplicas: 3,
  conditions: [{type: ReplicaFailure, status: "True", lastTransitionTime: "2026-08-01T09:59:58Z"}]}`, 1)}, Options{Now: now},
			want{InProgress, LessUpdated, waitMsg + "; the ReplicaSet controller could not create a pod and retries by itself"}},
		{"a ReplicaFailure that is False adds nothing", []string{strings.Replace(deploy, "availableReplicas: 3}", `availableReplicas: 3,
  conditions: [{type: ReplicaFailure, status: "False", reason: FailedCreate, message: "exceeded quota", lastTransitionTime: "2026-08-01T09:58:00Z"}]}`, 1)}, Options{Now: now},
			want{InProgress, LessUpdated, waitMsg}},
		{"ReplicaFailure without reason or message", []string{strings.Replace(deploy, "availableReplicas: 3}", `availableReplicas: 3,
  conditions: [{type: ReplicaFailure, status: "True", lastTransitionTime: "2026-08-01T09:58:00Z"}]}`, 1)}, Options{Now: now},
			want{Failed, ReplicaFailure, `deployment "api" cannot create pods`}},
		{"paused fails fast by default", []string{paused}, Options{},
			want{Failed, Paused, "deployment \"api\" is paused and its rollout cannot finish; resume it with `kubectl rollout resume deployment/api`"}},
		{"paused treated as ready", []string{paused}, Options{Paused: PausedReady},
			want{Current, Paused, `deployment "api" is paused; treated as ready`}},
		{"paused and waiting", []string{paused}, Options{Paused: PausedWait},
			want{InProgress, Paused, `deployment "api" is paused, waiting for it to be resumed: ` + waitMsg}},
		{"paused but already rolled out is current", []string{pausedDone}, Options{},
			want{Current, Ready, `deployment "api" successfully rolled out`}},
		{"paused with a crash-looping new pod reports the pod", []string{paused, newRS, pod("api-new-a", "new", crashLooping)}, Options{Paused: PausedWait},
			want{Failed, PodCrashLooping, `deployment "api" cannot become ready: pod api-new-a container "app" is crash-looping (CrashLoopBackOff, 4 restarts; last exit code 1 at 2026-08-01T09:59:30Z): back-off 40s restarting failed container=app pod=api-new-a`}},
		{"terminatingReplicas ignored by default, as kubectl", []string{strings.Replace(done, "availableReplicas: 3}", "availableReplicas: 3, terminatingReplicas: 2}", 1)}, Options{},
			want{Current, Ready, `deployment "api" successfully rolled out`}},
		{"terminatingReplicas awaited on request", []string{strings.Replace(done, "availableReplicas: 3}", "availableReplicas: 3, terminatingReplicas: 2}", 1)}, Options{WaitForOldPodsTerminated: true},
			want{InProgress, OldPodsTerminating, `Waiting for deployment "api" rollout to finish: 2 old replicas are terminating...`}},
		{"terminatingReplicas zero is done", []string{strings.Replace(done, "availableReplicas: 3}", "availableReplicas: 3, terminatingReplicas: 0}", 1), oldRS,
			strings.Replace(pod("api-old-a", "old", "phase: Running"), "uid: api-old-a-uid", "uid: api-old-a-uid\n  deletionTimestamp: \"2026-08-01T09:59:00Z\"", 1)},
			Options{WaitForOldPodsTerminated: true},
			want{Current, Ready, `deployment "api" successfully rolled out`}},
		{"terminating pods counted from children without the field", []string{done, oldRS, newRS,
			strings.Replace(pod("api-old-a", "old", "phase: Running"), "uid: api-old-a-uid", "uid: api-old-a-uid\n  deletionTimestamp: \"2026-08-01T09:59:00Z\"", 1)},
			Options{WaitForOldPodsTerminated: true},
			want{InProgress, OldPodsTerminating, `Waiting for deployment "api" rollout to finish: 1 old replicas are terminating...`}},
		{"a read older than our write", []string{deploy}, Options{MinGeneration: 3},
			want{InProgress, WriteNotObserved, `Waiting for a read of deployment "api" at generation 3 or later (got generation 2)...`}},
		{"our write not yet observed", []string{strings.Replace(done, "generation: 2", "generation: 3", 1)}, Options{MinGeneration: 3},
			want{InProgress, WriteNotObserved, `Waiting for generation 3 of deployment "api" to be observed (observed generation 2)...`}},
		{"our write observed and rolled out", []string{done}, Options{MinGeneration: 2},
			want{Current, Ready, `deployment "api" successfully rolled out`}},
		{"superseded by revision number", []string{strings.Replace(done, `revision: "2"`, `revision: "5"`, 1)}, Options{Revision: Revision{Number: 3}},
			want{Failed, Superseded, `deployment "api" was superseded by a newer rollout: revision 5 replaced our revision 3`}},
		{"an older revision is not superseded", []string{done}, Options{Revision: Revision{Number: 3}},
			want{Current, Ready, `deployment "api" successfully rolled out`}},
		{"superseded by template hash", []string{done, rs("old", "1", "api:v1", ""), newRS}, Options{Revision: Revision{TemplateHash: "old"}},
			want{Failed, Superseded, `deployment "api" was superseded by a newer rollout: revision 2 (pod-template-hash new) replaced our revision 1 (pod-template-hash old)`}},
		{"our template hash still current", []string{done, oldRS, newRS}, Options{Revision: Revision{TemplateHash: "new"}},
			want{Current, Ready, `deployment "api" successfully rolled out`}},
		{"progress deadline keeps kubectl's message", []string{strings.Replace(deploy, "availableReplicas: 3}", `availableReplicas: 3,
  conditions: [{type: Progressing, status: "False", reason: ProgressDeadlineExceeded}]}`, 1), newRS, pod("api-new-a", "new", crashLooping)}, Options{},
			want{Failed, ProgressDeadlineExceeded, `deployment "api" exceeded its progress deadline`}},
		{"being deleted", []string{strings.Replace(deploy, "uid: d-1", "uid: d-1\n  deletionTimestamp: \"2026-08-01T09:00:00Z\"", 1)}, Options{},
			want{Terminating, Deleting, `deployment "api" is being deleted`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.DeepEqual(t, got(Evaluate(world(t, tc.docs...), tc.opts)), tc.want)
		})
	}
}

func TestDeploymentDeadlineCarriesEvidence(t *testing.T) {
	t.Parallel()
	d := strings.Replace(deploy, "availableReplicas: 3}", `availableReplicas: 3,
  conditions: [{type: Progressing, status: "False", reason: ProgressDeadlineExceeded}]}`, 1)
	r := Evaluate(world(t, d, newRS, pod("api-new-a", "new", crashLooping)), Options{})
	assert.Equal(t, len(r.Pods), 1)
	assert.Equal(t, r.Pods[0].Reason, PodCrashLooping)
	var f *Failure
	assert.Assert(t, errors.As(r.Err(), &f))
	assert.Equal(t, f.Reason, ProgressDeadlineExceeded)
}

func TestCheckNewReplicaSet(t *testing.T) {
	t.Parallel()
	obs := world(t, deploy, oldRS, newRS, pod("api-new-a", "new", crashLooping), pod("api-old-a", "old", crashLooping),
		event("e1", "api-new-a", "BackOff", "Back-off restarting failed container app", "2026-08-01T09:59:40Z"))
	d := typed[appsv1.Deployment](t, deploy)
	err := CheckNewReplicaSet(&d, obs.Children, Options{})
	var f *Failure
	assert.Assert(t, errors.As(err, &f))
	pf := f.Pods[0]
	assert.Equal(t, pf.Pod, "api-new-a")
	assert.Equal(t, pf.RestartCount, int32(4))
	assert.Equal(t, len(pf.Events), 1)
	assert.Equal(t, pf.Events[0].Reason, "BackOff")

	assert.NilError(t, CheckNewReplicaSet(&d, nil, Options{}))
}
