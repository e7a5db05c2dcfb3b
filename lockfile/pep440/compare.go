package pep440

import (
	"cmp"
	"strings"
)

// Compare returns -1, 0 or +1 as v sorts before, equal to or after w in PEP
// 440 order: epoch, release (trailing zeros ignored), then dev < pre < final
// < post, and a version without local label before the same version with
// one. The zero Version sorts before every valid version.
func (v Version) Compare(w Version) int {
	if v.str == "" || w.str == "" {
		return cmpBool(v.str != "", w.str != "")
	}
	if v.epoch != w.epoch {
		return strings.Compare(string(v.epoch), string(w.epoch))
	}
	if c := strings.Compare(v.rel[:v.relCmp], w.rel[:w.relCmp]); c != 0 {
		return c
	}
	if c := cmpPre(v, w); c != 0 {
		return c
	}
	if c := cmpOpt(v.flags&flagPost != 0, v.post, w.flags&flagPost != 0, w.post, -1); c != 0 {
		return c
	}
	if c := cmpOpt(v.flags&flagDev != 0, v.dev, w.flags&flagDev != 0, w.dev, +1); c != 0 {
		return c
	}
	if v.flags&flagLocal == 0 && w.flags&flagLocal == 0 {
		return 0
	}
	return compareLocal(v.Local(), w.Local())
}

// Equal reports whether v and w are the same PEP 440 version
// (v.Compare(w) == 0); "1.0" equals "1.0.0".
func (v Version) Equal(w Version) bool { return v.Compare(w) == 0 }

// Less reports whether v sorts before w; handy for sort.Slice.
func (v Version) Less(w Version) bool { return v.Compare(w) < 0 }

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// preRank places a version's pre-release segment: a dev release of a final
// sorts before every pre-release, a final after them.
func preRank(v Version) uint8 {
	if v.preKind != 0 {
		return v.preKind
	}
	if v.flags&(flagPost|flagDev) == flagDev {
		return 0
	}
	return 4
}

func cmpPre(v, w Version) int {
	rv, rw := preRank(v), preRank(w)
	if rv != rw {
		return cmp.Compare(rv, rw)
	}
	if rv >= 1 && rv <= 3 {
		return strings.Compare(string(v.pre), string(w.pre))
	}
	return 0
}

// cmpOpt compares optional numbers; absent sorts at the side given by
// absent (-1 before every number, +1 after).
func cmpOpt(hasA bool, a num, hasB bool, b num, absent int) int {
	switch {
	case hasA && hasB:
		return strings.Compare(string(a), string(b))
	case hasA:
		return -absent
	case hasB:
		return absent
	}
	return 0
}

// compareLocal compares normalized local labels segment by segment:
// numeric segments compare as numbers and sort after alphanumeric ones,
// which compare as strings; a label that is a prefix of another sorts first.
// An empty label (no local part) sorts before every label.
func compareLocal(a, b string) int {
	if a == "" || b == "" {
		return cmpBool(a != "", b != "")
	}
	for {
		sa, ra, moreA := strings.Cut(a, ".")
		sb, rb, moreB := strings.Cut(b, ".")
		if c := compareLocalSegment(sa, sb); c != 0 {
			return c
		}
		switch {
		case !moreA && !moreB:
			return 0
		case !moreA:
			return -1
		case !moreB:
			return 1
		}
		a, b = ra, rb
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func compareLocalSegment(a, b string) int {
	da, db := allDigits(a), allDigits(b)
	switch {
	case da && db:
		// Normalized numbers carry no leading zeros.
		if len(a) != len(b) {
			return cmp.Compare(len(a), len(b))
		}
		return strings.Compare(a, b)
	case da:
		return 1
	case db:
		return -1
	}
	return strings.Compare(a, b)
}

// String returns the normalized form of v, for example "1.0rc1.post2+abc.7"
// for "v1.0-RC-1_r2+ABC-007". The zero Version renders as "".
func (v Version) String() string { return v.str }

// IsZero reports whether v is the zero Version (not a parsed version).
func (v Version) IsZero() bool { return v.str == "" }

// Key returns a string that is equal for two versions exactly when they are
// equal in PEP 440 terms: the normalized form with trailing zero release
// components removed. Use it as a map key.
func (v Version) Key() string {
	if v.relCmp == uint16(len(v.rel)) || v.str == "" {
		return v.str
	}
	return Canonicalize(v.str)
}

// Epoch returns the epoch (0 when not written; MaxComponent when larger).
func (v Version) Epoch() int { return v.epoch.Int() }

// Release returns the release components as written (a fresh slice); a
// component larger than MaxComponent is reported as MaxComponent.
func (v Version) Release() []int {
	rel := v.release()
	out := make([]int, len(rel))
	for i, c := range rel {
		out[i] = c.Int()
	}
	return out
}

func (v Version) release() []num { return nums(v.rel) }

// Pre returns the pre-release label ("a", "b" or "rc") and number, and
// whether v has a pre-release segment.
func (v Version) Pre() (label string, n int, ok bool) {
	if v.preKind == 0 {
		return "", 0, false
	}
	return preLabels[v.preKind], v.pre.Int(), true
}

// Post returns the post-release number and whether v has one.
func (v Version) Post() (int, bool) {
	if v.flags&flagPost == 0 {
		return 0, false
	}
	return v.post.Int(), true
}

// Dev returns the dev-release number and whether v has one.
func (v Version) Dev() (int, bool) {
	if v.flags&flagDev == 0 {
		return 0, false
	}
	return v.dev.Int(), true
}

// Local returns the normalized local label without the "+", or "".
func (v Version) Local() string {
	if v.flags&flagLocal == 0 {
		return ""
	}
	_, l, _ := strings.Cut(v.str, "+")
	return l
}

// IsPrerelease reports whether v is a pre-release or a dev release; PEP 440
// treats both as pre-releases for selection.
func (v Version) IsPrerelease() bool { return v.preKind != 0 || v.flags&flagDev != 0 }

// IsDevrelease reports whether v has a dev segment.
func (v Version) IsDevrelease() bool { return v.flags&flagDev != 0 }

// IsPostrelease reports whether v has a post segment.
func (v Version) IsPostrelease() bool { return v.flags&flagPost != 0 }

// Public returns v without its local label.
func (v Version) Public() Version {
	if v.flags&flagLocal == 0 {
		return v
	}
	w := v
	w.flags &^= flagLocal
	w.str, _, _ = strings.Cut(v.str, "+")
	return w
}

// BaseVersion returns the epoch and release of v only ("1!2.0" for
// "1!2.0rc1.post3+x").
func (v Version) BaseVersion() Version {
	w := Version{epoch: v.epoch, pre: numZero, post: numZero, dev: numZero, rel: v.rel, relCmp: v.relCmp, nrel: v.nrel}
	w.str = w.render(v.rel, "")
	return w
}
