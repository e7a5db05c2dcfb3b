package simpleapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"
)

// response is a successful (or revalidated) GET.
type response struct {
	body        []byte
	contentType string
	finalURL    *url.URL // after redirects, without credentials
	fromCache   bool
	// entry is the response's cache entry (nil when it must not be
	// cached); unsaved says it still has to be written, which fetch does
	// unless fetchOptions.deferSave asks the caller to.
	entry   *cacheEntry
	unsaved bool
}

// fetchOptions describe one GET.
type fetchOptions struct {
	accept string
	// name is what errors call the resource (a file name, or the URL).
	name string
	// hashes, when set, must match the body; a verified body is immutable
	// and is cached without revalidation.
	hashes map[string]string
	// size is the advertised size, -1 when unknown.
	size int64
	// limit bounds the body when size is unknown; 0 means no bound.
	limit int64
	// deferSave leaves writing the cache entry to the caller (see
	// response.unsaved), which adds to it first.
	deferSave bool
}

// DefaultBackoff is the retry delay used when Options.Backoff is nil:
// 200ms doubling per attempt, capped at 5s, with ±50% jitter.
func DefaultBackoff(attempt int) time.Duration {
	d := 200 * time.Millisecond << min(attempt, 5)
	d = min(d, 5*time.Second)
	return d/2 + rand.N(d)
}

// fetch GETs u (no credentials in it; they are attached per host), using
// the disk cache, retrying 5xx, 429 and transport failures with backoff.
func (c *Client) fetch(ctx context.Context, u *url.URL, fo fetchOptions) (*response, error) {
	key := u.String()
	if len(fo.hashes) == 0 {
		fo.hashes = nil
	}
	maxBody := fo.limit
	if fo.size >= 0 {
		maxBody = fo.size
	}
	cached, haveCached := c.cache.get(key, fo.accept, maxBody)
	if haveCached {
		if fo.hashes != nil {
			if verifyHashes(fo.name, fo.hashes, cached.body) == nil {
				return cachedResponse(cached), nil
			}
			haveCached = false
		} else if cached.fresh(c.now()) {
			return cachedResponse(cached), nil
		}
	}
	var last error
	attempts := c.opts.Retries + 1
	for attempt := range attempts {
		if attempt > 0 {
			if err := sleepCtx(ctx, c.backoff(attempt-1)); err != nil {
				return nil, fmt.Errorf("simpleapi: GET %s: %w", key, err)
			}
		}
		resp, retry, err := c.attempt(ctx, u, fo, cached, haveCached)
		if err == nil {
			if resp.unsaved && !fo.deferSave {
				c.save(ctx, resp)
			}
			return resp, nil
		}
		last = err
		if ctx.Err() != nil {
			return nil, fmt.Errorf("simpleapi: GET %s: %w", key, ctx.Err())
		}
		if !retry {
			return nil, err
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "simpleapi: retrying", slog.String("url", key), slog.Int("attempt", attempt+1), slog.String("error", err.Error()))
	}
	if se, ok := errors.AsType[*StatusError](last); ok {
		se.Attempts = attempts
		return nil, se
	}
	if te, ok := errors.AsType[*TimeoutError](last); ok {
		te.Attempts = attempts
		return nil, te
	}
	return nil, &TransportError{URL: key, Attempts: attempts, Err: last}
}

func cachedResponse(e *cacheEntry) *response {
	fu, err := url.Parse(e.FinalURL)
	if err != nil || e.FinalURL == "" {
		fu, _ = url.Parse(e.URL)
	}
	return &response{body: e.body, contentType: e.ContentType, finalURL: fu, fromCache: true, entry: e}
}

// save writes resp's cache entry. A cache that cannot be written costs
// speed, never a result, so failures are only logged.
func (c *Client) save(ctx context.Context, resp *response) {
	resp.unsaved = false
	if resp.entry == nil || c.cache == nil {
		return
	}
	if err := c.cache.put(resp.entry); err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "simpleapi: cache write failed", slog.String("error", err.Error()))
	}
}

