package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

// TestMain gives every test of the binary one embedded control plane; each
// test works in a namespace of its own. Pods of the "slow" scenario take a
// minute to become ready, so a short -timeout surely ends in the wait.
func TestMain(m *testing.M) {
	os.Exit(testcluster.Main(m, testcluster.Options{SlowReadyDelay: time.Minute}))
}

// paymentsAPI is a Deployment and a Service as a team would keep them in
// Git, with the image as a parameter.
func paymentsAPI(image string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments-api
  labels:
    app.kubernetes.io/name: payments-api
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: payments-api
  template:
    metadata:
      labels:
        app.kubernetes.io/name: payments-api
    spec:
      containers:
        - name: app
          image: ` + image + `
          ports:
            - name: http
              containerPort: 8000
          readinessProbe:
            httpGet:
              path: /health/ready
              port: http
`
}

const paymentsService = `apiVersion: v1
kind: Service
metadata:
  name: payments-api
spec:
  selector:
    app.kubernetes.io/name: payments-api
  ports:
    - name: http
      port: 80
      targetPort: http
`

// env is one test's namespace on the shared control plane.
type env struct {
	t          *testing.T
	ns         string
	kubeconfig string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	assert.NilError(t, c.WriteKubeconfig(path))
	return &env{t: t, ns: ns, kubeconfig: path}
}

// writeDir writes files into a new temp dir and returns it.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		assert.NilError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	return dir
}

type result struct {
	code           int
	stdout, stderr string
}

// deploy runs ci-deploy against the test's namespace.
func (e *env) deploy(args ...string) result {
	e.t.Helper()
	all := append([]string{"-kubeconfig", e.kubeconfig, "-namespace", e.ns}, args...)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), all, &stdout, &stderr)
	e.t.Logf("ci-deploy %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	return result{code, stdout.String(), stderr.String()}
}

func (e *env) image(name string) string {
	e.t.Helper()
	d, err := testcluster.Shared(e.t).Client().AppsV1().Deployments(e.ns).Get(context.Background(), name, metav1.GetOptions{})
	assert.NilError(e.t, err)
	return d.Spec.Template.Spec.Containers[0].Image
}

func TestHappyPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := writeDir(t, map[string]string{
		"deployment.yaml": paymentsAPI("ghcr.io/acme/payments:1.4.0"),
		"service.yaml":    paymentsService,
	})
	r := e.deploy("-f", dir, "-timeout", "3m")
	assert.Equal(t, r.code, exitOK, r.stdout)
	for _, want := range []string{
		"deployment.apps/payments-api created",
		"service/payments-api created",
		`service "payments-api" has `,
		`deployment "payments-api" successfully rolled out`,
		"ci-deploy: ok: 2 objects rolled out",
	} {
		assert.Assert(t, strings.Contains(r.stdout, want), "missing %q", want)
	}
	assert.Equal(t, r.stderr, "")
}

func TestCrashLoopFailsFast(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := writeDir(t, map[string]string{"deployment.yaml": paymentsAPI("ghcr.io/acme/payments:crashloop-1")})
	// The deadline is three minutes and the progress deadline ten: exit 4
	// (not 3 or 5) shows the pods' crash loop ended the wait.
	r := e.deploy("-f", dir, "-timeout", "3m", "-log-lines", "5")
	assert.Equal(t, r.code, exitPodFailure, r.stdout)
	// At the third exit kubelet has written its BackOff events, but the
	// container may not read CrashLoopBackOff yet (kubelet writes the
	// reason at its next sync of the pod).
	for _, want := range []string{"crash-looping", "Back-off restarting failed container", "events:", "ci-deploy: failed (exit 4, pod-failure)"} {
		assert.Assert(t, strings.Contains(r.stdout, want), "missing %q", want)
	}
}

func TestUndoOnFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	good := writeDir(t, map[string]string{"deployment.yaml": paymentsAPI("ghcr.io/acme/payments:1.4.0")})
	assert.Equal(t, e.deploy("-f", good, "-timeout", "3m").code, exitOK)

	bad := writeDir(t, map[string]string{"deployment.yaml": paymentsAPI("ghcr.io/acme/payments:crashloop-2")})
	r := e.deploy("-f", bad, "-timeout", "3m", "-undo-on-failure")
	assert.Equal(t, r.code, exitPodFailure, "the exit code stays the failure's")
	for _, want := range []string{"deployment.apps/payments-api rolled back to revision 1", "rollback finished", "; rolled back deployment"} {
		assert.Assert(t, strings.Contains(r.stdout, want), "missing %q", want)
	}
	assert.Equal(t, e.image("payments-api"), "ghcr.io/acme/payments:1.4.0")

	// The rollback was applied as the release's own field manager: the next
	// release applies without -force-conflicts.
	fixed := writeDir(t, map[string]string{"deployment.yaml": paymentsAPI("ghcr.io/acme/payments:1.4.1")})
	r = e.deploy("-f", fixed, "-timeout", "3m")
	assert.Equal(t, r.code, exitOK, r.stdout)
	assert.Equal(t, e.image("payments-api"), "ghcr.io/acme/payments:1.4.1")
}

func TestKustomization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := writeDir(t, map[string]string{
		"base/deployment.yaml": paymentsAPI("ghcr.io/acme/payments:1.4.0"),
		"base/kustomization.yaml": `resources:
  - deployment.yaml
`,
		"prod/kustomization.yaml": `resources:
  - ../base
namePrefix: prod-
images:
  - name: ghcr.io/acme/payments
    newTag: 1.4.1
`,
	})
	r := e.deploy("-f", filepath.Join(dir, "prod"), "-timeout", "3m")
	assert.Equal(t, r.code, exitOK, r.stdout)
	assert.Assert(t, strings.Contains(r.stdout, `deployment "prod-payments-api" successfully rolled out`), r.stdout)
	assert.Equal(t, e.image("prod-payments-api"), "ghcr.io/acme/payments:1.4.1")
}

func TestGitHubFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := writeDir(t, map[string]string{"deployment.yaml": paymentsAPI("ghcr.io/acme/imagepull/payments:1.4.0")})
	r := e.deploy("-f", dir, "-timeout", "3m", "-format", "github")
	assert.Equal(t, r.code, exitPodFailure, r.stdout)
	var errorLines []string
	for l := range strings.SplitSeq(r.stdout, "\n") {
		if strings.HasPrefix(l, "::error ") {
			errorLines = append(errorLines, l)
		}
	}
	assert.Equal(t, len(errorLines), 1, r.stdout)
	assert.Assert(t, strings.HasPrefix(errorLines[0], `::error title=deployment "payments-api" failed::`), errorLines[0])
	assert.Assert(t, strings.Contains(errorLines[0], "ImagePullBackOff") || strings.Contains(errorLines[0], "ErrImagePull"), errorLines[0])
	assert.Assert(t, strings.Contains(r.stdout, "::group::evidence for deployment \"payments-api\""), r.stdout)
	assert.Assert(t, strings.Contains(r.stdout, "::endgroup::"), r.stdout)
}

func TestJSONFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := writeDir(t, map[string]string{
		"deployment.yaml": paymentsAPI("ghcr.io/acme/payments:1.4.0"),
		"service.yaml":    paymentsService,
	})
	r := e.deploy("-f", dir, "-timeout", "3m", "-format", "json")
	assert.Equal(t, r.code, exitOK, r.stdout)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	var events []map[string]any
	for _, l := range lines {
		var m map[string]any
		assert.NilError(t, json.Unmarshal([]byte(l), &m), "line %q", l)
		for _, key := range []string{"time", "elapsed_ms", "event"} {
			_, ok := m[key]
			assert.Assert(t, ok, "line %q has no %q", l, key)
		}
		_, err := time.Parse(time.RFC3339Nano, m["time"].(string))
		assert.NilError(t, err)
		events = append(events, m)
	}
	seen := map[string]bool{}
	for _, m := range events {
		seen[m["event"].(string)+" "+str(m["kind"])+" "+str(m["state"])] = true
	}
	for _, want := range []string{"apply Deployment created", "apply Service created", "ready Service Current", "ready Deployment Current"} {
		assert.Assert(t, seen[want], "no %q event in %v", want, seen)
	}
	last := events[len(events)-1]
	assert.Equal(t, last["event"], "summary")
	assert.Equal(t, last["exit_code"], float64(0))
	assert.Equal(t, last["result"], "ok")
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := writeDir(t, map[string]string{"deployment.yaml": paymentsAPI("ghcr.io/acme/payments:slow")})
	r := e.deploy("-f", dir, "-timeout", "8s", "-format", "json")
	assert.Equal(t, r.code, exitTimeout, r.stdout)
	assert.Assert(t, strings.Contains(r.stdout, `"event":"apply"`), "the apply finished within the deadline")
	assert.Assert(t, strings.Contains(r.stdout, `"result":"timeout"`), r.stdout)
	assert.Assert(t, strings.Contains(r.stdout, "timed out after"), r.stdout)
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	good := writeDir(t, map[string]string{"deployment.yaml": paymentsAPI("ghcr.io/acme/payments:1.4.0")})
	assert.Equal(t, e.deploy("-f", good, "-timeout", "3m").code, exitOK)
	next := writeDir(t, map[string]string{"deployment.yaml": paymentsAPI("ghcr.io/acme/payments:1.5.0")})
	r := e.deploy("-f", next, "-dry-run")
	assert.Equal(t, r.code, exitOK, r.stdout)
	assert.Assert(t, strings.Contains(r.stdout, "deployment.apps/payments-api configured (server dry run)"), r.stdout)
	assert.Assert(t, strings.Contains(r.stdout, "+          image: ghcr.io/acme/payments:1.5.0") ||
		strings.Contains(r.stdout, "ghcr.io/acme/payments:1.5.0"), r.stdout)
	assert.Equal(t, e.image("payments-api"), "ghcr.io/acme/payments:1.4.0", "a dry run changes nothing")
}
