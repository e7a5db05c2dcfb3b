package pep440

import (
	"testing"

	"gotest.tools/v3/assert"
)

func TestSpecifierString(t *testing.T) {
	for _, tc := range []struct {
		spec, want string
		exact      bool // the output parses back to the same range
	}{
		{"!=1.8,!=1.8.1", "!=1.8, !=1.8.1", true},
		{"!=1.8", "!=1.8", true},
		{">=1.0,!=1.5.*", ">=1.0, !=1.5.*", true},
		{"<2,>=1,!=1.5", ">=1, !=1.5, <2", true},
		{">=1,<1.5,!=1.2.*,!=1.4", ">=1, !=1.2.*, !=1.4, <1.5", true},
		{"==1.*", "==1.*", true},
		{"==1.0", "==1.0", true},
		{"==1.0+abc", "==1.0+abc", true},
		{">1.0", ">1.0", true},
		{"<=1.0", "<=1.0", true},
		{"<2.0b1", "<2.0b1", true},
		{">=2.0b1", ">=2.0b1", true},
		{"~=1.4", ">=1.4, <2", true},
		{"", "*", true},
		{">=2,<1", "∅", false},
	} {
		r := MustParseSpecifiers(tc.spec).Range()
		got := r.SpecifierString()
		assert.Equal(t, got, tc.want, tc.spec)
		if tc.exact && got != "*" {
			back := MustParseSpecifiers(got).Range()
			assert.Assert(t, back.Equal(r), "%s: %s names %s, want %s", tc.spec, got, back, r)
		}
	}
	// Ranges a resolver builds between candidates read as the nearest
	// clauses.
	r := AtLeast(MustParse("2.0.0.post0.dev0")).Intersect(LessThan(MustParse("3.0.0")))
	assert.Equal(t, r.SpecifierString(), ">2.0.0, <3.0.0")
	r = LessThan(MustParse("2.0.0")).Union(r)
	assert.Equal(t, r.SpecifierString(), "!=2.0.0, <3.0.0")
}

func TestIsPin(t *testing.T) {
	for spec, want := range map[string]bool{
		"==1.0": true, "==1.0.0": true, "==1.0+abc": true, "==1.0a1": true, "==1.0.post2": true, "==1.0.dev3": true,
		"===1.0": true, ">=1.0,<=1.0": true,
		"==1.*": false, ">=1.0": false, "!=1.0": false, "": false, ">1,<1": false, "==1.0,!=1.0+abc": false,
	} {
		assert.Equal(t, MustParseSpecifiers(spec).Range().IsPin(), want, spec)
	}
	assert.Assert(t, ExactRange(MustParse("2.0")).IsPin())
}
