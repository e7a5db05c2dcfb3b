package testcluster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
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

// keywords maps each keyword to its clauses.
var keywords = map[Scenario]string{
	Ready:         "ready",
	Slow:          "pull:delay=slow",
	CrashLoop:     "crash",
	OOMKilled:     "oom",
	ImagePull:     "pull:err=notfound",
	Unauthorized:  "pull:err=unauthorized",
	RateLimited:   "pull:err=429",
	ReadinessFail: "notready",
}

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
	s := make([]Scenario, 0, len(keywords))
	for k := range keywords {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}

// ParseScenario checks s against the grammar and returns it in canonical
// form (lower case, no spaces).
func ParseScenario(s string) (Scenario, error) {
	norm := strings.ToLower(strings.Join(strings.Fields(s), ""))
	if _, err := parseClauses(norm); err != nil {
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
		if _, ok := keywords[Scenario(tok)]; ok && Scenario(tok) != Ready {
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

// clause is one parsed clause.
type clause struct {
	name string
	opts map[string]string
	pods []int // ordinals the clause applies to; nil: every pod
}

// phase says which part of a container's life a clause scripts.
func (c clause) phase() string {
	switch c.name {
	case "pull":
		return "pull"
	case "ready", "notready", "flap":
		return "probe"
	}
	return "run"
}

// clauseOptions lists the options each clause takes, besides pod.
var clauseOptions = map[string][]string{
	"pull":     {"err", "times", "delay"},
	"run":      nil,
	"complete": {"after"},
	"crash":    {"exit", "after", "times"},
	"oom":      {"after", "times"},
	"ready":    {"after"},
	"notready": nil,
	"flap":     {"period"},
}

// parseClauses parses a canonical scenario into its clauses, expanding
// keywords, and checks every option value.
func parseClauses(s string) ([]clause, error) {
	if s == "" {
		return nil, fmt.Errorf("empty: expected a keyword (%s) or clauses such as crash:times=2", keywordList())
	}
	var out []clause
	for part := range strings.SplitSeq(s, ";") {
		if part == "" {
			return nil, fmt.Errorf("empty clause: expected name[:key=value,...] between the semicolons")
		}
		if exp, ok := keywords[Scenario(part)]; ok && exp != part {
			cs, err := parseClauses(exp)
			if err != nil {
				return nil, err
			}
			out = append(out, cs...)
			continue
		}
		c, err := parseClause(part)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func keywordList() string {
	var names []string
	for _, k := range Scenarios() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

func parseClause(part string) (clause, error) {
	name, rest, hasOpts := strings.Cut(part, ":")
	allowed, ok := clauseOptions[name]
	if !ok {
		return clause{}, fmt.Errorf("unknown clause %q: expected a keyword (%s) or one of pull, run, complete, crash, oom, ready, notready, flap", name, keywordList())
	}
	c := clause{name: name, opts: map[string]string{}}
	if !hasOpts {
		return c, nil
	}
	for opt := range strings.SplitSeq(rest, ",") {
		key, val, ok := strings.Cut(opt, "=")
		if !ok || key == "" || val == "" {
			return clause{}, fmt.Errorf("clause %s: option %q: expected key=value", name, opt)
		}
		if _, dup := c.opts[key]; dup || (key == "pod" && c.pods != nil) {
			return clause{}, fmt.Errorf("clause %s: option %s given twice", name, key)
		}
		if key == "pod" {
			pods, err := parseOrdinals(val)
			if err != nil {
				return clause{}, fmt.Errorf("clause %s: pod=%s: %w", name, val, err)
			}
			c.pods = pods
			continue
		}
		if !slices.Contains(allowed, key) {
			return clause{}, fmt.Errorf("clause %s: unknown option %q: expected %s", name, key, optionList(allowed))
		}
		if err := checkOption(name, key, val); err != nil {
			return clause{}, fmt.Errorf("clause %s: %s=%s: %w", name, key, val, err)
		}
		c.opts[key] = val
	}
	return c, nil
}

func optionList(allowed []string) string {
	return strings.Join(append(slices.Clone(allowed), "pod"), ", ")
}

func parseOrdinals(v string) ([]int, error) {
	var out []int
	for s := range strings.SplitSeq(v, "|") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 1<<20 {
			return nil, fmt.Errorf("expected ordinals (0, 1, …) separated by |")
		}
		out = append(out, n)
	}
	return out, nil
}

func checkOption(clause, key, val string) error {
	switch key {
	case "err":
		if !slices.Contains([]string{"notfound", "unauthorized", "429"}, val) {
			return fmt.Errorf("expected notfound, unauthorized or 429")
		}
	case "times":
		if n, err := strconv.Atoi(val); err != nil || n < 1 || n > 1<<20 {
			return fmt.Errorf("expected a count of 1 or more")
		}
	case "exit":
		if n, err := strconv.Atoi(val); err != nil || n < 0 || n > 255 {
			return fmt.Errorf("expected an exit code 0-255")
		}
	case "delay", "after", "period":
		if clause == "pull" && val == "slow" {
			return nil // Options.SlowReadyDelay, for the Slow keyword
		}
		d, err := time.ParseDuration(val)
		if err != nil || d < 0 || d > time.Hour || (key == "period" && d == 0) {
			return fmt.Errorf("expected a duration such as 300ms or 2s, up to 1h")
		}
	}
	return nil
}

// applies reports whether the clause applies to the pod with this ordinal
// (-1: unknown).
func (c clause) applies(ordinal int) bool {
	return c.pods == nil || slices.Contains(c.pods, ordinal)
}

// selectsPods reports whether any clause of sc applies to some pods only,
// so that the pod's ordinal is needed.
func (sc Scenario) selectsPods() bool {
	cs, err := parseClauses(string(sc))
	if err != nil {
		return false
	}
	for _, c := range cs {
		if c.pods != nil {
			return true
		}
	}
	return false
}
