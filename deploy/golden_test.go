package deploy_test

import (
	"testing"

	"gotest.tools/v3/assert"
)

func TestGolden_PaymentsAPI(t *testing.T) {
	t.Parallel()
	b := mustBuild(t, payments())
	out := render(t, b.Objects())
	goldenFile(t, "payments-api.golden", out)
	again := render(t, mustBuild(t, payments()).Objects())
	assert.Equal(t, string(out), string(again), "two builds of the same spec must render byte-identical YAML")
}
