package manifest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/testregistry"
)

// authedRegistry is a real registry (go-containerregistry's) behind a
// token service, holding the stand-in base image at base/python:3.12.
func authedRegistry(t *testing.T, opts testregistry.Options) (*testregistry.Registry, string) {
	t.Helper()
	opts.User, opts.Password = "ci", "s3cret-pass"
	reg := testregistry.StartT(t, opts)
	pinned, err := reg.PushStandInBase(context.Background(), "base/python", "3.12",
		remote.WithAuth(&authn.Basic{Username: opts.User, Password: opts.Password}))
	assert.NilError(t, err)
	return reg, pinned[strings.Index(pinned, "@")+1:]
}

// dockerConfig writes a docker config.json into a fresh DOCKER_CONFIG.
func dockerConfig(t *testing.T, content string) {
	t.Helper()
	dir := t.TempDir()
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(content), 0o600))
	t.Setenv("DOCKER_CONFIG", dir)
}

func TestRegistryResolverDockerConfig(t *testing.T) {
	reg, digest := authedRegistry(t, testregistry.Options{})
	img := mustImage(t, reg.Ref("base/python", ":3.12"))
	ctx := context.Background()

	// No credentials anywhere: the registry asks for them.
	dockerConfig(t, `{}`)
	_, err := (&RegistryResolver{PlainHTTP: true}).Digest(ctx, img)
	assert.Assert(t, errors.Is(err, ErrUnauthorized), "%v", err)
	assert.ErrorContains(t, err, "requires credentials for base/python")

	// docker login's config.json.
	auth := base64.StdEncoding.EncodeToString([]byte("ci:s3cret-pass"))
	dockerConfig(t, fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg.Host, auth))
	reg.ResetLog()
	res := &RegistryResolver{PlainHTTP: true}
	for range 3 {
		d, err := res.Digest(ctx, img)
		assert.NilError(t, err)
		assert.Equal(t, d, digest)
	}
	assert.Equal(t, reg.TokenRequests(), 1, "one token for the repository")

	// Wrong credentials are refused and never printed.
	bad := base64.StdEncoding.EncodeToString([]byte("ci:wrong-pass"))
	dockerConfig(t, fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg.Host, bad))
	_, err = (&RegistryResolver{PlainHTTP: true}).Digest(ctx, img)
	assert.Assert(t, errors.Is(err, ErrUnauthorized), "%v", err)
	assert.Assert(t, !strings.Contains(err.Error(), "wrong-pass"), "%v", err)
}

func TestRegistryResolverCredentialHelper(t *testing.T) {
	reg, digest := authedRegistry(t, testregistry.Options{})
	// A credential helper is a program docker-credential-<name> on PATH that
	// answers "get" with JSON (the docker-credential-helpers protocol).
	bin := t.TempDir()
	helper := "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\n" +
		"printf '{\"ServerURL\":\"%s\",\"Username\":\"ci\",\"Secret\":\"s3cret-pass\"}' \"$server\"\n"
	assert.NilError(t, os.WriteFile(filepath.Join(bin, "docker-credential-pydeploytest"), []byte(helper), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	dockerConfig(t, fmt.Sprintf(`{"credHelpers": {%q: "pydeploytest"}}`, reg.Host))
	d, err := (&RegistryResolver{PlainHTTP: true}).Digest(context.Background(), mustImage(t, reg.Ref("base/python", ":3.12")))
	assert.NilError(t, err)
	assert.Equal(t, d, digest)
}

func TestRegistryResolverAnonymousPullAndRetries(t *testing.T) {
	reg, digest := authedRegistry(t, testregistry.Options{AnonymousPull: true, FailManifests: 2})
	res := &RegistryResolver{PlainHTTP: true, Keychain: authn.NewMultiKeychain()} // no credentials at all
	d, err := res.Digest(context.Background(), mustImage(t, reg.Ref("base/python", ":3.12")))
	assert.NilError(t, err)
	assert.Equal(t, d, digest)
	failed := 0
	for _, r := range reg.Requests() {
		if r.Status == 503 {
			failed++
		}
	}
	assert.Equal(t, failed, 2, "the injected 503s were retried: %+v", reg.Requests())
}
