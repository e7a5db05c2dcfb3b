package status

import (
	"testing"

	"gotest.tools/v3/assert"
)

// The cases of kubectl's pkg/polymorphichelpers/rollout_status_test.go,
// same inputs, same messages (without the trailing newline); kubectl's
// done=true is Current, an error is Failed.
func TestKubectlDeployment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		obj  string
		want want
	}{
		{"test1", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: foo, namespace: bar, generation: 0}
spec: {replicas: 1}
status: {observedGeneration: 1, replicas: 1, updatedReplicas: 0, availableReplicas: 1, unavailableReplicas: 0}`,
			want{InProgress, LessUpdated, `Waiting for deployment "foo" rollout to finish: 0 out of 1 new replicas have been updated...`}},
		{"test2", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: foo, namespace: bar, generation: 1}
spec: {replicas: 1}
status: {observedGeneration: 1, replicas: 2, updatedReplicas: 1, availableReplicas: 2, unavailableReplicas: 0}`,
			want{InProgress, OldReplicasPending, `Waiting for deployment "foo" rollout to finish: 1 old replicas are pending termination...`}},
		{"test3", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: foo, namespace: bar, generation: 1}
spec: {replicas: 2}
status: {observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1, unavailableReplicas: 1}`,
			want{InProgress, LessAvailable, `Waiting for deployment "foo" rollout to finish: 1 of 2 updated replicas are available...`}},
		{"test4", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: foo, namespace: bar, generation: 1}
spec: {replicas: 2}
status: {observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, unavailableReplicas: 0}`,
			want{Current, Ready, `deployment "foo" successfully rolled out`}},
		{"test5", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: foo, namespace: bar, generation: 2}
spec: {replicas: 2}
status: {observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, unavailableReplicas: 0}`,
			want{InProgress, GenerationNotObserved, `Waiting for deployment spec update to be observed...`}},
		{"progress deadline exceeded", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: foo, namespace: bar, generation: 1}
spec: {replicas: 2}
status:
  observedGeneration: 1
  replicas: 2
  updatedReplicas: 2
  conditions:
  - {type: Progressing, status: "False", reason: ProgressDeadlineExceeded}`,
			want{Failed, ProgressDeadlineExceeded, `deployment "foo" exceeded its progress deadline`}},
		{"no spec.replicas skips the updated check, as kubectl", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: foo, generation: 1}
status: {observedGeneration: 1, replicas: 0, updatedReplicas: 0}`,
			want{Current, Ready, `deployment "foo" successfully rolled out`}},
		{"extensions/v1beta1 is served by the same rule", `
apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: foo, generation: 3}
spec: {replicas: 1}
status: {observedGeneration: 2}`,
			want{InProgress, GenerationNotObserved, `Waiting for deployment spec update to be observed...`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.DeepEqual(t, got(Compute(obj(t, tc.obj), Options{})), tc.want)
		})
	}
}

func TestKubectlDaemonSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		obj  string
		want want
	}{
		{"test1", `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: foo, namespace: bar, generation: 0}
spec: {updateStrategy: {type: RollingUpdate}}
status: {observedGeneration: 1, updatedNumberScheduled: 0, desiredNumberScheduled: 1, numberAvailable: 0}`,
			want{InProgress, LessUpdated, `Waiting for daemon set "foo" rollout to finish: 0 out of 1 new pods have been updated...`}},
		{"test2", `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: foo, namespace: bar, generation: 1}
spec: {updateStrategy: {type: RollingUpdate}}
status: {observedGeneration: 1, updatedNumberScheduled: 2, desiredNumberScheduled: 2, numberAvailable: 1}`,
			want{InProgress, LessAvailable, `Waiting for daemon set "foo" rollout to finish: 1 of 2 updated pods are available...`}},
		{"test3", `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: foo, namespace: bar, generation: 1}
spec: {updateStrategy: {type: RollingUpdate}}
status: {observedGeneration: 1, updatedNumberScheduled: 2, desiredNumberScheduled: 2, numberAvailable: 2}`,
			want{Current, Ready, `daemon set "foo" successfully rolled out`}},
		{"test4", `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: foo, namespace: bar, generation: 2}
