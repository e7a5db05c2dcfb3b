package testindex

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

// Content types of the Simple API representations.
const (
	ContentTypeJSON       = "application/vnd.pypi.simple.v1+json"
	ContentTypeHTML       = "application/vnd.pypi.simple.v1+html"
	ContentTypeLegacyHTML = "text/html"
)

// Options configure a Server.
type Options struct {
	// Faults to inject from the start; more can be added with AddFault.
	Faults []Fault
	// PageCacheControl is the Cache-Control of project pages and the
	// project list; "" means "max-age=600, public" (as PyPI).
	PageCacheControl string
	// Format forces one representation regardless of Accept: "json",
	// "html" (served as text/html, like a legacy index), or "" to negotiate.
	Format string
	// User and Password, when User is set, are required as HTTP basic
	// auth on every request (401 otherwise).
	User, Password string
}

// Fault is a misbehaviour injected on requests whose URL path matches Path
// (a path.Match pattern, e.g. "/simple/a/" or "/files/a/*.whl"). Delay,
// Status and Truncate act when a matching request is served; WrongHash and
// NoMetadata act when a page lists a file whose path matches.
type Fault struct {
	Path string
	// Delay waits before answering (or until the client gives up).
	Delay time.Duration
	// Status answers with this HTTP status instead of the content.
	Status int
	// Times limits Delay, Status and Truncate to the first Times matching
	// requests; 0 means every request.
	Times int
	// Truncate declares the full Content-Length, sends half the body and
	// closes the connection.
	Truncate bool
	// WrongHash makes pages advertise a sha256 that does not match the
	// file (or, for a path ending in .metadata, the metadata file).
	WrongHash bool
	// NoMetadata makes pages offer no core metadata for the file and the
	// .metadata URL answer 404, so clients must read the wheel.
	NoMetadata bool
}

// Request is one entry of the server's request log. Credentials are never
// recorded; Authorized says whether valid basic auth was sent.
type Request struct {
	Method      string
	Path        string
	Query       string
	Accept      string
	IfNoneMatch string
	Authorized  bool
	Status      int
}

// Server serves an Index over the Simple API on 127.0.0.1.
type Server struct {
	// URL is the base URL, http://127.0.0.1:<port>, without a trailing slash.
	URL string

	ix   *Index
	opts Options
	srv  *http.Server
	ln   net.Listener
	done chan struct{}

	mu       sync.Mutex
	faults   []*faultState
	log      []Request
	inFlight int
	maxIn    int
}

type faultState struct {
	Fault
	hits int
}

// Start checks ix and serves it on a free port of 127.0.0.1 until Close.
func Start(ix *Index, opts Options) (*Server, error) {
	if err := ix.Check(); err != nil {
		return nil, err
	}
	if opts.PageCacheControl == "" {
		opts.PageCacheControl = "max-age=600, public"
	}
	switch opts.Format {
	case "", "json", "html":
	default:
		return nil, fmt.Errorf("testindex: Options.Format is %q, want \"\", \"json\" or \"html\"", opts.Format)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testindex: listening on 127.0.0.1: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), ix: ix, opts: opts, ln: ln, done: make(chan struct{})}
	for _, f := range opts.Faults {
		s.AddFault(f)
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// StartT starts a server for a test and closes it when the test ends.
func StartT(tb testing.TB, ix *Index, opts Options) *Server {
	tb.Helper()
	s, err := Start(ix, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server, dropping open connections, and waits for it.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
}

// SimpleURL is the index URL to give a client: <URL>/simple/.
func (s *Server) SimpleURL() string { return s.URL + "/simple/" }

// AddFault injects a fault from now on.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests returns a copy of the request log, in arrival order of
// completion.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Count returns how many logged requests have a path matching the
// path.Match pattern and, when status is not 0, that status.
func (s *Server) Count(pattern string, status int) int {
	n := 0
	for _, r := range s.Requests() {
		if ok, _ := path.Match(pattern, r.Path); ok && (status == 0 || r.Status == status) {
			n++
		}
	}
	return n
}

// MaxInFlight is the largest number of requests served at the same time
// since the start or the last ResetStats.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxIn
}

// ResetStats clears the request log and MaxInFlight.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log, s.maxIn = nil, s.inFlight
}

