package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	host "github.com/pydeploy/pydeploy/examples/internal/machine"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/resolve"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// The environment both sides resolve for. pip evaluates dependency markers
// against the interpreter running it even with --python-version, so our
// target takes that interpreter's full version when it is a 3.11 (markers
// such as python_full_version <= "3.11.2" then agree); otherwise 3.11.0.
const (
	pipPythonVersion = "3.11"
	pipPlatform      = "manylinux2014_x86_64"
	defaultTarget    = "cp311-manylinux2014_x86_64"
)

// ourTarget is the target string for our resolver given the output of
// `python3 --version` ("Python 3.11.7").
func ourTarget(pythonVersion string) string {
	v, ok := strings.CutPrefix(pythonVersion, "Python ")
	if !ok || !strings.HasPrefix(v, pipPythonVersion+".") || strings.ContainsFunc(v, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }) {
		return defaultTarget
	}
	return "python" + v + "-" + pipPlatform
}

// bench measures every configured root set and prints the machine, the
// results table and the pin comparison.
func bench(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	m := probeMachine(ctx, cfg.python)
	m.target = ourTarget(m.python)
	target, err := wheel.ParseTarget(m.target)
	if err != nil {
		return fmt.Errorf("target %q: %w", m.target, err)
	}
	writeMachine(stdout, m)
	if m.pip == "" {
		fmt.Fprintf(stdout, "\npip is not available (%s -m pip --version failed: %s); measuring only pydeploy's resolver.\n", cfg.python, m.pipErr)
	}
	var results []setResult
	for _, set := range cfg.sets {
		fmt.Fprintf(stderr, "== %s\n", set)
		r, err := benchSet(ctx, cfg, set, target, m.pip != "", stderr)
		if err != nil {
			return fmt.Errorf("root set %s: %w", set, err)
		}
		results = append(results, r)
	}
	fmt.Fprintf(stdout, "\nload average after the runs: %s\n\n", host.LoadAverage())
	writeTable(stdout, cfg.runs, results)
	writeComparison(stdout, results)
	return nil
}

// setResult is what was measured for one root set.
type setResult struct {
	name     string
	packages int
	// Durations of each run; pip is empty when pip did not run.
	pipCold, oursCold, oursWarm []time.Duration
	// oursNoCache is a cold resolve that writes no cache at all, as pip
	// runs with --no-cache-dir: the like-for-like comparison.
	oursNoCache []time.Duration
	// oursWarmCPU is the process CPU time (user + system) of each warm
	// run; nothing else runs in the process then, so on a machine shared
	// with other work it shows what the resolve itself costs.
	oursWarmCPU []time.Duration
	// Requests the index served per run (the last run of each kind).
	pipRequests, pipWheels, coldRequests, warmRequests int
	// pipErr says why pip was not measured for this set.
	pipErr string
	// pipUnsat says pip found no solution (ResolutionImpossible); oursUnsat
	// is our explanation when we found none.
	pipUnsat  bool
	oursUnsat string
	// synthesized lists the -synthesize releases added to this set's index.
	synthesized []string
	// diffs lists the pins that differ between pip and us.
	diffs []pinDiff
}

// pinDiff is one package pinned differently by pip and by us ("" when a
// side does not install the package).
type pinDiff struct {
	name, pip, ours string
}

