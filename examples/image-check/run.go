package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
	"github.com/pydeploy/pydeploy/manifest/image"
)

// Exit codes; see the package documentation.
const (
	exitClean = 0
	exitDrift = 1
	exitError = 2
	exitFiles = 3
)

type options struct {
	image, lock, target, pythonVersion, sitePackages, allowExtra, format string
	extras, groups                                                       listFlag
	insecure                                                             bool
	timeout                                                              time.Duration
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("image-check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: image-check -image REF -lock pylock.toml [flags]

Checks that an image holds exactly the packages of a lock, with every file
matching its RECORD. Exit codes: 0 clean, 1 package drift, 2 usage or I/O
error, 3 file drift only.

`)
		fs.PrintDefaults()
	}
	var o options
	fs.StringVar(&o.image, "image", "", "the image `reference` (tag or digest) to check")
	fs.StringVar(&o.lock, "lock", "pylock.toml", "the lock `file`")
	fs.StringVar(&o.target, "target", "", "install `target` the image must match, e.g. cp312-manylinux_2_36_x86_64 (default: the lock's target for the image's platform)")
	fs.StringVar(&o.pythonVersion, "python-version", "", "full `version` of the image's Python, for python_full_version markers")
	fs.Var(&o.extras, "extra", "lock `extra` the image includes (repeatable)")
	fs.Var(&o.groups, "group", "lock dependency `group` the image includes (repeatable; default: the lock's default groups)")
	fs.StringVar(&o.sitePackages, "site-packages", "", "the environment's `directory` in the image (default: found)")
	fs.StringVar(&o.allowExtra, "allow-extra", "pip,setuptools,wheel", "comma-separated `packages` that may be installed without being locked")
	fs.BoolVar(&o.insecure, "insecure", false, "talk plain HTTP to the registry (localhost always is)")
	fs.StringVar(&o.format, "format", "text", "output `format`: text, github (Actions annotations) or json")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "deadline for reading the image")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q (every input is a flag; see -h)", fs.Args())
	case o.image == "":
		return o, errors.New("-image is required")
	case o.format != "text" && o.format != "github" && o.format != "json":
		return o, fmt.Errorf("-format: expected text, github or json, found %q", o.format)
	case o.timeout <= 0:
		return o, fmt.Errorf("-timeout: expected a positive duration, found %s", o.timeout)
	}
	return o, nil
}

// run checks the image the arguments name and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitClean
	}
	if err != nil {
		fmt.Fprintln(stderr, "image-check:", err)
		return exitError
	}
	rep := &reporter{o: o, stdout: stdout, stderr: stderr}
	reports, err := check(ctx, o)
	if err != nil {
		rep.fail(err)
		return exitError
	}
	return rep.report(reports)
}

func check(ctx context.Context, o options) ([]*image.Report, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	l, err := pylock.ReadFile(o.lock)
	if err != nil {
		return nil, err
	}
	opts := image.VerifyOptions{PythonVersion: o.pythonVersion, Extras: o.extras, DependencyGroups: o.groups,
		SitePackages: o.sitePackages, Remote: image.Remote{Insecure: o.insecure}}
	for a := range strings.SplitSeq(o.allowExtra, ",") {
		if a = strings.TrimSpace(a); a != "" {
			opts.AllowExtra = append(opts.AllowExtra, a)
		}
	}
	if o.target != "" {
		if opts.Target, err = wheel.ParseTarget(o.target); err != nil {
			return nil, fmt.Errorf("-target: %w", err)
		}
	}
	return image.Verify(ctx, o.image, l, opts)
}

// verdict is the exit code of a set of reports.
func verdict(reports []*image.Report) int {
	code := exitClean
	for _, r := range reports {
		switch {
		case !r.PackagesMatch():
			return exitDrift
		case !r.Clean():
			code = exitFiles
		}
	}
	return code
}

type reporter struct {
	o              options
	stdout, stderr io.Writer
}

func (r *reporter) report(reports []*image.Report) int {
	code := verdict(reports)
	switch r.o.format {
	case "json":
		r.writeJSON(reports, code, nil)
	case "github":
		r.writeGitHub(reports, code)
		r.writeText(r.stderr, reports, code)
	default:
		r.writeText(r.stdout, reports, code)
	}
	return code
}

func (r *reporter) fail(err error) {
	fmt.Fprintln(r.stderr, "image-check:", err)
	switch r.o.format {
	case "json":
		r.writeJSON(nil, exitError, err)
	case "github":
		fmt.Fprintln(r.stdout, annotation("error", r.o.lock, "image-check could not check "+r.o.image, err.Error()))
	}
}

func (r *reporter) writeText(w io.Writer, reports []*image.Report, code int) {
	fmt.Fprintf(w, "%s against %s: %s\n", r.o.image, r.o.lock, status(code))
	for _, rep := range reports {
		_ = rep.WriteText(w)
	}
}

func status(code int) string {
	switch code {
	case exitDrift:
		return "package drift"
	case exitFiles:
		return "file drift"
	case exitError:
		return "error"
	}
	return "clean"
}

// findings lists one line per drift of every report.
func findings(rep *image.Report) []string {
	var out []string
	for _, d := range rep.Missing {
		out = append(out, fmt.Sprintf("missing package %s %s", d.Name, d.Version))
	}
	for _, d := range rep.Extra {
		out = append(out, fmt.Sprintf("extra package %s %s (not in the lock)", d.Name, d.Version))
	}
	for _, v := range rep.Versions {
		out = append(out, fmt.Sprintf("%s is %s in the image, %s in the lock", v.Name, v.Installed, v.Locked))
	}
	for _, f := range rep.Files {
		s := f.Kind + " file " + f.Path
		if f.Package != "" {
			s += " of " + f.Package
		}
		if f.Kind == image.FileModified {
			s += " (RECORD " + f.Want + ", image " + f.Got + ")"
		}
		out = append(out, s)
	}
	return out
}

func (r *reporter) writeGitHub(reports []*image.Report, code int) {
	if code == exitClean {
		fmt.Fprintln(r.stdout, annotation("notice", r.o.lock, "image matches the lock", r.o.image+" holds exactly the locked packages"))
		return
	}
	for _, rep := range reports {
		title := fmt.Sprintf("image %s (%s) drifted from %s", r.o.image, rep.Platform.String(), r.o.lock)
		for _, f := range findings(rep) {
			fmt.Fprintln(r.stdout, annotation("error", r.o.lock, title, f))
		}
	}
}

// annotation renders a GitHub Actions workflow command, escaped as the
// runner expects.
func annotation(level, file, title, msg string) string {
	return "::" + level + " file=" + escapeProperty(file) + ",title=" + escapeProperty(title) + "::" + escapeData(msg)
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func escapeData(s string) string     { return dataEscaper.Replace(s) }
func escapeProperty(s string) string { return propertyEscaper.Replace(s) }

type jsonReport struct {
	Status   string          `json:"status"`
	ExitCode int             `json:"exit_code"`
	Image    string          `json:"image"`
	Lock     string          `json:"lock"`
	Reports  []*image.Report `json:"reports"`
	Error    string          `json:"error,omitempty"`
}

func (r *reporter) writeJSON(reports []*image.Report, code int, err error) {
	doc := jsonReport{Status: status(code), ExitCode: code, Image: r.o.image, Lock: r.o.lock, Reports: reports}
	if doc.Reports == nil {
		doc.Reports = []*image.Report{}
	}
	if err != nil {
		doc.Error = err.Error()
	}
	enc := json.NewEncoder(r.stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(doc)
}