// statusWriter remembers the status for the request log.
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

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.inFlight++
	s.maxIn = max(s.maxIn, s.inFlight)
	s.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w}
	user, pass, hasAuth := r.BasicAuth()
	authorized := hasAuth && user == s.opts.User && pass == s.opts.Password
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.log = append(s.log, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Accept: r.Header.Get("Accept"),
			IfNoneMatch: r.Header.Get("If-None-Match"), Authorized: authorized, Status: sw.status})
		s.mu.Unlock()
	}()
	if s.opts.User != "" && !authorized {
		sw.Header().Set("WWW-Authenticate", `Basic realm="testindex"`)
		http.Error(sw, "authentication required", http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(sw, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f := s.requestFault(r.URL.Path)
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			sw.status = 499 // client went away; nothing more to send
			return
		}
	}
	if f.Status != 0 {
		http.Error(sw, fmt.Sprintf("injected fault: status %d", f.Status), f.Status)
		return
	}
	s.route(sw, r, f.Truncate)
}

// requestFault merges the request-time faults matching p, counting hits.
func (s *Server) requestFault(p string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out Fault
	for _, f := range s.faults {
		if ok, _ := path.Match(f.Path, p); !ok || (f.Delay == 0 && f.Status == 0 && !f.Truncate) {
			continue
		}
		if f.Times > 0 && f.hits >= f.Times {
			continue
		}
		f.hits++
		out.Delay = max(out.Delay, f.Delay)
		if out.Status == 0 {
			out.Status = f.Status
		}
		out.Truncate = out.Truncate || f.Truncate
	}
	return out
}

// renderFault reports the page-time faults for a file path.
func (s *Server) renderFault(p string) (wrongHash, wrongMetaHash, noMeta bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if ok, _ := path.Match(f.Path, p); ok {
			wrongHash = wrongHash || f.WrongHash
			noMeta = noMeta || f.NoMetadata
		}
		if ok, _ := path.Match(f.Path, p+".metadata"); ok {
			wrongMetaHash = wrongMetaHash || f.WrongHash
			noMeta = noMeta || f.NoMetadata
		}
	}
	return wrongHash, wrongMetaHash, noMeta
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, truncate bool) {
	p := r.URL.Path
	switch {
	case p == "/simple" || p == "/":
		redirect(w, r, "/simple/")
	case p == "/simple/":
		s.servePage(w, r, truncate, func(format string) ([]byte, error) { return s.renderList(format), nil })
	case strings.HasPrefix(p, "/simple/"):
		raw, slash := strings.CutSuffix(strings.TrimPrefix(p, "/simple/"), "/")
		if strings.Contains(raw, "/") {
			http.NotFound(w, r)
			return
		}
		norm := pep508.CanonicalName(raw)
		if norm != raw || !slash {
			redirect(w, r, "/simple/"+norm+"/")
			return
		}
		proj := s.ix.projects[norm]
		if proj == nil {
			http.Error(w, fmt.Sprintf("project %q not found", norm), http.StatusNotFound)
			return
		}
		s.servePage(w, r, truncate, func(format string) ([]byte, error) { return s.renderProject(proj, format) })
	case strings.HasPrefix(p, "/files/"):
		s.serveFile(w, r, truncate)
	default:
		http.NotFound(w, r)
	}
}