func benchSet(ctx context.Context, cfg config, set string, target wheel.Target, withPip bool, log io.Writer) (setResult, error) {
	res := setResult{name: set}
	ix, root, err := testindex.FromPyPI(filepath.Join(cfg.shared, "pypi"), set)
	if err != nil {
		return res, fmt.Errorf("build the index: %w", err)
	}
	for _, syn := range cfg.synthesize {
		if ix.Project(syn.name) == nil {
			continue
		}
		v := testindex.Pure(syn.version)
		v.UploadTime = root.Cutoff.Add(-24 * time.Hour)
		ix.Add(syn.name, v)
		res.synthesized = append(res.synthesized, syn.name+"=="+syn.version)
	}
	srv, err := testindex.Start(ix, testindex.Options{})
	if err != nil {
		return res, fmt.Errorf("start the index: %w", err)
	}
	defer srv.Close()

	req := resolve.Request{Name: "roots of " + set, Target: target}
	for _, s := range root.Requirements {
		r, err := pep508.Parse(s)
		if err != nil {
			return res, fmt.Errorf("root requirement %q: %w", s, err)
		}
		req.Requirements = append(req.Requirements, r)
	}

	// One untimed resolve first: the index generates its files (and their
	// hashes) on first use, a cost that would otherwise fall on whichever
	// side runs first.
	var unsat *resolve.NoSolutionError
	if _, _, err := oursOnce(ctx, req, srv.SimpleURL(), ""); err != nil && !errors.As(err, &unsat) {
		return res, fmt.Errorf("warm-up resolve: %w", err)
	}

	var pipPins map[string]string
	if withPip {
		for i := range cfg.runs {
			srv.ResetStats()
			pins, d, err := pipOnce(ctx, cfg, srv.SimpleURL(), root.Requirements)
			var unsat *pipNoSolution
			if err != nil && !errors.As(err, &unsat) {
				res.pipErr = err.Error()
				res.pipCold = nil
				fmt.Fprintf(log, "pip failed, not measuring it for %s: %v\n", set, err)
				break
			}
			res.pipUnsat = unsat != nil
			fmt.Fprintf(log, "pip cold run %d: %s\n", i+1, fmtDuration(d))
			res.pipCold = append(res.pipCold, d)
			res.pipRequests = len(srv.Requests())
			res.pipWheels = srv.Count("/files/*/*.whl", 200)
			pipPins = pins
		}
	} else {
		res.pipErr = "pip is not available"
	}

	for i := range cfg.runs {
		_, d, err := oursOnce(ctx, req, srv.SimpleURL(), "")
		if err := res.noteOurs(err); err != nil {
			return res, fmt.Errorf("our cold resolve without a cache: %w", err)
		}
		fmt.Fprintf(log, "ours cold run without a cache %d: %s\n", i+1, fmtDuration(d))
		res.oursNoCache = append(res.oursNoCache, d)
	}

	cache, err := os.MkdirTemp("", "sidebyside-cache-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(cache)
	var ours map[string]string
	stopProfile, err := startProfile(cfg.cpuProfile, set+".cold")
	if err != nil {
		return res, err
	}
	for i := range cfg.runs {
		// Every cold run starts from an empty cache; the last one's cache
		// primes the warm runs.
		if err := os.RemoveAll(cache); err != nil {
			stopProfile()
			return res, err
		}
		srv.ResetStats()
		pins, d, err := oursOnce(ctx, req, srv.SimpleURL(), cache)
		if err := res.noteOurs(err); err != nil {
			stopProfile()
			return res, fmt.Errorf("our cold resolve: %w", err)
		}
		fmt.Fprintf(log, "ours cold run %d: %s\n", i+1, fmtDuration(d))
		res.oursCold = append(res.oursCold, d)
		res.coldRequests = len(srv.Requests())
		if i > 0 && !equalPins(ours, pins) {
			stopProfile()
			return res, errors.New("our cold resolves disagree with each other; the resolver is not deterministic")
		}
		ours = pins
	}
	stopProfile()
	res.packages = len(ours)

	stopProfile, err = startProfile(cfg.cpuProfile, set+".warm")
	if err != nil {
		return res, err
	}
	for i := range cfg.runs {
		srv.ResetStats()
		cpu0, cpuOK := processCPU()
		pins, d, err := oursOnce(ctx, req, srv.SimpleURL(), cache)
		cpu1, _ := processCPU()
		if err := res.noteOurs(err); err != nil {
			stopProfile()
			return res, fmt.Errorf("our warm resolve: %w", err)
		}
		fmt.Fprintf(log, "ours warm run %d: %s (CPU %s)\n", i+1, fmtDuration(d), fmtDuration(cpu1-cpu0))
		res.oursWarm = append(res.oursWarm, d)
		if cpuOK {
			res.oursWarmCPU = append(res.oursWarmCPU, cpu1-cpu0)
		}
		res.warmRequests = len(srv.Requests())
		if !equalPins(ours, pins) {
			stopProfile()
			return res, errors.New("our warm resolve disagrees with the cold one")
		}
	}
	stopProfile()

	if pipPins != nil && ours != nil {
		res.diffs = diffPins(pipPins, ours)
	}
	return res, nil
}

// noteOurs records a "no solution" verdict of our resolver, which is a
// result to time like any other; it returns every other error, and a
// verdict that changes between runs.
func (r *setResult) noteOurs(err error) error {
	var ns *resolve.NoSolutionError
	if !errors.As(err, &ns) {
		if err == nil && r.oursUnsat != "" {
			return errors.New("a resolve succeeded after an earlier one found no solution; the resolver is not deterministic")
		}
		return err
	}
	if r.oursUnsat != "" && r.oursUnsat != ns.Explanation {
		return errors.New("two resolves explained the missing solution differently; the resolver is not deterministic")
	}
	if r.oursUnsat == "" && len(r.oursCold) > 0 {
		return errors.New("a resolve found no solution after an earlier one succeeded; the resolver is not deterministic")
	}
	r.oursUnsat = ns.Explanation
	return nil
}

// oursOnce resolves req with a new client over cacheDir and returns the pins
// and the wall time of client construction plus resolution.
func oursOnce(ctx context.Context, req resolve.Request, indexURL, cacheDir string) (map[string]string, time.Duration, error) {
	start := time.Now()
	client, err := simpleapi.New(simpleapi.Options{
		Indexes:  []simpleapi.Index{{URL: indexURL}},
		CacheDir: cacheDir,
		NoNetrc:  true,
	})
	if err != nil {
		return nil, 0, err
	}
	r, err := resolve.Resolve(ctx, req, resolve.Options{Source: client})
	d := time.Since(start)
	if err != nil {
		return nil, d, err
	}
	pins := make(map[string]string, len(r.Packages))
	for _, p := range r.Packages {
		pins[p.Name] = p.Version.String()
	}
	return pins, d, nil
}

// pipOnce runs pip's resolver (with its downloads) once, with no cache, and
// returns the pins of its report and the wall time of the pip process.
func pipOnce(ctx context.Context, cfg config, indexURL string, reqs []string) (map[string]string, time.Duration, error) {
	tmp, err := os.MkdirTemp("", "sidebyside-pip-")
	if err != nil {
		return nil, 0, err
	}
	defer os.RemoveAll(tmp)
	report := filepath.Join(tmp, "report.json")
	args := append(pipArgs(indexURL, report, filepath.Join(tmp, "target")), reqs...)
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cfg.python, args...)
	cmd.Env = append(os.Environ(), "PIP_CONFIG_FILE=/dev/null", "PIP_NO_INPUT=1")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil && strings.Contains(string(out), "ResolutionImpossible") {
		return nil, d, &pipNoSolution{out: tail(out, 20)}
	}
	if err != nil {
		return nil, d, fmt.Errorf("%s %s: %w\n%s", cfg.python, strings.Join(args[:4], " "), err, tail(out, 20))
	}
	data, err := os.ReadFile(report)
	if err != nil {
		return nil, d, fmt.Errorf("read pip's report: %w", err)
	}
	pins, err := reportPins(data)
	if err != nil {
		return nil, d, err
	}
	return pins, d, nil
}

