package install

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strconv"
	"strings"
)

// RecordEntry is one row of a .dist-info/RECORD file: a path relative to
// the directory holding the .dist-info (for an installed distribution, the
// site-packages directory; paths of scripts start with "../"), the hash
// of the file and its size.
type RecordEntry struct {
	Path string
	// Hash is "<algorithm>=<urlsafe-base64 digest without padding>", or ""
	// for files listed without one (RECORD itself, .pyc files).
	Hash string
	// Size is the file size in bytes, -1 when not given.
	Size int64
}

// maxRecordSize bounds a RECORD file; the largest real ones (big
// packages with tens of thousands of files) are a few megabytes.
const maxRecordSize = 64 << 20

// ParseRecord reads a RECORD file: CSV rows of path, hash and size, as
// Python's csv module writes them (quoted fields, CRLF or LF line
// endings). Rows with more than three fields keep the first three; an
// empty path, a malformed hash or size is an error naming the line.
func ParseRecord(data []byte) ([]RecordEntry, error) {
	if len(data) > maxRecordSize {
		return nil, fmt.Errorf("RECORD is %d bytes, more than the %d allowed", len(data), maxRecordSize)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	var out []RecordEntry
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("RECORD: %w", err)
		}
		e := RecordEntry{Path: row[0], Size: -1}
		if e.Path == "" {
			return nil, fmt.Errorf("RECORD line %d: empty path", line)
		}
		if len(row) > 1 && row[1] != "" {
			if _, _, err := splitHash(row[1]); err != nil {
				return nil, fmt.Errorf("RECORD line %d: %s: %w", line, e.Path, err)
			}
			e.Hash = row[1]
		}
		if len(row) > 2 && row[2] != "" {
			n, err := strconv.ParseInt(row[2], 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("RECORD line %d: %s: size %q is not a byte count", line, e.Path, row[2])
			}
			e.Size = n
		}
		out = append(out, e)
	}
}

// recordHashes are the algorithms a RECORD may use (the binary
// distribution format forbids md5 and sha1).
var recordHashes = map[string]func() hash.Hash{
	"sha256": sha256.New,
	"sha384": sha512.New384,
	"sha512": sha512.New,
}

// splitHash parses "sha256=<b64>" into the algorithm and the digest bytes.
func splitHash(s string) (string, []byte, error) {
	alg, b64, ok := strings.Cut(s, "=")
	newHash, known := recordHashes[alg]
	if !ok || !known {
		return "", nil, fmt.Errorf("hash %q: expected sha256=, sha384= or sha512= and a digest", s)
	}
	sum, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(b64, "="))
	if err != nil || len(sum) != newHash().Size() {
		return "", nil, fmt.Errorf("hash %q: digest is not the urlsafe base64 of a %s digest", s, alg)
	}
	return alg, sum, nil
}

// RecordHash returns "<alg>=<digest>" of data for a RECORD row.
func RecordHash(alg string, data []byte) (string, error) {
	newHash, ok := recordHashes[alg]
	if !ok {
		return "", fmt.Errorf("unknown RECORD hash algorithm %q", alg)
	}
	h := newHash()
	h.Write(data)
	return alg + "=" + base64.RawURLEncoding.EncodeToString(h.Sum(nil)), nil
}

// Matches reports whether digest (the raw sum of the algorithm e.Hash
// names) and size agree with the row; a row without hash matches nothing.
func (e RecordEntry) Matches(alg string, digest []byte, size int64) bool {
	a, want, err := splitHash(e.Hash)
	if err != nil || a != alg {
		return false
	}
	return bytes.Equal(want, digest) && (e.Size < 0 || e.Size == size)
}

// Algorithm is the hash algorithm of the row, "" when it has no hash.
func (e RecordEntry) Algorithm() string {
	a, _, _ := strings.Cut(e.Hash, "=")
	return a
}

// recordRow is an installed RECORD row: size as written (it may be "").
type recordRow struct{ path, hash, size string }

// writeRecord renders rows as pip does: sorted by path, hash, size (as
// strings) and written by Python's csv module (excel dialect: minimal
// quoting, CRLF line endings).
func writeRecord(rows []recordRow) []byte {
	slices.SortFunc(rows, func(a, b recordRow) int {
		if c := strings.Compare(a.path, b.path); c != 0 {
			return c
		}
		if c := strings.Compare(a.hash, b.hash); c != 0 {
			return c
		}
		return strings.Compare(a.size, b.size)
	})
	var b bytes.Buffer
	for _, r := range rows {
		b.WriteString(csvField(r.path) + "," + csvField(r.hash) + "," + csvField(r.size) + "\r\n")
	}
	return b.Bytes()
}

// csvField quotes like csv.QUOTE_MINIMAL: only fields holding the
// delimiter, the quote character or a line break.
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