func redirect(w http.ResponseWriter, r *http.Request, to string) {
	if r.URL.RawQuery != "" {
		to += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, to, http.StatusMovedPermanently)
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request, truncate bool, render func(format string) ([]byte, error)) {
	format := s.opts.Format
	ctype := ContentTypeLegacyHTML
	switch format {
	case "":
		var ok bool
		ctype, ok = negotiate(r.Header.Get("Accept"), r.URL.Query().Get("format"))
		if !ok {
			http.Error(w, "no acceptable representation; supported: "+ContentTypeJSON+", "+ContentTypeHTML+", "+ContentTypeLegacyHTML, http.StatusNotAcceptable)
			return
		}
	case "json":
		ctype = ContentTypeJSON
	}
	format = "html"
	if ctype == ContentTypeJSON {
		format = "json"
	}
	body, err := render(format)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Vary", "Accept")
	s.writeBody(w, r, ctype, s.opts.PageCacheControl, body, truncate)
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, truncate bool) {
	rest := strings.TrimPrefix(r.URL.Path, "/files/")
	proj, name, ok := strings.Cut(rest, "/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	name, meta := strings.CutSuffix(name, ".metadata")
	f, err := s.ix.File(proj, name)
	if err != nil || pep508.CanonicalName(proj) != proj {
		http.NotFound(w, r)
		return
	}
	const immutable = "max-age=365000000, immutable, public"
	if !meta {
		s.writeBody(w, r, "application/octet-stream", immutable, f.Body, truncate)
		return
	}
	if _, _, noMeta := s.renderFault(f.URLPath()); noMeta || len(f.Metadata) == 0 {
		http.NotFound(w, r)
		return
	}
	s.writeBody(w, r, "text/plain; charset=utf-8", immutable, f.Metadata, truncate)
}

// writeBody answers with body, an ETag and Cache-Control, honouring
// If-None-Match; truncate sends half of it and drops the connection.
func (s *Server) writeBody(w http.ResponseWriter, r *http.Request, ctype, cacheControl string, body []byte, truncate bool) {
	sum := sha256.Sum256(append([]byte(ctype+"\n"), body...))
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", cacheControl)
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if truncate {
		if err := s.truncated(w, body); err == nil {
			return
		}
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// truncated writes the headers and half the body on the raw connection and
// closes it, so the client sees a short body against its Content-Length.
func (s *Server) truncated(w http.ResponseWriter, body []byte) error {
	hj, ok := w.(*statusWriter).ResponseWriter.(http.Hijacker)
	if !ok {
		return errors.New("connection cannot be hijacked")
	}
	w.(*statusWriter).status = http.StatusOK
	conn, buf, err := hj.Hijack()
	if err != nil {
		return err
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nConnection: close\r\n")
	for k, vs := range w.Header() {
		for _, v := range vs {
			fmt.Fprintf(buf, "%s: %s\r\n", k, v)
		}
	}
	buf.WriteString("\r\n")
	buf.Write(body[:len(body)/2])
	return buf.Flush()
}

func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// negotiate picks the representation for an Accept header (q-values,
// wildcards; no header means HTML as on PyPI) or a ?format= override.
func negotiate(accept, format string) (string, bool) {
	switch format {
	case "json":
		return ContentTypeJSON, true
	case "html":
		return ContentTypeHTML, true
	}
	if strings.TrimSpace(accept) == "" {
		return ContentTypeLegacyHTML, true
	}
	offers := []string{ContentTypeJSON, ContentTypeHTML, ContentTypeLegacyHTML}
	best, bestQ := "", 0.0
	for _, offer := range offers {
		q := acceptQ(accept, offer)
		if q > bestQ {
			best, bestQ = offer, q
		}
	}
	return best, best != ""
}

// acceptQ returns the q-value the Accept header gives offer, taking the
// most specific matching range.
func acceptQ(accept, offer string) float64 {
	q, spec := 0.0, -1
	otype, _, _ := strings.Cut(offer, "/")
	for rng := range strings.SplitSeq(accept, ",") {
		parts := strings.Split(rng, ";")
		mt := strings.ToLower(strings.TrimSpace(parts[0]))
		rq := 1.0
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
					rq = f
				}
			}
		}
		s := -1
		switch {
		case mt == offer || (offer == ContentTypeJSON && mt == "application/vnd.pypi.simple.latest+json") ||
			(offer == ContentTypeHTML && mt == "application/vnd.pypi.simple.latest+html"):
			s = 2
		case mt == otype+"/*":
			s = 1
		case mt == "*/*":
			s = 0
		}
		if s > spec {
			q, spec = rq, s
		}
	}
	return q
}
