package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// probeServer is the application under probe: each path answers as a
// Python service might, and /echo reports what kubelet sent.
func probeServer(otherHost func() string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscan(r.PathValue("code"), &code)
		w.WriteHeader(code)
		fmt.Fprintf(w, "status %d", code)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		_, hasAccept := r.Header["Accept"]
		fmt.Fprintf(w, "ua=%s accept=%s/%t host=%s x=%s enc=%q", r.UserAgent(), r.Header.Get("Accept"), hasAccept, r.Host,
			strings.Join(r.Header.Values("X-Probe"), ","), r.Header.Get("Accept-Encoding"))
	})
	mux.HandleFunc("/django", func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "app.example.com" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "DisallowedHost: Invalid HTTP_HOST header: %q", r.Host)
			return
		}
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("/redirect-same", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/redirect-other", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", otherHost()+"/ok")
		w.WriteHeader(http.StatusFound)
		fmt.Fprint(w, "moved")
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // answers only after the client gave up
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat("x", 20<<10))
	})
	mux.HandleFunc("/h2c", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, r.Proto) })
	return mux
}

func TestCheckHTTP(t *testing.T) {
	t.Parallel()
	var other string
	srv := httptest.NewServer(probeServer(func() string { return other }))
	t.Cleanup(srv.Close)
	tgt, port := target(t, srv)
	// Same IP under another host name: kubelet compares host names only.
	other = "http://localhost:" + fmt.Sprint(port)
	num := intstr.FromInt32(port)

	tests := []struct {
		name   string
		p      *corev1.Probe
		tgt    Target
		want   Outcome
		msg    string
		code   int
		hasErr error
	}{
		{name: "200", p: HTTPGet("/ok", num).Probe(), want: Success, msg: "ok", code: 200},
		{name: "named port", p: HTTPGet("/ok", intstr.FromString("http")).Probe(), want: Success, msg: "ok", code: 200},
		{name: "204", p: HTTPGet("/status/204", num).Probe(), want: Success, msg: "", code: 204},
		{name: "399 is a success with a warning", p: HTTPGet("/status/399", num).Probe(), want: Warning,
			msg: "Probe terminated redirects, Response body: status 399", code: 399},
		{name: "400", p: HTTPGet("/status/400", num).Probe(), want: Failure, msg: "HTTP probe failed with statuscode: 400", code: 400},
		{name: "500", p: HTTPGet("/status/500", num).Probe(), want: Failure, msg: "HTTP probe failed with statuscode: 500", code: 500},
		{name: "503", p: HTTPGet("/status/503", num).Probe(), want: Failure, msg: "HTTP probe failed with statuscode: 503", code: 503},
		{name: "redirect to same host is followed", p: HTTPGet("/redirect-same", num).Probe(), want: Success, msg: "ok", code: 200},
		{name: "redirect to other host is not followed", p: HTTPGet("/redirect-other", num).Probe(), want: Warning,
			msg: "Probe terminated redirects, Response body: moved", code: 302},
		{name: "redirect loop", p: HTTPGet("/loop", num).Probe(), want: Failure,
			msg: `Get "/loop": stopped after 10 redirects`}, // net/http names the Location as sent
		{name: "default headers", p: HTTPGet("/echo", num).Probe(), want: Success,
			msg: fmt.Sprintf(`ua=kube-probe/1.37 accept=*/*/true host=%s x= enc=""`, strings.TrimPrefix(srv.URL, "http://")), code: 200},
		{name: "headers override defaults", p: HTTPGet("/echo", num).WithHeader("User-Agent", "smoke/1").WithHeader("Accept", "application/json").
			WithHeader("X-Probe", "a").WithHeader("x-probe", "b").Probe(), want: Success,
			msg: fmt.Sprintf(`ua=smoke/1 accept=application/json/true host=%s x=a,b enc=""`, strings.TrimPrefix(srv.URL, "http://")), code: 200},
		{name: "empty Accept removes it", p: HTTPGet("/echo", num).WithHeader("Accept", "").Probe(), want: Success,
			msg: fmt.Sprintf(`ua=kube-probe/1.37 accept=/false host=%s x= enc=""`, strings.TrimPrefix(srv.URL, "http://")), code: 200},
		{name: "Host header", p: HTTPGet("/echo", num).WithHostHeader("app.example.com").Probe(), want: Success,
			msg: `ua=kube-probe/1.37 accept=*/*/true host=app.example.com x= enc=""`, code: 200},
		{name: "django without Host header", p: HTTPGet("/django", num).Probe(), want: Failure, msg: "HTTP probe failed with statuscode: 400", code: 400},
		{name: "django with Host header", p: HTTPGet("/django", num).WithHostHeader("app.example.com").Probe(), want: Success, msg: "ok", code: 200},
		{name: "missing named port", p: HTTPGet("/ok", intstr.FromString("metrics")).Probe(), want: Unknown, hasErr: ErrUnresolvedPort},
		{name: "probe host overrides target", p: func() *corev1.Probe {
			p := HTTPGet("/ok", num).Probe()
			p.HTTPGet.Host = "127.0.0.1"
			return p
		}(), tgt: Target{Host: "192.0.2.1"}, want: Success, msg: "ok", code: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			use := tgt
			if tc.tgt.Host != "" {
				use = tc.tgt
			}
			r := Check(t.Context(), tc.p, use)
			assert.Equal(t, r.Outcome, tc.want, "result %+v", r)
			assert.Equal(t, r.Message, tc.msg)
			assert.Equal(t, r.StatusCode, tc.code)
			if tc.hasErr != nil {
				assert.Assert(t, errors.Is(r.Err, tc.hasErr), "err %v", r.Err)
			} else {
				assert.NilError(t, r.Err)
			}
		})
	}
}

