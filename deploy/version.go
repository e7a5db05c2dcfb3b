package deploy

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
)

// DefaultKubernetesVersion is the target Kubernetes version when none is
// set: the oldest minor release still maintained upstream. Kubernetes
// supports the three newest minors, each for about 14 months; as of
// December 2026 they are 1.37, 1.36 and 1.35 (1.35, released 2025-12-17,
// is maintained until 2027-02-28; 1.34 reached its end of life on
// 2026-10-27). Raise it when 1.35 leaves support.
const DefaultKubernetesVersion = "1.35"

// MinKubernetesVersion is the oldest target accepted: autoscaling/v2 (the
// HorizontalPodAutoscaler Build generates) became GA in 1.23.
const MinKubernetesVersion = "1.23"

// feature is a field Build generates or Validate meets that an older API
// server rejects or drops: since is the first minor version where it is
// enabled by default.
type feature struct {
	field string
	since int
	gate  string
}

// The version-gated fields, with the feature gate and the release that
// enabled it by default (kubernetes pkg/features/kube_features.go).
var (
	featurePreStopSleep = feature{"lifecycle preStop/postStart sleep", 30,
		"PodLifecycleSleepAction: beta and on by default in 1.30, GA in 1.34"}
	featureMatchLabelKeys = feature{"topologySpreadConstraints matchLabelKeys", 27,
		"MatchLabelKeysInPodTopologySpread: beta and on by default since 1.27"}
	featureUnhealthyPodEviction = feature{"PodDisruptionBudget unhealthyPodEvictionPolicy", 27,
		"PDBUnhealthyPodEvictionPolicy: beta and on by default in 1.27, GA in 1.31"}
	featureSidecars = feature{"native sidecars (init containers with restartPolicy Always)", 29,
		"SidecarContainers: beta and on by default in 1.29, GA in 1.33"}
	featureCronJobTimeZone = feature{"CronJob timeZone", 27,
		"CronJobTimeZone: GA in 1.27"}
	featureGRPCProbe = feature{"gRPC probes", 24,
		"GRPCContainerProbe: beta and on by default in 1.24, GA in 1.27"}
)

// kubeMinor parses a target version such as "1.30", "v1.30" or "1.30.2"
// and returns its minor number.
func kubeMinor(v string) (int, error) {
	if v == "" {
		v = DefaultKubernetesVersion
	}
	parsed, err := version.ParseGeneric(strings.TrimPrefix(v, "v"))
	if err != nil {
		return 0, fmt.Errorf("is not a Kubernetes version such as %q: %w", DefaultKubernetesVersion, err)
	}
	minVer := version.MustParseGeneric(MinKubernetesVersion)
	if parsed.Major() != 1 {
		return 0, fmt.Errorf("must be a 1.x version such as %q", DefaultKubernetesVersion)
	}
	if parsed.LessThan(minVer) {
		return 0, fmt.Errorf("is older than %s, the oldest version pydeploy supports", MinKubernetesVersion)
	}
	return int(parsed.Minor()), nil
}

func (f feature) detail(minor int) string {
	return fmt.Sprintf("%s needs Kubernetes 1.%d or newer (%s); the target version is 1.%d", f.field, f.since, f.gate, minor)
}
