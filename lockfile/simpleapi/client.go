package simpleapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

// Strategy says how several indexes combine.
type Strategy int

const (
	// FirstMatch takes a project from the first index (in Options.Indexes
	// order) that has it and never looks further, so a name published on a
	// later index cannot shadow it (no dependency confusion). The default.
	FirstMatch Strategy = iota
	// UnsafeBestMatch merges the files of every index that has the project
	// (earlier indexes first, the first file of a given name wins). Unsafe:
	// anyone who can publish the name on any index can win resolution.
	UnsafeBestMatch
)

// Index is one package index.
type Index struct {
	// URL is the Simple API root, e.g. "https://pypi.org/simple/". It may
	// carry credentials ("https://user:token@host/simple/"); they are
	// removed from every URL the client returns, logs or reports, and sent
	// as basic auth to that host only.
	URL string
	// Name identifies the index in File.Index and in errors; "" means the
	// URL's host.
	Name string
	// Explicit indexes are consulted only for projects pinned to them in
	// Options.Pins.
	Explicit bool
}

// Options configure a Client. The zero value of each field is usable.
type Options struct {
	// Indexes in priority order; at least one is required.
	Indexes []Index
	// Strategy combines indexes; FirstMatch by default.
	Strategy Strategy
	// Pins maps a project name to the Name of the only index it may come
	// from (the way to use an Explicit index).
	Pins map[string]string
	// CacheDir holds the HTTP cache; "" disables it.
	CacheDir string
	// HTTPClient is used for requests; nil means a client with default
	// transport settings.
	HTTPClient *http.Client
	// MaxParallel bounds concurrent requests; 0 means 8.
	MaxParallel int
	// Retries is how many times a request failing with 5xx, 429 or a
	// transport error is retried; 0 means 3, a negative value none.
	Retries int
	// Timeout bounds each attempt, body included; 0 means 30s. A request
	// that times out fails with a *TimeoutError naming the URL.
	Timeout time.Duration
	// MaxPageBytes bounds a project page's body; 0 means 64 MiB (PyPI's
	// largest pages are a few MiB). MaxMetadataBytes bounds a core metadata
	// file, and the METADATA read from a wheel; 0 means 16 MiB.
	// MaxFileBytes bounds a downloaded distribution whose size the index
	// does not advertise (an advertised size is enforced exactly); 0 means
	// 4 GiB. A body over its limit is refused with a *TooLargeError,
	// without reading the rest.
	MaxPageBytes     int64
	MaxMetadataBytes int64
	MaxFileBytes     int64
	// Backoff returns the delay before retry attempt n (0-based); nil means
	// DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// Netrc is the path of a netrc file with credentials by host; "" means
	// $NETRC, else ~/.netrc when it exists. NoNetrc disables netrc.
	Netrc   string
	NoNetrc bool
	// UserAgent of requests; "" means "pydeploy-simpleapi".
	UserAgent string
	// Logger receives debug lines per request (URLs without credentials);
	// nil discards them.
	Logger *slog.Logger
	// Now is the clock for cache freshness; nil means time.Now.
	Now func() time.Time
}

// Client fetches project pages, metadata and files from Simple API
// indexes. It is safe for concurrent use; project pages and metadata are
// memoized for the client's lifetime.
type Client struct {
	opts    Options
	indexes []index
	http    *http.Client
	cache   *diskCache
	creds   map[string]credentials // by host[:port] of an index URL
	netrc   []netrcEntry
	sem     chan struct{}
	log     *slog.Logger
	backoff func(int) time.Duration

	mu       sync.Mutex
	projects map[string]*projectCall
	metadata map[string]*Metadata // by metadataKey
	files    map[string]*fileCall // DownloadFile calls in progress, by path
}

// index is a configured index with credentials removed from its URL.
type index struct {
	Index
	base *url.URL
}

type projectCall struct {
	done chan struct{}
	p    *Project
	err  error
}

