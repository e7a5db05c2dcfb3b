package pep440

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"gotest.tools/v3/assert"
)

// sampleParsed returns the parseable versions of the shared sample plus the
// sorted list, deduplicated by spelling.
func sampleParsed(t *testing.T) []Version {
	t.Helper()
	seen := map[string]bool{}
	var out []Version
	add := func(s string) {
		if v, err := Parse(s); err == nil && !seen[s] {
			seen[s] = true
			out = append(out, v)
		}
	}
	for _, s := range sampleVersions(t) {
		add(s)
	}
	for _, row := range loadTable(t, "versions_sorted") {
		add(field[string](t, row[0]))
	}
	return out
}

func TestCompareIsTotalOrder(t *testing.T) {
	vs := sampleParsed(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for i, a := range vs {
		again, err := Parse(a.String())
		assert.NilError(t, err)
		assert.Equal(t, again, a, "round trip of %s", a)
		assert.Equal(t, a.Compare(a), 0)
		for _, b := range vs[i+1:] {
			ab, ba := a.Compare(b), b.Compare(a)
			assert.Equal(t, ab, -ba, "antisymmetry %s %s", a, b)
			assert.Equal(t, ab == 0, a.Key() == b.Key(), "Key agrees with Compare for %s %s", a, b)
		}
	}
	for range 20000 {
		a, b, c := vs[rng.IntN(len(vs))], vs[rng.IntN(len(vs))], vs[rng.IntN(len(vs))]
		if a.Compare(b) <= 0 && b.Compare(c) <= 0 {
			assert.Assert(t, a.Compare(c) <= 0, "transitivity %s <= %s <= %s", a, b, c)
		}
	}
	sorted := slices.Clone(vs)
	slices.SortFunc(sorted, Version.Compare)
	for i := 1; i < len(sorted); i++ {
		assert.Assert(t, sorted[i-1].Compare(sorted[i]) <= 0)
	}
}

// rangeSpecs returns the specifier sets of the satisfiability tables that
// have no === clause (those are not order-based).
func rangeSpecs(t *testing.T) []Specifiers {
	t.Helper()
	var out []Specifiers
	for _, table := range []string{"specifierset_unsatisfiable", "specifierset_satisfiable", "specifierset_satisfiable_prereleases_false", "specifierset_unsatisfiable_prereleases_false"} {
		for _, row := range loadTable(t, table) {
			s := specs(t, field[string](t, row[0]), nil)
			if !s.hasArbitrary() {
				out = append(out, s)
			}
		}
	}
	for _, row := range loadTable(t, "contains_prereleases_true") {
		out = append(out, specs(t, field[string](t, row[1]), nil))
	}
	return out
}

// TestRangeMatchesClauses checks FromSpecifiers against the direct clause
// semantics on every sample version.
func TestRangeMatchesClauses(t *testing.T) {
	vs := sampleParsed(t)
	for _, s := range rangeSpecs(t) {
		r := FromSpecifiers(s)
		for _, v := range vs {
			want := true
			for _, sp := range s.All() {
				want = want && sp.matchVersion(v)
			}
			assert.Equal(t, r.Contains(v), want, "%s in Range(%s) = %s", v, s, r)
		}
	}
}

func TestRangeAlgebraLaws(t *testing.T) {
	vs := sampleParsed(t)
	ss := rangeSpecs(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 150 {
		a, b := FromSpecifiers(ss[rng.IntN(len(ss))]), FromSpecifiers(ss[rng.IntN(len(ss))])
		and, or, notA := a.Intersect(b), a.Union(b), a.Complement()
		assert.Assert(t, notA.Complement().Equal(a), "double complement of %s is %s", a, notA.Complement())
		assert.Assert(t, a.Union(notA).IsFull(), "%s ∪ ¬itself = %s", a, a.Union(notA))
		assert.Assert(t, a.Intersect(notA).IsEmpty())
		assert.Assert(t, and.Equal(b.Intersect(a)) && or.Equal(b.Union(a)), "commutativity for %s, %s", a, b)
		// De Morgan.
		assert.Assert(t, and.Complement().Equal(notA.Union(b.Complement())), "De Morgan for %s, %s", a, b)
		subset, disjoint := a.IsSubset(b), a.IsDisjoint(b)
		for _, v := range vs {
			inA, inB := a.Contains(v), b.Contains(v)
			assert.Equal(t, and.Contains(v), inA && inB, "%s in %s ∩ %s", v, a, b)
			assert.Equal(t, or.Contains(v), inA || inB, "%s in %s ∪ %s", v, a, b)
			assert.Equal(t, notA.Contains(v), !inA, "%s in ¬%s", v, a)
			if subset && inA {
				assert.Assert(t, inB, "%s ⊆ %s but %s only in the first", a, b, v)
			}
			if disjoint {
				assert.Assert(t, !inA || !inB, "%s and %s disjoint but share %s", a, b, v)
			}
		}
	}
}

// TestSubsetDisjointMatchDefinitions checks the allocation-free IsSubset
// and IsDisjoint against their definitions in terms of the set algebra.
func TestSubsetDisjointMatchDefinitions(t *testing.T) {
	ss := rangeSpecs(t)
	var rs []Range
	for _, s := range ss {
		rs = append(rs, FromSpecifiers(s))
	}
	rs = append(rs, FullRange(), EmptyRange(), ExactRange(MustParse("1.0")), ExactRange(MustParse("1.0+local")))
	rng := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		a := rs[rng.IntN(len(rs))]
		b := rs[rng.IntN(len(rs))]
		switch rng.IntN(3) {
		case 0:
			b = b.Union(rs[rng.IntN(len(rs))])
		case 1:
			b = b.Complement()
		}
		if rng.IntN(4) == 0 {
			a = a.Intersect(b)
		}
		assert.Equal(t, a.IsSubset(b), a.Difference(b).IsEmpty(), "%s ⊆ %s", a, b)
		assert.Equal(t, a.IsDisjoint(b), a.Intersect(b).IsEmpty(), "%s ∩ %s = ∅", a, b)
		assert.Assert(t, a.IsSubset(a.Union(b)))
		assert.Assert(t, a.IsDisjoint(a.Complement()))
	}
}

func TestRangeString(t *testing.T) {
	for _, tc := range []struct{ spec, want string }{
		{"", "*"},
		{">=1.0,<2.0", ">=1.0, <2.0.dev0"},
		{"==1.2.3", ">=1.2.3, <1.2.3.post0.dev0"},
		{"==1.2.3+abc", "==1.2.3+abc"},
		{">1.0", ">1.0.*"},
		{"<=1.0", "<1.0.post0.dev0"},
		{"!=1.5", "<1.5 || >=1.5.post0.dev0"},
		{"==1.*", ">=1.dev0, <2.dev0"},
		{"~=1.4.2", ">=1.4.2, <1.5.dev0"},
		{">=2,<1", "∅"},
		{">1.0,<=1.0.post1", "∅"},
	} {
		r := FromSpecifiers(MustParseSpecifiers(tc.spec))
		assert.Equal(t, r.String(), tc.want, tc.spec)
		assert.Equal(t, FromSpecifiers(MustParseSpecifiers(tc.spec)).String(), r.String(), "deterministic")
	}
}

func TestZeroVersion(t *testing.T) {
	var zero Version
	assert.Assert(t, zero.IsZero())
	assert.Equal(t, zero.Compare(minVersion), -1)
	assert.Equal(t, minVersion.Compare(zero), 1)
	assert.Equal(t, zero.Compare(Version{}), 0)
	assert.Equal(t, zero.String(), "")
}

func TestRangeEdges(t *testing.T) {
	assert.Assert(t, EmptyRange().IsEmpty())
	assert.Assert(t, !EmptyRange().Contains(MustParse("1.0")))
	assert.Assert(t, FullRange().Contains(minVersion))
	assert.Assert(t, LessThan(minVersion).IsEmpty(), "nothing sorts below 0.dev0")
	assert.Assert(t, ExactRange(MustParse("1.0")).Contains(MustParse("1.0.0")))
	assert.Assert(t, !ExactRange(MustParse("1.0")).Contains(MustParse("1.0+local")))
	// ">1.0" and "<=1.0.*" meet at a point no version occupies.
	gt := FromSpecifiers(MustParseSpecifiers(">1.0"))
	assert.Assert(t, gt.Union(gt.Complement()).IsFull())
	assert.Equal(t, len(gt.Union(gt.Complement()).ivs), 1)
	// "===" clauses: an exact version when PEP 440, nothing otherwise.
	assert.Assert(t, FromSpecifiers(MustParseSpecifiers("===1.0")).Equal(ExactRange(MustParse("1.0"))))
	assert.Assert(t, FromSpecifiers(MustParseSpecifiers("===foobar")).IsEmpty())
	// A release of one more component than the >V bound sits inside it.
	assert.Assert(t, gt.Contains(MustParse("1.0.0.0.1")))
	assert.Assert(t, !gt.Contains(MustParse("1.0.0.0.post3+x")))
}

func TestSpecifierErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2.0", "expected an operator"},
		{"==", "expected a version after =="},
		{">=1.0.*", `".*" suffix is only allowed with == and !=`},
		{"==1.0a1.*", `".*" suffix is not allowed after a pre-, post-, dev-release or local label`},
		{"<=1.0+abc", "local version label is only allowed with == and !="},
		{"~=1", "~= needs at least two release components"},
		{"== 1. 0", "unexpected whitespace"},
		{"===a)", `must not contain whitespace, ";" or ")"`},
		{">=1.0, <=2.0, ~=x", `invalid specifier "~=x": the version is not valid: invalid version "x"`},
	} {
		_, err := ParseSpecifiers(tc.in)
		assert.ErrorContains(t, err, tc.want, tc.in)
	}
}

