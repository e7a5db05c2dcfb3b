package simpleapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// HashMismatchError reports a body whose digest differs from the one the
// index advertised: a corrupted, truncated or tampered file.
type HashMismatchError struct {
	// File is the file name (or URL, credentials removed) that was checked.
	File      string
	Algorithm string
	Want, Got string
}

// Error names the algorithm and the file, and gives the digest the index
// advertised and the digest of the body downloaded.
func (e *HashMismatchError) Error() string {
	return fmt.Sprintf("simpleapi: %s hash mismatch for %s: index advertised %s, downloaded body has %s", e.Algorithm, e.File, e.Want, e.Got)
}

// NotFoundError reports a project that no index has (404 on every index
// consulted), or a file URL that answered 404.
type NotFoundError struct {
	// Project is the normalized project name, or "" for a file URL.
	Project string
	// URLs are the URLs that answered 404, credentials removed.
	URLs []string
}

// Error names the project (when there is one) and every URL that answered
// 404, credentials removed.
func (e *NotFoundError) Error() string {
	if e.Project != "" {
		return fmt.Sprintf("simpleapi: project %q not found on any index (404 from %s)", e.Project, strings.Join(e.URLs, ", "))
	}
	return fmt.Sprintf("simpleapi: not found (404 from %s)", strings.Join(e.URLs, ", "))
}

// StatusError is an HTTP answer that is neither success nor 404, after any
// retries.
type StatusError struct {
	URL    string // credentials removed
	Status int
	// Attempts is how many requests were made.
	Attempts int
}

// Error names the URL (credentials removed), the HTTP status of the last
// answer and how many requests were made.
func (e *StatusError) Error() string {
	return fmt.Sprintf("simpleapi: GET %s: HTTP status %d after %d attempt(s)", e.URL, e.Status, e.Attempts)
}

// TruncatedError reports a body shorter (or longer) than its declared
// Content-Length or the size the index advertised.
type TruncatedError struct {
	URL       string // credentials removed
	Want, Got int64
}

// Error names the URL (credentials removed) and the bytes received against
// the bytes expected.
func (e *TruncatedError) Error() string {
	return fmt.Sprintf("simpleapi: GET %s: body has %d bytes, expected %d (truncated transfer)", e.URL, e.Got, e.Want)
}

// ErrNoMetadata is returned by Client.Metadata for a file whose metadata
// cannot be read without building it (an sdist with no metadata file).
var ErrNoMetadata = errors.New("simpleapi: no core metadata available without a build")

// TransportError is a request that failed below HTTP (connection refused or
// reset, timeout, truncated body) on every attempt.
type TransportError struct {
	URL      string // credentials removed
	Attempts int
	Err      error
}

// Error names the URL (credentials removed), the number of attempts and
// the last attempt's error.
func (e *TransportError) Error() string {
	return fmt.Sprintf("simpleapi: GET %s failed after %d attempt(s): %v", e.URL, e.Attempts, e.Err)
}

// Unwrap returns the last attempt's error.
func (e *TransportError) Unwrap() error { return e.Err }

// TooLargeError reports a body larger than the client accepts (see
// Options.MaxPageBytes, MaxMetadataBytes and MaxFileBytes): the rest is not
// read.
type TooLargeError struct {
	URL   string // credentials removed
	Limit int64
	// Size is the declared Content-Length, -1 when the body simply ran
	// past the limit.
	Size int64
}

// Error names the URL (credentials removed), the limit and, when the
// Content-Length declared it, the body's size.
func (e *TooLargeError) Error() string {
	if e.Size >= 0 {
		return fmt.Sprintf("simpleapi: GET %s: the body is %d bytes, more than the %d allowed", e.URL, e.Size, e.Limit)
	}
	return fmt.Sprintf("simpleapi: GET %s: the body is more than the %d bytes allowed", e.URL, e.Limit)
}

// TimeoutError reports an index that did not answer (or did not finish
// sending) within the per-request timeout, on every attempt.
type TimeoutError struct {
	URL string // credentials removed
	// After is the per-request timeout that expired.
	After    time.Duration
	Attempts int
}

// Error names the URL (credentials removed), the per-request timeout that
// expired and how many attempts were made.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("simpleapi: GET %s: no complete answer within %s (the per-request timeout) on %d attempt(s); the index is stalled or unreachable", e.URL, e.After, max(e.Attempts, 1))
}

// Timeout reports true, as net.Error does.
func (e *TimeoutError) Timeout() bool { return true }

// Unwrap returns context.DeadlineExceeded, so errors.Is treats the error as
// the deadline it is.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }
