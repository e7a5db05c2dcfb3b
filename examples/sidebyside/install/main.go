// Command install is the side-by-side benchmark of pydeploy's installer and
// image build against pip installing the same requirements.
//
// For each root set of the real PyPI metadata fixture (../shared/testdata/pypi,
// default: jupyter) it serves the set as a Simple API index on 127.0.0.1
// (internal/testindex: the real project names, versions, dependencies and
// wheel file names, with small generated wheel contents), locks it for this
// machine's CPython (cp311-manylinux_2_36_x86_64, exclude-newer the fixture's
// cut-off) and exports the lock as hashed requirements, then measures, each
// -runs times:
//
//   - pip cold: python3 -m venv --without-pip, then python3 -m pip --python
//     VENV/bin/python install --no-deps --require-hashes --no-compile
//     --no-cache-dir -r requirements.txt (no bytecode, as ours writes none);
//   - pip warm: the same with a --cache-dir pip filled before;
//   - pip default: cold, but compiling bytecode as pip does by default (one
//     run; what a Dockerfile usually pays);
//   - ours install cold: lockfile/install.Install with an empty download cache;
//   - ours install warm: the same with the cache filled (wheels re-verified);
//   - ours image cold: manifest/image.Build (install, both layers, config,
//     digest) and Push to a registry on 127.0.0.1, empty cache, new repository;
//   - ours image warm: the same with the cache filled, pushing to a repository
//     that has every layer.
//
// The table gives the median and the minimum of each, and the ratios pip /
// ours for installs. The machine (CPU, cores, load, Go, pip) is printed first.
// When python3 -m pip is missing only our side runs.
//
//	go -C examples run ./sidebyside/install -runs 5
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/internal/shareddata"
)

type config struct {
	runs    int
	sets    []string
	shared  string
	python  string
	timeout time.Duration
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run returns the exit code: 0 on success, 1 when a measurement failed, 2
// for bad flags or missing data.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "sidebyside/install:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := bench(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "sidebyside/install:", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("sidebyside/install", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	var sets string
	fs.IntVar(&cfg.runs, "runs", 5, "measured runs of each side")
	fs.StringVar(&sets, "sets", "jupyter", "comma-separated root sets of the PyPI fixture")
	fs.StringVar(&cfg.shared, "shared", "", "shared test data `DIR` holding pypi/ (default: ../shared/testdata next to the repository)")
	fs.StringVar(&cfg.python, "python", "python3", "Python interpreter whose pip is measured (it must be CPython 3.11 on x86_64 Linux)")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "deadline for one pip run")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.runs < 1 {
		return cfg, fmt.Errorf("-runs: expected at least 1, found %d", cfg.runs)
	}
	for s := range strings.SplitSeq(sets, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.sets = append(cfg.sets, s)
		}
	}
	if len(cfg.sets) == 0 {
		return cfg, errors.New("-sets: expected at least one root set")
	}
	if cfg.shared == "" {
		root, err := shareddata.Root()
		if err != nil {
			return cfg, fmt.Errorf("find the shared test data (give -shared DIR): %w", err)
		}
		cfg.shared = root
	}
	if _, err := os.Stat(filepath.Join(cfg.shared, "pypi", "roots.json")); err != nil {
		return cfg, fmt.Errorf("-shared %s: expected the PyPI fixture in pypi/roots.json: %w", cfg.shared, err)
	}
	return cfg, nil
}
