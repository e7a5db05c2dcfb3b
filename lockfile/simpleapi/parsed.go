package simpleapi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"slices"
	"time"
)

// The parsed form of a project page is kept in the page's cache entry, after
// the body, so that a warm run reads a compact binary encoding instead of
// decoding JSON or HTML again. It records what it was parsed from (the
// body's SHA-256, the page kind, the base URL and, for HTML, the project
// name); a parsed form that does not match the entry it sits in, fails its
// CRC-32C or does not decode is ignored and the body is parsed again.

// parsedMagic starts every parsed form; the digit is the format version.
const parsedMagic = "pdp1"

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// parseKey is what a parsed form depends on besides the parser itself.
type parseKey struct {
	bodySHA256 string
	kind       string // "json" or "html"
	base       string // page URL relative links resolve against
	name       string // project name the HTML parser was given; "" for JSON
}

// encodeParsed returns the parsed form of p, parsed from the page k names.
// The encoding is deterministic: hash maps are written in key order.
func encodeParsed(k parseKey, p *Project) []byte {
	size := 64 + len(k.bodySHA256) + len(k.base) + len(p.Name)
	for i := range p.Files {
		f := &p.Files[i]
		size += 48 + len(f.Project) + len(f.Filename) + len(f.URL) + len(f.RequiresPython) + len(f.YankedReason) + len(f.Index)
		for k, v := range f.Hashes {
			size += 4 + len(k) + len(v)
		}
		for k, v := range f.CoreMetadataHashes {
			size += 4 + len(k) + len(v)
		}
	}
	w := encoder{buf: make([]byte, 0, size)}
	w.buf = append(w.buf, parsedMagic...)
	w.str(k.bodySHA256)
	w.str(k.kind)
	w.str(k.base)
	w.str(k.name)
	w.str(p.Name)
	w.strs(p.Versions)
	w.uvarint(uint64(len(p.Files)))
	for i := range p.Files {
		f := &p.Files[i]
		w.str(f.Project)
		w.str(f.Filename)
		w.str(f.URL)
		w.hashes(f.Hashes)
		w.str(f.RequiresPython)
		w.bool(f.Yanked)
		w.str(f.YankedReason)
		w.time(f.UploadTime)
		w.varint(f.Size)
		w.bool(f.CoreMetadata)
		w.hashes(f.CoreMetadataHashes)
		w.str(f.Index)
	}
	return binary.BigEndian.AppendUint32(w.buf, crc32.Checksum(w.buf, crcTable))
}

// errParsed is the (internal) reason a parsed form is not used.
var errParsed = errors.New("parsed page form is invalid")

// decodeParsed decodes a parsed form made by encodeParsed for the page k
// names. Any mismatch or damage is an error; it never panics.
func decodeParsed(k parseKey, data []byte) (*Project, error) {
	if len(data) < len(parsedMagic)+4 || string(data[:len(parsedMagic)]) != parsedMagic {
		return nil, fmt.Errorf("%w: no %q header", errParsed, parsedMagic)
	}
	payload, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(payload, crcTable) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", errParsed)
	}
	// One string holds every text of the page; decoded strings share it.
	r := decoder{s: string(payload[len(parsedMagic):])}
	if r.str() != k.bodySHA256 || r.str() != k.kind || r.str() != k.base || r.str() != k.name {
		if r.err != nil {
			return nil, r.err
		}
		return nil, fmt.Errorf("%w: parsed from a different body, kind, URL or name", errParsed)
	}
	p := &Project{Name: r.str(), Versions: r.strs()}
	n := r.count()
	if n > 0 {
		p.Files = make([]File, n)
	}
	for i := 0; i < n && r.err == nil; i++ {
		f := &p.Files[i]
		f.Project = r.str()
		f.Filename = r.str()
		f.URL = r.str()
		f.Hashes = r.hashes()
		f.RequiresPython = r.str()
		f.Yanked = r.bool()
		f.YankedReason = r.str()
		f.UploadTime = r.time()
		f.Size = r.varint()
		f.CoreMetadata = r.bool()
		f.CoreMetadataHashes = r.hashes()
		f.Index = r.str()
	}
	if r.err == nil && r.s != "" {
		r.err = fmt.Errorf("%w: %d bytes after the last file", errParsed, len(r.s))
	}
	if r.err != nil {
		return nil, r.err
	}
	return p, nil
}

type encoder struct{ buf []byte }

func (w *encoder) uvarint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v) }
func (w *encoder) varint(v int64)   { w.buf = binary.AppendVarint(w.buf, v) }
func (w *encoder) str(s string)     { w.uvarint(uint64(len(s))); w.buf = append(w.buf, s...) }

func (w *encoder) bool(b bool) {
	if b {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
}

// strs writes a nil slice as 0 and others as length+1, so that nil and
// empty stay apart.
func (w *encoder) strs(ss []string) {
	if ss == nil {
		w.uvarint(0)
		return
	}
	w.uvarint(uint64(len(ss)) + 1)
	for _, s := range ss {
		w.str(s)
	}
}

func (w *encoder) hashes(m map[string]string) {
	if m == nil {
		w.uvarint(0)
		return
	}
	w.uvarint(uint64(len(m)) + 1)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		w.str(k)
		w.str(m[k])
	}
}

func (w *encoder) time(t time.Time) {
	if t.IsZero() {
		w.bool(false)
		return
	}
	w.bool(true)
	w.varint(t.Unix())
	w.uvarint(uint64(t.Nanosecond()))
}

// decoder reads what encoder wrote; the first problem sticks in err and
// every later read returns a zero value.
type decoder struct {
	s   string
	err error
}

func (r *decoder) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated or malformed %s", errParsed, what)
	}
	r.s = ""
}

func (r *decoder) uvarint() uint64 {
	var v uint64
	var shift uint
	for i := 0; i < len(r.s) && i < binary.MaxVarintLen64; i++ {
		b := r.s[i]
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				break
			}
			r.s = r.s[i+1:]
			return v | uint64(b)<<shift
		}
		v |= uint64(b&0x7f) << shift
		shift += 7
	}
	r.fail("number")
	return 0
}

func (r *decoder) varint() int64 {
	u := r.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (r *decoder) str() string {
	n := r.uvarint()
	if n > uint64(len(r.s)) {
		r.fail("string")
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

func (r *decoder) bool() bool {
	if r.s == "" || r.s[0] > 1 {
		r.fail("flag")
		return false
	}
	b := r.s[0] == 1
	r.s = r.s[1:]
	return b
}

// count reads a length and checks it against the bytes left (every item
// takes at least one byte), so damage cannot cause a huge allocation.
func (r *decoder) count() int {
	n := r.uvarint()
	if n > uint64(len(r.s)) {
		r.fail("count")
		return 0
	}
	return int(n)
}

func (r *decoder) strs() []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n-1)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

func (r *decoder) hashes() map[string]string {
	n := r.count()
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n-1)
	for range n - 1 {
		k := r.str()
		m[k] = r.str()
	}
	return m
}

func (r *decoder) time() time.Time {
	if !r.bool() {
		return time.Time{}
	}
	sec := r.varint()
	nsec := r.uvarint()
	if nsec >= 1e9 {
		r.fail("time")
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}
