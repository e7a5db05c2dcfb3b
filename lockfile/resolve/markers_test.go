package resolve

import (
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

func ms(t *testing.T, s string) mset {
	t.Helper()
	if s == "" {
		return msetTrue()
	}
	m, err := pep508.ParseMarker(s)
	assert.NilError(t, err, s)
	return fromMarker(m, "")
}

func TestMarkerSetAlgebra(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b             string
		disjoint, subset bool
	}{
		{`sys_platform == "linux"`, `sys_platform == "darwin"`, true, false},
		{`sys_platform == "linux"`, `sys_platform != "darwin"`, false, true},
		{`sys_platform == "linux"`, `platform_system == "Windows"`, true, false},
		// As in uv: win32 excludes posix, nothing more.
		{`sys_platform == "win32"`, `os_name == "nt"`, false, false},
		{`sys_platform == "win32"`, `os_name == "posix"`, true, false},
		{`platform_system == "Linux"`, `sys_platform == "linux"`, false, true},
		{`sys_platform == "os1"`, `sys_platform == "os2"`, true, false},
		{`python_version < "3.12"`, `python_full_version >= "3.12.0"`, true, false},
		{`python_version == "3.12"`, `python_full_version >= "3.12.0rc1" and python_full_version < "3.13"`, false, false},
		{`python_version == "3.12"`, `python_version >= "3.12" and python_full_version < "3.13"`, false, true},
		{`python_version >= "3.13"`, `python_version > "3.12"`, false, true},
		{`python_version <= "3.12"`, `python_version < "3.13"`, false, true},
		{`implementation_name == "cpython"`, `platform_python_implementation == "PyPy"`, false, false},
		{`platform_system == "FreeBSD"`, `sys_platform == "linux"`, true, false},
		{`"SMP" in platform_version`, `"SMP" not in platform_version`, true, false},
		{`extra == "x"`, ``, true, true},
		{`sys_platform > "a"`, ``, true, true},
		{`sys_platform >= "linux"`, `sys_platform == "linux"`, false, true},
		{`(sys_platform == "linux" or sys_platform == "darwin") and python_version >= "3.10"`, `sys_platform != "win32"`, false, true},
	} {
		a, b := ms(t, tc.a), ms(t, tc.b)
		assert.Equal(t, a.disjoint(b), tc.disjoint, "%s ∩ %s", tc.a, tc.b)
		assert.Equal(t, a.subsetOf(b), tc.subset, "%s ⊆ %s", tc.a, tc.b)
		assert.Assert(t, a.and(a.not()).isEmpty(), "%s ∧ ¬itself", tc.a)
		assert.Assert(t, a.or(a.not()).isTrue() || msetTrue().subsetOf(a.or(a.not())), "%s ∨ ¬itself", tc.a)
	}
}

func TestMarkerSetAgreesWithEvaluate(t *testing.T) {
	t.Parallel()
	var pts []point
	for _, s := range []string{"cp311-manylinux_2_28_x86_64", "cp312-manylinux_2_28_aarch64", "cp313-macosx_14_0_arm64", "cp312-win_amd64", "pp310-pypy310_pp73-manylinux_2_28_x86_64"} {
		tg, err := wheel.ParseTarget(s)
		if err != nil {
			continue
		}
		env := tg.Environment()
		pts = append(pts, point{env: env, py: pep440.MustParse(env.PythonFullVersion)})
	}
	assert.Assert(t, len(pts) >= 4)
	markers := []string{
		`sys_platform == "linux"`, `platform_machine == "aarch64"`, `python_version < "3.12"`,
		`python_full_version >= "3.12.0" and sys_platform != "win32"`, `os_name == "nt" or python_version == "3.13"`,
		`implementation_name == "pypy"`, `python_version ~= "3.11"`, `"arm" in platform_machine`, `python_version != "3.12"`,
	}
	for _, s := range markers {
		m, err := pep508.ParseMarker(s)
		assert.NilError(t, err)
		set := fromMarker(m, "")
		not := set.not()
		for _, p := range pts {
			assert.Equal(t, set.eval(p.env, p.py), m.Evaluate(p.env), "%s on %s", s, p.env.PlatformMachine)
			assert.Equal(t, not.eval(p.env, p.py), !m.Evaluate(p.env), "not %s", s)
		}
		back, err := pep508.ParseMarker(markerString(set))
		assert.NilError(t, err, markerString(set))
		for _, p := range pts {
			assert.Equal(t, back.Evaluate(p.env), m.Evaluate(p.env), "%s rendered %s", s, markerString(set))
		}
	}
}

func TestSimplify(t *testing.T) {
	t.Parallel()
	u := symbolicUniverse{u: ms(t, `python_full_version >= "3.12"`).withPython(pep440.LessThan(pep440.MustParse("4.dev0")))}
	for _, tc := range []struct{ in, want string }{
		{`python_version >= "3.8"`, ``},
		{`python_version >= "3.8" and sys_platform == "linux"`, `sys_platform == "linux"`},
		{`sys_platform == "linux" or sys_platform == "linux" and python_version < "3.13"`, `sys_platform == "linux"`},
		{`python_version >= "3.10" and python_version < "3.13"`, `python_version < "3.13"`},
		{`sys_platform == "darwin" or sys_platform != "darwin"`, ``},
		{`python_full_version == "3.9"`, `python_full_version == "3.9"`},
	} {
		got := markerString(simplify(ms(t, tc.in), u))
		if tc.in == `python_full_version == "3.9"` {
			// Outside the universe: the set is empty there.
			assert.Assert(t, u.within(ms(t, tc.in), msetFalse()))
			continue
		}
		assert.Equal(t, got, tc.want, tc.in)
	}
	var pts pointUniverse
	for _, s := range []string{"cp311-manylinux_2_28_x86_64", "cp312-manylinux_2_28_x86_64", "cp311-manylinux_2_28_aarch64", "cp312-manylinux_2_28_aarch64"} {
		tg, err := wheel.ParseTarget(s)
		assert.NilError(t, err)
		env := tg.Environment()
		pts = append(pts, point{env: env, py: pep440.MustParse(env.PythonFullVersion)})
	}
	for _, tc := range []struct{ in, want string }{
		{`sys_platform == "linux" and python_version < "3.12"`, `python_version < "3.12"`},
		{`platform_machine == "x86_64" and sys_platform == "linux" and implementation_name == "cpython"`, `platform_machine == "x86_64"`},
		{`sys_platform == "win32" or platform_machine == "aarch64"`, `platform_machine == "aarch64"`},
		{`python_version >= "3.8"`, ``},
	} {
		assert.Equal(t, markerString(simplify(ms(t, tc.in), pts)), tc.want, tc.in)
	}
}
