package manifest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
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
// when a registry omits it, hashing the manifest from a GET). It answers
// the anonymous or basic-auth bearer-token challenge registries such as
// Docker Hub, GHCR and registry:2 send, and caches tokens per scope. The
// zero value is ready to use, anonymously, over HTTPS. A RegistryResolver
// must not be copied after first use.
type RegistryResolver struct {
	// Client sends requests; nil means http.DefaultClient.
	Client *http.Client
	// Credentials returns basic-auth credentials for a registry host
	// ("ghcr.io", "localhost:5000"); nil, or ok false, means anonymous.
	// Credentials are sent only over HTTPS unless PlainHTTP is set and
	// never appear in errors.
	Credentials func(registry string) (username, password string, ok bool)
	// PlainHTTP talks to every registry over http://; for a local
	// registry in CI.
	PlainHTTP bool

	mu     sync.Mutex
	tokens map[string]token // by realm, service and scope
}

type token struct {
	value   string
	expires time.Time
}

// Digest implements [Resolver].
func (r *RegistryResolver) Digest(ctx context.Context, img Image) (string, error) {
	if img.Tag == "" {
		return "", fmt.Errorf("image %q: %w", img.Name(), ErrNoTag)
	}
	scheme := "https"
	if r.PlainHTTP {
		scheme = "http"
	}
	host := img.Registry
	if host == "docker.io" {
		host = "registry-1.docker.io" // docker.io is the name, not the API endpoint
	}
	u := fmt.Sprintf("%s://%s/v2/%s/manifests/%s", scheme, host, img.Repository, img.Tag)
	resp, err := r.send(ctx, http.MethodHead, u, img)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if err := statusError(resp, img); err != nil {
		return "", err
	}
	d := resp.Header.Get("Docker-Content-Digest")
	if d == "" {
		if d, err = r.digestFromBody(ctx, u, img); err != nil {
			return "", err
		}
	}
	if _, err := img.WithDigest(d); err != nil {
		return "", fmt.Errorf("registry %s returned an invalid digest: %w", img.Registry, err)
	}
	return d, nil
}

func (r *RegistryResolver) digestFromBody(ctx context.Context, u string, img Image) (string, error) {
	resp, err := r.send(ctx, http.MethodGet, u, img)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if err := statusError(resp, img); err != nil {
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

func statusError(resp *http.Response, img Image) error {
	switch {
	case resp.StatusCode == http.StatusOK:
		return nil
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: registry %s has no manifest for %s:%s (HTTP 404)", ErrManifestNotFound, img.Registry, img.Repository, img.Tag)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: registry %s refused access to %s (HTTP %d); check the credentials", ErrUnauthorized, img.Registry, img.Repository, resp.StatusCode)
	default:
		return fmt.Errorf("registry %s: unexpected HTTP %d for manifest %s:%s", img.Registry, resp.StatusCode, img.Repository, img.Tag)
	}
}

func (r *RegistryResolver) client() *http.Client {
	if r.Client != nil {
		return r.Client
	}
	return http.DefaultClient
}

// send makes the request, answering one authentication challenge.
func (r *RegistryResolver) send(ctx context.Context, method, u string, img Image) (*http.Response, error) {
	var auth string
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, nil)
		if err != nil {
			return nil, fmt.Errorf("registry %s: %w", img.Registry, err)
		}
		req.Header.Set("Accept", manifestTypes)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := r.client().Do(req)
		if err != nil {
			return nil, fmt.Errorf("registry %s: %w", img.Registry, err)
		}
		if resp.StatusCode != http.StatusUnauthorized || attempt > 0 {
			return resp, nil
		}
		challenge := resp.Header.Get("WWW-Authenticate")
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if auth, err = r.authorize(ctx, challenge, img); err != nil {
			return nil, err
		}
	}
}

