package wheel

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

// Filename is a parsed wheel file name (PEP 427 / binary distribution
// format): {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl.
type Filename struct {
	// Name is the PEP 503 normalized project name.
	Name string
	// Version is the wheel's version.
	Version pep440.Version
	// Build is the optional build tag; nil when absent. Installers prefer
	// the highest build of otherwise equal wheels.
	Build *BuildTag
	// Tags is the expanded compressed tag set, sorted.
	Tags []Tag

	raw string
}

// BuildTag is a wheel build tag: a number and an optional suffix
// ("1000abc" is {1000, "abc"}).
type BuildTag struct {
	Number int
	Suffix string
}

// Compare orders build tags as installers do: by number, then suffix.
func (b BuildTag) Compare(o BuildTag) int {
	if b.Number != o.Number {
		if b.Number < o.Number {
			return -1
		}
		return 1
	}
	return strings.Compare(b.Suffix, o.Suffix)
}

// String returns the file name as given to ParseFilename.
func (f Filename) String() string { return f.raw }

// FilenameError reports a file name that is not a valid wheel or sdist
// name.
type FilenameError struct {
	Filename string
	Reason   string
	Err      error // underlying version or tag error, if any
}

// Error names the file, the part at fault and the underlying error.
func (e *FilenameError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("invalid distribution file name %q: %s: %v", e.Filename, e.Reason, e.Err)
	}
	return fmt.Sprintf("invalid distribution file name %q: %s", e.Filename, e.Reason)
}

// Unwrap returns the underlying error.
func (e *FilenameError) Unwrap() error { return e.Err }

// ParseFilename parses a wheel file name. Compressed tag sets may list
// their parts in any order, as pip accepts; ParseFilenameStrict does not.
func ParseFilename(filename string) (Filename, error) {
	return parseFilename(filename, false)
}

// ParseFilenameStrict is ParseFilename that also requires each compressed
// tag set to be sorted, as the binary distribution format specifies.
func ParseFilenameStrict(filename string) (Filename, error) {
	return parseFilename(filename, true)
}

func parseFilename(filename string, strict bool) (Filename, error) {
	fail := func(err error, format string, args ...any) (Filename, error) {
		return Filename{}, &FilenameError{Filename: filename, Reason: fmt.Sprintf(format, args...), Err: err}
	}
	stem, ok := strings.CutSuffix(filename, ".whl")
	if !ok {
		return fail(nil, "expected the extension .whl")
	}
	parts := strings.Split(stem, "-")
	if len(parts) != 5 && len(parts) != 6 {
		return fail(nil, "expected 5 or 6 dash-separated parts (name-version[-build]-python-abi-platform), found %d", len(parts))
	}
	name := parts[0]
	if err := validWheelName(name); err != "" {
		return fail(nil, "invalid project name %q: %s", name, err)
	}
	version, err := pep440.Parse(parts[1])
	if err != nil {
		return fail(err, "invalid version %q", parts[1])
	}
	f := Filename{Name: pep508.CanonicalName(name), Version: version, raw: filename}
	if len(parts) == 6 {
		b, ok := parseBuildTag(parts[2])
		if !ok {
			return fail(nil, "invalid build tag %q: expected a number optionally followed by a suffix", parts[2])
		}
		f.Build = &b
	}
	tag := strings.Join(parts[len(parts)-3:], "-")
	f.Tags, err = parseTag(tag, strict)
	if err != nil {
		return fail(err, "invalid tags %q", tag)
	}
	return f, nil
}

// validWheelName applies the escaping rules of the binary distribution
// format: word characters, "." and "_" only, no "__", not empty.
func validWheelName(name string) string {
	if name == "" {
		return "empty"
	}
	if strings.Contains(name, "__") {
		return `contains "__"`
	}
	for _, r := range name {
		if r != '.' && r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) {
			return fmt.Sprintf("unexpected character %q", r)
		}
	}
	return ""
}

func parseBuildTag(s string) (BuildTag, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return BuildTag{}, false
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil {
		return BuildTag{}, false
	}
	return BuildTag{Number: n, Suffix: s[i:]}, true
}

// SdistFilename is a parsed source distribution file name,
// {name}-{version}.tar.gz (or the legacy .zip).
type SdistFilename struct {
	// Name is the PEP 503 normalized project name.
	Name string
	// Version is the sdist's version.
	Version pep440.Version
	// Ext is ".tar.gz" or ".zip".
	Ext string
}

// ParseSdistFilename parses a source distribution file name. The version
// is everything after the last dash, since PEP 440 versions have none.
func ParseSdistFilename(filename string) (SdistFilename, error) {
	fail := func(err error, format string, args ...any) (SdistFilename, error) {
		return SdistFilename{}, &FilenameError{Filename: filename, Reason: fmt.Sprintf(format, args...), Err: err}
	}
	var ext string
	switch {
	case strings.HasSuffix(filename, ".tar.gz"):
		ext = ".tar.gz"
	case strings.HasSuffix(filename, ".zip"):
		ext = ".zip"
	default:
		return fail(nil, "expected the extension .tar.gz or .zip")
	}
	stem := strings.TrimSuffix(filename, ext)
	i := strings.LastIndexByte(stem, '-')
	if i < 0 {
		return fail(nil, "expected a dash between name and version")
	}
	name, ver := stem[:i], stem[i+1:]
	if err := pep508.ValidateName(name); err != nil {
		return fail(err, "invalid project name %q", name)
	}
	version, err := pep440.Parse(ver)
	if err != nil {
		return fail(err, "invalid version %q", ver)
	}
	return SdistFilename{Name: pep508.CanonicalName(name), Version: version, Ext: ext}, nil
}
