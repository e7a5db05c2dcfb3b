package simpleapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/internal/atomicfile"
	"github.com/pydeploy/pydeploy/internal/boundedfile"
)

// ErrNoHash is wrapped by DownloadFile's error for a file that has no
// sha256, sha384 or sha512 hash: a file nobody can verify is not
// installed.
var ErrNoHash = errors.New("no sha256, sha384 or sha512 hash to verify against")

// ErrNoCacheDir is wrapped by DownloadFile's error for a client without
// Options.CacheDir: DownloadFile keeps files in the cache (Download, which
// verifies in memory, needs none).
var ErrNoCacheDir = errors.New("Options.CacheDir is empty; DownloadFile keeps files in the cache")

// LocalFile is a distribution file kept in the cache after its size and
// hashes were verified.
type LocalFile struct {
	// Path is the file, under Options.CacheDir/files/. Other clients using
	// the same cache directory read it too: treat it as read-only.
	Path string
	// Size is the file's length in bytes.
	Size int64
	// SHA256 is the lower-case hex digest of the file, computed whichever
	// algorithm was checked.
	SHA256 string
	// Cached reports that no request was made: the file was in the cache
	// (and verified again before being returned).
	Cached bool
}

// Open opens the file for reading.
func (l *LocalFile) Open() (*os.File, error) { return os.Open(l.Path) }

// fileCall is one DownloadFile in progress; callers asking for the same
// file wait for it instead of downloading it again.
type fileCall struct {
	done chan struct{}
	lf   *LocalFile
	err  error
}

// DownloadFile returns a verified local copy of f, downloading it into the
// cache when it is not there. It reads f.URL (credentials in it are used
// for that request and never reported), f.Filename (else the URL's last
// path component), f.Hashes and f.Size (unknown when -1 or 0). Every hash
// of a known algorithm must match, and f.Hashes must hold a sha256, sha384
// or sha512 one (else the error wraps ErrNoHash); a file whose size or
// hash differs is never stored (*HashMismatchError, *TruncatedError). A
// cached copy is hashed again before it is returned, and a damaged one is
// replaced. Bodies stream to disk, so any size fits; Options.Timeout
// bounds the wait for an answer and any stall of the body, not the whole
// transfer. Retries, Options.MaxParallel and credentials apply as for
// pages.
//
// DownloadFile is safe for concurrent use: concurrent calls for the same
// file make one download, and clients in other processes sharing
// Options.CacheDir see either no file or a complete, verified one. It
// needs Options.CacheDir.
func (c *Client) DownloadFile(ctx context.Context, f *File) (*LocalFile, error) {
	t, err := c.downloadTarget(f)
	if err != nil {
		return nil, err
	}
	for {
		c.mu.Lock()
		call, ok := c.files[t.path]
		if !ok {
			call = &fileCall{done: make(chan struct{})}
			c.files[t.path] = call
			c.mu.Unlock()
			call.lf, call.err = c.downloadFile(ctx, t)
			c.mu.Lock()
			delete(c.files, t.path) // the file on disk is the memo
			c.mu.Unlock()
			close(call.done)
			return call.lf, call.err
		}
		c.mu.Unlock()
		select {
		case <-call.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("simpleapi: downloading %s: %w", t.name, ctx.Err())
		}
		// The download we waited for was cancelled by its own caller's
		// context, not ours: try again.
		if call.err != nil && ctx.Err() == nil && (errors.Is(call.err, context.Canceled) || errors.Is(call.err, context.DeadlineExceeded)) {
			continue
		}
		if call.err != nil {
			return nil, call.err
		}
		lf := *call.lf
		lf.Cached = true
		return &lf, nil
	}
}

// downloadTarget is a validated DownloadFile request.
type downloadTarget struct {
	name    string
	u       *url.URL // without credentials
	cred    credentials
	hasCred bool
	want    map[string]string // known algorithm -> lower-case hex
	size    int64             // -1 when unknown
	path    string            // where the verified file lives
}