// attempt makes one request. retry reports whether a failure is worth
// another attempt.
func (c *Client) attempt(ctx context.Context, u *url.URL, fo fetchOptions, cached *cacheEntry, haveCached bool) (_ *response, retry bool, _ error) {
	key := u.String()
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	defer func() { <-c.sem }()
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.opts.Timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.opts.Timeout)
	}
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, key, nil)
	if err != nil {
		return nil, false, fmt.Errorf("simpleapi: GET %s: %w", key, err)
	}
	if fo.accept != "" {
		req.Header.Set("Accept", fo.accept)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if haveCached && cached.ETag != "" && fo.hashes == nil {
		req.Header.Set("If-None-Match", cached.ETag)
	}
	c.authorize(req)
	start := c.now()
	resp, err := c.http.Do(req)
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return nil, true, &TimeoutError{URL: key, After: c.opts.Timeout}
		}
		// url.Error carries the request URL, which never holds credentials.
		return nil, true, err
	}
	defer resp.Body.Close()
	c.log.LogAttrs(ctx, slog.LevelDebug, "simpleapi: GET", slog.String("url", key), slog.Int("status", resp.StatusCode),
		slog.Duration("elapsed", c.now().Sub(start)))
	final, _, _ := stripCredentials(resp.Request.URL)
	switch {
	case resp.StatusCode == http.StatusNotModified && haveCached:
		_, _ = io.Copy(io.Discard, resp.Body)
		pol := parseCacheControl(resp.Header.Get("Cache-Control"))
		cached.Fetched, cached.MaxAge, cached.NoCache = c.now(), pol.maxAge, pol.noCache
		resp := cachedResponse(cached)
		resp.unsaved = true
		return resp, false, nil
	case resp.StatusCode == http.StatusNotFound:
		return nil, false, &NotFoundError{URLs: []string{key}}
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, true, &StatusError{URL: key, Status: resp.StatusCode}
	case resp.StatusCode != http.StatusOK:
		return nil, false, &StatusError{URL: key, Status: resp.StatusCode, Attempts: 1}
	}
	limit := fo.limit
	if fo.size >= 0 {
		limit = fo.size
	}
	if limit > 0 && resp.ContentLength > limit {
		return nil, false, &TooLargeError{URL: key, Limit: limit, Size: resp.ContentLength}
	}
	reader := io.Reader(resp.Body)
	if limit > 0 {
		reader = io.LimitReader(resp.Body, limit+1)
	}
	body, err := io.ReadAll(reader)
	if err == nil && limit > 0 && int64(len(body)) > limit {
		if fo.size >= 0 {
			return nil, false, &TruncatedError{URL: key, Want: fo.size, Got: int64(len(body))}
		}
		return nil, false, &TooLargeError{URL: key, Limit: limit, Size: -1}
	}
	if err != nil && actx.Err() != nil && ctx.Err() == nil {
		return nil, true, &TimeoutError{URL: key, After: c.opts.Timeout}
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) && resp.ContentLength >= 0 {
			return nil, true, &TruncatedError{URL: key, Want: resp.ContentLength, Got: int64(len(body))}
		}
		return nil, true, err
	}
	if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
		return nil, true, &TruncatedError{URL: key, Want: resp.ContentLength, Got: int64(len(body))}
	}
	if fo.size >= 0 && int64(len(body)) != fo.size {
		return nil, false, &TruncatedError{URL: key, Want: fo.size, Got: int64(len(body))}
	}
	if fo.hashes != nil {
		if err := verifyHashes(fo.name, fo.hashes, body); err != nil {
			return nil, false, err
		}
	}
	out := &response{body: body, contentType: resp.Header.Get("Content-Type"), finalURL: final}
	pol := parseCacheControl(resp.Header.Get("Cache-Control"))
	if c.cache != nil && (!pol.noStore || fo.hashes != nil) {
		sum := sha256.Sum256(body)
		out.entry = &cacheEntry{URL: key, Accept: fo.accept, ContentType: out.contentType, FinalURL: final.String(),
			ETag: resp.Header.Get("ETag"), MaxAge: pol.maxAge, NoCache: pol.noCache, Fetched: c.now(),
			BodySHA256: hex.EncodeToString(sum[:]), VerifiedHash: fo.hashes != nil, body: body}
		out.unsaved = true
	}
	return out, false, nil
}

func (c *Client) authorize(req *http.Request) {
	if cred, ok := c.creds[req.URL.Host]; ok {
		req.SetBasicAuth(cred.user, cred.password)
		return
	}
	if cred, ok := lookupNetrc(c.netrc, req.URL.Hostname()); ok {
		req.SetBasicAuth(cred.user, cred.password)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
