package status

import (
	"fmt"

	policyv1 "k8s.io/api/policy/v1"
)

// pdbRule: the controller observed the current generation and at least
// desiredHealthy pods are healthy.
func pdbRule(obs Observation, _ Options) Result {
	var p policyv1.PodDisruptionBudget
	if r, ok := convert(obs, &p); !ok {
		return r
	}
	if p.Generation > p.Status.ObservedGeneration {
		return Result{State: InProgress, Reason: GenerationNotObserved, Message: "Waiting for poddisruptionbudget spec update to be observed..."}
	}
	s := p.Status
	if s.CurrentHealthy < s.DesiredHealthy {
		return Result{State: InProgress, Reason: InsufficientHealthy, Message: fmt.Sprintf(
			"Waiting for poddisruptionbudget %q: %d of %d desired pods are healthy...", p.Name, s.CurrentHealthy, s.DesiredHealthy)}
	}
	return Result{State: Current, Reason: Ready, Message: fmt.Sprintf(
		"poddisruptionbudget %q has %d healthy pods (%d desired)", p.Name, s.CurrentHealthy, s.DesiredHealthy)}
}