// New returns a client. It reports bad index URLs and unreadable netrc
// files; errors never include credentials.
func New(opts Options) (*Client, error) {
	if len(opts.Indexes) == 0 {
		return nil, errors.New("simpleapi: Options.Indexes is empty; want at least one index URL")
	}
	c := &Client{opts: opts, creds: map[string]credentials{}, projects: map[string]*projectCall{}, metadata: map[string]*Metadata{}, files: map[string]*fileCall{}}
	if c.opts.MaxParallel <= 0 {
		c.opts.MaxParallel = 8
	}
	switch {
	case c.opts.Retries == 0:
		c.opts.Retries = 3
	case c.opts.Retries < 0:
		c.opts.Retries = 0
	}
	if c.opts.Timeout == 0 {
		c.opts.Timeout = 30 * time.Second
	}
	if c.opts.MaxPageBytes <= 0 {
		c.opts.MaxPageBytes = 64 << 20
	}
	if c.opts.MaxMetadataBytes <= 0 {
		c.opts.MaxMetadataBytes = maxMetadataSize
	}
	if c.opts.MaxFileBytes <= 0 {
		c.opts.MaxFileBytes = 4 << 30
	}
	if c.opts.UserAgent == "" {
		c.opts.UserAgent = "pydeploy-simpleapi"
	}
	c.http = opts.HTTPClient
	if c.http == nil {
		c.http = &http.Client{}
	}
	c.log = opts.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.backoff = opts.Backoff
	if c.backoff == nil {
		c.backoff = DefaultBackoff
	}
	c.sem = make(chan struct{}, c.opts.MaxParallel)
	if opts.CacheDir != "" {
		c.cache = &diskCache{dir: opts.CacheDir}
	}
	names := map[string]bool{}
	for i, ix := range opts.Indexes {
		u, err := url.Parse(strings.TrimSpace(ix.URL))
		if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("simpleapi: Options.Indexes[%d].URL %q is not an absolute http(s) URL", i, Redact(ix.URL))
		}
		base, cred, hasCred := stripCredentials(u)
		if !strings.HasSuffix(base.Path, "/") {
			base.Path += "/"
		}
		base.RawQuery, base.Fragment = "", ""
		if hasCred {
			c.creds[base.Host] = cred
		}
		ix.URL = base.String()
		if ix.Name == "" {
			ix.Name = base.Host
		}
		if names[ix.Name] {
			return nil, fmt.Errorf("simpleapi: Options.Indexes[%d]: index name %q is used twice", i, ix.Name)
		}
		names[ix.Name] = true
		c.indexes = append(c.indexes, index{Index: ix, base: base})
	}
	for p, name := range opts.Pins {
		if !names[name] {
			return nil, fmt.Errorf("simpleapi: Options.Pins[%q] names index %q, which is not in Options.Indexes", p, name)
		}
	}
	if !opts.NoNetrc {
		path := opts.Netrc
		explicit := path != ""
		if path == "" {
			path = os.Getenv("NETRC")
			explicit = path != ""
		}
		if path == "" {
			if home, err := os.UserHomeDir(); err == nil {
				path = filepath.Join(home, ".netrc")
			}
		}
		if path != "" {
			entries, err := loadNetrc(path)
			if err != nil && (explicit || !errors.Is(err, os.ErrNotExist)) {
				return nil, err
			}
			c.netrc = entries
		}
	}
	return c, nil
}

func (c *Client) now() time.Time {
	if c.opts.Now != nil {
		return c.opts.Now()
	}
	return time.Now()
}

// Indexes returns the configured indexes with credentials removed.
func (c *Client) Indexes() []Index {
	out := make([]Index, len(c.indexes))
	for i, ix := range c.indexes {
		out[i] = ix.Index
	}
	return out
}

// Project returns the files of a project (any spelling of its name),
// consulting indexes as Options.Strategy and Options.Pins say. A project
// absent from every index gives a *NotFoundError; any other failure of an
// index consulted is returned rather than skipped, so an outage never
// silently shifts a project to a lower-priority index.
func (c *Client) Project(ctx context.Context, name string) (*Project, error) {
	n := pep508.CanonicalName(name)
	if n == "" {
		return nil, errors.New("simpleapi: empty project name")
	}
	c.mu.Lock()
	call, ok := c.projects[n]
	if !ok {
		call = &projectCall{done: make(chan struct{})}
		c.projects[n] = call
		c.mu.Unlock()
		call.p, call.err = c.fetchProject(ctx, n)
		if call.err != nil {
			// Failures are not memoized: a later call may succeed.
			c.mu.Lock()
			delete(c.projects, n)
			c.mu.Unlock()
		}
		close(call.done)
	} else {
		c.mu.Unlock()
	}
	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("simpleapi: project %q: %w", n, ctx.Err())
	}
	if call.err != nil {
		return nil, call.err
	}
	return call.p, nil
}