spec: {updateStrategy: {type: RollingUpdate}}
status: {observedGeneration: 1, updatedNumberScheduled: 2, desiredNumberScheduled: 2, numberAvailable: 2}`,
			want{InProgress, GenerationNotObserved, `Waiting for daemon set spec update to be observed...`}},
		// kubectl: "rollout status is only available for RollingUpdate strategy type".
		{"OnDelete waits for available pods", `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: foo, generation: 1}
spec: {updateStrategy: {type: OnDelete}}
status: {observedGeneration: 1, updatedNumberScheduled: 0, desiredNumberScheduled: 2, numberAvailable: 1}`,
			want{InProgress, LessAvailable, `Waiting for daemon set "foo" rollout to finish: 1 of 2 pods are available...`}},
		{"OnDelete with every pod available is current", `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: foo, generation: 1}
spec: {updateStrategy: {type: OnDelete}}
status: {observedGeneration: 1, updatedNumberScheduled: 0, desiredNumberScheduled: 2, numberAvailable: 2}`,
			want{Current, OnDeleteStrategy, `daemon set "foo" has 2 available pods; with the OnDelete strategy pods are updated only when deleted`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.DeepEqual(t, got(Compute(obj(t, tc.obj), Options{})), tc.want)
		})
	}
}

func TestKubectlStatefulSet(t *testing.T) {
	t.Parallel()
	const head = `
apiVersion: apps/v1
kind: StatefulSet
`
	tests := []struct {
		name string
		obj  string
		want want
	}{
		// kubectl errors for OnDelete; we wait for readiness only.
		{"on delete is current once ready", head + `
spec: {replicas: 3, updateStrategy: {type: OnDelete}}
metadata: {name: foo, generation: 1}
status: {observedGeneration: 1, replicas: 3, readyReplicas: 3}`,
			want{Current, OnDeleteStrategy, `statefulset "foo" has 3 ready pods; with the OnDelete strategy pods are updated only when deleted`}},
		{"unobserved update is not complete", head + `
spec: {replicas: 3, updateStrategy: {type: RollingUpdate}}
metadata: {name: foo, generation: 2}
status: {observedGeneration: 1, replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 0}`,
			want{InProgress, GenerationNotObserved, `Waiting for statefulset spec update to be observed...`}},
		{"if all pods are not ready the update is not complete", head + `
spec: {replicas: 3, updateStrategy: {type: RollingUpdate}}
metadata: {name: foo, generation: 1}
status: {observedGeneration: 2, replicas: 3, readyReplicas: 2, currentReplicas: 3, updatedReplicas: 0}`,
			want{InProgress, LessReady, `Waiting for 1 pods to be ready...`}},
		{"partition update completes when all replicas above the partition are updated", head + `
spec: {replicas: 3, updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}}
metadata: {name: foo, generation: 1}
status: {observedGeneration: 2, replicas: 3, readyReplicas: 3, currentReplicas: 2, updatedReplicas: 1}`,
			want{Current, Ready, `partitioned roll out complete: 1 new pods have been updated...`}},
		{"partition update is in progress if all pods above the partition have not been updated", head + `
spec: {replicas: 3, updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}}
metadata: {name: foo, generation: 1}
status: {observedGeneration: 2, replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 0}`,
			want{InProgress, LessUpdated, `Waiting for partitioned roll out to finish: 0 out of 1 new pods have been updated...`}},
		{"update completes when all replicas are current", head + `
spec: {replicas: 3, updateStrategy: {type: RollingUpdate}}
metadata: {name: foo, generation: 1}
status: {observedGeneration: 2, replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: foo, updateRevision: foo}`,
			want{Current, Ready, `statefulset rolling update complete 3 pods at revision foo...`}},
		{"revision mismatch is in progress", head + `
spec: {replicas: 3, updateStrategy: {type: RollingUpdate}}
metadata: {name: foo, generation: 1}
status: {observedGeneration: 1, replicas: 3, readyReplicas: 3, currentReplicas: 2, updatedReplicas: 1, currentRevision: foo-1, updateRevision: foo-2}`,
			want{InProgress, LessUpdated, `waiting for statefulset rolling update to complete 1 pods at revision foo-2...`}},
		{"never observed", head + `
metadata: {name: foo}
spec: {replicas: 3, updateStrategy: {type: RollingUpdate}}
status: {observedGeneration: 0}`,
			want{InProgress, GenerationNotObserved, `Waiting for statefulset spec update to be observed...`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.DeepEqual(t, got(Compute(obj(t, tc.obj), Options{})), tc.want)
		})
	}
}
