package manifest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"gotest.tools/v3/assert"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// testRegistry is a small OCI distribution server: manifests by tag behind
// a bearer-token (or basic) challenge, as registry:2 and GHCR do.
type testRegistry struct {
	srv         *httptest.Server
	manifests   map[string]string // "repo:tag" -> manifest body
	user, pass  string            // required by the token service when set
	basic       bool              // challenge with Basic instead of Bearer
	omitDigest  bool              // HEAD/GET without Docker-Content-Digest
	badDigest   bool              // send a malformed Docker-Content-Digest
	tokenCalls  atomic.Int32
	requests    atomic.Int32
	lastAccept  atomic.Value
	issuedToken string
	realm       string // token realm; default <server>/token
}

func newTestRegistry(t *testing.T, tls bool, configure func(*testRegistry)) *testRegistry {
	r := &testRegistry{
		manifests: map[string]string{
			"acme/web:1.0":  `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`,
			"acme/init:2.1": `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}`,
		},
		issuedToken: "tok-123",
	}
	if configure != nil {
		configure(r)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /token", r.token)
	mux.HandleFunc("/v2/", r.manifest)
	if tls {
		r.srv = httptest.NewTLSServer(mux)
	} else {
		r.srv = httptest.NewServer(mux)
	}
	t.Cleanup(r.srv.Close)
	return r
}

func (r *testRegistry) host() string { return r.srv.Listener.Addr().String() }

func (r *testRegistry) resolver(creds bool) *RegistryResolver {
	res := &RegistryResolver{Client: r.srv.Client(), PlainHTTP: r.srv.TLS == nil}
	if creds {
		res.Credentials = func(registry string) (string, string, bool) {
			if registry != r.host() {
				return "", "", false
			}
			return "ci", "s3cret", true
		}
	}
	return res
}

func (r *testRegistry) token(w http.ResponseWriter, req *http.Request) {
	r.tokenCalls.Add(1)
	if req.URL.Query().Get("service") != "test-registry" || !strings.HasPrefix(req.URL.Query().Get("scope"), "repository:acme/") {
		http.Error(w, "bad token request", http.StatusBadRequest)
		return
	}
	if r.user != "" {
		u, p, ok := req.BasicAuth()
		if !ok || u != r.user || p != r.pass {
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
			return
		}
	}
	fmt.Fprintf(w, `{"token":%q,"expires_in":300}`, r.issuedToken)
}

func (r *testRegistry) manifest(w http.ResponseWriter, req *http.Request) {
	r.requests.Add(1)
	repo, tag, ok := strings.Cut(strings.TrimPrefix(req.URL.Path, "/v2/"), "/manifests/")
	if !ok && req.URL.Path != "/v2/" {
		http.NotFound(w, req)
		return
	}
	if !r.authorized(req) {
		if r.basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		} else {
			realm := r.realm
			if realm == "" {
				realm = r.srv.URL + "/token"
			}
			challenge := fmt.Sprintf(`Bearer realm="%s",service="test-registry"`, realm)
			if repo != "" {
				challenge += fmt.Sprintf(`,scope="repository:%s:pull"`, repo)
			}
			w.Header().Set("WWW-Authenticate", challenge)
		}
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
		return
	}
	if req.URL.Path == "/v2/" {
		return // the version check: authorized
	}
	r.lastAccept.Store(req.Header.Get("Accept"))
	body, found := r.manifests[repo+":"+tag]
	if !found {
		http.Error(w, `{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`, http.StatusNotFound)
		return
	}
	sum := sha256.Sum256([]byte(body))
	switch {
	case r.badDigest:
		w.Header().Set("Docker-Content-Digest", "sha256:not-hex")
	case !r.omitDigest:
		w.Header().Set("Docker-Content-Digest", "sha256:"+hex.EncodeToString(sum[:]))
	}
	w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
	if req.Method == http.MethodGet {
		fmt.Fprint(w, body)
	}
}

func (r *testRegistry) authorized(req *http.Request) bool {
	if r.basic {
		u, p, ok := req.BasicAuth()
		return ok && u == r.user && p == r.pass
	}
	return req.Header.Get("Authorization") == "Bearer "+r.issuedToken
}

