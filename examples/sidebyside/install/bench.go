package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	host "github.com/pydeploy/pydeploy/examples/internal/machine"
	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/internal/testregistry"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/install"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/manifest/image"
)

// target is what pip on this machine installs for.
const target = "cp311-manylinux_2_36_x86_64"

// result holds the timings of one root set.
type result struct {
	set                  string
	packages             int
	files                int
	pipCold, pipWarm     []time.Duration
	pipDefault           []time.Duration
	installCold, install []time.Duration
	imageCold, image     []time.Duration
	pipErr               string
}

// world is one served root set and its lock.
type world struct {
	srv      *testindex.Server
	reg      *testregistry.Registry
	base     string
	lock     *pylock.Lock
	reqFile  string
	scratch  string
	src      string
	warmDir  string
	pipCache string
}

func bench(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	m := probe(ctx, cfg.python)
	writeMachine(stdout, m)
	var results []result
	for _, set := range cfg.sets {
		fmt.Fprintf(stderr, "%s: serving, locking, exporting\n", set)
		w, err := newWorld(ctx, cfg, set)
		if err != nil {
			return fmt.Errorf("%s: %w", set, err)
		}
		r, err := measure(ctx, cfg, w, m.pip != "", stderr)
		w.close()
		if err != nil {
			return fmt.Errorf("%s: %w", set, err)
		}
		r.set = set
		results = append(results, r)
	}
	writeTable(stdout, cfg.runs, results)
	return nil
}

func newWorld(ctx context.Context, cfg config, set string) (*world, error) {
	ix, root, err := testindex.FromPyPI(filepath.Join(cfg.shared, "pypi"), set)
	if err != nil {
		return nil, err
	}
	w := &world{}
	if w.srv, err = testindex.Start(ix, testindex.Options{}); err != nil {
		return nil, err
	}
	if w.scratch, err = os.MkdirTemp("", "sidebyside-install-"); err != nil {
		return nil, err
	}
	var reqs []pep508.Requirement
	for _, s := range root.Requirements {
		r, err := pep508.Parse(s)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	if w.lock, err = lockfile.Lock(ctx, project.Inputs{Requirements: reqs, IndexURLs: []string{w.srv.SimpleURL()},
		Targets: []string{target}, ExcludeNewer: root.Cutoff}, lockfile.Options{}); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := install.Export(&buf, w.lock, install.ExportOptions{}); err != nil {
		return nil, err
	}
	w.reqFile = filepath.Join(w.scratch, "requirements.txt")
	if err := os.WriteFile(w.reqFile, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if w.reg, err = testregistry.Start(testregistry.Options{}); err != nil {
		return nil, err
	}
	if w.base, err = w.reg.PushStandInBase(ctx, "base/python", "3.11"); err != nil {
		return nil, err
	}
	w.src = filepath.Join(w.scratch, "src")
	if err := os.MkdirAll(filepath.Join(w.src, "app"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(w.src, "app", "main.py"), []byte("print('app')\n"), 0o644); err != nil {
		return nil, err
	}
	w.warmDir, w.pipCache = filepath.Join(w.scratch, "cache"), filepath.Join(w.scratch, "pip-cache")
	return w, nil
}

func (w *world) close() {
	w.srv.Close()
	if w.reg != nil {
		w.reg.Close()
	}
	os.RemoveAll(w.scratch)
}

func (w *world) client(cache string) (*simpleapi.Client, error) {
	return simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: w.srv.SimpleURL()}}, CacheDir: cache, NoNetrc: true})
}

// measure runs every kind -runs times, interleaved so that load changes
// hit all of them alike.
func measure(ctx context.Context, cfg config, w *world, pip bool, stderr io.Writer) (result, error) {
	r := result{packages: len(w.lock.Packages)}
	// Warm-ups: fill our cache and pip's, and let the index generate its
	// files, so that no measured run pays for the fixture.
	res, err := w.install(ctx, w.warmDir)
	if err != nil {
		return r, err
	}
	r.files = countFiles(res.Dir)
	if _, err := w.build(ctx, w.warmDir, "warm/app"); err != nil {
		return r, err
	}
	if pip {
		if _, err := w.pip(ctx, cfg, "--cache-dir", w.pipCache); err != nil {
			r.pipErr = err.Error()
			pip = false
		}
	}
	for i := 0; i < cfg.runs; i++ {
		fmt.Fprintf(stderr, "  run %d/%d\n", i+1, cfg.runs)
		steps := []struct {
			into *[]time.Duration
			f    func() (time.Duration, error)
		}{
			{&r.installCold, func() (time.Duration, error) {
				return timed(func() error { _, err := w.install(ctx, w.fresh("cache")); return err })
			}},
			{&r.install, func() (time.Duration, error) {
				return timed(func() error { _, err := w.install(ctx, w.warmDir); return err })
			}},
			{&r.imageCold, func() (time.Duration, error) { return w.build(ctx, w.fresh("cache"), "cold/app"+strconv.Itoa(i)) }},
			{&r.image, func() (time.Duration, error) { return w.build(ctx, w.warmDir, "warm/app") }},
		}
		if pip {
			steps = append(steps,
				struct {
					into *[]time.Duration
					f    func() (time.Duration, error)
				}{&r.pipCold, func() (time.Duration, error) { return w.pip(ctx, cfg, "--no-compile", "--no-cache-dir") }},
				struct {
					into *[]time.Duration
					f    func() (time.Duration, error)
				}{&r.pipWarm, func() (time.Duration, error) { return w.pip(ctx, cfg, "--no-compile", "--cache-dir", w.pipCache) }})
			if i == 0 {
				steps = append(steps, struct {
					into *[]time.Duration
					f    func() (time.Duration, error)
				}{&r.pipDefault, func() (time.Duration, error) { return w.pip(ctx, cfg, "--no-cache-dir") }})
			}
		}
		for _, s := range steps {
			d, err := s.f()
			if err != nil {
				return r, err
			}
			*s.into = append(*s.into, d)
		}
	}
	return r, nil
}

func timed(f func() error) (time.Duration, error) {
	start := time.Now()
	err := f()
	return time.Since(start), err
}

// fresh is a new directory under the scratch space.
func (w *world) fresh(prefix string) string {
	d, err := os.MkdirTemp(w.scratch, prefix+"-")
	if err != nil {
		panic(err)
	}
	return d
}

func (w *world) install(ctx context.Context, cache string) (*install.Result, error) {
	c, err := w.client(cache)
	if err != nil {
		return nil, err
	}
	return install.Install(ctx, w.lock, filepath.Join(w.fresh("ours"), "venv"), install.Options{Client: c})
}

// build builds and pushes the image; the time covers both.
func (w *world) build(ctx context.Context, cache, repo string) (time.Duration, error) {
	c, err := w.client(cache)
	if err != nil {
		return 0, err
	}
	return timed(func() error {
		b, err := image.Build(ctx, image.Spec{Base: w.base, Lock: w.lock, Source: w.src}, image.BuildOptions{Client: c, TempDir: w.scratch})
		if err != nil {
			return err
		}
		defer b.Close()
		_, err = b.Push(ctx, w.reg.Ref(repo, ":1"), image.Remote{})
		return err
	})
}

// pip creates a venv and installs the requirements into it; the time
// covers both, as a Dockerfile's RUN does.
func (w *world) pip(ctx context.Context, cfg config, flags ...string) (time.Duration, error) {
	venv := filepath.Join(w.fresh("pip"), "venv")
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	return timed(func() error {
		if out, err := command(ctx, cfg.python, "-m", "venv", "--without-pip", venv).CombinedOutput(); err != nil {
			return fmt.Errorf("python -m venv: %w\n%s", err, out)
		}
		args := append([]string{"-m", "pip", "--python", filepath.Join(venv, "bin", "python"), "install", "--quiet", "--no-deps",
			"--require-hashes", "--disable-pip-version-check"}, flags...)
		args = append(args, "-r", w.reqFile)
		if out, err := command(ctx, cfg.python, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("pip install: %w\n%s", err, out)
		}
		return nil
	})
}

func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "PIP_CONFIG_FILE=/dev/null", "PIP_NO_INPUT=1")
	return cmd
}

func countFiles(dir string) int {
	n := 0
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// machine describes where the figures were taken.
type machine struct {
	cpu, goVersion, osArch, python, pip, load string
	cores                                     int
}

func probe(ctx context.Context, python string) machine {
	m := machine{cpu: host.CPUModel(), cores: runtime.NumCPU(), goVersion: runtime.Version(),
		osArch: runtime.GOOS + "/" + runtime.GOARCH, load: host.LoadAverage()}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, python, "--version").CombinedOutput(); err == nil {
		m.python = strings.TrimSpace(string(out))
	}
	if out, err := exec.CommandContext(ctx, python, "-m", "pip", "--version").CombinedOutput(); err == nil {
		m.pip, _, _ = strings.Cut(strings.TrimSpace(string(out)), " from ")
	}
	return m
}

func writeMachine(w io.Writer, m machine) {
	fmt.Fprintf(w, "machine: %s, %d cores, %s\n", m.cpu, m.cores, m.osArch)
	fmt.Fprintf(w, "go: %s\n", m.goVersion)
	if m.pip != "" {
		fmt.Fprintf(w, "pip: %s (%s)\n", m.pip, m.python)
	} else {
		fmt.Fprintln(w, "pip: not available (only our side runs)")
	}
	fmt.Fprintf(w, "load average before the runs: %s\n", m.load)
	fmt.Fprintf(w, "target %s; loopback index (internal/testindex: real names, versions and dependencies, generated wheel contents); registry on 127.0.0.1\n\n", target)
}

func writeTable(w io.Writer, runs int, results []result) {
	fmt.Fprintf(w, "%d runs each; median (min); wall clock. Installs write a venv from nothing; pip's include python -m venv --without-pip.\n\n", runs)
	fmt.Fprintln(w, "| root set | packages (files) | pip cold | ours install cold | pip warm | ours install warm | pip cold / ours cold | pip warm / ours warm | ours image cold | ours image warm | pip default (bytecode) |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range results {
		ratio := func(a, b []time.Duration) string {
			if len(a) == 0 {
				return "n/a"
			}
			return fmt.Sprintf("%.0f×", float64(median(a))/float64(median(b)))
		}
		fmt.Fprintf(w, "| %s | %d (%d) | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.set, r.packages, r.files,
			stat(r.pipCold), stat(r.installCold), stat(r.pipWarm), stat(r.install), ratio(r.pipCold, r.installCold), ratio(r.pipWarm, r.install),
			stat(r.imageCold), stat(r.image), stat(r.pipDefault))
		if r.pipErr != "" {
			fmt.Fprintf(w, "\n%s: pip was not measured: %s\n", r.set, r.pipErr)
		}
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func stat(d []time.Duration) string {
	if len(d) == 0 {
		return "n/a"
	}
	if len(d) == 1 {
		return fmtDuration(d[0])
	}
	return fmt.Sprintf("%s (%s)", fmtDuration(median(d)), fmtDuration(slices.Min(d)))
}

func fmtDuration(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}
