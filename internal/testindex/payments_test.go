package testindex

import (
	"testing"

	"gotest.tools/v3/assert"
)

func TestPaymentsIndexIsConsistent(t *testing.T) {
	ix := Payments()
	assert.NilError(t, ix.Check())
	srv, err := Start(ix, Options{})
	assert.NilError(t, err)
	defer srv.Close()
	for _, name := range ix.Names() {
		p := ix.Project(name)
		assert.Assert(t, p != nil, name)
	}
	// Every file but the ones meant to be after the cut-off predates it.
	late := 0
	for _, name := range ix.Names() {
		for _, v := range ix.Project(name).Versions {
			if !v.UploadTime.Before(PaymentsExcludeNewer) {
				late++
			}
		}
	}
	assert.Equal(t, late, 1, "only fastapi 0.115.2 is after the cut-off")
}