// TestHugeComponents: PEP 440 puts no bound on numeric components and
// packaging compares them as Python ints, so components of 2^63 and beyond
// parse, print and compare exactly.
func TestHugeComponents(t *testing.T) {
	ordered := []string{
		"1.9223372036854775807",
		"1.9223372036854775808", // 2^63
		"1.18446744073709551615",
		"1.18446744073709551616.dev0",
		"1.18446744073709551616a18446744073709551616",
		"1.18446744073709551616", // 2^64
		"1.18446744073709551616.post99999999999999999999999",
		"1.18446744073709551617",
		"1.99999999999999999999999999999999999999999999999999",
		"2",
		"18446744073709551616!0.1",
	}
	for i, s := range ordered {
		v, err := Parse(s)
		assert.NilError(t, err, s)
		assert.Equal(t, v.String(), s)
		again := MustParse(v.String())
		assert.Equal(t, again.Compare(v), 0)
		for j, o := range ordered {
			want := cmp.Compare(i, j)
			assert.Equal(t, v.Compare(MustParse(o)), want, "%s vs %s", s, o)
		}
	}
	big := MustParse("1.18446744073709551616.0")
	assert.Equal(t, big.Key(), "1.18446744073709551616")
	assert.DeepEqual(t, big.Release(), []int{1, MaxComponent, 0})
	assert.Assert(t, MustParseSpecifiers("~=1.18446744073709551615.0").Contains(MustParse("1.18446744073709551615.9")))
	assert.Assert(t, !MustParseSpecifiers("~=1.18446744073709551615.0").Contains(MustParse("1.18446744073709551616")))
	assert.Assert(t, MustParseSpecifiers("==1.18446744073709551616.*").Contains(MustParse("1.18446744073709551616.5")))
	assert.Assert(t, MustParseSpecifiers(">1.18446744073709551615").Contains(MustParse("1.18446744073709551616")))
	assert.Assert(t, !MustParseSpecifiers(">1.18446744073709551615").Contains(MustParse("1.18446744073709551615.post1")))
	assert.Assert(t, MustParseSpecifiers("<=99999999999999999999999").Contains(MustParse("99999999999999999999999+local")))
	r := MustParseSpecifiers(">1.0.post18446744073709551615").Range()
	assert.Assert(t, r.Contains(MustParse("1.0.post18446744073709551616")))
	assert.Assert(t, !r.Contains(MustParse("1.0.post18446744073709551615")))
}

func TestVersionErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty string"},
		{"   ", "empty string"},
		{"1.0+", "expected a letter or digit in the local version label"},
		{"1.0 beta", `unexpected " beta" at offset 3`},
		{"1!", "expected a release number after the epoch"},
	} {
		_, err := Parse(tc.in)
		assert.ErrorContains(t, err, tc.want, tc.in)
	}
}

func TestAndConflict(t *testing.T) {
	a := MustParseSpecifiers(">=1").WithPrereleases(true)
	b := MustParseSpecifiers("<2").WithPrereleases(false)
	_, err := a.And(b)
	assert.ErrorIs(t, err, ErrConflictingPrereleases)
	c, err := a.And(MustParseSpecifiers("<2"))
	assert.NilError(t, err)
	assert.Equal(t, c.String(), "<2,>=1")
	assert.Assert(t, *c.Prereleases())
}

func TestVersionAccessorsDoNotAlias(t *testing.T) {
	v := MustParse("1.2.3")
	r := v.Release()
	r[0] = 9
	assert.DeepEqual(t, v.Release(), []int{1, 2, 3})
}
