package manifest

import (
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

// PhaseAnnotation marks a Job that must run before the workloads of the
// same apply: a Job annotated "pydeploy.io/phase: pre-workload" (as
// deploy.App.WithMigration annotates its migration Job) is rendered and
// applied after Services and before DaemonSets, Deployments and
// StatefulSets. Other Jobs are workloads. A Job carrying Helm's
// "helm.sh/hook: pre-install" or "pre-upgrade" annotation (from helm
// template) is treated the same way. The deploy package writes the same
// key and value (deploy.PhaseAnnotation, deploy.PhasePreWorkload).
const (
	PhaseAnnotation  = "pydeploy.io/phase"
	PhasePreWorkload = "pre-workload"
)

// The apply order, by kind, in groups. It is Helm's install order
// (helm/helm pkg/release/v1/util/kind_sorter.go, InstallOrder, at commit
// 20a1ca2345a667ecb611aed87b5c515c334c3de8), which kustomize's kyaml
// (resid/gvk.go, orderFirst/orderLast) agrees with on the points that
// matter, with these changes:
//   - CustomResourceDefinition comes right after Namespace, as in kyaml, so
//     custom resources and cluster-wide classes of the same apply resolve;
//   - the classes pods and claims refer to (PriorityClass, StorageClass,
//     RuntimeClass, IngressClass, ...) follow it, as Helm puts PriorityClass
//     first;
//   - ServiceAccount and RBAC precede ResourceQuota and LimitRange, and
//     ConfigMap precedes Secret (no dependency either way; this is the order
//     pydeploy documents);
//   - Jobs marked pre-workload (PhaseAnnotation) come after Services and
//     before the workloads, as a Helm pre-install hook would run;
//   - PodDisruptionBudget moves from before the workloads to after them,
//     next to HorizontalPodAutoscaler (kyaml also orders it after them);
//   - kinds this table does not know (custom resources) come after every
//     known kind except the admission configuration, instead of last, and
//     admission webhooks and policies are last (as in Helm and kyaml):
//     a webhook applied before its Service and Deployment would reject
//     everything after it.
//
// Every built-in kind of client-go's scheme that can be applied has a
// place (a test enumerates them); objects the API server only accepts as
// requests (reviews, Eviction, Scale, Binding) are not applied and rank
// with the unknown kinds.
var orderGroups = [][]string{
	{"Namespace"},
	{"CustomResourceDefinition"},
	{"PriorityClass", "StorageClass", "VolumeAttributesClass", "RuntimeClass", "IngressClass", "GatewayClass",
		"DeviceClass", "DeviceTaintRule", "CSIDriver", "FlowSchema", "PriorityLevelConfiguration", "ServiceCIDR", "ClusterTrustBundle"},
	{"ServiceAccount"},
	{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"},
	{"ResourceQuota", "LimitRange"},
	{"NetworkPolicy"},
	{"ConfigMap", "Secret"},
	{"PersistentVolume", "PersistentVolumeClaim"},
	{"PodTemplate", "ResourceClaimTemplate", "ResourceClaim", "Workload", "PodGroup", "CompositePodGroup"},
	{"Service", "Endpoints", "EndpointSlice", "IPAddress"},
	{preWorkloadJob},
	{"DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment", "StatefulSet", "Job", "CronJob"},
	{"PodDisruptionBudget", "HorizontalPodAutoscaler"},
	{"Ingress", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute", "ReferenceGrant", "BackendTLSPolicy"},
	{"APIService"},
	// Records the control plane keeps; rarely in a manifest, kept
	// together and deterministic.
	{"CertificateSigningRequest", "PodCertificateRequest", "ComponentStatus", "ControllerRevision", "CSINode",
		"CSIStorageCapacity", "Event", "EvictionRequest", "Lease", "LeaseCandidate", "Node", "RangeAllocation",
		"ResourcePoolStatusRequest", "ResourceSlice", "StorageVersion", "StorageVersionMigration",
		"VolumeAttachment"},
	{unknownKind},
	{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "MutatingAdmissionPolicy",
		"MutatingAdmissionPolicyBinding", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"},
}

// Pseudo-kinds of the order table.
const (
	preWorkloadJob = "Job (pre-workload)"
	unknownKind    = "(other kinds)"
)

// orderRank maps a kind to its group and its position within the group.
var orderRank = func() map[string][2]int {
	m := map[string][2]int{}
	for g, kinds := range orderGroups {
		for i, k := range kinds {
			m[k] = [2]int{g, i}
		}
	}
	return m
}()

// rank orders an object: by group, then by place within the group. Kinds
// are ranked by name alone (as Helm and kustomize do), so
// extensions/v1beta1 Ingress ranks with networking.k8s.io Ingress.
func rank(kind string, preWorkload bool) [2]int {
	if kind == "Job" && preWorkload {
		return orderRank[preWorkloadJob]
	}
	if r, ok := orderRank[kind]; ok {
		return r
	}
	return orderRank[unknownKind]
}

// isPreWorkload reports whether a Job's annotations mark it as a
// pre-workload Job.
func isPreWorkload(ann map[string]string) bool {
	if ann[PhaseAnnotation] == PhasePreWorkload {
		return true
	}
	for h := range strings.SplitSeq(ann["helm.sh/hook"], ",") {
		if h = strings.TrimSpace(h); h == "pre-install" || h == "pre-upgrade" {
			return true
		}
	}
	return false
}

// KindOrder returns the kinds in apply order, as Render and Apply use it,
// in groups: a group comes entirely before the next, and within a group
// kinds are ordered as listed. "Job (pre-workload)" stands for Jobs marked
// with PhaseAnnotation, "(other kinds)" for kinds not in the table (sorted
// by kind). It returns a copy.
func KindOrder() [][]string {
	out := make([][]string, len(orderGroups))
	for i, g := range orderGroups {
		out[i] = append([]string(nil), g...)
	}
	return out
}

// SplitPreWorkload splits objs where a release must wait: before holds
// everything that Render orders up to and including the pre-workload Jobs
// (Namespaces, ServiceAccounts, ConfigMaps, Services, the migration Job),
// after holds the rest (the workloads and what follows them). A CI helper
// applies before, waits for it with rollout.Wait (a failed migration stops
// the release there), then applies after. Without a pre-workload Job,
// before is empty and after holds every object. Objects keep their input
// order within each part.
func SplitPreWorkload(objs []runtime.Object) (before, after []runtime.Object) {
	pre := orderRank[preWorkloadJob][0]
	hasPre := false
	ranks := make([]int, len(objs))
	for i, obj := range objs {
		kind, ann := "", map[string]string(nil)
		if obj != nil {
			kind = obj.GetObjectKind().GroupVersionKind().Kind
			if acc, err := meta.Accessor(obj); err == nil {
				ann = acc.GetAnnotations()
			}
		}
		r := rank(kind, kind == "Job" && isPreWorkload(ann))
		ranks[i] = r[0]
		hasPre = hasPre || r[0] == pre
	}
	if !hasPre {
		return nil, append([]runtime.Object(nil), objs...)
	}
	for i, obj := range objs {
		if ranks[i] <= pre {
			before = append(before, obj)
		} else {
			after = append(after, obj)
		}
	}
	return before, after
}
