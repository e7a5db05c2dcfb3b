package status

import (
	"fmt"
	"strings"
)

// deploy is Deployment "api" in namespace prod at revision 2 (image api:v2),
// mid-rollout: 1 of 3 replicas updated.
const deploy = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: prod
  uid: d-1
  generation: 2
  annotations: {deployment.kubernetes.io/revision: "2"}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: app, image: "api:v2"}]}
status: {observedGeneration: 2, replicas: 4, updatedReplicas: 1, availableReplicas: 3}
`

// rs renders a ReplicaSet of deploy with the given hash, revision and image.
func rs(hash, rev, image, extraStatus string) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-%[1]s
  namespace: prod
  uid: rs-%[1]s
  creationTimestamp: "2026-08-01T09:0%[2]s:00Z"
  labels: {app: api, pod-template-hash: %[1]s}
  annotations: {deployment.kubernetes.io/revision: "%[2]s"}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: d-1, controller: true}]
spec:
  replicas: 1
  selector: {matchLabels: {app: api, pod-template-hash: %[1]s}}
  template:
    metadata: {labels: {app: api, pod-template-hash: %[1]s}}
    spec: {containers: [{name: app, image: "%[3]s"}]}
status:
  replicas: 1%[4]s
`, hash, rev, image, extraStatus)
}

var (
	oldRS = rs("old", "1", "api:v1", "")
	newRS = rs("new", "2", "api:v2", "")
)

// pod renders a pod of the ReplicaSet with the given hash; status is the
// pod's status block, indented by the caller's YAML.
func pod(name, hash, status string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata:
  name: %[1]s
  namespace: prod
  uid: %[1]s-uid
  labels: {app: api, pod-template-hash: %[2]s}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: api-%[2]s, uid: rs-%[2]s, controller: true}]
spec: {containers: [{name: app, image: img}]}
status:
%[3]s
`, name, hash, indent(status))
}

func indent(s string) string {
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n")
}

const crashLooping = `
phase: Running
startTime: "2026-08-01T09:58:00Z"
containerStatuses:
- name: app
  ready: false
  restartCount: 4
  image: "api:v2"
  imageID: ""
  state: {waiting: {reason: CrashLoopBackOff, message: "back-off 40s restarting failed container=app pod=api-new-a"}}
  lastState: {terminated: {exitCode: 1, reason: Error, finishedAt: "2026-08-01T09:59:30Z"}}
`

const starting = `
phase: Pending
startTime: "2026-08-01T09:59:55Z"
containerStatuses:
- name: app
  ready: false
  restartCount: 0
  image: "api:v2"
  imageID: ""
  state: {waiting: {reason: ContainerCreating}}
`

// event renders a Warning event about a pod.
func event(name, pod, reason, message, last string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Event
metadata: {name: %s, namespace: prod}
type: Warning
reason: %s
message: %q
count: 3
lastTimestamp: %q
involvedObject: {kind: Pod, name: %s, namespace: prod, uid: %s-uid, fieldPath: "spec.containers{app}"}
`, name, reason, message, last, pod, pod)
}
