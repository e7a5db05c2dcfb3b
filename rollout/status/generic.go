package status

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// isStatic reports kinds without a status to wait for: they are Current
// once they exist.
func isStatic(gk schema.GroupKind) bool {
	switch gk.Group {
	case "":
		switch gk.Kind {
		case "ConfigMap", "Secret", "ServiceAccount", "Namespace", "LimitRange", "ResourceQuota":
			return true
		}
	case "rbac.authorization.k8s.io":
		return gk.Kind == "Role" || gk.Kind == "RoleBinding" || gk.Kind == "ClusterRole" || gk.Kind == "ClusterRoleBinding"
	case "networking.k8s.io":
		return gk.Kind == "NetworkPolicy" || gk.Kind == "IngressClass"
	case "scheduling.k8s.io":
		return gk.Kind == "PriorityClass"
	case "batch":
		return gk.Kind == "CronJob"
	}
	return false
}

func staticRule(obs Observation, _ Options) Result {
	return Result{State: Current, Reason: Ready, Message: fmt.Sprintf("%s exists", objectOf(obs.Object))}
}

// genericRule follows kstatus for kinds without rules: a generation the
// controller has not observed (when both fields exist) is InProgress;
// Stalled=True is Failed; Reconciling=True is InProgress; then the Ready
// condition decides (True: Current, else InProgress). An object with none
// of these conditions gets Options.NoConditions (Current by default).
func genericRule(obs Observation, opts Options) Result {
	obj := obs.Object
	ref := objectOf(obj)
	if og, ok := observedGeneration(obj); ok && obj.GetGeneration() > og {
		return Result{State: InProgress, Reason: GenerationNotObserved, Message: fmt.Sprintf(
			"Waiting for %s spec update to be observed (generation %d, observed %d)...", ref, obj.GetGeneration(), og)}
	}
	conds := conditions(obj)
	if c, ok := conds["Stalled"]; ok && c.status == "True" {
		return Result{State: Failed, Reason: Stalled, Message: because(fmt.Sprintf("%s is stalled", ref), c.reason, c.message)}
	}
	if c, ok := conds["Reconciling"]; ok && c.status == "True" {
		return Result{State: InProgress, Reason: Reconciling, Message: because(fmt.Sprintf("Waiting for %s to reconcile", ref), c.reason, c.message) + "..."}
	}
	if c, ok := conds["Ready"]; ok {
		if c.status == "True" {
			return Result{State: Current, Reason: Ready, Message: fmt.Sprintf("%s is ready", ref)}
		}
		return Result{State: InProgress, Reason: NotReady, Message: because(fmt.Sprintf("Waiting for %s to be ready", ref), c.reason, c.message) + "..."}
	}
	state := opts.NoConditions
	if state == "" {
		state = Current
	}
	return Result{State: state, Reason: NoConditions, Message: fmt.Sprintf("%s reports no Ready, Reconciling or Stalled condition", ref)}
}

type condition struct{ status, reason, message string }

// conditions reads status.conditions leniently: entries that are not maps
// or lack a type are skipped rather than failing the whole object.
func conditions(obj *unstructured.Unstructured) map[string]condition {
	list, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	out := map[string]condition{}
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		t, _ := m["type"].(string)
		if t == "" {
			continue
		}
		s, _ := m["status"].(string)
		r, _ := m["reason"].(string)
		msg, _ := m["message"].(string)
		out[t] = condition{status: s, reason: r, message: msg}
	}
	return out
}
