package status

import (
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// quotaRefusal is what the API server's ResourceQuota admission says when it
// refuses a pod: `exceeded quota: NAME, requested: pods=1, used: pods=3,
// limited: pods=3`, each list holding only the resources that were
// exceeded, as k=v pairs joined by commas
// (plugin/pkg/admission/resourcequota: prettyPrint).
var quotaRefusal = regexp.MustCompile(`exceeded quota: [^,]+, requested: (\S+), used: (\S+), limited: (\S+)`)

// quotaHasRoom reports whether the ResourceQuota that refused a pod (msg is
// the ReplicaFailure condition's message) would admit it now, judged from
// the namespace's pods in c: their count and, for cpu and memory quotas,
// their requests or limits. It reports false when msg is not a quota
// refusal, names a resource it cannot count, or c has no pods to count.
//
// The ReplicaSet controller retries a refused create by itself, with an
// exponential back-off of its own (5 ms doubling, up to 1000 s) and without
// watching quotas, so a rollout whose old pods have freed the quota may
// stand for a while before it completes: that is not a failure. Counting
// every pod of the namespace can only overstate the quota's use (a scoped
// quota counts fewer), so room found here is real.
func quotaHasRoom(msg string, c *Children) bool {
	m := quotaRefusal.FindStringSubmatch(msg)
	if m == nil || c == nil || len(c.Pods) == 0 {
		return false
	}
	requested, ok1 := quantities(m[1])
	limited, ok2 := quantities(strings.TrimRight(m[3], ".,;"))
	if !ok1 || !ok2 || len(limited) == 0 {
		return false
	}
	for name, hard := range limited {
		used, ok := quotaUsage(name, c.Pods)
		if !ok {
			return false
		}
		used.Add(requested[name])
		if used.Cmp(hard) > 0 {
			return false
		}
	}
	return true
}

// quantities parses "cpu=500m,pods=1".
func quantities(s string) (map[string]resource.Quantity, bool) {
	out := map[string]resource.Quantity{}
	for kv := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, false
		}
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return nil, false
		}
		out[k] = q
	}
	return out, true
}

// quotaUsage is what the pods use of a quota's resource, counting the pods
// a quota counts: those not Succeeded or Failed, terminating ones included.
func quotaUsage(name string, pods []corev1.Pod) (resource.Quantity, bool) {
	var total resource.Quantity
	for i := range pods {
		p := &pods[i]
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		switch name {
		case "pods", "count/pods":
			total.Add(*resource.NewQuantity(1, resource.DecimalSI))
		case "cpu", "requests.cpu":
			total.Add(podResource(p, corev1.ResourceCPU, false))
		case "memory", "requests.memory":
			total.Add(podResource(p, corev1.ResourceMemory, false))
		case "limits.cpu":
			total.Add(podResource(p, corev1.ResourceCPU, true))
		case "limits.memory":
			total.Add(podResource(p, corev1.ResourceMemory, true))
		default:
			return resource.Quantity{}, false
		}
	}
	return total, true
}

// podResource is a pod's request (or limit) of r as the scheduler and quota
// count it: the app containers and native sidecars together, or an init
// container with the sidecars started before it if that is more, plus the
// pod's overhead.
func podResource(p *corev1.Pod, r corev1.ResourceName, limits bool) resource.Quantity {
	get := func(c *corev1.Container) resource.Quantity {
		l := c.Resources.Requests
		if limits {
			l = c.Resources.Limits
		}
		return l[r]
	}
	var apps, sidecars, initMax resource.Quantity
	for i := range p.Spec.Containers {
		apps.Add(get(&p.Spec.Containers[i]))
	}
	for i := range p.Spec.InitContainers {
		c := &p.Spec.InitContainers[i]
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars.Add(get(c))
			continue
		}
		q := get(c)
		q.Add(sidecars)
		if q.Cmp(initMax) > 0 {
			initMax = q
		}
	}
	apps.Add(sidecars)
	if initMax.Cmp(apps) > 0 {
		apps = initMax
	}
	if o, ok := p.Spec.Overhead[r]; ok {
		apps.Add(o)
	}
	return apps
}
