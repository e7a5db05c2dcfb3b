// Package testregistry runs a real OCI distribution registry on 127.0.0.1
// for tests and the examples: go-containerregistry's pkg/registry (the
// in-memory registry crane and ko test against), optionally behind a
// bearer-token service that works like Docker Hub's and registry:2's —
// a 401 challenge naming the realm, service and scope, a token endpoint
// that checks basic-auth credentials and grants pull and push per
// repository, anonymous pull tokens when allowed. A request log, counters
// and injected 5xx answers let tests assert caching, authentication and
// retries.
//
// StandInBase builds the base image the tests and the quickstart use,
// because there is no Docker engine and no internet here to pull
// python:3.12-slim from. It is plainly a stand-in: one layer with
// /etc/passwd, /etc/group (root and the app user 10001), /tmp and an empty
// /usr/local/bin, and no Python interpreter, so images built on it can be
// assembled, pushed, pinned and verified but not run.
package testregistry

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Options configure a Registry. The zero value serves without
// authentication.
type Options struct {
	// User and Password, when User is set, are the credentials the token
	// service accepts; every registry request then needs a bearer token.
	User, Password string
	// AnonymousPull grants pull tokens without credentials (pushing still
	// needs them), as public repositories on Docker Hub do.
	AnonymousPull bool
	// FailManifests answers the first FailManifests manifest requests with
	// 503 Service Unavailable, to exercise retries.
	FailManifests int
}

// Request is one entry of the request log. Credentials are never recorded.
type Request struct {
	Method, Path string
	// Auth is the scheme of the Authorization header sent ("Basic",
	// "Bearer" or "").
	Auth   string
	Status int
}

// Registry is a running registry.
type Registry struct {
	// Host is "127.0.0.1:<port>", the registry part of image references.
	Host string
	// URL is "http://127.0.0.1:<port>".
	URL string

	opts Options
	srv  *http.Server
	reg  http.Handler
	done chan struct{}

	mu          sync.Mutex
	tokens      map[string]map[string]bool // token -> "repo:action" grants
	log         []Request
	tokenCalls  int
	failedSoFar int
}

// Start serves a registry on a free port of 127.0.0.1 until Close.
func Start(opts Options) (*Registry, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testregistry: listening on 127.0.0.1: %w", err)
	}
	r := &Registry{Host: ln.Addr().String(), opts: opts, done: make(chan struct{}), tokens: map[string]map[string]bool{},
		reg: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	r.URL = "http://" + r.Host
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(r.done)
		_ = r.srv.Serve(ln)
	}()
	return r, nil
}

// StartT starts a registry for a test and closes it when the test ends.
func StartT(tb testing.TB, opts Options) *Registry {
	tb.Helper()
	r, err := Start(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(r.Close)
	return r
}

// Close stops the server.
func (r *Registry) Close() {
	_ = r.srv.Close()
	<-r.done
}

// Ref returns "<host>/<repository>" plus suffix (":tag" or "@sha256:…").
func (r *Registry) Ref(repository, suffix string) string { return r.Host + "/" + repository + suffix }

// Requests returns a copy of the request log.
func (r *Registry) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.log...)
}

// TokenRequests is how many times the token endpoint was called.
func (r *Registry) TokenRequests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tokenCalls
}

// ResetLog empties the request log and the counters.
func (r *Registry) ResetLog() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log, r.tokenCalls = nil, 0
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP routes to the token service or the registry.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	scheme, _, _ := strings.Cut(req.Header.Get("Authorization"), " ")
	defer func() {
		r.mu.Lock()
		r.log = append(r.log, Request{Method: req.Method, Path: req.URL.Path, Auth: scheme, Status: sw.status})
		r.mu.Unlock()
	}()
	if req.URL.Path == "/token" {
		r.token(sw, req)
		return
	}
	if r.fail(req) {
		http.Error(sw, `{"errors":[{"code":"UNAVAILABLE","message":"injected fault"}]}`, http.StatusServiceUnavailable)
		return
	}
	if r.opts.User != "" {
		repo, action := scope(req)
		if !r.allowed(req, repo, action) {
			challenge := fmt.Sprintf(`Bearer realm="%s/token",service="testregistry"`, r.URL)
			if repo != "" {
				challenge += fmt.Sprintf(`,scope="repository:%s:%s"`, repo, action)
			}
			sw.Header().Set("WWW-Authenticate", challenge)
			http.Error(sw, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
	}
	r.reg.ServeHTTP(sw, req)
}

func (r *Registry) fail(req *http.Request) bool {
	if !strings.Contains(req.URL.Path, "/manifests/") {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failedSoFar < r.opts.FailManifests {
		r.failedSoFar++
		return true
	}
	return false
}

// scope is the repository and action ("pull" or "push") a request needs;
// "" for the /v2/ version check.
func scope(req *http.Request) (repo, action string) {
	p := strings.TrimPrefix(req.URL.Path, "/v2/")
	for _, sep := range []string{"/manifests/", "/blobs/", "/tags/", "/referrers/"} {
		if before, _, ok := strings.Cut(p, sep); ok {
			repo = before
			break
		}
	}
	action = "pull"
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		action = "push"
	}
	return repo, action
}

func (r *Registry) allowed(req *http.Request, repo, action string) bool {
	tok, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	grants, ok := r.tokens[tok]
	return ok && (repo == "" || grants[repo+":"+action])
}

// token is the token service: it grants the requested scope's actions the
// credentials allow.
func (r *Registry) token(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.tokenCalls++
	r.mu.Unlock()
	user, pass, hasAuth := req.BasicAuth()
	authed := hasAuth && user == r.opts.User && pass == r.opts.Password
	if (hasAuth && !authed) || (!authed && !r.opts.AnonymousPull) {
		w.Header().Set("WWW-Authenticate", `Basic realm="testregistry"`)
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"invalid credentials"}]}`, http.StatusUnauthorized)
		return
	}
	grants := map[string]bool{}
	for _, s := range req.URL.Query()["scope"] {
		parts := strings.Split(s, ":")
		if len(parts) != 3 || parts[0] != "repository" {
			continue
		}
		for a := range strings.SplitSeq(parts[2], ",") {
			if a == "pull" || authed {
				grants[parts[1]+":"+a] = true
			}
		}
	}
	buf := make([]byte, 16)
	_, _ = rand.Read(buf)
	tok := hex.EncodeToString(buf)
	r.mu.Lock()
	r.tokens[tok] = grants
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"token": tok, "expires_in": 300})
}
