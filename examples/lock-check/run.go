package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
)

// Exit codes; see the package documentation.
const (
	exitFresh  = 0
	exitStale  = 1
	exitError  = 2
	exitStrict = 3
)

// options are the parsed flags.
type options struct {
	project, requirements, lock string
	indexes, extras, groups     listFlag
	target                      string
	strict                      bool
	format                      string
	relock                      string
	cacheDir                    string
	timeout                     time.Duration
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// run checks the lock the arguments name and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitFresh
	}
	if err != nil {
		// The flag package has printed the usage for its own errors.
		fmt.Fprintln(stderr, "lock-check:", err)
		return exitError
	}
	rep := &reporter{format: o.format, stdout: stdout, stderr: stderr, relock: o.relock}
	res, err := check(ctx, o)
	if err != nil {
		rep.fail(res, err)
		return exitError
	}
	return rep.report(res)
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("lock-check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: lock-check [-project pyproject.toml | -requirements requirements.in] [-lock pylock.toml] [flags]

Checks that a pylock.toml still matches the declared dependencies (offline),
or with -strict that re-locking reproduces it. Exit codes: 0 fresh, 1 stale,
2 usage or I/O error, 3 strict re-lock differs.

`)
		fs.PrintDefaults()
	}
	var o options
	fs.StringVar(&o.project, "project", "", "the service's `pyproject.toml` (default ./pyproject.toml unless -requirements is given)")
	fs.StringVar(&o.requirements, "requirements", "", "a `requirements.in` file (with -r/-c includes) instead of pyproject.toml")
	fs.StringVar(&o.lock, "lock", "", "the lock `file` (default pylock.<project-name>.toml, else pylock.toml, next to the declared file)")
	fs.Var(&o.indexes, "index", "index `URL` the lock must be made from, primary first (repeatable; default: the recorded ones)")
	fs.Var(&o.extras, "extra", "project `extra` the lock includes (repeatable; default: the recorded ones)")
	fs.Var(&o.groups, "group", "dependency `group` the lock includes (repeatable; default: the recorded ones)")
	fs.StringVar(&o.target, "target", "", "install `target` the lock is for, e.g. cp312-manylinux_2_36_x86_64 (default: the recorded one)")
	fs.BoolVar(&o.strict, "strict", false, "also re-lock with the recorded exclude-newer against the index and demand identical bytes")
	fs.StringVar(&o.format, "format", "text", "output `format`: text, github (Actions annotations) or json")
	fs.StringVar(&o.relock, "relock", "", "the `command` that re-locks, shown in the message (e.g. \"make lock\")")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "HTTP cache `directory` for -strict (default: none)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "deadline of the -strict re-lock")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q (every input is a flag; see -h)", fs.Args())
	case o.project != "" && o.requirements != "":
		return o, errors.New("-project and -requirements are exclusive: a lock is made from one of them")
	case o.format != "text" && o.format != "github" && o.format != "json":
		return o, fmt.Errorf("-format: expected text, github or json, found %q", o.format)
	case o.requirements != "" && (len(o.extras) > 0 || len(o.groups) > 0):
		return o, errors.New("-extra and -group select parts of a pyproject.toml; a requirements file has none")
	case o.timeout <= 0:
		return o, fmt.Errorf("-timeout: expected a positive duration, found %s", o.timeout)
	}
	if o.project == "" && o.requirements == "" {
		o.project = "pyproject.toml"
	}
	return o, nil
}

// result is what a check found; the reporter prints it.
type result struct {
	// declared is the pyproject.toml or requirements file; lock the lock.
	declared, lock string
	strict         bool
	// packages and inputHash describe a fresh lock.
	packages     int
	inputHash    string
	excludeNewer time.Time
	// stale is set when the lock is stale (offline) or drifted (strict).
	stale *lockfile.StaleError
	// lines locates requirements of a requirements file by canonical name.
	lines map[string]location
}

// location is where a requirement is written.
type location struct {
	file string
	line int
}

// check loads the declared inputs and the lock and runs the freshness check.
// A stale lock is a result, not an error; errors mean no verdict.
func check(ctx context.Context, o options) (*result, error) {
	res := &result{strict: o.strict, declared: o.project, lines: map[string]location{}}
	var in project.Inputs
	var name string
	if o.requirements != "" {
		res.declared = o.requirements
		rf, err := project.LoadRequirements(o.requirements)
		if err != nil {
			return res, err
		}
		in.Requirements, in.Constraints = rf.Lists()
		for _, r := range rf.Requirements {
			if _, ok := res.lines[r.CanonicalName()]; !ok {
				res.lines[r.CanonicalName()] = location{file: r.File, line: r.Line}
			}
		}
	}
	var proj *project.Project
	if o.project != "" {
		p, err := project.LoadPyProject(o.project)
		if err != nil {
			return res, err
		}
		proj, name = p, p.Name
		in.RequiresPython = p.RequiresPython
	}

	lockPath, err := findLock(o.lock, res.declared, name)
	if err != nil {
		return res, err
	}
	res.lock = lockPath
	l, err := pylock.ReadFile(lockPath)
	if err != nil {
		return res, err
	}
	rec, err := lockfile.ReadRecorded(l)
	if err != nil {
		return res, fmt.Errorf("%s: %w", lockPath, err)
	}
	res.packages, res.inputHash, res.excludeNewer = len(l.Packages), rec.InputHash, rec.ExcludeNewer

	// What the declared file does not say comes from the recording.
	in.Extras = orRecorded(o.extras, rec, project.KindExtra)
	in.Groups = orRecorded(o.groups, rec, project.KindGroup)
	in.IndexURLs = orRecorded(o.indexes, rec, project.KindIndex)
	in.Targets = orRecorded(listFlag(nonEmpty(o.target)), rec, project.KindTarget)
	in.ExcludeNewer = rec.ExcludeNewer
	in.AllowSdist = hasRecorded(rec, project.KindPolicy, "allow-sdist")
	if proj != nil {
		in.Requirements, err = proj.Requirements(in.Extras, in.Groups)
		if err != nil {
			return res, fmt.Errorf("select extras and groups: %w", err)
		}
	} else {
		in.RequiresPython = firstRecorded(rec, project.KindRequiresPython)
	}

	if !o.strict {
		return res, verdict(res, lockfile.CheckFile(lockPath, in))
	}
	if len(o.indexes) == 0 && len(in.IndexURLs) > 1 {
		return res, fmt.Errorf("%s records %d indexes, but not their priority order; give them with -index, primary first, for -strict", lockPath, len(in.IndexURLs))
	}
	if len(in.IndexURLs) == 0 {
		return res, fmt.Errorf("%s records no index; give -index URL for -strict", lockPath)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	return res, verdict(res, lockfile.CheckStrictFile(ctx, lockPath, in, lockfile.Options{CacheDir: o.cacheDir}))
}

// verdict files a *StaleError into res and passes other errors on.
func verdict(res *result, err error) error {
	if se, ok := errors.AsType[*lockfile.StaleError](err); ok {
		res.stale = se
		return nil
	}
	return err
}

// findLock returns the lock path: the flag, else the first of
// pylock.<name>.toml and pylock.toml next to the declared file that exists.
func findLock(flagPath, declared, name string) (string, error) {
	if flagPath != "" {
		return flagPath, nil
	}
	dir := filepath.Dir(declared)
	var tried []string
	if name != "" {
		for _, n := range []string{name, pep508.CanonicalName(name)} {
			fn := pylock.FileName(n)
			if _, err := pylock.ParseFileName(fn); err != nil {
				continue
			}
			if p := filepath.Join(dir, fn); !slices.Contains(tried, p) {
				tried = append(tried, p)
			}
		}
	}
	tried = append(tried, filepath.Join(dir, pylock.DefaultFileName))
	for _, p := range tried {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("look for the lock: %w", err)
		}
	}
	return "", fmt.Errorf("no lock file next to %s: tried %s; give its path with -lock", declared, strings.Join(tried, ", "))
}

// recorded returns the values of one kind of the lock's recorded inputs.
func recorded(rec *lockfile.Recorded, kind string) []string {
	var out []string
	for _, it := range rec.Inputs {
		if k, v, ok := strings.Cut(it, ":"); ok && k == kind {
			out = append(out, v)
		}
	}
	return out
}

func orRecorded(flagValues listFlag, rec *lockfile.Recorded, kind string) []string {
	if len(flagValues) > 0 {
		return flagValues
	}
	return recorded(rec, kind)
}

func firstRecorded(rec *lockfile.Recorded, kind string) string {
	if v := recorded(rec, kind); len(v) > 0 {
		return v[0]
	}
	return ""
}

func hasRecorded(rec *lockfile.Recorded, kind, value string) bool {
	return slices.Contains(recorded(rec, kind), value)
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