func (c *Client) downloadTarget(f *File) (*downloadTarget, error) {
	raw, err := url.Parse(f.URL)
	if err != nil || !raw.IsAbs() || (raw.Scheme != "http" && raw.Scheme != "https") || raw.Host == "" {
		return nil, fmt.Errorf("simpleapi: file %q: url %q is not an absolute http(s) URL", f.Filename, Redact(f.URL))
	}
	u, cred, hasCred := stripCredentials(raw)
	u.Fragment, u.RawFragment = "", ""
	name := f.Filename
	if name == "" {
		name = u.Path[strings.LastIndexByte(u.Path, '/')+1:]
	}
	if name == "" || name == "." || name == ".." || name == "/" || strings.ContainsAny(name, "/\\\x00") {
		return nil, fmt.Errorf("simpleapi: file name %q (from %s) is not a plain file name", name, u)
	}
	t := &downloadTarget{name: name, u: u, cred: cred, hasCred: hasCred, want: map[string]string{}, size: f.Size}
	if t.size <= 0 {
		t.size = -1 // no wheel or sdist is empty: 0 is an unset field
	}
	key := ""
	for _, a := range hashAlgorithms {
		v, ok := f.Hashes[a.name]
		if !ok {
			continue
		}
		v = strings.ToLower(v)
		if len(v) != 2*a.new().Size() || strings.Trim(v, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("simpleapi: file %s: %s hash %q is not %d hex digits", name, a.name, v, 2*a.new().Size())
		}
		t.want[a.name] = v
		if key == "" && (a.name == "sha512" || a.name == "sha384" || a.name == "sha256") {
			key = a.name + "-" + v
		}
	}
	if key == "" {
		return nil, fmt.Errorf("simpleapi: file %s: %w", name, ErrNoHash)
	}
	if c.cache == nil {
		return nil, fmt.Errorf("simpleapi: downloading %s: %w", name, ErrNoCacheDir)
	}
	t.path = filepath.Join(c.cache.dir, "files", key, name)
	return t, nil
}

// downloadFile returns the cached copy when it verifies, else the body of
// a verified cache entry (a wheel Metadata read), else downloads.
func (c *Client) downloadFile(ctx context.Context, t *downloadTarget) (*LocalFile, error) {
	if lf, err := verifyLocal(t); err == nil {
		lf.Cached = true
		return lf, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		c.log.LogAttrs(ctx, slog.LevelWarn, "simpleapi: cached file is damaged; downloading it again", slog.String("path", t.path), slog.String("error", err.Error()))
	}
	if err := os.MkdirAll(filepath.Dir(t.path), 0o755); err != nil {
		return nil, fmt.Errorf("simpleapi: downloading %s: %w", t.name, err)
	}
	// Metadata may have read the wheel already (no PEP 658 file): its
	// verified body is in the response cache.
	maxBody := c.opts.MaxFileBytes
	if t.size >= 0 {
		maxBody = t.size
	}
	if e, ok := c.cache.get(t.u.String(), "", maxBody); ok {
		if lf, err := c.store(t, bytes.NewReader(e.body)); err == nil {
			lf.Cached = true
			return lf, nil
		}
	}
	var last error
	attempts := c.opts.Retries + 1
	for attempt := range attempts {
		if attempt > 0 {
			if err := sleepCtx(ctx, c.backoff(attempt-1)); err != nil {
				return nil, fmt.Errorf("simpleapi: GET %s: %w", t.u, err)
			}
		}
		lf, retry, err := c.attemptFile(ctx, t)
		if err == nil {
			return lf, nil
		}
		last = err
		if ctx.Err() != nil {
			return nil, fmt.Errorf("simpleapi: GET %s: %w", t.u, ctx.Err())
		}
		if !retry {
			return nil, fmt.Errorf("simpleapi: downloading %s: %w", t.name, err)
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "simpleapi: retrying", slog.String("url", t.u.String()), slog.Int("attempt", attempt+1), slog.String("error", err.Error()))
	}
	if se, ok := errors.AsType[*StatusError](last); ok {
		se.Attempts = attempts
		return nil, fmt.Errorf("simpleapi: downloading %s: %w", t.name, se)
	}
	return nil, fmt.Errorf("simpleapi: downloading %s: %w", t.name, &TransportError{URL: t.u.String(), Attempts: attempts, Err: last})
}

