package testcluster

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// frontProxy is the address every client of the cluster uses: a TLS
// reverse proxy on a fixed 127.0.0.1 port in front of the current
// kube-apiserver. It gives clients a stable host, CA and token across API
// server restarts (the test server picks a fresh port, certificates and
// loopback token each time it starts), and it can expire watches the way
// the API server does after an etcd compaction.
type frontProxy struct {
	addr  string
	cert  *selfSigned
	token string

	mu        sync.Mutex
	srv       *http.Server
	served    chan struct{}
	backend   *backend
	watches   map[*openWatch]struct{}
	expiredTo uint64 // watches from a resourceVersion ≤ this get 410 Expired
	inflight  sync.WaitGroup
}

// backend is one kube-apiserver instance.
type backend struct {
	url       *url.URL
	token     string
	transport *http.Transport
	proxy     *httputil.ReverseProxy
}

type openWatch struct {
	cancel    context.CancelFunc
	component bool // a watch of the cluster's own components
}

// componentUserAgent prefixes the User-Agent of the cluster's own
// components (controllers, kube-scheduler, kubelets).
const componentUserAgent = "testcluster/"

func newBackend(cfg *rest.Config) (*backend, error) {
	u, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("parse kube-apiserver address %q: %w", cfg.Host, err)
	}
	tlsCfg, err := rest.TLSConfigFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("TLS configuration for kube-apiserver %s: %w", cfg.Host, err)
	}
	b := &backend{
		url:   u,
		token: cfg.BearerToken,
		transport: &http.Transport{
			TLSClientConfig:     tlsCfg,
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 100,
			IdleConnTimeout:     30 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		},
	}
	b.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(b.url)
			pr.Out.Header.Set("Authorization", "Bearer "+b.token)
		},
		Transport:     b.transport,
		FlushInterval: -1,
		ErrorLog:      discardLog(),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			writeStatus(w, http.StatusBadGateway, metav1.StatusReasonServiceUnavailable, fmt.Sprintf("kube-apiserver unavailable: %v", err))
		},
	}
	return b, nil
}

func (b *backend) close() { b.transport.CloseIdleConnections() }

// startProxy listens on a free 127.0.0.1 port and forwards to be.
func startProxy(be *backend, token string) (*frontProxy, error) {
	cert, err := newSelfSigned("testcluster-apiserver", nil)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the API front proxy: %w", err)
	}
	p := &frontProxy{addr: ln.Addr().String(), cert: cert, token: token, watches: map[*openWatch]struct{}{}}
	p.serve(ln, be)
	return p, nil
}

func (p *frontProxy) serve(ln net.Listener, be *backend) {
	srv := &http.Server{
		Handler:           http.HandlerFunc(p.handle),
		TLSConfig:         p.cert.serverConfig(),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          discardLog(),
		HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: 2000},
	}
	served := make(chan struct{})
	p.mu.Lock()
	p.srv, p.served, p.backend = srv, served, be
	p.mu.Unlock()
	go func() {
		defer close(served)
		_ = srv.ServeTLS(ln, "", "")
	}()
}

// pause stops serving: the listener closes (new connections are refused,
// as by a stopped API server) and open connections and watches are cut.
func (p *frontProxy) pause() *backend {
	p.mu.Lock()
	srv, served, be := p.srv, p.served, p.backend
	p.srv, p.backend = nil, nil
	p.mu.Unlock()
	if srv == nil {
		return be
	}
	_ = srv.Close()
	<-served
	p.cancelWatches(true)
	p.inflight.Wait()
	return be
}

// resume serves again on the same address, forwarding to be.
func (p *frontProxy) resume(ctx context.Context, be *backend) error {
	var ln net.Listener
	err := retryUntil(ctx, 5*time.Second, func() error {
		var err error
		ln, err = net.Listen("tcp", p.addr)
		return err
	})
	if err != nil {
		return fmt.Errorf("listen again on %s for the API front proxy: %w", p.addr, err)
	}
	p.serve(ln, be)
	return nil
}

