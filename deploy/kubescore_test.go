package deploy_test

import (
	"bufio"
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

// kubeScore returns the kube-score v1.20.0 binary, skipping the test when it
// is not installed (go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0);
// in CI it is required.
func kubeScore(t *testing.T) string {
	t.Helper()
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
	return bin
}

// acceptedCritical reads the CRITICAL findings the README accepts, from
// .ci/kube-score-accepted ("<text> | <check> | <reason>").
func acceptedCritical(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", ".ci", "kube-score-accepted"))
	assert.NilError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		text, _, _ := strings.Cut(line, " | ")
		out = append(out, text)
	}
	assert.NilError(t, sc.Err())
	assert.Assert(t, len(out) > 0)
	return out
}

// score runs kube-score on file and returns its CRITICAL and WARNING lines.
func score(t *testing.T, bin, file string) (critical, warning []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "score", "-o", "ci", file)
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run() // exits 1 when any CRITICAL is found; the findings are checked by the caller
	assert.Assert(t, strings.Contains(out.String(), "[OK]"), "kube-score produced no results:\n%s", out.String())
	for line := range strings.Lines(out.String()) {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "[CRITICAL] "); ok {
			critical = append(critical, rest)
		}
		if rest, ok := strings.CutPrefix(line, "[WARNING] "); ok {
			warning = append(warning, rest)
		}
	}
	return critical, warning
}

// TestKubeScore runs kube-score on the payments-api golden output and the
// five golden bundles: every CRITICAL finding must be one the README
// accepts (CPU limit not set, pull policy not Always), and the only
// WARNING the NetworkPolicies' open egress.
func TestKubeScore(t *testing.T) {
	bin := kubeScore(t)
	accepted := acceptedCritical(t)
	files := []string{filepath.Join("testdata", "payments-api.golden")}
	for _, gb := range goldenBundles {
		files = append(files, filepath.Join("testdata", "bundles", gb.name+".yaml"))
	}
	for _, file := range files {
		critical, warning := score(t, bin, file)
		for _, c := range critical {
			ok := slices.ContainsFunc(accepted, func(a string) bool { return strings.Contains(c, a) })
			assert.Assert(t, ok, "%s: CRITICAL finding not accepted in .ci/kube-score-accepted: %s", file, c)
		}
		for _, w := range warning {
			assert.Assert(t, strings.HasSuffix(w, "The pod does not have a matching egress NetworkPolicy"), "%s: unexpected WARNING: %s", file, w)
		}
		t.Logf("%s: %d accepted CRITICAL finding(s), %d egress warning(s)", file, len(critical), len(warning))
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