func TestCheckHTTPTimeout(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(probeServer(nil))
	t.Cleanup(srv.Close)
	tgt, _ := target(t, srv)
	start := time.Now()
	r := Check(t.Context(), HTTPGet("/hang", intstr.FromString("http")).WithTimeout(time.Second).Probe(), tgt)
	elapsed := time.Since(start)
	assert.Equal(t, r.Outcome, Failure)
	assert.Equal(t, r.Message, fmt.Sprintf(`Get "%s/hang": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, srv.URL))
	assert.Assert(t, elapsed >= time.Second && elapsed < 5*time.Second, "took %v", elapsed)
	assert.Equal(t, r.Event(KindLiveness), "Liveness probe failed: "+r.Message)
}

func TestCheckHTTPContextCancel(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(probeServer(nil))
	t.Cleanup(srv.Close)
	tgt, _ := target(t, srv)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := Check(ctx, HTTPGet("/ok", intstr.FromString("http")).Probe(), tgt)
	assert.Equal(t, r.Outcome, Failure)
	assert.Assert(t, is.Contains(r.Message, "context canceled"))
}

func TestCheckHTTPS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(probeServer(nil))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the plain-HTTP attempt below logs a handshake error
	srv.StartTLS()                                   // self-signed: kubelet does not verify
	t.Cleanup(srv.Close)
	tgt, _ := target(t, srv)
	r := Check(t.Context(), HTTPGet("/ok", intstr.FromString("http")).WithScheme(corev1.URISchemeHTTPS).Probe(), tgt)
	assert.Equal(t, r.Outcome, Success, "%+v", r)
	assert.Equal(t, r.Body, "ok")

	// Plain HTTP to a TLS port is answered 400 by Go's server.
	r = Check(t.Context(), HTTPGet("/ok", intstr.FromString("http")).Probe(), tgt)
	assert.Equal(t, r.Outcome, Failure)
	assert.Equal(t, r.Message, "HTTP probe failed with statuscode: 400")
}

func TestCheckHTTPBodyLimit(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(probeServer(nil))
	t.Cleanup(srv.Close)
	tgt, _ := target(t, srv)
	r := Check(t.Context(), HTTPGet("/big", intstr.FromString("http")).Probe(), tgt)
	assert.Equal(t, r.Outcome, Success)
	assert.Equal(t, len(r.Body), 10<<10)
	assert.Assert(t, r.Truncated)

	r = Check(t.Context(), HTTPGet("/ok", intstr.FromString("http")).Probe(), tgt)
	assert.Assert(t, !r.Truncated)
}

func TestCheckHTTPH2C(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(probeServer(nil))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	tgt, _ := target(t, srv)
	p := HTTPGet("/h2c", intstr.FromString("http")).Probe()
	r := Check(t.Context(), p, tgt)
	assert.Equal(t, r.Message, "HTTP/1.1")
	p.HTTPGet.Protocol = new(corev1.HTTPProtocolHTTP2)
	r = Check(t.Context(), p, tgt)
	assert.Equal(t, r.Outcome, Success, "%+v", r)
	assert.Equal(t, r.Message, "HTTP/2.0")
}

func TestCheckBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    *corev1.Probe
		tgt  Target
		err  string
	}{
		{"nil probe", nil, Target{Host: "127.0.0.1"}, "no probe to check: the probe is nil"},
		{"no handler", &corev1.Probe{}, Target{Host: "127.0.0.1"}, "missing probe handler"},
		{"no host", HTTPGet("/", intstr.FromInt32(80)).Probe(), Target{}, "target has no host"},
		{"tcp no host", TCP(intstr.FromInt32(80)).Probe(), Target{}, "target has no host"},
		{"grpc no host", GRPC(80).Probe(), Target{}, "target has no host"},
		{"port out of range", TCP(intstr.FromInt32(0)).Probe(), Target{Host: "127.0.0.1"}, "cannot resolve probe port: invalid port number: 0"},
		{"named port out of range", TCP(intstr.FromString("p")).Probe(), Target{Host: "127.0.0.1", Ports: map[string]int32{"p": 70000}}, "invalid port number: 70000"},
		{"named port missing", TCP(intstr.FromString("p")).Probe(), Target{Host: "127.0.0.1"}, `cannot resolve probe port: port "p" not found`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Check(t.Context(), tc.p, tc.tgt)
			assert.Equal(t, r.Outcome, Unknown)
			assert.ErrorContains(t, r.Err, tc.err)
			assert.Assert(t, is.Contains(r.Event(KindReadiness), "Readiness probe errored and resulted in unknown state: "))
		})
	}
}

func TestResultEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r    Result
		kind Kind
		want string
	}{
		{Result{Outcome: Success, Message: "ok"}, KindReadiness, ""},
		{Result{Outcome: Warning, Message: "Probe terminated redirects, Response body: x"}, KindStartup, "Startup probe warning: Probe terminated redirects, Response body: x"},
		{Result{Outcome: Failure, Message: "HTTP probe failed with statuscode: 503"}, KindReadiness, "Readiness probe failed: HTTP probe failed with statuscode: 503"},
		{Result{Outcome: Unknown, Err: errors.New(`port "x" not found`)}, KindLiveness, `Liveness probe errored and resulted in unknown state: port "x" not found`},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.r.Event(tc.kind), tc.want)
	}
}