// Prefetch fetches the pages of names concurrently (bounded by
// Options.MaxParallel) so later Project calls are answered from memory. It
// returns the first error in names order, after every fetch finished.
func (c *Client) Prefetch(ctx context.Context, names ...string) error {
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() {
			_, errs[i] = c.Project(ctx, n)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) fetchProject(ctx context.Context, n string) (*Project, error) {
	var candidates []index
	if pin, ok := c.pin(n); ok {
		for _, ix := range c.indexes {
			if ix.Name == pin {
				candidates = append(candidates, ix)
			}
		}
	} else {
		for _, ix := range c.indexes {
			if !ix.Explicit {
				candidates = append(candidates, ix)
			}
		}
	}
	var notFound []string
	var merged *Project
	seen := map[string]bool{}
	for _, ix := range candidates {
		p, err := c.fetchPage(ctx, ix, n)
		if nf, ok := errors.AsType[*NotFoundError](err); ok {
			notFound = append(notFound, nf.URLs...)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("simpleapi: project %q on index %s: %w", n, ix.Name, err)
		}
		if c.opts.Strategy == FirstMatch {
			return p, nil
		}
		if merged == nil {
			merged = &Project{Name: n}
		}
		mergeProject(merged, p, seen)
	}
	if merged != nil {
		return merged, nil
	}
	if len(candidates) == 0 {
		return nil, &NotFoundError{Project: n}
	}
	return nil, &NotFoundError{Project: n, URLs: notFound}
}

func (c *Client) pin(n string) (string, bool) {
	for p, ix := range c.opts.Pins {
		if pep508.CanonicalName(p) == n {
			return ix, true
		}
	}
	return "", false
}

func mergeProject(dst, src *Project, seen map[string]bool) {
	have := map[string]bool{}
	for _, v := range dst.Versions {
		have[v] = true
	}
	for _, v := range src.Versions {
		if !have[v] {
			have[v] = true
			dst.Versions = append(dst.Versions, v)
		}
	}
	for _, f := range src.Files {
		if !seen[f.Filename] {
			seen[f.Filename] = true
			dst.Files = append(dst.Files, f)
		}
	}
}

// fetchPage gets and decodes one index's page for project n. The parsed
// form of the page is kept in its cache entry: a fresh entry with a valid
// parsed form is used without reading or parsing the body.
func (c *Client) fetchPage(ctx context.Context, ix index, n string) (*Project, error) {
	u := ix.base.JoinPath(n)
	u.Path += "/"
	key := u.String()
	p, ok := c.cachedPage(key, n)
	if !ok {
		var err error
		if p, err = c.downloadPage(ctx, u, n); err != nil {
			return nil, err
		}
	}
	if p.Name == "" {
		p.Name = n
	}
	if p.Name != n {
		return nil, fmt.Errorf("GET %s: page is for project %q, want %q", u, p.Name, n)
	}
	for i := range p.Files {
		p.Files[i].Index = ix.Name
		p.Files[i].Project = n
	}
	return p, nil
}

// cachedPage returns the page from the parsed form of a fresh cache entry;
// ok is false when there is none to use. An unusable entry is a miss, not
// an error: the page is downloaded again.
func (c *Client) cachedPage(key, n string) (p *Project, ok bool) {
	e, ok := c.cache.getParsed(key, acceptPage)
	if !ok || !e.fresh(c.now()) {
		return nil, false
	}
	kind, err := pageKind(e.ContentType)
	if err != nil {
		return nil, false
	}
	// The base URL as downloadPage would see it for this entry.
	p, err = decodeParsed(newParseKey(e.BodySHA256, kind, cachedResponse(e).finalURL, n), e.parsed)
	return p, err == nil
}

func newParseKey(bodySHA256, kind string, base *url.URL, n string) parseKey {
	k := parseKey{bodySHA256: bodySHA256, kind: kind}
	if base != nil {
		k.base = base.String()
	}
	if kind == "html" {
		k.name = n
	}
	return k
}

// downloadPage fetches the page (from the network or the cache entry's
// body), parses it unless the entry's parsed form matches, and writes the
// entry with its parsed form when it is new, revalidated or lacked one.
func (c *Client) downloadPage(ctx context.Context, u *url.URL, n string) (*Project, error) {
	resp, err := c.fetch(ctx, u, fetchOptions{accept: acceptPage, name: u.String(), size: -1, limit: c.opts.MaxPageBytes, deferSave: true})
	if err != nil {
		return nil, err
	}
	// Written on every return: a page that fails to parse is cached like
	// any other response, as the body is what the index served.
	defer func() {
		if resp.unsaved {
			c.save(ctx, resp)
		}
	}()
	kind, err := pageKind(resp.contentType)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	var pk parseKey
	var p *Project
	if resp.entry != nil {
		pk = newParseKey(resp.entry.BodySHA256, kind, resp.finalURL, n)
		if resp.entry.parsed != nil {
			if p, err = decodeParsed(pk, resp.entry.parsed); err != nil {
				p = nil
			}
		}
	}
	if p == nil {
		if kind == "json" {
			p, err = ParseJSON(resp.body, resp.finalURL)
		} else {
			p, err = ParseHTML(resp.body, n, resp.finalURL)
		}
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", u, err)
		}
		if resp.entry != nil {
			// New, or replacing a missing, damaged or stale parsed form.
			resp.entry.parsed = encodeParsed(pk, p)
			resp.unsaved = true
		}
	}
	return p, nil
}
