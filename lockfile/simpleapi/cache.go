package simpleapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pydeploy/pydeploy/internal/atomicfile"
	"github.com/pydeploy/pydeploy/internal/boundedfile"
)

// cacheEntry is the header of a cached response. The file holds the
// header as one line of JSON, then the body, then (for project pages) the
// page's parsed form (see parsed.go), ParsedSize bytes long.
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
	ParsedSize   int64     `json:"parsed_size,omitempty"`

	body   []byte
	parsed []byte
}

// diskCache stores responses under dir, one file per URL and Accept value.
// Writes are atomic; unreadable or inconsistent entries count as misses.
type diskCache struct {
	dir string

	mu      sync.Mutex
	dirMade bool // dir exists (created or seen by this client)
}

func (c *diskCache) path(rawURL, accept string) string {
	sum := sha256.Sum256([]byte(rawURL + "\n" + accept))
	return filepath.Join(c.dir, hex.EncodeToString(sum[:])+".entry")
}

// get reads a whole entry and verifies its body against the recorded
// SHA-256; the parsed form, if any, is returned unchecked. An entry whose
// body is more than maxBody bytes (0: no bound), whose parsed form is more
// than maxParsedSize, or that is not a regular file (a named pipe left in
// the cache directory) is a miss, found without reading past the header.
func (c *diskCache) get(rawURL, accept string, maxBody int64) (*cacheEntry, bool) {
	if c == nil {
		return nil, false
	}
	f, e, rest, ok := c.open(rawURL, accept)
	if !ok {
		return nil, false
	}
	defer f.Close()
	bodySize := rest - e.ParsedSize
	if bodySize < 0 || (maxBody > 0 && bodySize > maxBody) || e.ParsedSize > maxParsedSize {
		return nil, false
	}
	data := make([]byte, rest)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, false
	}
	if n, _ := f.Read(make([]byte, 1)); n != 0 {
		return nil, false // the file grew since it was opened
	}
	body := data[:bodySize]
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != e.BodySHA256 {
		return nil, false
	}
	e.body, e.parsed = body, data[bodySize:]
	if len(e.parsed) == 0 {
		e.parsed = nil
	}
	return e, true
}

// maxHeader bounds the header line of an entry: a URL, a final URL, an
// ETag and a content type.
const maxHeader = 64 << 10

// maxParsedSize bounds the parsed form of a page read back from the cache
// (256 MiB). It may be larger than the page (relative links become
// absolute URLs), so it is not bounded by Options.MaxPageBytes.
const maxParsedSize = 256 << 20

// open opens an entry, reads and decodes its header line and returns the
// file positioned after it with the number of bytes that follow; ok is
// false for an absent, non-regular or unreadable entry, or one for another
// URL.
func (c *diskCache) open(rawURL, accept string) (f *os.File, e *cacheEntry, rest int64, ok bool) {
	f, st, err := boundedfile.Open(c.path(rawURL, accept))
	if err != nil {
		return nil, nil, 0, false
	}
	buf := make([]byte, 4096)
	var head []byte
	for n := 0; ; {
		m, err := f.Read(buf[n:])
		n += m
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			head = buf[:i]
			break
		}
		if err != nil || n == maxHeader {
			f.Close()
			return nil, nil, 0, false
		}
		if n == len(buf) {
			buf = append(buf, make([]byte, min(len(buf), maxHeader-len(buf)))...)
		}
	}
	e, ok = decodeHeader(head, rawURL, accept)
	if !ok {
		f.Close()
		return nil, nil, 0, false
	}
	rest = st.Size() - int64(len(head)) - 1
	if _, err := f.Seek(int64(len(head))+1, io.SeekStart); err != nil || rest < 0 {
		f.Close()
		return nil, nil, 0, false
	}
	return f, e, rest, true
}

// getParsed reads the header and the parsed form of an entry without its
// body, for a warm run that needs only the parsed form; ok is false when
// there is no readable entry with a parsed form. The parsed form is
// checked by decodeParsed.
func (c *diskCache) getParsed(rawURL, accept string) (*cacheEntry, bool) {
	if c == nil {
		return nil, false
	}
	f, e, rest, ok := c.open(rawURL, accept)
	if !ok {
		return nil, false
	}
	defer f.Close()
	if e.ParsedSize <= 0 || e.ParsedSize > maxParsedSize || rest < e.ParsedSize {
		return nil, false
	}
	if _, err := f.Seek(rest-e.ParsedSize, io.SeekCurrent); err != nil {
		return nil, false
	}
	e.parsed = make([]byte, e.ParsedSize)
	if _, err := io.ReadFull(f, e.parsed); err != nil {
		return nil, false
	}
	return e, true
}

func decodeHeader(head []byte, rawURL, accept string) (*cacheEntry, bool) {
	var e cacheEntry
	if err := json.Unmarshal(head, &e); err != nil || e.URL != rawURL || e.Accept != accept || e.ParsedSize < 0 {
		return nil, false
	}
	return &e, true
}

// put writes e (header, body and parsed form) atomically.
func (c *diskCache) put(e *cacheEntry) error {
	if c == nil {
		return nil
	}
	if e.BodySHA256 == "" {
		sum := sha256.Sum256(e.body)
		e.BodySHA256 = hex.EncodeToString(sum[:])
	}
	e.ParsedSize = int64(len(e.parsed))
	head, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := c.mkdir(); err != nil {
		return err
	}
	f, err := atomicfile.Create(c.path(e.URL, e.Accept), 0o644)
	if err != nil {
		return fmt.Errorf("simpleapi: cache: %w", err)
	}
	defer f.Abort()
	f.NoSync = true // get and getParsed check every entry; a crash may only lose some
	data := make([]byte, 0, len(head)+1+len(e.body)+len(e.parsed))
	data = append(append(append(append(data, head...), '\n'), e.body...), e.parsed...)
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("simpleapi: cache: writing %s: %w", f.Name(), err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("simpleapi: cache: %w", err)
	}
	return nil
}

// mkdir creates the cache directory once per client; a failure is retried
// on the next write.
func (c *diskCache) mkdir() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dirMade {
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("simpleapi: cache: %w", err)
	}
	c.dirMade = true
	return nil
}

// cachePolicy is what a response's Cache-Control allows.
type cachePolicy struct {
	noStore, noCache bool
	maxAge           int64 // -1 when absent
}

func parseCacheControl(h string) cachePolicy {
	p := cachePolicy{maxAge: -1}
	for d := range strings.SplitSeq(h, ",") {
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