// pipNoSolution is pip's ResolutionImpossible verdict.
type pipNoSolution struct{ out string }

func (e *pipNoSolution) Error() string { return "pip found no solution:\n" + e.out }

// pipArgs is the pip command line: a cold dry-run install for the target
// environment. pip 23.2 requires --target (or --dry-run without it) with
// --platform/--python-version, and --only-binary=:all: with both.
func pipArgs(indexURL, report, targetDir string) []string {
	return []string{"-m", "pip", "install", "--dry-run",
		"--ignore-installed", "--no-cache-dir", "--disable-pip-version-check", "--quiet",
		"--report", report,
		"--index-url", indexURL,
		"--python-version", pipPythonVersion,
		"--only-binary=:all:", "--platform", pipPlatform,
		"--target", targetDir,
	}
}

// reportPins reads the installed names and versions of a pip --report.
func reportPins(data []byte) (map[string]string, error) {
	var r struct {
		Install []struct {
			Metadata struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"metadata"`
		} `json:"install"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("pip's report: %w", err)
	}
	if len(r.Install) == 0 {
		return nil, errors.New("pip's report: expected an install list, found none")
	}
	pins := make(map[string]string, len(r.Install))
	for _, i := range r.Install {
		pins[pep508.CanonicalName(i.Metadata.Name)] = i.Metadata.Version
	}
	return pins, nil
}

func equalPins(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// startProfile starts a CPU profile into the set's file (FILE with the set
// name before the extension) and returns the function that stops it.
func startProfile(file, set string) (func(), error) {
	if file == "" {
		return func() {}, nil
	}
	ext := filepath.Ext(file)
	path := strings.TrimSuffix(file, ext) + "." + set + ext
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// tail returns the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
