package wheel

import (
	"fmt"
	"strconv"
	"strings"
)

// OS is the operating system of a target.
type OS string

// Supported operating systems.
const (
	Linux   OS = "linux"
	MacOS   OS = "macos"
	Windows OS = "windows"
)

// Libc is the C library of a Linux target, which decides between
// manylinux (glibc) and musllinux (musl) wheels.
type Libc string

// C libraries. The zero value means "unknown": only linux_<arch> wheels fit.
const (
	Glibc Libc = "glibc"
	Musl  Libc = "musl"
)

// MajorMinor is a two-part version: glibc 2.36, musl 1.2, macOS 14.0.
type MajorMinor struct{ Major, Minor int }

func (v MajorMinor) less(o MajorMinor) bool {
	return v.Major < o.Major || (v.Major == o.Major && v.Minor < o.Minor)
}

// Platform is the machine side of a target.
type Platform struct {
	OS OS
	// Arch is the architecture as platform tags spell it: x86_64, aarch64,
	// i686, armv7l, ppc64le, s390x, riscv64 on Linux; x86_64 or arm64 on
	// macOS; amd64, x86 or arm64 on Windows.
	Arch string
	// Libc and LibcVersion apply to Linux: glibc 2.36 allows
	// manylinux_2_36 down to manylinux_2_17 (manylinux_2_5 on x86).
	Libc        Libc
	LibcVersion MajorMinor
	// MacOSVersion is the minimum macOS version the image runs (macOS only).
	MacOSVersion MajorMinor
}

var legacyManylinux = map[MajorMinor]string{
	{2, 17}: "manylinux2014",
	{2, 12}: "manylinux2010",
	{2, 5}:  "manylinux1",
}

var manylinuxArchs = map[string]bool{
	"x86_64": true, "i686": true, "aarch64": true, "armv7l": true, "ppc64": true,
	"ppc64le": true, "s390x": true, "loongarch64": true, "riscv64": true,
}

// Tag returns the platform's most specific platform tag, e.g.
// "manylinux_2_36_x86_64", "musllinux_1_2_aarch64", "macosx_14_0_arm64",
// "win_amd64".
func (p Platform) Tag() string {
	switch p.OS {
	case Linux:
		switch p.Libc {
		case Glibc:
			return fmt.Sprintf("manylinux_%d_%d_%s", p.LibcVersion.Major, p.LibcVersion.Minor, p.Arch)
		case Musl:
			return fmt.Sprintf("musllinux_%d_%d_%s", p.LibcVersion.Major, p.LibcVersion.Minor, p.Arch)
		}
		return "linux_" + p.Arch
	case MacOS:
		return fmt.Sprintf("macosx_%d_%d_%s", p.MacOSVersion.Major, p.MacOSVersion.Minor, p.Arch)
	case Windows:
		return windowsTag(p.Arch)
	}
	return ""
}

func windowsTag(arch string) string {
	if arch == "x86" {
		return "win32"
	}
	return "win_" + arch
}

// Tags returns the platform tags the platform accepts, most preferred
// first, in the order packaging.tags.platform_tags yields them.
func (p Platform) Tags() []string {
	switch p.OS {
	case Linux:
		var out []string
		switch p.Libc {
		case Glibc:
			out = manylinuxTags(p.Arch, p.LibcVersion)
		case Musl:
			for minor := p.LibcVersion.Minor; minor >= 0; minor-- {
				out = append(out, fmt.Sprintf("musllinux_%d_%d_%s", p.LibcVersion.Major, minor, p.Arch))
			}
		}
		return append(out, "linux_"+p.Arch)
	case MacOS:
		return macPlatforms(p.MacOSVersion, p.Arch)
	case Windows:
		return []string{windowsTag(p.Arch)}
	}
	return nil
}

// manylinuxTags follows packaging/_manylinux.py: every glibc from the
// target's down to 2.17 (2.5 on x86), the legacy alias right after its
// manylinux_2_Y equivalent. Earlier glibc majors are assumed to end at
// minor 50, as packaging assumes.
func manylinuxTags(arch string, glibc MajorMinor) []string {
	if !manylinuxArchs[arch] {
		return nil
	}
	tooOld := MajorMinor{2, 16}
	if arch == "x86_64" || arch == "i686" {
		tooOld = MajorMinor{2, 4}
	}
	maxes := []MajorMinor{glibc}
	for major := glibc.Major - 1; major > 1; major-- {
		maxes = append(maxes, MajorMinor{major, 50})
	}
	var out []string
	for _, m := range maxes {
		minMinor := -1
		if m.Major == tooOld.Major {
			minMinor = tooOld.Minor
		}
		for minor := m.Minor; minor > minMinor; minor-- {
			v := MajorMinor{m.Major, minor}
			out = append(out, fmt.Sprintf("manylinux_%d_%d_%s", v.Major, v.Minor, arch))
			if legacy, ok := legacyManylinux[v]; ok {
				out = append(out, legacy+"_"+arch)
			}
		}
	}
	return out
}

