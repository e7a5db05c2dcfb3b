package testindex

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The synthesizer needs only release versions (N.N.N) and the comparison
// operators the fixture's dependents use; anything else is reported, not
// guessed. Full PEP 440 lives in lockfile/pep440, which this test harness
// deliberately does not depend on.

type release []int

func parseRelease(s string) (release, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	if s == "" {
		return nil, fmt.Errorf("empty version")
	}
	var r release
	for part := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("version %q is not a plain release (N.N...)", s)
		}
		r = append(r, n)
	}
	return r, nil
}

func (r release) cmp(o release) int {
	for i := 0; i < max(len(r), len(o)); i++ {
		a, b := 0, 0
		if i < len(r) {
			a = r[i]
		}
		if i < len(o) {
			b = o[i]
		}
		if a != b {
			if a < b {
				return -1
			}
			return 1
		}
	}
	return 0
}

func (r release) String() string {
	parts := make([]string, len(r))
	for i, n := range r {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}

// bump returns the next release after r at its last component.
func (r release) bump() release {
	out := append(release(nil), r...)
	out[len(out)-1]++
	return out
}

type clause struct {
	op  string
	ver release
}

func parseSpecifier(spec string) ([]clause, error) {
	var out []clause
	for c := range strings.SplitSeq(spec, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		op := ""
		for _, cand := range []string{"~=", "==", "!=", ">=", "<=", ">", "<"} {
			if strings.HasPrefix(c, cand) {
				op = cand
				break
			}
		}
		if op == "" || strings.HasSuffix(c, ".*") {
			return nil, fmt.Errorf("specifier clause %q is not supported by the synthesizer", c)
		}
		v, err := parseRelease(c[len(op):])
		if err != nil {
			return nil, fmt.Errorf("specifier clause %q: %w", c, err)
		}
		out = append(out, clause{op, v})
	}
	return out, nil
}

func satisfies(v release, cs []clause) bool {
	for _, c := range cs {
		d := v.cmp(c.ver)
		ok := true
		switch c.op {
		case "==":
			ok = d == 0
		case "!=":
			ok = d != 0
		case ">=":
			ok = d >= 0
		case "<=":
			ok = d <= 0
		case ">":
			ok = d > 0
		case "<":
			ok = d < 0
		case "~=":
			upper := append(release(nil), c.ver[:max(1, len(c.ver)-1)]...).bump()
			ok = d >= 0 && v.cmp(upper) < 0
		}
		if !ok {
			return false
		}
	}
	return true
}

// satisfyingVersions returns a small sorted set of versions such that each
// specifier is satisfied by at least one of them (the highest candidate
// that does). Candidates are the specifiers' bounds and their bumps.
// Specifiers that no candidate satisfies are an error.
func satisfyingVersions(specs []string) ([]string, error) {
	parsed := make([][]clause, 0, len(specs))
	cands := []release{{0, 1}}
	for _, s := range specs {
		cs, err := parseSpecifier(s)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, cs)
		for _, c := range cs {
			cands = append(cands, c.ver, c.ver.bump())
		}
	}
	chosen := map[string]release{}
	var open bool
	for i, cs := range parsed {
		if len(cs) == 0 {
			open = true
			continue
		}
		var best release
		for _, c := range cands {
			if satisfies(c, cs) && (best == nil || c.cmp(best) > 0) {
				best = c
			}
		}
		if best == nil {
			return nil, fmt.Errorf("no candidate version satisfies %q", specs[i])
		}
		chosen[best.String()] = best
	}
	if open && len(chosen) == 0 {
		chosen["1.0.0"] = release{1, 0, 0}
	}
	out := make([]release, 0, len(chosen))
	for _, r := range chosen {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].cmp(out[j]) < 0 })
	strs := make([]string, len(out))
	for i, r := range out {
		strs[i] = r.String()
	}
	return strs, nil
}
