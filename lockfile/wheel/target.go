package wheel

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

// Implementation is a Python implementation, named as
// sys.implementation.name reports it.
type Implementation string

// Supported implementations.
const (
	CPython Implementation = "cpython"
	PyPy    Implementation = "pypy"
	GraalPy Implementation = "graalpy"
)

var shortNames = map[Implementation]string{CPython: "cp", PyPy: "pp", GraalPy: "graalpy"}

// PythonVersion is the language version a target runs.
type PythonVersion struct{ Major, Minor, Patch int }

// String returns "major.minor.patch".
func (v PythonVersion) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

func (v PythonVersion) nodot() string { return fmt.Sprintf("%d%d", v.Major, v.Minor) }

// Target is an install environment: what a container image runs. It
// decides which wheels fit (Tags, Supports) and how markers evaluate
// (Environment).
type Target struct {
	Implementation Implementation
	Python         PythonVersion
	// ImplementationVersion is the implementation's own version for
	// PyPy and GraalPy ("7.3.17"); CPython uses Python.
	ImplementationVersion string
	// FreeThreaded selects a free-threaded CPython build (ABI cp313t),
	// which cannot load abi3 wheels.
	FreeThreaded bool
	// ABI overrides the implementation-specific ABI tag
	// (e.g. "pypy310_pp73"); empty means the default for the target.
	ABI      string
	Platform Platform
}

// TargetError reports a target string that ParseTarget cannot read.
type TargetError struct {
	Input  string
	Reason string
	Err    error
}

// Error names the input, the reason and the underlying error.
func (e *TargetError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("invalid target %q: %s: %v", e.Input, e.Reason, e.Err)
	}
	return fmt.Sprintf("invalid target %q: %s", e.Input, e.Reason)
}

// Unwrap returns the underlying error.
func (e *TargetError) Unwrap() error { return e.Err }

// ParseTarget reads a target written as an interpreter, an optional ABI
// and a platform tag, separated by dashes:
//
//	cp312-manylinux_2_36_x86_64          CPython 3.12, glibc 2.36, x86_64
//	cp313-cp313t-manylinux_2_28_aarch64  free-threaded CPython 3.13
//	python3.12.4-musllinux_1_2-aarch64   CPython 3.12.4 (full version for markers), musl 1.2
//	pp310-pypy310_pp73-manylinux2014_x86_64
//	pypy3.10-manylinux_2_17_x86_64
//	cp311-macosx_14_0_arm64
//	cp312-win_amd64
//
// The interpreter is a tag ("cp312", "pp310", "graalpy311", optionally
// with "t" for free-threaded CPython) or a name and dotted version
// ("python3.12", "cpython3.12.4", "pypy3.10", "graalpy3.11"; "python"
// means CPython). The platform is a PEP 425 platform tag; dashes and dots
// in it are read as "_". Legacy manylinux1/2010/2014 mean glibc 2.5, 2.12
// and 2.17.
func ParseTarget(s string) (Target, error) {
	fail := func(err error, format string, args ...any) (Target, error) {
		return Target{}, &TargetError{Input: s, Reason: fmt.Sprintf(format, args...), Err: err}
	}
	parts := strings.Split(strings.TrimSpace(s), "-")
	if len(parts) < 2 {
		return fail(nil, "expected INTERPRETER[-ABI]-PLATFORM, e.g. cp312-manylinux_2_36_x86_64")
	}
	var t Target
	if err := t.parseInterpreter(strings.ToLower(parts[0])); err != nil {
		return fail(err, "bad interpreter")
	}
	rest := parts[1:]
	if len(rest) > 1 && !looksLikePlatform(rest[0]) {
		t.ABI = strings.ToLower(rest[0])
		if !validTagPart(t.ABI, false) {
			return fail(nil, "ABI tag %q must be letters, digits and '_'", rest[0])
		}
		if t.ABI == t.defaultABI()+"t" && t.Implementation == CPython {
			t.FreeThreaded, t.ABI = true, ""
		} else if t.ABI == t.defaultABI() {
			t.ABI = ""
		}
		rest = rest[1:]
	}
	plat := strings.NewReplacer("-", "_", ".", "_").Replace(strings.Join(rest, "_"))
	p, err := parsePlatformTag(plat)
	if err != nil {
		return fail(err, "bad platform")
	}
	if p.Arch == "" || !validTagPart(p.Arch, false) {
		return fail(nil, "architecture %q must be letters, digits and '_'", p.Arch)
	}
	t.Platform = p
	return t, nil
}

