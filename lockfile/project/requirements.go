package project

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pydeploy/pydeploy/internal/boundedfile"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// Requirement is a parsed requirement and where it was written.
type Requirement struct {
	pep508.Requirement
	// File and Line locate the requirement (the first line when it spans
	// continuation lines).
	File string
	Line int
}

// Requirements is the content of a requirements.in-style file and the files
// it pulls in.
type Requirements struct {
	// Requirements are the requirements to lock, in file order, -r includes
	// expanded in place.
	Requirements []Requirement
	// Constraints come from -c/--constraint files: they limit versions but
	// do not add packages.
	Constraints []Requirement
}

// LoadRequirements reads a requirements.in-style file: one PEP 508
// requirement per line, # comments, blank lines, backslash line
// continuations, "-r/--requirement FILE" includes and "-c/--constraint FILE"
// constraint files (paths relative to the including file; each file is read
// once, so include cycles are harmless). As in pip, ${NAME} is replaced by
// the environment variable (an unset one is an error), and a line that is
// only the https URL of a wheel or sdist stands for "name @ URL" with the
// name read from the file name (or a #egg= fragment). Constructs a lock
// cannot hold are errors naming file, line and construct: VCS references
// (git+https://…#egg=name), local paths and file: URLs, editable installs
// (-e), and options that belong to a lock rather than its inputs (--hash,
// index options, …); so is every requirement that does not parse.
func LoadRequirements(path string) (*Requirements, error) {
	l := &loader{seen: map[string]bool{}}
	if err := l.load(path, false); err != nil {
		return nil, err
	}
	return &l.out, nil
}

type loader struct {
	out  Requirements
	seen map[string]bool
}

func (l *loader) load(path string, constraint bool) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%t:%s", constraint, abs)
	if l.seen[key] {
		return nil
	}
	l.seen[key] = true
	data, err := boundedfile.ReadFile(path, MaxFileSize, "a requirements file")
	if err != nil {
		return err
	}
	return l.parse(path, data, constraint)
}

// parse reads the content of one file.
func (l *loader) parse(path string, data []byte, constraint bool) error {
	if len(data) > MaxFileSize {
		return fmt.Errorf("%s: the file is %d bytes, more than the %d a requirements file may have", path, len(data), MaxFileSize)
	}
	for _, ln := range logicalLines(string(data)) {
		if err := l.line(path, ln.num, ln.text, constraint); err != nil {
			return err
		}
	}
	return nil
}

type logicalLine struct {
	num  int
	text string
}

// logicalLines strips comments and joins continuation lines, keeping the
// number of each logical line's first physical line.
func logicalLines(s string) []logicalLine {
	s = strings.TrimPrefix(s, "\ufeff")
	var out []logicalLine
	var cur strings.Builder
	start := 0
	for i, raw := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if cur.Len() == 0 {
			start = i + 1
		}
		line := stripComment(raw)
		if before, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(before)
			continue
		}
		cur.WriteString(line)
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, logicalLine{num: start, text: t})
		}
		cur.Reset()
	}
	if t := strings.TrimSpace(cur.String()); t != "" {
		out = append(out, logicalLine{num: start, text: t})
	}
	return out
}

// stripComment removes a # comment that starts the line or follows
// whitespace, as pip does (a # inside a URL fragment survives).
func stripComment(line string) string {
	if strings.HasPrefix(strings.TrimSpace(line), "#") {
		return ""
	}
	for i := 1; i < len(line); i++ {
		if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
			return strings.TrimRight(line[:i], " \t")
		}
	}
	return line
}

// unsupported explains why an option has no place in a lock input.
var unsupported = map[string]string{
	"-e": "editable installs cannot be locked by version", "--editable": "editable installs cannot be locked by version",
	"--hash": "hashes are written by the lock, not read from its inputs",
	"-i":     "set index URLs in the lock options", "--index-url": "set index URLs in the lock options",
	"--extra-index-url": "set index URLs in the lock options", "--no-index": "set index URLs in the lock options",
	"-f": "find-links directories are not supported", "--find-links": "find-links directories are not supported",
	"--pre": "pre-releases follow the requirement's specifier", "--only-binary": "wheel policy is a lock option",
	"--no-binary": "wheel policy is a lock option", "--prefer-binary": "wheel policy is a lock option",
	"--trusted-host": "set index URLs in the lock options", "--use-feature": "pip options are not lock inputs",
	"--config-settings": "build options are not lock inputs", "--global-option": "build options are not lock inputs",
}

