package pep440

import (
	"strings"
	"testing"
)

var benchVersions = []string{"1.0", "2!1.2.3rc4.post5.dev6+ubuntu.7", "v1.0-ALPHA-1", "2023.9.7", "0.1.0.dev0"}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, s := range benchVersions {
			if _, err := Parse(s); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/version")
}

func BenchmarkParseOversized(b *testing.B) {
	s := "1." + strings.Repeat("1", 5000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(s); err == nil {
			b.Fatal("oversized version accepted")
		}
	}
}

func BenchmarkCompare(b *testing.B) {
	vs := make([]Version, len(benchVersions))
	for i, s := range benchVersions {
		vs[i] = MustParse(s)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, v := range vs {
			for _, w := range vs {
				_ = v.Compare(w)
				n++
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/compare")
}

func BenchmarkContains(b *testing.B) {
	set := MustParseSpecifiers(">=1.0,!=1.3.*,<2.0,~=1.2")
	v := MustParse("1.2.7")
	b.ReportAllocs()
	for b.Loop() {
		if !set.Contains(v) {
			b.Fatal("1.2.7 not in set")
		}
	}
}

func BenchmarkRangeContains(b *testing.B) {
	r := FromSpecifiers(MustParseSpecifiers(">=1.0,!=1.3.*,<2.0,~=1.2"))
	v := MustParse("1.2.7")
	b.ReportAllocs()
	for b.Loop() {
		if !r.Contains(v) {
			b.Fatal("1.2.7 not in range")
		}
	}
}

func BenchmarkFromSpecifiers(b *testing.B) {
	set := MustParseSpecifiers(">=3.8,!=3.9.*,!=3.10.0,!=3.10.1,~=3.10.2,<3.14")
	b.ReportAllocs()
	for b.Loop() {
		_ = FromSpecifiers(set)
	}
}
