package wheel

import "testing"

var benchFiles = []string{
	"numpy-1.26.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
	"six-1.16.0-py2.py3-none-any.whl",
	"cryptography-41.0.4-cp37-abi3-musllinux_1_1_aarch64.whl",
	"foo-1.0-1000abc-py3-none-any.whl",
}

func BenchmarkParseFilename(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, s := range benchFiles {
			if _, err := ParseFilename(s); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/filename")
}

func BenchmarkSupports(b *testing.B) {
	target, err := ParseTarget("cp312-manylinux_2_36_x86_64")
	if err != nil {
		b.Fatal(err)
	}
	m := target.Matcher()
	files := make([]Filename, len(benchFiles))
	for i, s := range benchFiles {
		if files[i], err = ParseFilename(s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			m.Supports(f)
		}
	}
	b.ReportMetric(float64(len(target.Tags())), "tags/target")
}

func BenchmarkMatcher(b *testing.B) {
	target, err := ParseTarget("cp312-manylinux_2_36_x86_64")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		target.Matcher()
	}
}