// macBinaryFormats follows packaging.tags._mac_binary_formats.
func macBinaryFormats(v MajorMinor, arch string) []string {
	formats := []string{arch}
	switch arch {
	case "x86_64":
		if v.less(MajorMinor{10, 4}) {
			return nil
		}
		formats = append(formats, "intel", "fat64", "fat32")
	case "i386":
		if v.less(MajorMinor{10, 4}) {
			return nil
		}
		formats = append(formats, "intel", "fat32", "fat")
	case "ppc64":
		if (MajorMinor{10, 5}).less(v) || v.less(MajorMinor{10, 4}) {
			return nil
		}
		formats = append(formats, "fat64")
	case "ppc":
		if (MajorMinor{10, 6}).less(v) {
			return nil
		}
		formats = append(formats, "fat32", "fat")
	}
	if arch == "arm64" || arch == "x86_64" {
		formats = append(formats, "universal2")
	}
	switch arch {
	case "x86_64", "i386", "ppc64", "ppc", "intel":
		formats = append(formats, "universal")
	}
	return formats
}

// macPlatforms follows packaging.tags.mac_platforms.
func macPlatforms(v MajorMinor, arch string) []string {
	var out []string
	add := func(major, minor int, formats []string) {
		for _, f := range formats {
			out = append(out, fmt.Sprintf("macosx_%d_%d_%s", major, minor, f))
		}
	}
	if v.Major == 10 {
		for minor := v.Minor; minor >= 0; minor-- {
			add(10, minor, macBinaryFormats(MajorMinor{10, minor}, arch))
		}
	}
	if v.Major >= 11 {
		for major := v.Major; major > 10; major-- {
			add(major, 0, macBinaryFormats(MajorMinor{major, 0}, arch))
		}
		for minor := 16; minor > 3; minor-- {
			if arch == "x86_64" {
				add(10, minor, macBinaryFormats(MajorMinor{10, minor}, arch))
			} else {
				add(10, minor, []string{"universal2"})
			}
		}
	}
	return out
}

// parsePlatformTag reads a platform tag such as "manylinux_2_36_x86_64",
// "manylinux2014_aarch64", "musllinux_1_2_x86_64", "linux_x86_64",
// "macosx_14_0_arm64", "win_amd64" or "win32".
func parsePlatformTag(s string) (Platform, error) {
	s = strings.ToLower(s)
	bad := func(reason string) (Platform, error) {
		return Platform{}, fmt.Errorf("platform %q: %s", s, reason)
	}
	for legacyVer, legacy := range legacyManylinux {
		if arch, ok := strings.CutPrefix(s, legacy+"_"); ok {
			if arch == "" {
				return bad("missing architecture")
			}
			return Platform{OS: Linux, Arch: arch, Libc: Glibc, LibcVersion: legacyVer}, nil
		}
	}
	versioned := func(prefix string) (MajorMinor, string, bool, error) {
		rest, ok := strings.CutPrefix(s, prefix)
		if !ok {
			return MajorMinor{}, "", false, nil
		}
		f := strings.SplitN(rest, "_", 3)
		if len(f) != 3 || f[2] == "" {
			return MajorMinor{}, "", true, fmt.Errorf("platform %q: expected %sMAJOR_MINOR_ARCH", s, prefix)
		}
		major, err1 := strconv.Atoi(f[0])
		minor, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil || major < 0 || minor < 0 || major > 999 || minor > 999 {
			return MajorMinor{}, "", true, fmt.Errorf("platform %q: expected numeric MAJOR_MINOR after %q", s, prefix)
		}
		return MajorMinor{major, minor}, f[2], true, nil
	}
	for _, c := range []struct {
		prefix string
		os     OS
		libc   Libc
	}{{"manylinux_", Linux, Glibc}, {"musllinux_", Linux, Musl}, {"macosx_", MacOS, ""}} {
		v, arch, ok, err := versioned(c.prefix)
		if err != nil {
			return Platform{}, err
		}
		if !ok {
			continue
		}
		if c.os == MacOS {
			if v.Major < 10 {
				return bad("macOS versions start at 10")
			}
			return Platform{OS: MacOS, Arch: arch, MacOSVersion: v}, nil
		}
		return Platform{OS: Linux, Arch: arch, Libc: c.libc, LibcVersion: v}, nil
	}
	if arch, ok := strings.CutPrefix(s, "linux_"); ok && arch != "" {
		return Platform{OS: Linux, Arch: arch}, nil
	}
	switch s {
	case "win32":
		return Platform{OS: Windows, Arch: "x86"}, nil
	case "win_amd64":
		return Platform{OS: Windows, Arch: "amd64"}, nil
	case "win_arm64":
		return Platform{OS: Windows, Arch: "arm64"}, nil
	}
	return bad("expected manylinux_X_Y_ARCH, manylinux1/2010/2014_ARCH, musllinux_X_Y_ARCH, linux_ARCH, macosx_X_Y_ARCH, win32, win_amd64 or win_arm64")
}
