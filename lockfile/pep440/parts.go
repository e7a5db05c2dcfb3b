package pep440

import (
	"errors"
	"fmt"
	"strings"
)

// Parts describes a version by its segments, for FromParts. A nil pointer
// means the segment is absent.
type Parts struct {
	Epoch   int
	Release []int // at least one component
	// Pre is the pre-release: Label is "a", "b" or "rc", or any spelling
	// PEP 440 normalizes to them ("alpha", "B", "c", "preview", ...).
	Pre   *PreRelease
	Post  *int
	Dev   *int
	Local string // without "+"; "" for none
}

// PreRelease is a pre-release segment: a label and its number.
type PreRelease struct {
	Label string
	N     int
}

// FromParts builds a Version from its segments. The result is the same as
// parsing its String form; every part is validated as Parse would.
func FromParts(p Parts) (Version, error) {
	if len(p.Release) == 0 {
		return Version{}, errors.New("version parts: release must have at least one component")
	}
	var b strings.Builder
	if p.Epoch < 0 {
		return Version{}, fmt.Errorf("version parts: epoch must not be negative, got %d", p.Epoch)
	}
	fmt.Fprintf(&b, "%d!", p.Epoch)
	for i, c := range p.Release {
		if c < 0 {
			return Version{}, fmt.Errorf("version parts: release component %d must not be negative, got %d", i, c)
		}
		if i > 0 {
			b.WriteByte('.')
		}
		fmt.Fprint(&b, c)
	}
	if p.Pre != nil {
		if !isLetters(p.Pre.Label) || p.Pre.N < 0 {
			return Version{}, fmt.Errorf("version parts: invalid pre-release %q %d", p.Pre.Label, p.Pre.N)
		}
		fmt.Fprintf(&b, "%s%d", p.Pre.Label, p.Pre.N)
	}
	for _, seg := range []struct {
		name string
		n    *int
	}{{"post", p.Post}, {"dev", p.Dev}} {
		if seg.n == nil {
			continue
		}
		if *seg.n < 0 {
			return Version{}, fmt.Errorf("version parts: %s number must not be negative, got %d", seg.name, *seg.n)
		}
		fmt.Fprintf(&b, ".%s%d", seg.name, *seg.n)
	}
	if p.Local != "" {
		b.WriteString("+" + p.Local)
	}
	v, err := Parse(b.String())
	if err != nil {
		return Version{}, fmt.Errorf("version parts: %w", err)
	}
	if _, _, ok := v.Pre(); ok != (p.Pre != nil) {
		return Version{}, fmt.Errorf("version parts: invalid pre-release label %q", p.Pre.Label)
	}
	return v, nil
}

func isLetters(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := lower(s[i]); c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// Canonicalize returns the canonical form of a version string as
// packaging.utils.canonicalize_version does: the normalized form with
// trailing zero release components removed ("1.4.0" -> "1.4",
// "1.0+abc" -> "1+abc"). A string that is not a PEP 440 version is
// returned unchanged.
func Canonicalize(s string) string {
	v, err := Parse(s)
	if err != nil {
		return s
	}
	if v.relCmp == uint16(len(v.rel)) {
		return v.str
	}
	rel := v.rel[:v.relCmp]
	if rel == "" {
		rel = string(numZero)
	}
	return v.render(rel, v.Local())
}

// makeVersion builds a Version without a local label from already valid
// segments; the bounds built from it never carry one.
func makeVersion(epoch num, rel string, preKind uint8, pre num, flags uint8, post, dev num) Version {
	v := Version{epoch: epoch, preKind: preKind, pre: pre, flags: flags &^ flagLocal, post: post, dev: dev}
	v.setRelease(rel)
	v.str = v.render(rel, "")
	return v
}
