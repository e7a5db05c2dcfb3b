// Command resolve is the side-by-side benchmark of pydeploy's resolver
// against pip on the same loopback index.
//
// For each root set of the real PyPI metadata fixture (../shared/testdata/pypi:
// web-service, jupyter, dagster) it serves the set as a Simple API index on
// 127.0.0.1 (one internal/testindex server per set) and resolves the set's
// requirements for CPython 3.11 on manylinux2014 x86_64, wheels only:
//
//   - pip cold: python3 -m pip install --dry-run --ignore-installed
//     --no-cache-dir --report … --python-version 3.11 --only-binary=:all:
//     --platform manylinux2014_x86_64 --target DIR (pip 23 fetches PEP 658
//     metadata files but still downloads every wheel it selects);
//   - ours cold: a fresh simpleapi client with no on-disk cache (as pip
//     runs with --no-cache-dir), then resolve.Resolve for the same target —
//     the like-for-like figure the ratio uses;
//   - ours cold + cache: the same, filling an empty cache directory;
//   - ours warm: a fresh client over the on-disk cache the cold runs filled
//     (pages still fresh by Cache-Control, metadata immutable by hash), then
//     a whole resolve again — what a second CI run of a lock step costs.
//
// Each is run -runs times; the table gives the median and the minimum, the
// ratio pip cold / ours cold (target: at least 20×) and ours warm against the
// 50 ms target. The pins pip chose are compared with ours; differences are
// printed with the reason they can legitimately occur. The machine (CPU model,
// cores, load, Go and pip versions) is printed first, since the figures mean
// nothing without it. When python3 -m pip is missing only our side runs.
//
// Run it from the repository root:
//
//	go -C examples run ./sidebyside/resolve -runs 5 -sets web-service,jupyter,dagster
//
// -shared names the shared test data directory (default: ../shared/testdata
// next to the repository); -cpuprofile FILE writes CPU profiles of our cold
// and warm resolves per set (cpu.pprof gives cpu.<set>.cold.pprof and
// cpu.<set>.warm.pprof; the in-process index server is in the cold ones), for
// finding where the time goes; -python /nonexistent measures our side only.
//
// internal/testindex fills the fixture's gaps (projects referenced without
// metadata, and newer releases the source data lacks, such as the
// jupyter-core>=4.12 every ipykernel needs), so all three sets resolve.
// -synthesize name==version adds a further release with no requirements,
// for experiments; a set no resolver can solve is timed to the verdict.
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

// config is what a run measures.
type config struct {
	runs       int
	sets       []string
	shared     string
	python     string
	cpuProfile string
	timeout    time.Duration
	// synthesize adds releases with no requirements to the indexes that
	// have the project: "name==version" items.
	synthesize []synthetic
}

// synthetic is one -synthesize release.
type synthetic struct{ name, version string }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses the flags, runs the benchmark and returns the exit code: 0 on
// success, 1 when a resolution failed, 2 for bad flags or missing data.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "sidebyside:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := bench(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "sidebyside:", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("sidebyside/resolve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	var sets string
	fs.IntVar(&cfg.runs, "runs", 5, "measured runs of each side")
	fs.StringVar(&sets, "sets", "web-service,jupyter,dagster", "comma-separated root sets of the PyPI fixture")
	fs.StringVar(&cfg.shared, "shared", "", "shared test data `DIR` holding pypi/ (default: ../shared/testdata next to the repository)")
	fs.StringVar(&cfg.python, "python", "python3", "Python interpreter whose pip is measured")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write CPU profiles of our cold and warm resolves, per set, next to `FILE`")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "deadline for one pip run")
	fs.Func("synthesize", "add a release `name==version` with no requirements to every index that has the project (repeatable), to fill a fixture gap", func(v string) error {
		name, version, ok := strings.Cut(v, "==")
		if !ok || strings.TrimSpace(name) == "" || strings.TrimSpace(version) == "" {
			return fmt.Errorf("expected name==version, found %q", v)
		}
		cfg.synthesize = append(cfg.synthesize, synthetic{strings.TrimSpace(name), strings.TrimSpace(version)})
		return nil
	})
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
