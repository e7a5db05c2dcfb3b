package pep440

import (
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.0", "v1!2.3.4-ALPHA.5_post6.dev7+ABC-008", "1.0-1", "1.0a.", "1.0+", "  1.0\t", "0100!0.0", "1.0.post.dev", "1.01", "99999999999999999999", "1.0+0a.00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid version ") {
				t.Fatalf("error %q does not name the version", err)
			}
			return
		}
		again, err := Parse(v.String())
		if err != nil {
			t.Fatalf("normalized form %q of %q does not parse: %v", v, s, err)
		}
		if again != v || again.String() != v.String() || v.Compare(again) != 0 {
			t.Fatalf("round trip of %q: %q became %q", s, v, again)
		}
		if v.Key() != Canonicalize(v.String()) {
			t.Fatalf("Key %q and Canonicalize %q differ", v.Key(), Canonicalize(v.String()))
		}
		if v.Public().Compare(v) > 0 || v.BaseVersion().IsPrerelease() || v.BaseVersion().Local() != "" {
			t.Fatalf("public %q or base %q of %q wrong", v.Public(), v.BaseVersion(), v)
		}
	})
}

func FuzzParseSpecifiers(f *testing.F) {
	for _, s := range []string{"", ">=1.0,<2", "~=1.4.2", "==1.*,!=1.5.*", "===foobar", "< 2 , >1.0a1", "==1.0+local", ">1.0.post1,<=1.0.post5", "!=0.dev0", ">=1.0,", "~=1"} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, s, version string) {
		set, err := ParseSpecifiers(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid specifier ") {
				t.Fatalf("error %q does not name the specifier", err)
			}
			return
		}
		again, err := ParseSpecifiers(set.String())
		if err != nil {
			t.Fatalf("string form %q of %q does not parse: %v", set, s, err)
		}
		if !again.Equal(set) || again.String() != set.String() {
			t.Fatalf("round trip of %q: %q became %q", s, set, again)
		}
		r := FromSpecifiers(set)
		if !FromSpecifiers(again).Equal(r) {
			t.Fatalf("range of %q changed on round trip", s)
		}
		v, err := Parse(version)
		if err != nil {
			return
		}
		if set.hasArbitrary() {
			return
		}
		if r.Contains(v) != set.WithPrereleases(true).Contains(v) {
			t.Fatalf("Range(%q)=%s and Contains disagree on %q", s, r, v)
		}
		if r.Complement().Contains(v) == r.Contains(v) {
			t.Fatalf("complement of %s disagrees on %q", r, v)
		}
	})
}
