package wheel

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

func TestTargetTags(t *testing.T) {
	files, err := filepath.Glob("testdata/tags/*.txt")
	assert.NilError(t, err)
	assert.Assert(t, len(files) >= 9)
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			target, err := ParseTarget(name)
			assert.NilError(t, err)
			var got []string
			for _, tag := range target.Tags() {
				got = append(got, tag.String())
			}
			// Compare line lists first for a readable diff, then bytes
			// through golden so that -update can rewrite the file.
			if !golden.FlagUpdate() {
				data, err := os.ReadFile(path)
				assert.NilError(t, err)
				want := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
				assert.DeepEqual(t, got, want)
			}
			golden.Assert(t, strings.Join(got, "\n")+"\n", filepath.Join("tags", name+".txt"))
		})
	}
}

func TestParseTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Target
		str  string
	}{
		{"cp312-manylinux_2_36_x86_64", Target{Implementation: CPython, Python: PythonVersion{3, 12, 0},
			Platform: Platform{OS: Linux, Arch: "x86_64", Libc: Glibc, LibcVersion: MajorMinor{2, 36}}}, "cp312-manylinux_2_36_x86_64"},
		{"python3.12.4-musllinux_1_2-aarch64", Target{Implementation: CPython, Python: PythonVersion{3, 12, 4},
			Platform: Platform{OS: Linux, Arch: "aarch64", Libc: Musl, LibcVersion: MajorMinor{1, 2}}}, "cpython3.12.4-musllinux_1_2_aarch64"},
		{"CP313-cp313t-manylinux2014_aarch64", Target{Implementation: CPython, Python: PythonVersion{3, 13, 0}, FreeThreaded: true,
			Platform: Platform{OS: Linux, Arch: "aarch64", Libc: Glibc, LibcVersion: MajorMinor{2, 17}}}, "cp313t-manylinux_2_17_aarch64"},
		{"cp313t-linux_x86_64", Target{Implementation: CPython, Python: PythonVersion{3, 13, 0}, FreeThreaded: true,
			Platform: Platform{OS: Linux, Arch: "x86_64"}}, "cp313t-linux_x86_64"},
		{"pypy3.10-manylinux_2_17_x86_64", Target{Implementation: PyPy, Python: PythonVersion{3, 10, 0},
			Platform: Platform{OS: Linux, Arch: "x86_64", Libc: Glibc, LibcVersion: MajorMinor{2, 17}}}, "pp310-manylinux_2_17_x86_64"},
		{"pp310-pypy310_pp73-manylinux_2_17_x86_64", Target{Implementation: PyPy, Python: PythonVersion{3, 10, 0}, ABI: "pypy310_pp73",
			Platform: Platform{OS: Linux, Arch: "x86_64", Libc: Glibc, LibcVersion: MajorMinor{2, 17}}}, "pp310-pypy310_pp73-manylinux_2_17_x86_64"},
		{"cp311-macosx_14_0_arm64", Target{Implementation: CPython, Python: PythonVersion{3, 11, 0},
			Platform: Platform{OS: MacOS, Arch: "arm64", MacOSVersion: MajorMinor{14, 0}}}, "cp311-macosx_14_0_arm64"},
		{"cp312-win_amd64", Target{Implementation: CPython, Python: PythonVersion{3, 12, 0},
			Platform: Platform{OS: Windows, Arch: "amd64"}}, "cp312-win_amd64"},
		{"cp39-win32", Target{Implementation: CPython, Python: PythonVersion{3, 9, 0},
			Platform: Platform{OS: Windows, Arch: "x86"}}, "cp39-win32"},
		{"graalpy311-manylinux_2_28_x86_64", Target{Implementation: GraalPy, Python: PythonVersion{3, 11, 0},
			Platform: Platform{OS: Linux, Arch: "x86_64", Libc: Glibc, LibcVersion: MajorMinor{2, 28}}}, "graalpy311-manylinux_2_28_x86_64"},
	}
	for _, tc := range tests {
		got, err := ParseTarget(tc.in)
		assert.NilError(t, err, tc.in)
		assert.DeepEqual(t, got, tc.want)
		assert.Equal(t, got.String(), tc.str)
		again, err := ParseTarget(got.String())
		assert.NilError(t, err)
		assert.DeepEqual(t, again, got)
	}
}

func TestParseTargetErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", `invalid target "": expected INTERPRETER[-ABI]-PLATFORM`},
		{"cp312", "expected INTERPRETER[-ABI]-PLATFORM"},
		{"xx312-manylinux_2_17_x86_64", `bad interpreter: interpreter "xx312": expected cpXY`},
		{"cp3-manylinux_2_17_x86_64", "expected cp followed by the major digit and minor number"},
		{"python3-manylinux_2_17_x86_64", `interpreter "python3"`},
		{"python3.x-linux_x86_64", `"x" is not a number`},
		{"cp312-manylinux_2_x86_64", "expected numeric MAJOR_MINOR"},
		{"cp312-manylinux_2_17", "expected manylinux_MAJOR_MINOR_ARCH"},
		{"cp312-solaris_x86_64", "expected manylinux_X_Y_ARCH"},
		{"cp312-macosx_9_0_x86_64", "macOS versions start at 10"},
		{"cp312-manylinux2014_", "missing architecture"},
		{"cp312-linux_x86_64$", "architecture \"x86_64$\""},
	}
	for _, tc := range tests {
		_, err := ParseTarget(tc.in)
		var te *TargetError
		assert.Assert(t, errors.As(err, &te), "%q: got %v", tc.in, err)
		assert.ErrorContains(t, err, tc.want, tc.in)
	}
}

func TestSupports(t *testing.T) {
	t.Parallel()
	linux, err := ParseTarget("cp312-manylinux_2_36_x86_64")
	assert.NilError(t, err)
	musl, err := ParseTarget("cp312-musllinux_1_2_x86_64")
	assert.NilError(t, err)
	arm, err := ParseTarget("cp312-manylinux_2_36_aarch64")
	assert.NilError(t, err)
	old, err := ParseTarget("cp312-manylinux_2_17_x86_64")
	assert.NilError(t, err)
	tests := []struct {
		file   string
		target Target
		ok     bool
	}{
		{"numpy-1.26.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", linux, true},
		{"numpy-1.26.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", arm, false},
		{"numpy-1.26.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", musl, false},
		{"numpy-1.26.0-cp312-cp312-musllinux_1_1_x86_64.whl", musl, true},
		{"numpy-1.26.0-cp312-cp312-musllinux_1_1_x86_64.whl", linux, false},
		{"numpy-1.26.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", linux, false},
		{"numpy-1.26.0-cp312-cp312-macosx_11_0_arm64.whl", linux, false},
		{"numpy-1.26.0-cp312-cp312-win_amd64.whl", linux, false},
		{"orjson-3.9.0-cp312-cp312-manylinux_2_28_x86_64.whl", old, false}, // glibc too old
		{"orjson-3.9.0-cp312-cp312-manylinux_2_28_x86_64.whl", linux, true},
		{"cryptography-41.0.4-cp37-abi3-manylinux_2_28_x86_64.whl", linux, true},
		{"cryptography-41.0.4-cp37-abi3-manylinux_2_28_x86_64.whl", musl, false},
		{"cryptography-41.0.4-cp37-abi3-musllinux_1_1_x86_64.whl", musl, true},
		{"six-1.16.0-py2.py3-none-any.whl", linux, true},
		{"six-1.16.0-py2.py3-none-any.whl", musl, true},
		{"py2only-1.0-py2-none-any.whl", linux, false},
		{"psycopg2_binary-2.9.7-cp312-cp312-manylinux1_x86_64.whl", old, true},
		{"thing-1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl", linux, false},
	}
	for _, tc := range tests {
		f, err := ParseFilename(tc.file)
		assert.NilError(t, err)
		_, ok := tc.target.Supports(f)
		assert.Equal(t, ok, tc.ok, "%s on %s", tc.file, tc.target)
	}

	// Preference: the most specific wheel wins.
	m := linux.Matcher()
	rank := func(name string) int {
		f, err := ParseFilename(name)
		assert.NilError(t, err)
		p, ok := m.Supports(f)
		assert.Assert(t, ok, name)
		return p
	}
	order := []string{
		"x-1-cp312-cp312-manylinux_2_36_x86_64.whl",
		"x-1-cp312-cp312-manylinux_2_17_x86_64.whl",
		"x-1-cp312-cp312-manylinux1_x86_64.whl",
		"x-1-cp312-cp312-linux_x86_64.whl",
		"x-1-cp312-abi3-manylinux_2_17_x86_64.whl",
		"x-1-cp312-none-manylinux_2_17_x86_64.whl",
		"x-1-cp311-abi3-manylinux_2_17_x86_64.whl",
		"x-1-cp32-abi3-linux_x86_64.whl",
		"x-1-py312-none-manylinux_2_17_x86_64.whl",
		"x-1-py3-none-manylinux_2_17_x86_64.whl",
		"x-1-cp312-none-any.whl",
		"x-1-py312-none-any.whl",
		"x-1-py3-none-any.whl",
		"x-1-py30-none-any.whl",
	}
	for i := 1; i < len(order); i++ {
		assert.Assert(t, rank(order[i-1]) < rank(order[i]), "%s should beat %s", order[i-1], order[i])
	}
	// A compressed tag set ranks by its best member.
	assert.Equal(t, rank("x-1-py2.py3-none-any.whl"), rank("x-1-py3-none-any.whl"))
}

func TestTargetEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		target string
		want   pep508.Environment
	}{
		{"python3.12.4-manylinux_2_36_x86_64", pep508.Environment{
			ImplementationName: "cpython", ImplementationVersion: "3.12.4", OSName: "posix", PlatformMachine: "x86_64",
			PlatformSystem: "Linux", PythonFullVersion: "3.12.4", PlatformPythonImplementation: "CPython",
			PythonVersion: "3.12", SysPlatform: "linux"}},
		{"cp311-macosx_14_0_arm64", pep508.Environment{
			ImplementationName: "cpython", ImplementationVersion: "3.11.0", OSName: "posix", PlatformMachine: "arm64",
			PlatformSystem: "Darwin", PythonFullVersion: "3.11.0", PlatformPythonImplementation: "CPython",
			PythonVersion: "3.11", SysPlatform: "darwin"}},
		{"cp312-win_amd64", pep508.Environment{
			ImplementationName: "cpython", ImplementationVersion: "3.12.0", OSName: "nt", PlatformMachine: "AMD64",
			PlatformSystem: "Windows", PythonFullVersion: "3.12.0", PlatformPythonImplementation: "CPython",
			PythonVersion: "3.12", SysPlatform: "win32"}},
		{"pypy3.10-musllinux_1_2_aarch64", pep508.Environment{
			ImplementationName: "pypy", OSName: "posix", PlatformMachine: "aarch64",
			PlatformSystem: "Linux", PythonFullVersion: "3.10.0", PlatformPythonImplementation: "PyPy",
			PythonVersion: "3.10", SysPlatform: "linux"}},
	}
	for _, tc := range tests {
		target, err := ParseTarget(tc.target)
		assert.NilError(t, err)
		assert.DeepEqual(t, target.Environment(), tc.want)
	}

	target, err := ParseTarget("cp312-manylinux_2_36_aarch64")
	assert.NilError(t, err)
	env := target.Environment()
	for marker, want := range map[string]bool{
		`sys_platform == "linux" and platform_machine == "aarch64"`:    true,
		`python_version >= "3.9" and implementation_name == "cpython"`: true,
		`platform_system == "Windows"`:                                 false,
		`python_full_version < "3.12.1"`:                               true,
	} {
		m, err := pep508.ParseMarker(marker)
		assert.NilError(t, err)
		assert.Equal(t, m.Evaluate(env), want, marker)
	}
}

func TestPyPyABIFromImplementationVersion(t *testing.T) {
	t.Parallel()
	target, err := ParseTarget("pp310-manylinux_2_17_x86_64")
	assert.NilError(t, err)
	target.ImplementationVersion = "7.3.17"
	first := target.Tags()[0]
	assert.DeepEqual(t, first, Tag{"pp310", "pypy310_pp73", "manylinux_2_17_x86_64"}, cmp.AllowUnexported(Tag{}))
}

func TestParseTag(t *testing.T) {
	t.Parallel()
	tags, err := ParseTag("Py3.py2-NONE-any")
	assert.NilError(t, err)
	assert.DeepEqual(t, tags, []Tag{{"py2", "none", "any"}, {"py3", "none", "any"}})
	for _, bad := range []string{"py3-none", "py3-none-any-x", "py3--any", "py3-no ne-any"} {
		_, err := ParseTag(bad)
		var te *TagError
		assert.Assert(t, errors.As(err, &te), bad)
	}
}
