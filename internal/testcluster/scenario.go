package testcluster

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/pydeploy/pydeploy/internal/testcluster/internal/grammar"
)

// Scenario is a script for one container, played by the node's container
// runtime (the CRI layer under kubelet): how its image pull goes, how it
// runs and exits, and what its probes answer. Kubelet's own code does the
// rest: restarts and their back-off, probes, pod status and events.
//
// A scenario is a keyword (see Scenarios) or a list of clauses separated by
// ";", each a name with options:
//
//	clause  = name [ ":" option { "," option } ]
//	option  = key "=" value
//
// Clauses for the image pull:
//
//	pull[:err=notfound|unauthorized|429][,times=N][,delay=D]
//	    the pull fails with containerd's message for a missing image, a
//	    registry that refuses the credentials, or a 429 Too Many Requests;
//	    N times (default: every time, but once for 429), then succeeds.
//	    delay=D makes each pull take D; "pull:delay=3s" alone is a slow,
//	    successful pull. "pull" alone is err=notfound.
//
// Clauses for the run (at most one applies):
//
//	run                 runs until stopped (default for containers and
//	                    sidecars of pods with restartPolicy Always)
//	complete[:after=D]  exits 0 after D (default 500ms; default for init
//	                    containers and for pods that do not restart)
//	crash[:exit=C][,after=D][,times=N]
//	                    exits with code C (default 1, reason Error) D after
//	                    each start (default 300ms), without serving its
//	                    probes meanwhile; after N crashes (default: never)
//	                    it behaves as the default
//	oom[:after=D][,times=N]
//	                    crash with exit code 137 and reason OOMKilled
//
// Clauses for the probes (HTTP, gRPC, TCP and exec probes alike):
//
//	ready[:after=D]     probes pass from D after each start (default 0)
//	notready            probes fail forever: HTTP 503, gRPC NOT_SERVING,
//	                    exec exit 1, TCP connection refused
//	flap[:period=D]     probes pass for D, fail for D, and so on (default 2s)
//
// Every clause takes pod=K (or pod=K|L|…): it then applies only to the
// pods created K-th (0-based) by their owner, e.g. the second pod of a
// ReplicaSet: "crash:pod=1". For each of pull, run and probes the first
// clause that applies to the pod wins.
//
// Examples: "crash:exit=1,times=2" (crash twice, then run), "oom:times=1",
// "pull:err=429", "ready:after=5s", "crash:pod=0", "pull:err=unauthorized".
type Scenario string

// The keywords: single-word scenarios that an image reference may carry.
const (
	// Ready is the default: the image is pulled (or present), the
	// container runs and its probes pass.
	Ready Scenario = "ready"
	// Slow pulls the image for Options.SlowReadyDelay, then runs.
	Slow Scenario = "slow"
	// CrashLoop exits with code 1 0.3s after every start: "crash".
	CrashLoop Scenario = "crashloop"
	// OOMKilled is killed for memory (exit 137, reason OOMKilled) 0.3s
	// after every start: "oom".
	OOMKilled Scenario = "oomkilled"
	// ImagePull fails every pull: the image does not exist ("pull").
	ImagePull Scenario = "imagepull"
	// Unauthorized fails every pull: the registry refuses the credentials
	// ("pull:err=unauthorized").
	Unauthorized Scenario = "unauthorized"
	// RateLimited fails the first pull with 429 Too Many Requests, then
	// pulls ("pull:err=429").
	RateLimited Scenario = "ratelimited"
	// ReadinessFail runs, but every probe fails ("notready").
	ReadinessFail Scenario = "readinessfail"
)

// ScenarioAnnotation on a pod (usually set in a workload's pod template)
// selects the scenario of every container of the pod, init containers and
// sidecars included, overriding image keywords.
const ScenarioAnnotation = "testcluster.pydeploy.io/scenario"

// ContainerScenarioAnnotation is the annotation that selects the scenario
// of one container of the pod, overriding ScenarioAnnotation:
// "testcluster.pydeploy.io/scenario.<container>".
func ContainerScenarioAnnotation(container string) string {
	return ScenarioAnnotation + "." + container
}

// LogAnnotation on a pod replaces the lines every container of the pod
// prints when it starts; lines are separated by "\n".
const LogAnnotation = "testcluster.pydeploy.io/log"

// OrdinalAnnotation is written by the control plane on pods whose scenario
// selects pods (pod=K): the pod's number among the pods its owner created,
// counting from 0 in order of creation.
const OrdinalAnnotation = "testcluster.pydeploy.io/ordinal"

// Scenarios lists the keywords, sorted.
func Scenarios() []Scenario {
	var s []Scenario
	for _, k := range grammar.KeywordNames() {
		s = append(s, Scenario(k))
	}
	return s
}

// ParseScenario checks s against the grammar and returns it in canonical
// form (lower case, no spaces).
func ParseScenario(s string) (Scenario, error) {
	norm := grammar.Normalize(s)
	if _, err := grammar.Parse(norm); err != nil {
		return "", fmt.Errorf("scenario %q: %w", s, err)
	}
	return Scenario(norm), nil
}

// ImageScenario returns the scenario an image reference selects: a
// component of the reference (split at '/', ':', '.', '-' and '_', digest
// ignored) equal to a keyword, e.g. "example.com/app:crashloop" or
// "registry.local/imagepull/app:1". An image with no keyword gives Ready.
func ImageScenario(image string) Scenario {
	ref, _, _ := strings.Cut(image, "@")
	for _, tok := range strings.FieldsFunc(strings.ToLower(ref), func(r rune) bool {
		return r == '/' || r == ':' || r == '.' || r == '-' || r == '_'
	}) {
		if grammar.IsKeyword(tok) && Scenario(tok) != Ready {
			return Scenario(tok)
		}
	}
	return Ready
}

// PodScenarios returns the scenario of each container of pod (init
// containers included), by container name: the container's
// ContainerScenarioAnnotation if set, else the pod's ScenarioAnnotation,
// else its image's keyword. An annotation that does not parse is an error
// naming it.
func PodScenarios(pod *corev1.Pod) (map[string]Scenario, error) {
	out := map[string]Scenario{}
	podWide, hasPodWide := pod.Annotations[ScenarioAnnotation]
	for _, c := range allContainers(pod) {
		key := ContainerScenarioAnnotation(c.Name)
		v, ok := pod.Annotations[key]
		if !ok && hasPodWide {
			key, v, ok = ScenarioAnnotation, podWide, true
		}
		if !ok {
			out[c.Name] = ImageScenario(c.Image)
			continue
		}
		sc, err := ParseScenario(v)
		if err != nil {
			return nil, fmt.Errorf("pod %s/%s: annotation %s: %w", pod.Namespace, pod.Name, key, err)
		}
		out[c.Name] = sc
	}
	return out, nil
}

// allContainers is the pod's init containers, then its containers.
func allContainers(pod *corev1.Pod) []corev1.Container {
	return append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...)
}

// clauses parses sc, which ParseScenario (or a keyword) has checked.
func (sc Scenario) clauses() []grammar.Clause {
	cs, _ := grammar.Parse(string(sc))
	return cs
}

// selectsPods reports whether any clause of sc applies to some pods only,
// so that the pod's ordinal is needed.
func (sc Scenario) selectsPods() bool {
	for _, c := range sc.clauses() {
		if c.Pods != nil {
			return true
		}
	}
	return false
}
