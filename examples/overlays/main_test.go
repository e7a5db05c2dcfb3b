package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"

	"github.com/pydeploy/pydeploy/manifest"
)

func TestOverlays(t *testing.T) {
	var first, second bytes.Buffer
	assert.NilError(t, run(context.Background(), "all", t.TempDir(), &first))
	assert.NilError(t, run(context.Background(), "all", "", &second))
	assert.Equal(t, first.String(), second.String(), "same base, same overlays, same bytes")
	golden.Assert(t, first.String(), "overlays.golden")

	staging, production, ok := strings.Cut(first.String(), "# overlays/production\n")
	assert.Assert(t, ok)
	assert.Check(t, is.Contains(staging, "namespace: shop-staging"))
	assert.Check(t, is.Contains(staging, "replicas: 2"))
	assert.Check(t, is.Contains(staging, "image: ghcr.io/acme/payments:rc-3f2c1d07a9b8"))
	assert.Check(t, is.Contains(production, "replicas: 5"))
	assert.Check(t, is.Contains(production, "@"+productionDigest))
	assert.Check(t, is.Contains(production, "memory: 1Gi"))

	// Both overlays parse strictly back into objects.
	for _, doc := range []string{staging, production} {
		_, err := manifest.Parse(strings.NewReader(doc), manifest.ParseOptions{})
		assert.NilError(t, err)
	}
}

func TestUnknownEnv(t *testing.T) {
	err := run(context.Background(), "qa", "", &bytes.Buffer{})
	assert.ErrorContains(t, err, `-env "qa": want staging, production or all`)
}