func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func mustImage(t *testing.T, ref string) Image {
	t.Helper()
	img, err := ParseImage(ref)
	assert.NilError(t, err)
	return img
}

func TestRegistryResolverAnonymousToken(t *testing.T) {
	reg := newTestRegistry(t, true, nil)
	res := reg.resolver(false)
	ctx := t.Context()
	img := mustImage(t, reg.host()+"/acme/web:1.0")
	for range 3 {
		d, err := res.Digest(ctx, img)
		assert.NilError(t, err)
		assert.Equal(t, d, digestOf(reg.manifests["acme/web:1.0"]))
	}
	assert.Equal(t, reg.tokenCalls.Load(), int32(1), "the token must be cached per scope")
	// After the first resolve, each one is a single authorized HEAD: no
	// unauthenticated request before every cached token.
	before := reg.requests.Load()
	_, err := res.Digest(ctx, img)
	assert.NilError(t, err)
	assert.Equal(t, reg.requests.Load()-before, int32(1))
	assert.Assert(t, strings.HasPrefix(reg.lastAccept.Load().(string), "application/vnd.oci.image.index.v1+json"))

	pinned, err := PinImage(ctx, img, res)
	assert.NilError(t, err)
	assert.Equal(t, pinned.String(), reg.host()+"/acme/web:1.0@"+digestOf(reg.manifests["acme/web:1.0"]))
}

func TestRegistryResolverCredentials(t *testing.T) {
	reg := newTestRegistry(t, true, func(r *testRegistry) { r.user, r.pass = "ci", "s3cret" })
	img := mustImage(t, reg.host()+"/acme/web:1.0")

	_, err := reg.resolver(false).Digest(t.Context(), img)
	assert.Assert(t, errors.Is(err, ErrUnauthorized), "%v", err)

	d, err := reg.resolver(true).Digest(t.Context(), img)
	assert.NilError(t, err)
	assert.Equal(t, d, digestOf(reg.manifests["acme/web:1.0"]))

	reg.pass = "rotated"
	_, err = reg.resolver(true).Digest(t.Context(), img)
	assert.Assert(t, errors.Is(err, ErrUnauthorized), "%v", err)
	assert.Assert(t, !strings.Contains(err.Error(), "s3cret"), "credentials leaked: %v", err)
}

func TestRegistryResolverBasicChallengeOverPlainHTTP(t *testing.T) {
	reg := newTestRegistry(t, false, func(r *testRegistry) { r.basic, r.user, r.pass = true, "ci", "s3cret" })
	img := mustImage(t, reg.host()+"/acme/init:2.1")
	d, err := reg.resolver(true).Digest(t.Context(), img)
	assert.NilError(t, err)
	assert.Equal(t, d, digestOf(reg.manifests["acme/init:2.1"]))
	_, err = reg.resolver(false).Digest(t.Context(), img)
	assert.ErrorContains(t, err, "requires credentials")
}

func TestRegistryResolverErrors(t *testing.T) {
	reg := newTestRegistry(t, true, nil)
	_, err := reg.resolver(false).Digest(t.Context(), mustImage(t, reg.host()+"/acme/web:9.9"))
	assert.Assert(t, errors.Is(err, ErrManifestNotFound), "%v", err)
	assert.Error(t, err, fmt.Sprintf("manifest not found: registry %s has no manifest for acme/web:9.9 (HTTP 404)", reg.host()))

	bad := newTestRegistry(t, true, func(r *testRegistry) { r.badDigest = true })
	_, err = bad.resolver(false).Digest(t.Context(), mustImage(t, bad.host()+"/acme/web:1.0"))
	assert.ErrorContains(t, err, "returned an invalid digest")

	// Plain HTTP realms are refused when talking HTTPS: the token could leak.
	downgrade := newTestRegistry(t, true, func(r *testRegistry) { r.realm = "http://127.0.0.1:9/token" })
	_, err = downgrade.resolver(true).Digest(t.Context(), mustImage(t, downgrade.host()+"/acme/web:1.0"))
	assert.ErrorContains(t, err, `realm scheme "http" not allowed for a secure registry`)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = reg.resolver(false).Digest(ctx, mustImage(t, reg.host()+"/acme/web:1.0"))
	assert.Assert(t, errors.Is(err, context.Canceled), "%v", err)
}