func looksLikePlatform(s string) bool {
	s = strings.ToLower(s)
	for _, p := range []string{"manylinux", "musllinux", "linux", "macosx", "win"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func (t *Target) parseInterpreter(s string) error {
	if s == "" {
		return fmt.Errorf("empty interpreter")
	}
	for _, c := range []struct {
		name string
		impl Implementation
	}{{"cpython", CPython}, {"python", CPython}, {"pypy", PyPy}, {"graalpy", GraalPy}} {
		if rest, ok := strings.CutPrefix(s, c.name); ok && rest != "" && rest[0] >= '0' && rest[0] <= '9' && strings.Contains(rest, ".") {
			t.Implementation = c.impl
			return t.parseDotted(rest)
		}
	}
	for _, c := range []struct {
		short string
		impl  Implementation
	}{{"graalpy", GraalPy}, {"cp", CPython}, {"pp", PyPy}} {
		rest, ok := strings.CutPrefix(s, c.short)
		if !ok {
			continue
		}
		t.Implementation = c.impl
		if c.impl == CPython {
			if r, ok := strings.CutSuffix(rest, "t"); ok {
				t.FreeThreaded, rest = true, r
			}
		}
		if len(rest) < 2 || strings.TrimLeft(rest, "0123456789") != "" {
			return fmt.Errorf("interpreter %q: expected %s followed by the major digit and minor number, e.g. %s312", s, c.short, c.short)
		}
		major := int(rest[0] - '0')
		minor, err := strconv.Atoi(rest[1:])
		if err != nil || minor > 999 {
			return fmt.Errorf("interpreter %q: minor version %q out of range", s, rest[1:])
		}
		t.Python = PythonVersion{Major: major, Minor: minor}
		return nil
	}
	return fmt.Errorf("interpreter %q: expected cpXY, ppXY, graalpyXY or python/cpython/pypy/graalpy followed by X.Y[.Z]", s)
}

func (t *Target) parseDotted(s string) error {
	if r, ok := strings.CutSuffix(s, "t"); ok && t.Implementation == CPython {
		t.FreeThreaded, s = true, r
	}
	f := strings.Split(s, ".")
	if len(f) < 2 || len(f) > 3 {
		return fmt.Errorf("python version %q: expected X.Y or X.Y.Z", s)
	}
	var n [3]int
	for i, p := range f {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 999 {
			return fmt.Errorf("python version %q: %q is not a number", s, p)
		}
		n[i] = v
	}
	t.Python = PythonVersion{n[0], n[1], n[2]}
	return nil
}

// String returns the target in ParseTarget's syntax; ParseTarget(t.String())
// gives t back.
func (t Target) String() string {
	var b strings.Builder
	if t.Python.Patch != 0 {
		name := string(t.Implementation)
		fmt.Fprintf(&b, "%s%d.%d.%d", name, t.Python.Major, t.Python.Minor, t.Python.Patch)
		if t.FreeThreaded {
			b.WriteByte('t')
		}
	} else {
		b.WriteString(t.interpreter())
		if t.FreeThreaded {
			b.WriteByte('t')
		}
	}
	if t.ABI != "" {
		b.WriteString("-" + t.ABI)
	}
	b.WriteString("-" + t.Platform.Tag())
	return b.String()
}

// interpreter returns the interpreter tag, e.g. "cp312".
func (t Target) interpreter() string { return shortNames[t.Implementation] + t.Python.nodot() }

// defaultABI is the implementation's own ABI tag when it can be derived.
func (t Target) defaultABI() string {
	switch t.Implementation {
	case CPython:
		abi := "cp" + t.Python.nodot()
		if t.Python.Major == 3 && t.Python.Minor < 8 {
			abi += "m"
		}
		return abi
	case PyPy:
		if v, err := pep440.Parse(t.ImplementationVersion); err == nil {
			r := v.Release()
			if len(r) >= 2 {
				return fmt.Sprintf("pypy%s_pp%d%d", t.Python.nodot(), r[0], r[1])
			}
		}
	}
	return ""
}

func (t Target) abis() []string {
	if t.ABI != "" {
		if t.ABI == "abi3" || t.ABI == "none" {
			return nil
		}
		return []string{t.ABI}
	}
	abi := t.defaultABI()
	if abi == "" {
		return nil
	}
	if t.FreeThreaded && t.Implementation == CPython {
		abi += "t"
	}
	return []string{abi}
}

// Tags returns every tag the target accepts, most preferred first, in the
// order packaging.tags.sys_tags produces on such an interpreter:
// cpython_tags (cpXY-cpXY, cpXY-abi3, cpXY-none, then abi3 of older 3.x
// down to cp32) or generic_tags for other implementations, followed by
// compatible_tags (pyXY-none-platform ... then interpreter-none-any and
// py*-none-any).
func (t Target) Tags() []Tag {
	plats := t.Platform.Tags()
	interp := t.interpreter()
	var tags []Tag
	add := func(in, abi string) {
		for _, p := range plats {
			tags = append(tags, Tag{in, abi, p})
		}
	}
	var compatInterp string
	if t.Implementation == CPython {
		for _, abi := range t.abis() {
			add(interp, abi)
		}
		abi3 := !t.FreeThreaded && (t.Python.Major > 3 || (t.Python.Major == 3 && t.Python.Minor >= 2))
		if abi3 {
			add(interp, "abi3")
		}
		add(interp, "none")
		if abi3 {
			for minor := t.Python.Minor - 1; minor > 1; minor-- {
				add(fmt.Sprintf("cp%d%d", t.Python.Major, minor), "abi3")
			}
		}
		compatInterp = interp
	} else {
		for _, abi := range t.abis() {
			add(interp, abi)
		}
		add(interp, "none")
		if t.Implementation == PyPy {
			compatInterp = fmt.Sprintf("pp%d", t.Python.Major)
		}
	}
	// compatible_tags
	pyRange := []string{"py" + t.Python.nodot(), fmt.Sprintf("py%d", t.Python.Major)}
	for minor := t.Python.Minor - 1; minor >= 0; minor-- {
		pyRange = append(pyRange, fmt.Sprintf("py%d%d", t.Python.Major, minor))
	}
	for _, v := range pyRange {
		add(v, "none")
	}
	if compatInterp != "" {
		tags = append(tags, Tag{compatInterp, "none", "any"})
	}
	for _, v := range pyRange {
		tags = append(tags, Tag{v, "none", "any"})
	}
	return tags
}

// Matcher ranks wheels for one target. Build it once with Target.Matcher
// and reuse it across many files.
type Matcher struct {
	rank map[Tag]int
}

// Matcher indexes the target's tags by preference.
func (t Target) Matcher() *Matcher {
	tags := t.Tags()
	m := &Matcher{rank: make(map[Tag]int, len(tags))}
	for i, tag := range tags {
		if _, dup := m.rank[tag]; !dup {
			m.rank[tag] = i
		}
	}
	return m
}

// Supports reports whether the wheel installs on the target and, if so,
// the priority of its best tag: 0 is the most preferred; a lower number is
// a better wheel.
func (m *Matcher) Supports(f Filename) (priority int, ok bool) {
	priority = -1
	for _, tag := range f.Tags {
		if r, found := m.rank[tag]; found && (priority < 0 || r < priority) {
			priority = r
		}
	}
	return priority, priority >= 0
}

// Supports is t.Matcher().Supports(f); use a Matcher when checking many
// files.
func (t Target) Supports(f Filename) (priority int, ok bool) {
	return t.Matcher().Supports(f)
}

// Environment returns the PEP 508 marker environment of the target, as
// packaging.markers.default_environment would report it inside the image.
// Values the target does not pin (platform_release, platform_version) are
// empty.
func (t Target) Environment() pep508.Environment {
	full := t.Python.String()
	env := pep508.Environment{
		ImplementationName: string(t.Implementation),
		PythonVersion:      fmt.Sprintf("%d.%d", t.Python.Major, t.Python.Minor),
		PythonFullVersion:  full,
	}
	switch t.Implementation {
	case CPython:
		env.PlatformPythonImplementation = "CPython"
		env.ImplementationVersion = full
	case PyPy:
		env.PlatformPythonImplementation = "PyPy"
		env.ImplementationVersion = t.ImplementationVersion
	case GraalPy:
		env.PlatformPythonImplementation = "GraalVM"
		env.ImplementationVersion = t.ImplementationVersion
	}
	switch t.Platform.OS {
	case Linux:
		env.OSName, env.SysPlatform, env.PlatformSystem = "posix", "linux", "Linux"
		env.PlatformMachine = t.Platform.Arch
	case MacOS:
		env.OSName, env.SysPlatform, env.PlatformSystem = "posix", "darwin", "Darwin"
		env.PlatformMachine = t.Platform.Arch
	case Windows:
		env.OSName, env.SysPlatform, env.PlatformSystem = "nt", "win32", "Windows"
		env.PlatformMachine = map[string]string{"amd64": "AMD64", "x86": "x86", "arm64": "ARM64"}[t.Platform.Arch]
	}
	return env
}
