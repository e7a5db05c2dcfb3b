package image

import (
	"fmt"
	"path"
	"strings"
)

// DefaultExclude are the patterns Spec.Exclude extends unless
// Spec.NoDefaultExclude: version-control metadata, bytecode, virtual
// environments and tool caches, which never belong in an image.
var DefaultExclude = []string{".git", ".hg", ".svn", "__pycache__", "*.py[co]", ".venv", ".tox", ".nox",
	".mypy_cache", ".pytest_cache", ".ruff_cache", ".DS_Store"}

// matcher applies exclude patterns with gitignore's anchoring: a pattern
// without a slash (other than a trailing one) matches a name at any depth,
// one with a slash is relative to the source root; "**" matches any number
// of directories; "!" re-includes; the last matching pattern wins; a
// pattern matching a directory excludes everything in it.
type matcher struct {
	rules    []rule
	negation bool
}

type rule struct {
	segs     []string
	anchored bool
	negate   bool
	pattern  string
}

func newMatcher(patterns []string) (*matcher, error) {
	m := &matcher{}
	for _, p := range patterns {
		orig := p
		p = strings.TrimSpace(p)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		r := rule{pattern: orig}
		if r.negate = strings.HasPrefix(p, "!"); r.negate {
			p = p[1:]
			m.negation = true
		}
		p = strings.TrimSuffix(p, "/")
		r.anchored = strings.Contains(p, "/")
		p = strings.TrimPrefix(p, "/")
		if p == "" {
			return nil, fmt.Errorf("image: exclude pattern %q matches nothing", orig)
		}
		r.segs = strings.Split(p, "/")
		for _, s := range r.segs {
			if _, err := path.Match(s, ""); err != nil {
				return nil, fmt.Errorf("image: exclude pattern %q: %w", orig, err)
			}
		}
		m.rules = append(m.rules, r)
	}
	return m, nil
}

// excluded reports whether rel (a slash path relative to the source root)
// is excluded, itself or through a parent directory.
func (m *matcher) excluded(rel string) bool {
	segs := strings.Split(rel, "/")
	out := false
	for _, r := range m.rules {
		for n := 1; n <= len(segs); n++ {
			if r.matches(segs[:n]) {
				out = !r.negate
				break
			}
		}
	}
	return out
}

func (r rule) matches(segs []string) bool {
	if r.anchored {
		return matchSegs(r.segs, segs)
	}
	return len(segs) > 0 && matchSegs(r.segs, segs[len(segs)-1:])
}

// matchSegs matches pattern segments against path segments, "**"
// standing for any number of segments.
func matchSegs(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if matchSegs(pat[1:], segs[i:]) {
				return true
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	ok, _ := path.Match(pat[0], segs[0])
	return ok && matchSegs(pat[1:], segs[1:])
}
