package testregistry

import (
	"context"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"gotest.tools/v3/assert"
)

func TestStandInBaseIsTheSameEverywhere(t *testing.T) {
	idx, err := StandInBase()
	assert.NilError(t, err)
	d, err := idx.Digest()
	assert.NilError(t, err)
	// A constant: the base (and so every image built on it in tests) has
	// the same digest on every machine.
	assert.Equal(t, d.String(), "sha256:9d2c991073d307d6683e01ff336e9d9dc464438a60b8f309ce435645eeb3df60")
}

func TestTokenService(t *testing.T) {
	ctx := context.Background()
	reg := StartT(t, Options{User: "ci", Password: "pw", AnonymousPull: true})
	creds := remote.WithAuth(&authn.Basic{Username: "ci", Password: "pw"})
	// Anonymous pushes are refused; authenticated ones succeed.
	_, err := reg.PushStandInBase(ctx, "base/python", "3.12", remote.WithAuthFromKeychain(authn.NewMultiKeychain()))
	assert.ErrorContains(t, err, "UNAUTHORIZED")
	pinned, err := reg.PushStandInBase(ctx, "base/python", "3.12", creds)
	assert.NilError(t, err)
	// Anonymous pulls get a pull token.
	ref, err := name.ParseReference(pinned)
	assert.NilError(t, err)
	_, err = remote.Index(ref, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.NewMultiKeychain()))
	assert.NilError(t, err)
	for _, r := range reg.Requests() {
		assert.Assert(t, r.Auth != "Basic" || r.Path == "/token", "basic credentials sent to the registry itself: %+v", r)
	}
	// Without anonymous pulls, pulling needs credentials too.
	private := StartT(t, Options{User: "ci", Password: "pw"})
	pinned, err = private.PushStandInBase(ctx, "base/python", "3.12", creds)
	assert.NilError(t, err)
	ref, err = name.ParseReference(pinned)
	assert.NilError(t, err)
	_, err = remote.Index(ref, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.NewMultiKeychain()))
	assert.ErrorContains(t, err, "UNAUTHORIZED")
}
