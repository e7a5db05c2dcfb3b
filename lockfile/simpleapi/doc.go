// Package simpleapi is the index client of pydeploy's lockfile workflow:
// the only part of locking that talks to the network. The resolver asks it
// which files a project has and what each version requires; everything it
// returns is raw protocol data (file names, hashes, specifier strings),
// left to lockfile/pep440, lockfile/pep508 and lockfile/wheel to interpret.
//
// It speaks the Python Simple repository API:
//
//   - PEP 691 JSON pages, with PEP 503 HTML as the fallback, chosen by
//     content negotiation; relative URLs are resolved against the page.
//   - PEP 658/714 metadata files (core-metadata / data-core-metadata and
//     the legacy dist-info-metadata names), hash-verified; when a wheel
//     offers none, Metadata downloads the wheel (hash-verified) and reads
//     its .dist-info/METADATA instead. ParseMetadata reads the core
//     metadata format on its own.
//   - PEP 592 yanked files (File.Selectable: only an exact pin may pick
//     one), PEP 700 upload-time (File.UploadedBy, for an exclude-newer
//     cut-off that makes re-locking reproducible), requires-python.
//
// DownloadFile is the installer's way in: it streams a distribution file
// (a URL from the index or from a lock) into the cache, checks its size
// and every hash given (sha256, sha384 or sha512 required) before it is
// stored, and returns the verified local path. Files live under
// CacheDir/files/<algorithm>-<digest>/<file name>, are hashed again on
// every later use, and concurrent calls for one file make one download.
//
// Several indexes combine in priority order. With the default FirstMatch
// strategy a project is taken from the first index that has it and never
// from a later one, so nobody can shadow a private package by publishing
// its name elsewhere; an index that fails (rather than answering 404) is an
// error, not a reason to try the next. UnsafeBestMatch merges every index,
// and Explicit indexes serve only the projects pinned to them.
//
// Credentials come from the index URL ("https://user:token@host/simple/")
// or a netrc file, are sent as basic auth to their host only, and never
// appear in returned URLs, errors, logs or the cache: the client stores
// URLs without credentials and attaches them per request.
//
// Responses are kept in an on-disk HTTP cache (Options.CacheDir) that
// honours Cache-Control (max-age, no-cache, no-store) and revalidates with
// ETag / If-None-Match; files and metadata whose hash the index published
// are immutable and reused without asking. Entries are written atomically
// and a corrupted entry is a miss, never an error. A project page's entry
// also holds the page in parsed form (a compact binary encoding, checked
// by CRC-32C and tied to the body's SHA-256, the page URL and the page
// kind), so a new client on a warm cache neither reads nor parses the
// body; a parsed form that is damaged or belongs to another body is
// ignored, the body parsed again and the entry rewritten. Within one
// Client, project pages and metadata are memoized in memory. Requests are bounded by
// Options.MaxParallel (Prefetch fetches many pages at once) and retried
// with exponential backoff and jitter on 5xx, 429 and transport failures,
// never on other 4xx. Failures are typed: *NotFoundError, *StatusError,
// *TransportError, *TruncatedError, *HashMismatchError.
package simpleapi