func (l *loader) line(path string, num int, text string, constraint bool) error {
	where := fmt.Sprintf("%s:%d", path, num)
	if strings.HasPrefix(text, "-") {
		opt, arg := splitOption(text)
		switch opt {
		case "-r", "--requirement", "-c", "--constraint":
			if arg == "" {
				return fmt.Errorf("%s: option %s needs a file name", where, opt)
			}
			sub := arg
			if !filepath.IsAbs(sub) {
				sub = filepath.Join(filepath.Dir(path), sub)
			}
			asConstraint := constraint || opt == "-c" || opt == "--constraint"
			if err := l.load(sub, asConstraint); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
			return nil
		}
		if why, ok := unsupported[opt]; ok {
			return fmt.Errorf("%s: option %s is not supported in a lock input: %s", where, opt, why)
		}
		return fmt.Errorf("%s: unknown option %s", where, opt)
	}
	if i := strings.Index(text, " --"); i >= 0 {
		opt, _ := splitOption(strings.TrimSpace(text[i:]))
		why := unsupported[opt]
		if why == "" {
			why = "per-requirement options are not lock inputs"
		}
		return fmt.Errorf("%s: option %s is not supported in a lock input: %s", where, opt, why)
	}
	text, err := expandEnv(text)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if why := unsupportedReference(text); why != "" {
		return fmt.Errorf("%s: %s", where, why)
	}
	if named, ok := bareURL(text); ok {
		text = named
	}
	r, err := pep508.Parse(text)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if r.URL != "" {
		if why := unsupportedReference(r.URL); why != "" {
			return fmt.Errorf("%s: %s", where, why)
		}
	}
	req := Requirement{Requirement: r, File: path, Line: num}
	if constraint {
		if len(r.Extras) > 0 {
			return fmt.Errorf("%s: constraint %q names extras; constraints may only limit versions", where, text)
		}
		l.out.Constraints = append(l.out.Constraints, req)
		return nil
	}
	l.out.Requirements = append(l.out.Requirements, req)
	return nil
}

// envVar is pip's environment variable syntax: ${NAME} with upper-case
// letters, digits and underscores only.
var envVar = regexp.MustCompile(`\$\{([A-Z0-9_]+)\}`)

// expandEnv replaces ${NAME} as pip does; an unset variable is an error
// naming it (pip would leave the text as is and fail later, or fetch the
// wrong URL).
func expandEnv(text string) (string, error) {
	var missing string
	out := envVar.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		v, ok := os.LookupEnv(name)
		if !ok && missing == "" {
			missing = name
		}
		return v
	})
	if missing != "" {
		return "", fmt.Errorf("environment variable ${%s} is not set", missing)
	}
	return out, nil
}

// vcsSchemes are pip's VCS URL prefixes.
var vcsSchemes = []string{"git+", "hg+", "svn+", "bzr+"}

// unsupportedReference explains why a line (or the URL of "name @ URL")
// cannot be locked, naming the construct; "" when it can.
func unsupportedReference(text string) string {
	lower := strings.ToLower(text)
	for _, v := range vcsSchemes {
		if strings.HasPrefix(lower, v) {
			return fmt.Sprintf("VCS reference %s: a version-control checkout cannot be locked without building it; publish a release to an index, or refer to a built wheel with name @ https://…", redactRef(text))
		}
	}
	switch {
	case strings.HasPrefix(lower, "file:"):
		return fmt.Sprintf("local file reference %s: a lock must hold files an image build can fetch; publish it to an index or refer to it with name @ https://…", redactRef(text))
	case strings.HasPrefix(text, ".") || strings.HasPrefix(text, "/") || strings.HasPrefix(text, "~") || (len(text) > 2 && text[1] == ':' && (text[2] == '\\' || text[2] == '/')):
		return fmt.Sprintf("local path %s: a lock must hold files an image build can fetch; publish it to an index or refer to it with name @ https://…", text)
	}
	return ""
}

// bareURL turns a line that is only an http(s) URL of a wheel or sdist (pip
// accepts those and reads the name from the file name) into "name @ URL".
func bareURL(text string) (string, bool) {
	lower := strings.ToLower(text)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return "", false
	}
	u, err := url.Parse(text)
	if err != nil {
		return "", false
	}
	base := path.Base(u.Path)
	if fn, err := wheel.ParseFilename(base); err == nil {
		return fn.Name + " @ " + text, true
	}
	if sn, err := wheel.ParseSdistFilename(base); err == nil {
		return pep508.CanonicalName(sn.Name) + " @ " + text, true
	}
	if name := eggName(u.Fragment); name != "" {
		return name + " @ " + text, true
	}
	return "", false
}

// eggName reads the legacy "#egg=name" fragment.
func eggName(fragment string) string {
	for kv := range strings.SplitSeq(fragment, "&") {
		if name, ok := strings.CutPrefix(kv, "egg="); ok && pep508.ValidateName(name) == nil {
			return name
		}
	}
	return ""
}

// redactRef shows a reference without credentials.
func redactRef(ref string) string {
	scheme, rest, ok := strings.Cut(ref, "://")
	if !ok {
		return ref
	}
	if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
		rest = rest[at+1:]
	}
	return scheme + "://" + rest
}

// splitOption splits "-c file", "-cfile", "--constraint=file" and
// "--constraint file" into option and argument.
func splitOption(text string) (opt, arg string) {
	if strings.HasPrefix(text, "--") {
		if i := strings.IndexAny(text, "= \t"); i >= 0 {
			return text[:i], strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text[i:]), "="))
		}
		return text, ""
	}
	if len(text) > 2 {
		return text[:2], strings.TrimSpace(strings.TrimPrefix(text[2:], "="))
	}
	return text, ""
}

// Lists returns the parsed requirements and constraints without their
// locations, ready for Inputs.
func (r *Requirements) Lists() (requirements, constraints []pep508.Requirement) {
	for _, q := range r.Requirements {
		requirements = append(requirements, q.Requirement)
	}
	for _, q := range r.Constraints {
		constraints = append(constraints, q.Requirement)
	}
	return requirements, constraints
}
