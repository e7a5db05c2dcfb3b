package deploy_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// documentedCritical are the kube-score v1.20.0 CRITICAL findings the
// payments-api output keeps on purpose (see the package doc).
var documentedCritical = []string{
	"(app) CPU limit is not set",
	"(app) ImagePullPolicy is not set to Always",
}

// TestKubeScore_PaymentsAPI runs kube-score on the golden payments-api
// output when the binary is installed (go install
// github.com/zegl/kube-score/cmd/kube-score@v1.20.0); in CI it is required.
func TestKubeScore_PaymentsAPI(t *testing.T) {
	bin, err := exec.LookPath("kube-score")
	if err != nil {
		if home, herr := os.UserHomeDir(); herr == nil {
			if p := filepath.Join(home, "go", "bin", "kube-score"); fileExists(p) {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("kube-score is not installed")
		}
		t.Skip("kube-score not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "score", "-o", "ci", filepath.Join("testdata", "payments-api.golden"))
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run() // exits 1 when any CRITICAL is found; the findings are checked below
	var critical []string
	for line := range strings.Lines(out.String()) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "[CRITICAL] "); ok {
			_, finding, _ := strings.Cut(rest, ": ")
			critical = append(critical, finding)
		}
	}
	assert.Assert(t, strings.Contains(out.String(), "[OK]"), "kube-score produced no results:\n%s", out.String())
	slices.Sort(critical)
	assert.DeepEqual(t, critical, documentedCritical)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
