package testindex

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/shareddata"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

// pipResolve runs pip's resolver against the server and returns the pins
// of its --report.
func pipResolve(t *testing.T, s *Server, reqs ...string) (map[string]string, error) {
	t.Helper()
	if err := exec.Command("python3", "-m", "pip", "--version").Run(); err != nil {
		t.Skipf("python3 -m pip is not available: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	report := filepath.Join(t.TempDir(), "r.json")
	args := append([]string{"-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-cache-dir",
		"--disable-pip-version-check", "--quiet", "--report", report, "--index-url", s.SimpleURL()}, reqs...)
	cmd := exec.CommandContext(ctx, "python3", args...)
	cmd.Env = append(os.Environ(), "PIP_CONFIG_FILE=/dev/null", "PIP_NO_INPUT=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, &pipError{err: err, out: string(out)}
	}
	data, err := os.ReadFile(report)
	assert.NilError(t, err)
	var r struct {
		Install []struct {
			Metadata struct{ Name, Version string } `json:"metadata"`
		} `json:"install"`
	}
	assert.NilError(t, json.Unmarshal(data, &r))
	pins := map[string]string{}
	for _, i := range r.Install {
		pins[pep508.CanonicalName(i.Metadata.Name)] = i.Metadata.Version
	}
	return pins, nil
}

type pipError struct {
	err error
	out string
}

func (e *pipError) Error() string { return "pip failed: " + e.err.Error() + "\n" + e.out }

func TestPipResolvesPackseScenarios(t *testing.T) {
	dir := shareddata.Dir(t, "packse/scenarios")
	for _, name := range []string{"examples/example.toml", "yanked/package-yanked-specified-mixed-available.toml", "extras/extra-required.toml"} {
		t.Run(name, func(t *testing.T) {
			sc, ix, err := FromPackse(filepath.Join(dir, name))
			assert.NilError(t, err)
			s := StartT(t, ix, Options{})
			pins, err := pipResolve(t, s, sc.Root.Requires...)
			assert.NilError(t, err)
			assert.DeepEqual(t, pins, sc.Expected.Packages)
			// pip 23.2 asks for PEP 691 JSON and reads PEP 658 metadata files.
			reqs := s.Requests()
			assert.Assert(t, strings.HasPrefix(reqs[0].Accept, ContentTypeJSON), reqs[0].Accept)
			assert.Assert(t, s.Count("/files/*/*.metadata", 200) > 0)
		})
	}
}

func TestPipFallsBackToWheelWithoutMetadataFile(t *testing.T) {
	ix := Generated(GenerateOptions{HugeVersions: 3})
	s := StartT(t, ix, Options{Format: "html", Faults: []Fault{{Path: "/files/*/*", NoMetadata: true}}})
	pins, err := pipResolve(t, s, "yanked", "needs-py312<2")
	assert.NilError(t, err)
	assert.DeepEqual(t, pins, map[string]string{"yanked": "1.0.0", "needs-py312": "1.0.0"})
	assert.Equal(t, s.Count("/files/*/*.metadata", 0), 0)
}