// attemptFile makes one request and stores a verified body. retry reports
// whether a failure is worth another attempt.
func (c *Client) attemptFile(ctx context.Context, t *downloadTarget) (_ *LocalFile, retry bool, _ error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	defer func() { <-c.sem }()
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var stall *time.Timer
	if c.opts.Timeout > 0 {
		stall = time.AfterFunc(c.opts.Timeout, func() { cancel(fmt.Errorf("no data for %s", c.opts.Timeout)) })
		defer stall.Stop()
	}
	req, err := http.NewRequestWithContext(actx, http.MethodGet, t.u.String(), nil)
	if err != nil {
		return nil, false, fmt.Errorf("GET %s: %w", t.u, err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if t.hasCred {
		req.SetBasicAuth(t.cred.user, t.cred.password)
	} else {
		c.authorize(req)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if cause := context.Cause(actx); cause != nil && ctx.Err() == nil {
			err = cause
		}
		return nil, true, err
	}
	defer resp.Body.Close()
	c.log.LogAttrs(ctx, slog.LevelDebug, "simpleapi: GET", slog.String("url", t.u.String()), slog.Int("status", resp.StatusCode))
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, false, &NotFoundError{URLs: []string{t.u.String()}}
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout:
		return nil, true, &StatusError{URL: t.u.String(), Status: resp.StatusCode}
	case resp.StatusCode != http.StatusOK:
		return nil, false, &StatusError{URL: t.u.String(), Status: resp.StatusCode, Attempts: 1}
	}
	if resp.ContentLength >= 0 && t.size >= 0 && resp.ContentLength != t.size {
		return nil, false, &TruncatedError{URL: t.u.String(), Want: t.size, Got: resp.ContentLength}
	}
	body := &stallReader{r: resp.Body, timer: stall, d: c.opts.Timeout}
	lf, err := c.store(t, body)
	if err != nil {
		var trunc *TruncatedError
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF) && resp.ContentLength >= 0:
			return nil, true, &TruncatedError{URL: t.u.String(), Want: resp.ContentLength, Got: body.n}
		case context.Cause(actx) != nil && ctx.Err() == nil:
			return nil, true, context.Cause(actx)
		}
		var hm *HashMismatchError
		retryable := !errors.As(err, &hm) && !errors.As(err, &trunc) && !errors.Is(err, errStore)
		return nil, retryable, err
	}
	return lf, false, nil
}

// errStore marks failures of the local disk, which another attempt does
// not fix.
var errStore = errors.New("cache")

// store copies r into a temporary file next to t.path, checks size and
// hashes, and renames it into place; nothing unverified is ever at t.path.
func (c *Client) store(t *downloadTarget, r io.Reader) (*LocalFile, error) {
	f, err := atomicfile.Create(t.path, 0o444)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errStore, err)
	}
	defer f.Abort()
	f.NoSync = true // verifyLocal checks size and hashes before any reuse
	hs := newHashers(t.want)
	limit := int64(1<<63 - 1)
	if t.size >= 0 {
		limit = t.size + 1 // one byte more than advertised is enough to tell
	}
	n, err := io.Copy(io.MultiWriter(f, hs), io.LimitReader(r, limit))
	if err != nil {
		return nil, err
	}
	lf, err := hs.check(t, n)
	if err != nil {
		return nil, err
	}
	if err := f.Commit(); err != nil {
		return nil, fmt.Errorf("%w: %w", errStore, err)
	}
	return lf, nil
}

// verifyLocal hashes the cached copy of t; an absent file gives an error
// wrapping os.ErrNotExist. Anything but a regular file is refused without
// blocking on it, and no more than one byte past the advertised size is
// read.
func verifyLocal(t *downloadTarget) (*LocalFile, error) {
	f, _, err := boundedfile.Open(t.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hs := newHashers(t.want)
	r := io.Reader(f)
	if t.size >= 0 {
		r = io.LimitReader(f, t.size+1)
	}
	n, err := io.Copy(hs, r)
	if err != nil {
		return nil, err
	}
	return hs.check(t, n)
}

// hashers computes sha256 and every algorithm a file is checked against.
type hashers struct {
	sha256 hash.Hash
	algs   map[string]hash.Hash
	w      io.Writer
}

func newHashers(want map[string]string) *hashers {
	hs := &hashers{sha256: sha256.New(), algs: map[string]hash.Hash{}}
	ws := []io.Writer{hs.sha256}
	for _, a := range hashAlgorithms {
		if _, ok := want[a.name]; ok && a.name != "sha256" {
			hs.algs[a.name] = a.new()
			ws = append(ws, hs.algs[a.name])
		}
	}
	hs.w = io.MultiWriter(ws...)
	return hs
}

func (hs *hashers) Write(p []byte) (int, error) { return hs.w.Write(p) }

// check compares n bytes hashed against t's size and hashes.
func (hs *hashers) check(t *downloadTarget, n int64) (*LocalFile, error) {
	if t.size >= 0 && n != t.size {
		return nil, &TruncatedError{URL: t.u.String(), Want: t.size, Got: n}
	}
	sum := hex.EncodeToString(hs.sha256.Sum(nil))
	for _, a := range hashAlgorithms {
		want, ok := t.want[a.name]
		if !ok {
			continue
		}
		got := sum
		if a.name != "sha256" {
			got = hex.EncodeToString(hs.algs[a.name].Sum(nil))
		}
		if got != want {
			return nil, &HashMismatchError{File: t.name, Algorithm: a.name, Want: want, Got: got}
		}
	}
	return &LocalFile{Path: t.path, Size: n, SHA256: sum}, nil
}

// stallReader counts bytes and pushes a stall deadline back on every read.
type stallReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
	n     int64
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if n > 0 && s.timer != nil {
		s.timer.Reset(s.d)
	}
	return n, err
}
