package rollout_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/rollout/rollouttest"
)

// dep describes one state of the Deployment "web" in namespace "shop".
type dep struct {
	name                               string
	gen, observed                      int64
	rev                                string
	spec, replicas, updated, available int32
	image                              string
	paused                             bool
	conditions                         string // YAML list items under status.conditions
}

func (d dep) yaml() string {
	if d.name == "" {
		d.name = "web"
	}
	if d.image == "" {
		d.image = "web:" + d.rev
	}
	conds := ""
	if d.conditions != "" {
		conds = "  conditions:\n" + d.conditions
	}
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: shop
  uid: uid-%s
  generation: %d
  annotations: {deployment.kubernetes.io/revision: "%s"}
spec:
  replicas: %d
  paused: %t
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec: {containers: [{name: app, image: "%s"}]}
status:
  observedGeneration: %d
  replicas: %d
  updatedReplicas: %d
  availableReplicas: %d
%s`, d.name, d.name, d.gen, d.rev, d.spec, d.paused, d.name, d.name, d.image, d.observed, d.replicas, d.updated, d.available, conds)
}

// applied is the Deployment as Apply returned it at generation gen.
func applied(name string, gen int64) string {
	return fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s, namespace: shop, uid: uid-%s, generation: %d}\n", name, name, gen)
}

// rs is a ReplicaSet of the Deployment "web" running image; hash is its
// pod-template-hash, created gives its age order.
func rs(hash, rev, image string, created int) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-%s
  namespace: shop
  uid: uid-rs-%s
  creationTimestamp: "%s"
  labels: {app: web, pod-template-hash: %s}
  annotations: {deployment.kubernetes.io/revision: "%s"}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: uid-web, controller: true}]
spec:
  selector: {matchLabels: {app: web, pod-template-hash: %s}}
  template:
    metadata: {labels: {app: web, pod-template-hash: %s}}
    spec: {containers: [{name: app, image: "%s"}]}
`, hash, hash, at(time.Duration(created)*time.Second), hash, rev, hash, hash, image)
}

// pod is a pod of ReplicaSet web-<hash> with the given status YAML.
func pod(name, hash, statusYAML string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: shop
  uid: uid-%s
  labels: {app: web, pod-template-hash: %s}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-%s, uid: uid-rs-%s, controller: true}]
spec: {containers: [{name: app, image: "web"}]}
status:
%s`, name, name, hash, hash, hash, indent(statusYAML, "  "))
}

func crashLooping(restarts int) string {
	return fmt.Sprintf(`phase: Running
startTime: "%s"
containerStatuses:
- name: app
  image: web
  imageID: ""
  ready: false
  restartCount: %d
  state: {waiting: {reason: CrashLoopBackOff, message: "back-off 10s restarting failed container"}}
  lastState: {terminated: {exitCode: 1, reason: Error, finishedAt: "%s"}}
`, at(0), restarts, at(time.Second))
}

func unschedulable(since time.Duration) string {
	return fmt.Sprintf(`phase: Pending
conditions:
- {type: PodScheduled, status: "False", reason: Unschedulable, message: "0/1 nodes are available: 1 Insufficient cpu.", lastTransitionTime: "%s"}
`, at(since))
}

func at(d time.Duration) string { return rollouttest.Epoch.Add(d).Format(time.RFC3339) }

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}