// authorize answers a WWW-Authenticate challenge with an Authorization value.
func (r *RegistryResolver) authorize(ctx context.Context, challenge string, img Image) (string, error) {
	scheme, params := parseChallenge(challenge)
	user, pass, hasCreds := "", "", false
	if r.Credentials != nil {
		user, pass, hasCreds = r.Credentials(img.Registry)
	}
	switch strings.ToLower(scheme) {
	case "basic":
		if !hasCreds {
			return "", fmt.Errorf("%w: registry %s requires credentials for %s (HTTP 401)", ErrUnauthorized, img.Registry, img.Repository)
		}
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)), nil
	case "bearer":
		tok, err := r.bearerToken(ctx, params, img, user, pass, hasCreds)
		if err != nil {
			return "", err
		}
		return "Bearer " + tok, nil
	default:
		return "", fmt.Errorf("%w: registry %s sent an unsupported challenge %q (HTTP 401)", ErrUnauthorized, img.Registry, scheme)
	}
}

func (r *RegistryResolver) bearerToken(ctx context.Context, params map[string]string, img Image, user, pass string, hasCreds bool) (string, error) {
	realm, err := url.Parse(params["realm"])
	if err != nil || (realm.Scheme != "https" && realm.Scheme != "http") || realm.Host == "" {
		return "", fmt.Errorf("registry %s: bearer challenge has an invalid realm %q", img.Registry, params["realm"])
	}
	if realm.Scheme == "http" && !r.PlainHTTP {
		return "", fmt.Errorf("registry %s: refusing token realm %q over plain http; set PlainHTTP to allow it", img.Registry, params["realm"])
	}
	scope := params["scope"]
	if scope == "" {
		scope = "repository:" + img.Repository + ":pull"
	}
	q := realm.Query()
	if s := params["service"]; s != "" {
		q.Set("service", s)
	}
	q.Set("scope", scope)
	realm.RawQuery = q.Encode()
	key := realm.String() + "\x00" + user

	r.mu.Lock()
	cached, ok := r.tokens[key]
	r.mu.Unlock()
	if ok && time.Now().Before(cached.expires) {
		return cached.value, nil
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, realm.String(), nil)
	if err != nil {
		return "", fmt.Errorf("registry %s: token request: %w", img.Registry, err)
	}
	if hasCreds {
		req.SetBasicAuth(user, pass)
	}
	resp, err := r.client().Do(req)
	if err != nil {
		return "", fmt.Errorf("registry %s: token request: %w", img.Registry, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%w: token service %s refused scope %q (HTTP %d)", ErrUnauthorized, realm.Host, scope, resp.StatusCode)
	}
	var body struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return "", fmt.Errorf("registry %s: token response from %s: %w", img.Registry, realm.Host, err)
	}
	tok := body.Token
	if tok == "" {
		tok = body.AccessToken
	}
	if tok == "" {
		return "", fmt.Errorf("registry %s: token response from %s has no token", img.Registry, realm.Host)
	}
	// The distribution spec's default lifetime is 60 s; renew a little early.
	life := time.Duration(max(body.ExpiresIn, 60)) * time.Second
	r.mu.Lock()
	if r.tokens == nil {
		r.tokens = map[string]token{}
	}
	r.tokens[key] = token{value: tok, expires: time.Now().Add(life - 10*time.Second)}
	r.mu.Unlock()
	return tok, nil
}

// parseChallenge splits `Bearer realm="…",service="…",scope="…"` into the
// scheme and its parameters (RFC 7235 auth-params, quoted or token values).
func parseChallenge(h string) (string, map[string]string) {
	h = strings.TrimSpace(h)
	scheme, rest, _ := strings.Cut(h, " ")
	params := map[string]string{}
	for rest = strings.TrimSpace(rest); rest != ""; {
		name, after, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		name = strings.ToLower(strings.TrimSpace(name))
		after = strings.TrimLeft(after, " ")
		var val string
		if strings.HasPrefix(after, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(after) && after[i] != '"'; i++ {
				if after[i] == '\\' && i+1 < len(after) {
					i++
				}
				b.WriteByte(after[i])
			}
			val, rest = b.String(), after[min(i+1, len(after)):]
		} else {
			val, rest, _ = strings.Cut(after, ",")
			rest = "," + rest
		}
		params[name] = strings.TrimSpace(val)
		rest = strings.TrimLeft(rest, " ,")
	}
	return scheme, params
}
