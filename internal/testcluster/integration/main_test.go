// Package integration runs rollout.Wait (and manifest.Apply) against the
// in-process control plane of package testcluster.
package integration

import (
	"os"
	"testing"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

// TestMain shares one control plane between the tests; once it has stopped,
// Main checks that nothing at all was left running: no informer, watch or
// connection of any Wait (each test also checks its own, by pprof label).
func TestMain(m *testing.M) { os.Exit(testcluster.Main(m, testcluster.Options{})) }
