package image

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pydeploy/pydeploy/manifest"
)

// Remote says how to talk to registries. The zero value uses the docker
// credentials of the machine (authn.DefaultKeychain: ~/.docker/config.json
// or $DOCKER_CONFIG, with credential helpers), HTTPS (plain HTTP for
// localhost and 127.0.0.1, as docker does) and go-containerregistry's
// retries of transient failures.
type Remote struct {
	// Keychain finds credentials per registry; nil means
	// authn.DefaultKeychain.
	Keychain authn.Keychain
	// Transport sends requests; nil means remote.DefaultTransport.
	Transport http.RoundTripper
	// Insecure talks plain HTTP to every registry (for a CI registry on a
	// private address).
	Insecure bool
}

func (r Remote) options(ctx context.Context) []remote.Option {
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithUserAgent("pydeploy")}
	if r.Transport != nil {
		opts = append(opts, remote.WithTransport(r.Transport))
	}
	return opts
}

func (r Remote) nameOptions() []name.Option {
	if r.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (r Remote) reference(ref string) (name.Reference, error) {
	return name.ParseReference(ref, r.nameOptions()...)
}

func (r Remote) get(ctx context.Context, ref string) (*remote.Descriptor, error) {
	n, err := r.reference(ref)
	if err != nil {
		return nil, err
	}
	return remote.Get(n, r.options(ctx)...)
}

// Push writes the built image (or index) to ref, a tag such as
// "ghcr.io/acme/payments:3f2c1d07a9b8", and returns the reference pinned
// to the pushed digest. Layers the registry has are not uploaded again.
func (b *Built) Push(ctx context.Context, ref string, r Remote) (manifest.Image, error) {
	tag, err := name.NewTag(ref, r.nameOptions()...)
	if err != nil {
		return manifest.Image{}, fmt.Errorf("image: push: %q is not a tag reference: %w", ref, err)
	}
	if b.Index != nil {
		err = remote.WriteIndex(tag, b.Index, r.options(ctx)...)
	} else {
		err = remote.Write(tag, b.Image, r.options(ctx)...)
	}
	if err != nil {
		return manifest.Image{}, fmt.Errorf("image: push %s: %w", ref, err)
	}
	return manifest.ParseImage(ref + "@" + b.Digest.String())
}