func TestRegistryResolverHashesWhenDigestHeaderMissing(t *testing.T) {
	reg := newTestRegistry(t, true, func(r *testRegistry) { r.omitDigest = true })
	d, err := reg.resolver(false).Digest(t.Context(), mustImage(t, reg.host()+"/acme/web:1.0"))
	assert.NilError(t, err)
	assert.Equal(t, d, digestOf(reg.manifests["acme/web:1.0"]))
}

// tableResolver resolves from a map and counts calls.
type tableResolver struct {
	digests map[string]string
	calls   int
}

func (r *tableResolver) Digest(_ context.Context, img Image) (string, error) {
	r.calls++
	d, ok := r.digests[img.String()]
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrManifestNotFound, img)
	}
	return d, nil
}

func TestPinImageAlreadyPinned(t *testing.T) {
	r := &tableResolver{}
	img := mustImage(t, "ghcr.io/acme/web:1.0@"+testDigest)
	got, err := PinImage(t.Context(), img, r)
	assert.NilError(t, err)
	assert.DeepEqual(t, got, img)
	assert.Equal(t, r.calls, 0)

	_, err = PinImage(t.Context(), mustImage(t, "ghcr.io/acme/web:1.0"), &tableResolver{digests: map[string]string{"ghcr.io/acme/web:1.0": "md5:abc"}})
	assert.ErrorContains(t, err, "resolver returned an invalid digest")
}

func TestPinObjects(t *testing.T) {
	reg := newTestRegistry(t, true, nil)
	web, initImg := reg.host()+"/acme/web:1.0", reg.host()+"/acme/init:2.1"
	objs := service("web", "shop", web)
	d := objs[0].(*appsv1.Deployment)
	d.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: initImg}}
	cron := &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: "cleanup", Namespace: "shop"},
	}
	cron.Spec.JobTemplate.Spec.Template.Spec.Containers = []corev1.Container{{Name: "job", Image: web}}
	objs = append(objs, cron)

	assert.NilError(t, PinObjects(t.Context(), objs, reg.resolver(false)))
	assert.Equal(t, d.Spec.Template.Spec.Containers[0].Image, web+"@"+digestOf(reg.manifests["acme/web:1.0"]))
	assert.Equal(t, d.Spec.Template.Spec.InitContainers[0].Image, initImg+"@"+digestOf(reg.manifests["acme/init:2.1"]))
	assert.Equal(t, cron.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image, web+"@"+digestOf(reg.manifests["acme/web:1.0"]))

	// One image that cannot be resolved leaves every object as it was.
	fresh := service("api", "shop", web)
	missing := service("db", "shop", reg.host()+"/acme/db:5")
	all := append(fresh, missing...)
	err := PinObjects(t.Context(), all, reg.resolver(false))
	assert.Assert(t, errors.Is(err, ErrManifestNotFound), "%v", err)
	assert.ErrorContains(t, err, `Deployment "shop/db": container "app"`)
	assert.Equal(t, fresh[0].(*appsv1.Deployment).Spec.Template.Spec.Containers[0].Image, web)

	// Unpinnable references are refused before any network call.
	r := &tableResolver{}
	err = PinObjects(t.Context(), []runtime.Object{service("x", "shop", "nginx:latest")[0]}, r)
	assert.Assert(t, errors.Is(err, ErrLatestTag), "%v", err)
	assert.Equal(t, r.calls, 0)
}

func TestPinObjectsUnstructured(t *testing.T) {
	u := toUnstructuredObj(t, service("web", "shop", "ghcr.io/acme/web:1.0")[0])
	u.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["resources"] =
		map[string]any{"requests": map[string]any{"cpu": "1000m"}}
	r := &tableResolver{digests: map[string]string{"ghcr.io/acme/web:1.0": testDigest}}
	assert.NilError(t, PinObjects(t.Context(), []runtime.Object{u}, r))
	c := u.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	assert.Equal(t, c["image"], "ghcr.io/acme/web:1.0@"+testDigest)
	// Fields pinning does not own are kept exactly as written.
	assert.DeepEqual(t, c["resources"], map[string]any{"requests": map[string]any{"cpu": "1000m"}})
}
