package testcluster

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Scenario names how the pod driver treats a container: the behaviour a
// kubelet (or the scheduler) would show for it on a real node.
type Scenario string

// The scenarios the pod driver plays. The string value is both the
// annotation value and the image-name keyword that selects it.
const (
	// Ready is the default: the container starts, and becomes Ready after
	// Options.ReadyDelay.
	Ready Scenario = "ready"
	// Slow is Ready after Options.SlowReadyDelay.
	Slow Scenario = "slow"
	// CrashLoop: the container runs briefly, exits with code 1 (reason
	// Error), waits in CrashLoopBackOff, restarts, and so on; restartCount
	// rises and a BackOff event is written each time.
	CrashLoop Scenario = "crashloop"
	// OOMKilled is CrashLoop with exit code 137 and reason OOMKilled.
	OOMKilled Scenario = "oomkilled"
	// ImagePull alternates between ErrImagePull and ImagePullBackOff.
	ImagePull Scenario = "imagepull"
	// InvalidImage waits with reason InvalidImageName.
	InvalidImage Scenario = "invalidimage"
	// ReadinessFail runs but never becomes Ready; an Unhealthy event
	// ("Readiness probe failed: …") is written repeatedly.
	ReadinessFail Scenario = "readinessfail"
	// ConfigError waits with reason CreateContainerConfigError because a
	// secret it references is missing.
	ConfigError Scenario = "configerror"
	// Unschedulable leaves the whole pod Pending and unbound with
	// PodScheduled=False (reason Unschedulable) and a FailedScheduling event
	// from default-scheduler.
	Unschedulable Scenario = "unschedulable"
)

// ScenarioAnnotation on a pod (usually set in a Deployment's pod template)
// selects the scenario for all of the pod's containers, overriding image
// keywords.
const ScenarioAnnotation = "testcluster.pydeploy.io/scenario"

// LogAnnotation on a pod replaces the scripted log lines that the fake
// kubelet serves for every container of the pod; lines are separated by "\n".
const LogAnnotation = "testcluster.pydeploy.io/log"

// Scenarios lists every scenario, sorted by name.
func Scenarios() []Scenario {
	s := []Scenario{Ready, Slow, CrashLoop, OOMKilled, ImagePull, InvalidImage, ReadinessFail, ConfigError, Unschedulable}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

// ParseScenario returns the scenario named s (case-insensitive, surrounding
// space ignored).
func ParseScenario(s string) (Scenario, error) {
	want := Scenario(strings.ToLower(strings.TrimSpace(s)))
	for _, sc := range Scenarios() {
		if sc == want {
			return sc, nil
		}
	}
	names := make([]string, 0, len(Scenarios()))
	for _, sc := range Scenarios() {
		names = append(names, string(sc))
	}
	return "", fmt.Errorf("unknown scenario %q: expected one of %s", s, strings.Join(names, ", "))
}

// ImageScenario returns the scenario an image reference selects: a
// component of the reference (split at '/', ':', '.', '-' and '_', digest
// ignored) equal to a scenario name, e.g. "example.com/app:crashloop" or
// "registry.local/imagepull/app:1". Ready is not selected by images (it is
// the default), and an image with no keyword gives Ready.
func ImageScenario(image string) Scenario {
	ref, _, _ := strings.Cut(image, "@")
	for _, tok := range strings.FieldsFunc(strings.ToLower(ref), func(r rune) bool {
		return r == '/' || r == ':' || r == '.' || r == '-' || r == '_'
	}) {
		sc := Scenario(tok)
		if sc != Ready && sc.valid() {
			return sc
		}
	}
	return Ready
}

func (s Scenario) valid() bool {
	for _, sc := range Scenarios() {
		if sc == s {
			return true
		}
	}
	return false
}

// PodScenarios returns the scenario of each container of pod, by container
// name: the pod's ScenarioAnnotation if set, else each image's keyword. An
// annotation that names no scenario is an error.
func PodScenarios(pod *corev1.Pod) (map[string]Scenario, error) {
	out := make(map[string]Scenario, len(pod.Spec.Containers))
	if v, ok := pod.Annotations[ScenarioAnnotation]; ok {
		sc, err := ParseScenario(v)
		if err != nil {
			return nil, fmt.Errorf("pod %s/%s: annotation %s: %w", pod.Namespace, pod.Name, ScenarioAnnotation, err)
		}
		for _, c := range pod.Spec.Containers {
			out[c.Name] = sc
		}
		return out, nil
	}
	for _, c := range pod.Spec.Containers {
		out[c.Name] = ImageScenario(c.Image)
	}
	return out, nil
}

// unschedulable reports whether any container of the pod asks for the
// Unschedulable scenario.
func unschedulable(scs map[string]Scenario) bool {
	for _, sc := range scs {
		if sc == Unschedulable {
			return true
		}
	}
	return false
}
