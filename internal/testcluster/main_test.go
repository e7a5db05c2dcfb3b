package testcluster_test

import (
	"os"
	"testing"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

// TestMain shares one control plane between the tests; Main stops it after
// them and fails the run if any goroutine is left.
func TestMain(m *testing.M) { os.Exit(testcluster.Main(m, testcluster.Options{})) }
