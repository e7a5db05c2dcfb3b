package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/pydeploy/pydeploy/deploy"
	"github.com/pydeploy/pydeploy/manifest"
)

func renderOnly(t *testing.T, o options) (string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	o.renderOnly = true
	if o.namespace == "" {
		o.namespace = "shop"
	}
	err := run(context.Background(), o, &stdout, &stderr)
	assert.NilError(t, err, stderr.String())
	return stdout.String(), stderr.String()
}

// The README's first command prints byte-identical YAML on every run: the
// lock is deterministic (fixed exclude-newer, a stable index URL) and so is
// the stamp.
func TestRenderOnlyIsByteStable(t *testing.T) {
	first, story := renderOnly(t, options{})
	second, _ := renderOnly(t, options{})
	assert.Equal(t, first, second)
	golden.Assert(t, first, "payments-api.yaml")
	assert.Check(t, is.Contains(story, "locked 20 packages for cp312-manylinux_2_36_x86_64"))
	assert.Check(t, is.Contains(story, "fastapi==0.112.2"), "fastapi 0.115.2 is after the exclude-newer cut-off")
}

// The printed objects pass strict decoding and client-go's embedded schema.
func TestRenderOnlyPassesStrictParseAndSchema(t *testing.T) {
	out, _ := renderOnly(t, options{})
	objs, err := manifest.Parse(strings.NewReader(out), manifest.ParseOptions{})
	assert.NilError(t, err)
	var kinds []string
	for _, o := range objs {
		assert.NilError(t, deploy.ValidateStructure(o))
		kinds = append(kinds, o.GetObjectKind().GroupVersionKind().Kind)
	}
	assert.DeepEqual(t, kinds, []string{"ServiceAccount", "NetworkPolicy", "Service", "Deployment", "PodDisruptionBudget"})
	for _, o := range objs {
		st, err := manifest.ReadStamp(o)
		assert.NilError(t, err)
		assert.Equal(t, st.GitSHA, demoSHA)
		assert.Assert(t, strings.HasPrefix(st.LockHash, "sha256:"))
	}
}

// -o DIR writes the manifests as a kustomize base and the lock beside them.
func TestRenderOnlyToDir(t *testing.T) {
	dir := t.TempDir()
	out, _ := renderOnly(t, options{outDir: dir})
	assert.Equal(t, out, "")
	for _, f := range []string{"kustomization.yaml", "deployment-payments-api.yaml", "pylock.payments-api.toml", "pyproject.toml"} {
		_, err := os.Stat(filepath.Join(dir, f))
		assert.NilError(t, err, f)
	}
}

// payments-api's image is built from its lock and pushed; two runs, each in
// fresh directories with fresh caches and registries, give the same digest,
// and the rendered Deployment runs the image by that digest.
func TestImageIsReproducibleAndPinned(t *testing.T) {
	out, story := renderOnly(t, options{})
	_, again := renderOnly(t, options{})
	digest := func(story string) string {
		_, after, ok := strings.Cut(story, "pushed ghcr.io/acme/payments:"+demoSHA+"@")
		assert.Assert(t, ok, story)
		return strings.Fields(after)[0]
	}
	d := digest(story)
	assert.Equal(t, digest(again), d)
	assert.Check(t, is.Contains(story, "image-check: the pushed image holds exactly the 20 locked packages, every RECORD hash matches"))
	assert.Check(t, is.Contains(story, "entrypoint gunicorn --bind 0.0.0.0:8000"))
	objs, err := manifest.Parse(strings.NewReader(out), manifest.ParseOptions{})
	assert.NilError(t, err)
	var dep *appsv1.Deployment
	for _, o := range objs {
		if d, ok := o.(*appsv1.Deployment); ok {
			dep = d
		}
	}
	assert.Assert(t, dep != nil, "no Deployment in the output")
	assert.Equal(t, dep.Spec.Template.Spec.Containers[0].Image, "ghcr.io/acme/payments:"+demoSHA+"@"+d)
	st, err := manifest.ReadStamp(dep)
	assert.NilError(t, err)
	assert.Equal(t, st.ImageDigest, d)
}

func TestUnsetGitSHAUsesTheDemoCommit(t *testing.T) {
	t.Setenv("GIT_SHA", "")
	_, story := renderOnly(t, options{})
	assert.Check(t, is.Contains(story, "GIT_SHA is not set"))
}

// The whole story on the embedded control plane: apply and wait, a broken
// revision stopped within seconds with its evidence, and the undo restoring
// the previous image and lock hash.
func TestWholeStory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, options{namespace: "shop", timeout: 2 * time.Minute}, &stdout, &stderr)
	story := stderr.String()
	assert.NilError(t, err, story)
	for _, want := range []string{
		`deployment "payments-api" successfully rolled out`,
		"the waiter stopped the rollout after",
		"(reason PodCrashLooping;",
		"KeyError: 'DATABASE_URL'",
		"deployment.apps/payments-api rolled back",
		"restored stamp: git 3f2c1d07a9b8",
		"the pods run the previous digest again: sha256:",
		"release 9d8e7f6a5b4c",
	} {
		assert.Check(t, is.Contains(story, want))
	}
}
