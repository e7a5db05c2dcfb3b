package status

import "fmt"

// crdRule follows kstatus for CustomResourceDefinitions: Current once the
// Established condition is True (the API server serves the new kind, so
// custom resources applied next will be accepted), Failed when
// NamesAccepted is False (the names clash with another CRD's and never will
// be served), InProgress otherwise.
func crdRule(obs Observation, _ Options) Result {
	ref := objectOf(obs.Object)
	conds := conditions(obs.Object)
	if c, ok := conds["NamesAccepted"]; ok && c.status == "False" {
		return Result{State: Failed, Reason: NamesNotAccepted, Message: because(fmt.Sprintf("%s: names not accepted", ref), c.reason, c.message)}
	}
	if c, ok := conds["Established"]; ok && c.status == "True" {
		return Result{State: Current, Reason: Ready, Message: fmt.Sprintf("%s is established", ref)}
	}
	c := conds["Established"]
	return Result{State: InProgress, Reason: NotEstablished, Message: because(fmt.Sprintf("Waiting for %s to be established", ref), c.reason, c.message) + "..."}
}
