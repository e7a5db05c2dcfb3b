package deploy_test

import (
	"slices"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/deploy"
)

// TestChecksMarkdown keeps CHECKS.md in step with the registry; run
// go test ./deploy -run TestChecksMarkdown -update after changing a check.
func TestChecksMarkdown(t *testing.T) {
	t.Parallel()
	goldenFile(t, "../CHECKS.md", []byte(deploy.ChecksMarkdown()))
}

func TestChecks_Registry(t *testing.T) {
	t.Parallel()
	seen := map[deploy.CheckID]bool{}
	for _, c := range deploy.Checks() {
		assert.Assert(t, !seen[c.ID], "duplicate check %s", c.ID)
		seen[c.ID] = true
		assert.Assert(t, c.Summary != "" && c.Remediation != "", "check %s lacks docs", c.ID)
		assert.Assert(t, c.Severity == deploy.SeverityError || c.Severity == deploy.SeverityWarning, "check %s severity %q", c.ID, c.Severity)
		got, ok := deploy.LookupCheck(c.ID)
		assert.Assert(t, ok)
		assert.Equal(t, got.ID, c.ID)
	}
	_, ok := deploy.LookupCheck("no.such")
	assert.Assert(t, !ok)
}

// kubeLinterDefaults is kube-linter's default-enabled list
// (internal/defaultchecks/default_checks.go). Each must be mirrored by a
// deploy check, or be listed in notApplicable with the reason.
var kubeLinterDefaults = []string{
	"dangling-service", "deprecated-service-account-field", "docker-sock", "drop-net-raw-capability",
	"duplicate-env-var", "env-var-secret", "host-ipc", "host-network", "host-pid", "invalid-target-ports",
	"latest-tag", "liveness-port", "mismatching-selector", "no-anti-affinity", "no-extensions-v1beta",
	"no-read-only-root-fs", "non-existent-service-account", "pdb-max-unavailable", "pdb-min-available",
	"privilege-escalation-container", "privileged-container", "readiness-port", "run-as-non-root",
	"sensitive-host-mounts", "ssh-port", "startup-port", "unsafe-sysctls", "unset-cpu-requirements",
	"unset-memory-requirements", "pdb-unhealthy-pod-eviction-policy",
}

var notApplicable = map[string]string{
	"no-extensions-v1beta": "deploy only emits GA API versions (apps/v1, policy/v1, autoscaling/v2, networking.k8s.io/v1); TestKubeLinter_no_extensions_v1beta asserts it",
}

func TestChecks_CoverKubeLinterDefaults(t *testing.T) {
	t.Parallel()
	var mirrored []string
	for _, c := range deploy.Checks() {
		mirrored = append(mirrored, c.KubeLinter...)
	}
	for _, kl := range kubeLinterDefaults {
		_, na := notApplicable[kl]
		assert.Assert(t, slices.Contains(mirrored, kl) || na, "kube-linter default check %s is not mirrored", kl)
	}
}
