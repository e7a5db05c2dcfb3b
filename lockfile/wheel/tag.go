package wheel

import (
	"fmt"
	"slices"
	"strings"
)

// Tag is one PEP 425 compatibility tag: interpreter, ABI and platform, all
// lower-case ("cp312", "abi3", "manylinux_2_17_x86_64").
type Tag struct {
	Interpreter string
	ABI         string
	Platform    string
}

// NewTag returns the tag with its parts lower-cased, as packaging does.
func NewTag(interpreter, abi, platform string) Tag {
	return Tag{strings.ToLower(interpreter), strings.ToLower(abi), strings.ToLower(platform)}
}

// String returns "interpreter-abi-platform".
func (t Tag) String() string { return t.Interpreter + "-" + t.ABI + "-" + t.Platform }

// compare orders tags by their string parts, for deterministic output.
func (t Tag) compare(u Tag) int {
	if c := strings.Compare(t.Interpreter, u.Interpreter); c != 0 {
		return c
	}
	if c := strings.Compare(t.ABI, u.ABI); c != 0 {
		return c
	}
	return strings.Compare(t.Platform, u.Platform)
}

// TagError reports a malformed compatibility tag.
type TagError struct {
	Tag    string
	Reason string
}

// Error names the tag and the reason.
func (e *TagError) Error() string { return fmt.Sprintf("invalid tag %q: %s", e.Tag, e.Reason) }

// ParseTag expands a possibly compressed tag set such as
// "py2.py3-none-any" into its tags, sorted and without duplicates. Each
// dot-separated part must be non-empty; interpreter tags start with a
// letter and all parts use only letters, digits and "_".
func ParseTag(s string) ([]Tag, error) {
	tags, err := parseTag(s, false)
	return tags, err
}

func parseTag(s string, strict bool) ([]Tag, error) {
	fields := strings.Split(s, "-")
	if len(fields) != 3 {
		return nil, &TagError{Tag: s, Reason: fmt.Sprintf("expected interpreter-abi-platform, found %d part(s)", len(fields))}
	}
	names := [3]string{"interpreter", "ABI", "platform"}
	var sets [3][]string
	for i, f := range fields {
		parts := strings.Split(f, ".")
		for _, p := range parts {
			if p == "" {
				return nil, &TagError{Tag: s, Reason: fmt.Sprintf("empty %s tag in %q", names[i], f)}
			}
			if !validTagPart(p, i == 0) {
				return nil, &TagError{Tag: s, Reason: fmt.Sprintf("%s tag %q must be letters, digits and '_'%s", names[i], p, map[bool]string{true: ", starting with a letter"}[i == 0])}
			}
		}
		if strict && !slices.IsSorted(parts) {
			return nil, &TagError{Tag: s, Reason: fmt.Sprintf("compressed %s tags %q are not sorted", names[i], f)}
		}
		sets[i] = parts
	}
	tags := make([]Tag, 0, len(sets[0])*len(sets[1])*len(sets[2]))
	for _, in := range sets[0] {
		for _, abi := range sets[1] {
			for _, plat := range sets[2] {
				tags = append(tags, NewTag(in, abi, plat))
			}
		}
	}
	slices.SortFunc(tags, Tag.compare)
	return slices.Compact(tags), nil
}

func validTagPart(p string, interpreter bool) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		letter := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		switch {
		case letter:
		case interpreter && i == 0:
			return false
		case (c >= '0' && c <= '9') || c == '_':
		default:
			return false
		}
	}
	return true
}
