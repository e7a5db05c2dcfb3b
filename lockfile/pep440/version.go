package pep440

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxVersionLength is the longest version string, in bytes, that Parse
// accepts. Longer input is rejected before any other work is done, so
// hostile metadata cannot make parsing slow.
const MaxVersionLength = 1024

// MaxComponent is the largest numeric component (epoch, release component,
// pre-, post- or dev-release number) the int accessors (Epoch, Release,
// Pre, Post, Dev) report exactly; they report larger ones as MaxComponent.
// Components themselves are unbounded, as in PEP 440 and packaging (which
// compares them as Python ints): "1.99999999999999999999" parses, prints
// and compares exactly. Only MaxVersionLength bounds them.
const MaxComponent = math.MaxInt

// Version is a parsed PEP 440 version. It is a small immutable value: copy it
// freely. The zero Version is not a valid version (IsZero reports it).
//
// The == operator on Version compares normalized spellings, so "1.0" and
// "1.0.0" differ under == although PEP 440 says they are equal; use Compare,
// Equal or Key for PEP 440 equality.
type Version struct {
	str     string // normalized form, as String returns it
	rel     string // release components, concatenated nums
	epoch   num
	pre     num
	post    num
	dev     num
	relCmp  uint16 // byte length of rel without trailing zero components
	nrel    uint16 // number of release components
	preKind uint8  // 0 none, 1 a, 2 b, 3 rc
	flags   uint8  // hasPost | hasDev | hasLocal
}

const (
	flagPost uint8 = 1 << iota
	flagDev
	flagLocal
)

var preLabels = [...]string{"", "a", "b", "rc"}

// Parse parses s as a PEP 440 version: leading and trailing whitespace, a
// leading "v" and any letter case are accepted, and the alternative
// spellings PEP 440 allows ("alpha", "c", "rev", "-1", "_" or "-" separators,
// ...) are normalized. The error is an *InvalidVersionError.
func Parse(s string) (Version, error) {
	if len(s) > MaxVersionLength {
		return Version{}, &InvalidVersionError{Version: truncate(s), Reason: "longer than " + strconv.Itoa(MaxVersionLength) + " bytes"}
	}
	var p parser
	p.s = trimSpace(s)
	v, reason := p.parse()
	if reason != "" {
		return Version{}, &InvalidVersionError{Version: s, Reason: reason}
	}
	return v, nil
}

// MustParse is like Parse but panics on error. It is meant for tests and
// for constants known to be valid.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// InvalidVersionError reports a string that is not a PEP 440 version.
type InvalidVersionError struct {
	Version string // the rejected input (shortened when very long)
	Reason  string // what was expected and what was found
}

// Error quotes the version (shortened past 64 bytes, with its length) and
// says why it is not valid PEP 440.
func (e *InvalidVersionError) Error() string {
	return "invalid version " + strconv.Quote(truncate(e.Version)) + ": " + e.Reason
}

func truncate(s string) string {
	if len(s) <= 64 {
		return s
	}
	cut := 60
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "...(" + strconv.Itoa(len(s)) + " bytes)"
}

// isSpace matches what Python's str.isspace (and so the \s of packaging's
// regular expressions) accepts.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func trimSpace(s string) string { return strings.TrimFunc(s, isSpace) }

type parser struct {
	s   string
	pos int
}

func (p *parser) peek() byte {
	if p.pos < len(p.s) {
		return p.s[p.pos]
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isSep(c byte) bool { return c == '.' || c == '-' || c == '_' }

// digits consumes a run of ASCII digits; ok is false when there is none.
func (p *parser) digits() (string, bool) {
	start := p.pos
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		p.pos++
	}
	return p.s[start:p.pos], p.pos > start
}

// word consumes w case-insensitively.
func (p *parser) word(w string) bool {
	if len(p.s)-p.pos < len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if lower(p.s[p.pos+i]) != w[i] {
			return false
		}
	}
	p.pos += len(w)
	return true
}

func (p *parser) sep() {
	if isSep(p.peek()) {
		p.pos++
	}
}

