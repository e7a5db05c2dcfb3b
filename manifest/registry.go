package manifest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Registry failures callers may branch on; test with errors.Is.
var (
	// ErrManifestNotFound: the registry has no manifest for the tag.
	ErrManifestNotFound = errors.New("manifest not found")
	// ErrUnauthorized: the registry refused the (anonymous or given) credentials.
	ErrUnauthorized = errors.New("unauthorized")
)

// manifestTypes are the manifest media types a pin may resolve to. An
// index (multi-platform image) is preferred: its digest is what
// `docker pull` and the kubelet resolve a multi-arch tag to.
var manifestTypes = strings.Join([]string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
}, ", ")

// maxManifestBytes bounds a manifest read when a registry omits the
// Docker-Content-Digest header and the digest must be computed.
const maxManifestBytes = 4 << 20

// RegistryResolver resolves tags to digests with the OCI distribution API:
// HEAD /v2/<repository>/manifests/<tag>, reading Docker-Content-Digest (or,
// when a registry omits it, hashing the manifest from a GET). Registry
// access is go-containerregistry's: credentials come from Credentials, then
// Keychain (by default authn.DefaultKeychain: docker's config.json at
// $DOCKER_CONFIG or ~/.docker, with its credential helpers), challenges are
// answered with the anonymous or authenticated bearer-token flow or basic
// auth, and transient failures (5xx, 429, network errors) are retried with
// backoff. The authenticated transport is kept per repository, so a token
// is fetched once, not before every request. The zero value is ready to
// use over HTTPS. A RegistryResolver must not be copied after first use.
type RegistryResolver struct {
	// Client's Transport sends requests; nil means http.DefaultTransport.
	Client *http.Client
	// Credentials returns basic-auth credentials for a registry host
	// ("ghcr.io", "localhost:5000"); nil, or ok false, falls through to
	// Keychain. Credentials never appear in errors.
	Credentials func(registry string) (username, password string, ok bool)
	// Keychain finds credentials Credentials does not give; nil means
	// authn.DefaultKeychain.
	Keychain authn.Keychain
	// PlainHTTP talks to every registry over http://; for a local
	// registry in CI.
	PlainHTTP bool

	mu         sync.Mutex
	transports map[string]repoTransport // by registry/repository
}

// repoTransport is an authenticated transport for one repository.
type repoTransport struct {
	rt        http.RoundTripper
	anonymous bool
}

// Digest implements [Resolver].
func (r *RegistryResolver) Digest(ctx context.Context, img Image) (string, error) {
	if img.Tag == "" {
		return "", fmt.Errorf("image %q: %w", img.Name(), ErrNoTag)
	}
	rt, err := r.transport(ctx, img)
	if err != nil {
		return "", err
	}
	scheme := "https"
	if r.PlainHTTP {
		scheme = "http"
	}
	u := fmt.Sprintf("%s://%s/v2/%s/manifests/%s", scheme, registryHost(img.Registry), img.Repository, img.Tag)
	resp, err := send(ctx, rt, http.MethodHead, u, img)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if err := statusError(resp, img, rt.anonymous); err != nil {
		return "", err
	}
	d := resp.Header.Get("Docker-Content-Digest")
	if d == "" {
		if d, err = digestFromBody(ctx, rt, u, img); err != nil {
			return "", err
		}
	}
	if _, err := img.WithDigest(d); err != nil {
		return "", fmt.Errorf("registry %s returned an invalid digest: %w", img.Registry, err)
	}
	return d, nil
}

// registryHost maps docker.io, the name, to its API endpoint.
func registryHost(registry string) string {
	if registry == "docker.io" {
		return "registry-1.docker.io"
	}
	return registry
}