// expire makes watches from resourceVersion ≤ rv fail with 410 Expired and
// cuts the open ones of clients other than the cluster's components; it
// returns how many it cut.
func (p *frontProxy) expire(rv uint64) int {
	p.mu.Lock()
	if rv > p.expiredTo {
		p.expiredTo = rv
	}
	p.mu.Unlock()
	return p.cancelWatches(false)
}

// cancelWatches cuts open watches: all of them, or those of clients other
// than the cluster's components.
func (p *frontProxy) cancelWatches(all bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for w := range p.watches {
		if all || !w.component {
			w.cancel()
			delete(p.watches, w)
			n++
		}
	}
	return n
}

func (p *frontProxy) handle(w http.ResponseWriter, r *http.Request) {
	p.inflight.Add(1)
	defer p.inflight.Done()
	if !p.authorized(r) {
		writeStatus(w, http.StatusUnauthorized, metav1.StatusReasonUnauthorized, "Unauthorized")
		return
	}
	p.mu.Lock()
	be, expiredTo := p.backend, p.expiredTo
	p.mu.Unlock()
	if be == nil {
		writeStatus(w, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, "kube-apiserver is restarting")
		return
	}
	if !isWatch(r) {
		be.proxy.ServeHTTP(w, r)
		return
	}
	if rv, err := strconv.ParseUint(r.URL.Query().Get("resourceVersion"), 10, 64); err == nil && rv > 0 && rv <= expiredTo {
		writeExpiredWatch(w, r, rv, expiredTo+1)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	ow := &openWatch{cancel: cancel, component: strings.HasPrefix(r.UserAgent(), componentUserAgent)}
	p.mu.Lock()
	p.watches[ow] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.watches, ow)
		p.mu.Unlock()
	}()
	be.proxy.ServeHTTP(w, r.WithContext(ctx))
}

func (p *frontProxy) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(p.token)) == 1
}

func isWatch(r *http.Request) bool {
	w := r.URL.Query().Get("watch")
	return w == "true" || w == "1" || strings.Contains(r.URL.Path, "/watch/")
}

// writeExpiredWatch answers a watch from a compacted resourceVersion as the
// API server's watch cache does: 200, then one ERROR event carrying a
// Status 410 Expired "too old resource version", then end of stream.
func writeExpiredWatch(w http.ResponseWriter, r *http.Request, rv, oldest uint64) {
	status := &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Message:  fmt.Sprintf("too old resource version: %d (%d)", rv, oldest),
		Reason:   metav1.StatusReasonExpired,
		Code:     http.StatusGone,
	}
	mediaType := runtime.ContentTypeJSON
	if accept := r.Header.Get("Accept"); strings.Contains(accept, runtime.ContentTypeProtobuf) {
		if mt, _, err := mime.ParseMediaType(strings.Split(accept, ",")[0]); err == nil && mt == runtime.ContentTypeProtobuf {
			mediaType = runtime.ContentTypeProtobuf
		}
	}
	info, ok := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), mediaType)
	if !ok || info.StreamSerializer == nil {
		writeStatus(w, http.StatusGone, metav1.StatusReasonExpired, status.Message)
		return
	}
	raw, err := runtime.Encode(scheme.Codecs.EncoderForVersion(info.Serializer, schema.GroupVersion{Version: "v1"}), status)
	if err != nil {
		writeStatus(w, http.StatusGone, metav1.StatusReasonExpired, status.Message)
		return
	}
	contentType := info.MediaType
	if contentType != runtime.ContentTypeJSON {
		contentType += ";stream=watch"
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	enc := streaming.NewEncoder(info.StreamSerializer.NewFrameWriter(w), info.StreamSerializer.Serializer)
	_ = enc.Encode(&metav1.WatchEvent{Type: "ERROR", Object: runtime.RawExtension{Raw: raw}})
}

// writeStatus writes a JSON metav1.Status error as the API server does.
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	body, _ := json.Marshal(&metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Message:  msg,
		Reason:   reason,
		Code:     int32(code),
	})
	w.Header().Set("Content-Type", runtime.ContentTypeJSON)
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}

// retryUntil calls f until it succeeds, ctx ends or d passes.
func retryUntil(ctx context.Context, d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