// parse follows the grammar of PEP 440's appendix regular expression. Every
// optional part either matches completely or leaves the position unchanged,
// which gives the same result as the regular expression's backtracking.
func (p *parser) parse() (Version, string) {
	if p.s == "" {
		return Version{}, "empty string"
	}
	if lower(p.peek()) == 'v' {
		p.pos++
	}
	v := Version{epoch: numZero, pre: numZero, post: numZero, dev: numZero}
	var buf [64]byte
	rel := buf[:0]
	d, ok := p.digits()
	if !ok {
		return Version{}, "expected a release number at offset " + strconv.Itoa(p.pos)
	}
	if p.peek() == '!' {
		p.pos++
		v.epoch = numFromDigits(d)
		if d, ok = p.digits(); !ok {
			return Version{}, "expected a release number after the epoch"
		}
	}
	for {
		rel = appendDigits(rel, d)
		if p.peek() != '.' || p.pos+1 >= len(p.s) || !isDigit(p.s[p.pos+1]) {
			break
		}
		p.pos++
		d, _ = p.digits()
	}
	p.preRelease(&v)
	p.postRelease(&v)
	p.devRelease(&v)
	var local string
	if p.peek() == '+' {
		p.pos++
		l, bad := p.localLabel()
		if bad != "" {
			return Version{}, bad
		}
		local = l
		v.flags |= flagLocal
	}
	if p.pos != len(p.s) {
		return Version{}, "unexpected " + strconv.Quote(p.s[p.pos:]) + " at offset " + strconv.Itoa(p.pos)
	}
	v.setRelease(string(rel))
	v.str = v.render(v.rel, local)
	return v, ""
}

// preRelease, postRelease and devRelease parse an optional part; they cannot
// fail: what does not match is left for the next part, or reported as
// unexpected by parse.
func (p *parser) preRelease(v *Version) {
	start := p.pos
	p.sep()
	var kind uint8
	switch {
	case p.word("alpha"), p.word("a"):
		kind = 1
	case p.word("beta"), p.word("b"):
		kind = 2
	case p.word("preview"), p.word("pre"), p.word("c"), p.word("rc"):
		kind = 3
	default:
		p.pos = start
		return
	}
	v.preKind = kind
	// Like the regular expression, a separator with no number after it stays
	// consumed: "1.0a." is 1.0a0.
	p.sep()
	if d, ok := p.digits(); ok {
		v.pre = numFromDigits(d)
	}
}

func (p *parser) postRelease(v *Version) {
	start := p.pos
	if p.peek() == '-' {
		p.pos++
		if d, ok := p.digits(); ok {
			v.post, v.flags = numFromDigits(d), v.flags|flagPost
			return
		}
		p.pos = start
	}
	p.sep()
	if !p.word("post") && !p.word("rev") && !p.word("r") {
		p.pos = start
		return
	}
	v.flags |= flagPost
	p.sep()
	if d, ok := p.digits(); ok {
		v.post = numFromDigits(d)
	}
}

func (p *parser) devRelease(v *Version) {
	start := p.pos
	p.sep()
	if !p.word("dev") {
		p.pos = start
		return
	}
	v.flags |= flagDev
	p.sep()
	if d, ok := p.digits(); ok {
		v.dev = numFromDigits(d)
	}
}

// localLabel parses [a-z0-9]+([-_.][a-z0-9]+)* and returns it normalized:
// lower case, "." separators, numeric segments without leading zeros.
func (p *parser) localLabel() (string, string) {
	var b strings.Builder
	for {
		start := p.pos
		alnum, digitsOnly := 0, true
		for p.pos < len(p.s) {
			c := lower(p.s[p.pos])
			if isDigit(c) {
				alnum++
			} else if c >= 'a' && c <= 'z' {
				alnum++
				digitsOnly = false
			} else {
				break
			}
			p.pos++
		}
		if alnum == 0 {
			return "", "expected a letter or digit in the local version label at offset " + strconv.Itoa(p.pos)
		}
		seg := p.s[start:p.pos]
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		if digitsOnly {
			seg = strings.TrimLeft(seg, "0")
			if seg == "" {
				seg = "0"
			}
			b.WriteString(seg)
		} else {
			b.WriteString(strings.ToLower(seg))
		}
		if !isSep(p.peek()) {
			return b.String(), ""
		}
		p.pos++
	}
}

// setRelease sets the encoded release and its derived lengths.
func (v *Version) setRelease(enc string) {
	v.rel = enc
	v.relCmp, v.nrel = 0, 0
	for rest := enc; len(rest) > 0; {
		var c num
		c, rest = splitNum(rest)
		v.nrel++
		if !c.isZero() {
			v.relCmp = uint16(len(enc) - len(rest))
		}
	}
}

// render writes the normalized form of v's segments with the encoded
// release rel and the local label.
func (v *Version) render(rel string, local string) string {
	var b strings.Builder
	if !v.epoch.isZero() {
		b.WriteString(v.epoch.String())
		b.WriteByte('!')
	}
	for first := true; len(rel) > 0; first = false {
		var c num
		c, rel = splitNum(rel)
		if !first {
			b.WriteByte('.')
		}
		b.WriteString(c.String())
	}
	if v.preKind != 0 {
		b.WriteString(preLabels[v.preKind])
		b.WriteString(v.pre.String())
	}
	if v.flags&flagPost != 0 {
		b.WriteString(".post")
		b.WriteString(v.post.String())
	}
	if v.flags&flagDev != 0 {
		b.WriteString(".dev")
		b.WriteString(v.dev.String())
	}
	if local != "" {
		b.WriteByte('+')
		b.WriteString(local)
	}
	return b.String()
}