// transport returns the authenticated transport of img's repository,
// creating it (ping, credentials, token) on first use.
func (r *RegistryResolver) transport(ctx context.Context, img Image) (repoTransport, error) {
	key := img.Registry + "/" + img.Repository
	r.mu.Lock()
	t, ok := r.transports[key]
	r.mu.Unlock()
	if ok {
		return t, nil
	}
	var opts []name.Option
	if r.PlainHTTP {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(registryHost(img.Registry), opts...)
	if err != nil {
		return repoTransport{}, fmt.Errorf("registry %s: %w", img.Registry, err)
	}
	auth, err := authn.Resolve(ctx, r.keychain(), reg)
	if err != nil {
		return repoTransport{}, fmt.Errorf("registry %s: reading credentials: %w", img.Registry, err)
	}
	base := http.DefaultTransport
	if r.Client != nil && r.Client.Transport != nil {
		base = r.Client.Transport
	}
	base = transport.NewRetry(base, transport.WithRetryStatusCodes(http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout))
	rt, err := transport.NewWithContext(ctx, reg, auth, base, []string{reg.Repo(img.Repository).Scope(transport.PullScope)})
	if err != nil {
		return repoTransport{}, r.authError(err, img, auth == authn.Anonymous)
	}
	t = repoTransport{rt: rt, anonymous: auth == authn.Anonymous}
	r.mu.Lock()
	if r.transports == nil {
		r.transports = map[string]repoTransport{}
	}
	r.transports[key] = t
	r.mu.Unlock()
	return t, nil
}

func (r *RegistryResolver) keychain() authn.Keychain {
	kc := r.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	if r.Credentials == nil {
		return kc
	}
	return authn.NewMultiKeychain(credentialsKeychain(r.Credentials), kc)
}

// credentialsKeychain adapts RegistryResolver.Credentials.
type credentialsKeychain func(registry string) (string, string, bool)

func (f credentialsKeychain) Resolve(res authn.Resource) (authn.Authenticator, error) {
	host := res.RegistryStr()
	if host == "index.docker.io" || host == "registry-1.docker.io" {
		host = "docker.io"
	}
	if u, p, ok := f(host); ok {
		return authn.FromConfig(authn.AuthConfig{Username: u, Password: p}), nil
	}
	return authn.Anonymous, nil
}

// authError explains a failure to authenticate.
func (r *RegistryResolver) authError(err error, img Image, anonymous bool) error {
	var te *transport.Error
	if errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
		if anonymous {
			return fmt.Errorf("%w: registry %s requires credentials for %s (HTTP %d)", ErrUnauthorized, img.Registry, img.Repository, te.StatusCode)
		}
		return fmt.Errorf("%w: registry %s refused the credentials for %s (HTTP %d); check them", ErrUnauthorized, img.Registry, img.Repository, te.StatusCode)
	}
	return fmt.Errorf("registry %s: %w", img.Registry, err)
}

func digestFromBody(ctx context.Context, rt repoTransport, u string, img Image) (string, error) {
	resp, err := send(ctx, rt, http.MethodGet, u, img)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if err := statusError(resp, img, rt.anonymous); err != nil {
		return "", err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxManifestBytes+1))
	if err != nil {
		return "", fmt.Errorf("read manifest of %s: %w", img, err)
	}
	if len(body) > maxManifestBytes {
		return "", fmt.Errorf("manifest of %s is larger than %d bytes", img, maxManifestBytes)
	}
	sum := sha256.Sum256(body)
	computed := "sha256:" + hex.EncodeToString(sum[:])
	if h := resp.Header.Get("Docker-Content-Digest"); h != "" && strings.HasPrefix(h, "sha256:") && h != computed {
		return "", fmt.Errorf("manifest of %s: registry says digest %s but the content hashes to %s", img, h, computed)
	}
	return computed, nil
}

func statusError(resp *http.Response, img Image, anonymous bool) error {
	switch {
	case resp.StatusCode == http.StatusOK:
		return nil
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: registry %s has no manifest for %s:%s (HTTP 404)", ErrManifestNotFound, img.Registry, img.Repository, img.Tag)
	case (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) && anonymous:
		return fmt.Errorf("%w: registry %s requires credentials for %s (HTTP %d)", ErrUnauthorized, img.Registry, img.Repository, resp.StatusCode)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: registry %s refused access to %s (HTTP %d); check the credentials", ErrUnauthorized, img.Registry, img.Repository, resp.StatusCode)
	default:
		return fmt.Errorf("registry %s: unexpected HTTP %d for manifest %s:%s", img.Registry, resp.StatusCode, img.Repository, img.Tag)
	}
}

// send makes one request through the repository's authenticated transport
// (which answers challenges and retries transient failures).
func send(ctx context.Context, rt repoTransport, method, u string, img Image) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", img.Registry, err)
	}
	req.Header.Set("Accept", manifestTypes)
	resp, err := (&http.Client{Transport: rt.rt}).Do(req)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && (te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden) {
			return nil, statusError(&http.Response{StatusCode: te.StatusCode}, img, rt.anonymous)
		}
		return nil, fmt.Errorf("registry %s: %w", img.Registry, err)
	}
	return resp, nil
}
