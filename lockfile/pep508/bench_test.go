package pep508

import "testing"

var benchRequirements = []string{
	"requests",
	`requests[security,socks]>=2.8.1,==2.8.*; python_version < "2.7"`,
	`typing-extensions>=4.0; python_version < "3.11" and platform_python_implementation == "CPython"`,
	"pip @ https://github.com/pypa/pip/archive/22.0.2.zip ; sys_platform == 'linux'",
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, s := range benchRequirements {
			if _, err := Parse(s); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/requirement")
}

func BenchmarkEvaluate(b *testing.B) {
	m, err := ParseMarker(`python_version >= "3.8" and (sys_platform == "linux" or sys_platform == "darwin") and platform_machine != "aarch64" and extra == "test"`)
	if err != nil {
		b.Fatal(err)
	}
	env := Environment{PythonVersion: "3.12", PythonFullVersion: "3.12.4", SysPlatform: "linux", PlatformMachine: "x86_64", Extra: "test"}
	b.ReportAllocs()
	for b.Loop() {
		if !m.Evaluate(env) {
			b.Fatal("marker should hold")
		}
	}
}
