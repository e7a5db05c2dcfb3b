package simpleapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cacheEntry is the header of a cached response; the body follows it in
// the same file, after one newline.
type cacheEntry struct {
	URL          string    `json:"url"`
	Accept       string    `json:"accept,omitempty"`
	ContentType  string    `json:"content_type,omitempty"`
	FinalURL     string    `json:"final_url"`
	ETag         string    `json:"etag,omitempty"`
	MaxAge       int64     `json:"max_age"` // seconds; -1 when absent
	NoCache      bool      `json:"no_cache,omitempty"`
	Fetched      time.Time `json:"fetched"`
	BodySHA256   string    `json:"body_sha256"`
	VerifiedHash bool      `json:"verified_hash,omitempty"`

	body []byte
}

// diskCache stores responses under dir, one file per URL and Accept value.
// Writes are atomic; unreadable or inconsistent entries count as misses.
type diskCache struct {
	dir string
}

func (c *diskCache) path(rawURL, accept string) string {
	sum := sha256.Sum256([]byte(rawURL + "\n" + accept))
	h := hex.EncodeToString(sum[:])
	return filepath.Join(c.dir, h[:2], h+".entry")
}

func (c *diskCache) get(rawURL, accept string) (*cacheEntry, bool) {
	if c == nil {
		return nil, false
	}
	data, err := os.ReadFile(c.path(rawURL, accept))
	if err != nil {
		return nil, false
	}
	head, body, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return nil, false
	}
	var e cacheEntry
	if err := json.Unmarshal(head, &e); err != nil || e.URL != rawURL || e.Accept != accept {
		return nil, false
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != e.BodySHA256 {
		return nil, false
	}
	e.body = body
	return &e, true
}

func (c *diskCache) put(e *cacheEntry) error {
	if c == nil {
		return nil
	}
	sum := sha256.Sum256(e.body)
	e.BodySHA256 = hex.EncodeToString(sum[:])
	head, err := json.Marshal(e)
	if err != nil {
		return err
	}
	p := c.path(e.URL, e.Accept)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("simpleapi: cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("simpleapi: cache: %w", err)
	}
	_, werr := tmp.Write(append(append(head, '\n'), e.body...))
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("simpleapi: cache: writing %s: %v %v", tmp.Name(), werr, cerr)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("simpleapi: cache: %w", err)
	}
	return nil
}

// cachePolicy is what a response's Cache-Control allows.
type cachePolicy struct {
	noStore, noCache bool
	maxAge           int64 // -1 when absent
}

func parseCacheControl(h string) cachePolicy {
	p := cachePolicy{maxAge: -1}
	for _, d := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "no-store":
			p.noStore = true
		case "no-cache":
			p.noCache = true
		case "max-age":
			if n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(v), `"`), 10, 64); err == nil && n >= 0 {
				p.maxAge = n
			}
		}
	}
	return p
}

// fresh reports whether e may be used without asking the server.
func (e *cacheEntry) fresh(now time.Time) bool {
	if e.VerifiedHash {
		return true
	}
	if e.NoCache || e.MaxAge < 0 {
		return false
	}
	return now.Sub(e.Fetched) < time.Duration(e.MaxAge)*time.Second
}
