package main

import (
	"context"
	"fmt"
	host "github.com/pydeploy/pydeploy/examples/internal/machine"
	"io"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Targets the issue sets for our resolver.
const (
	targetRatio = 20.0
	targetWarm  = 50 * time.Millisecond
)

// machine describes where the figures were taken.
type machine struct {
	cpu, goVersion, osArch, python, pip, pipErr, load string
	target                                            string
	cores, maxProcs                                   int
}

func probeMachine(ctx context.Context, python string) machine {
	m := machine{
		cpu:       host.CPUModel(),
		cores:     runtime.NumCPU(),
		maxProcs:  runtime.GOMAXPROCS(0),
		goVersion: runtime.Version(),
		osArch:    runtime.GOOS + "/" + runtime.GOARCH,
		load:      host.LoadAverage(),
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, python, "--version").CombinedOutput(); err == nil {
		m.python = strings.TrimSpace(string(out))
	}
	out, err := exec.CommandContext(ctx, python, "-m", "pip", "--version").CombinedOutput()
	if err != nil {
		m.pipErr = strings.TrimSpace(err.Error() + " " + tail(out, 1))
		return m
	}
	// "pip 23.2.1 from /…/site-packages/pip (python 3.11)"
	m.pip, _, _ = strings.Cut(strings.TrimSpace(string(out)), " from ")
	return m
}

func writeMachine(w io.Writer, m machine) {
	fmt.Fprintf(w, "machine: %s, %d cores (GOMAXPROCS %d), %s\n", m.cpu, m.cores, m.maxProcs, m.osArch)
	fmt.Fprintf(w, "go: %s\n", m.goVersion)
	if m.pip != "" {
		fmt.Fprintf(w, "pip: %s (%s)\n", m.pip, m.python)
	}
	fmt.Fprintf(w, "load average before the runs: %s\n", m.load)
	fmt.Fprintf(w, "environment: pip --python-version %s --platform %s --only-binary=:all:; ours target %s; loopback index (internal/testindex)\n",
		pipPythonVersion, pipPlatform, m.target)
}

// writeTable prints the results as a Markdown table, ready for the README.
func writeTable(w io.Writer, runs int, results []setResult) {
	fmt.Fprintf(w, "%d runs each; median (min). Targets: pip cold / ours cold ≥ %.0f×, ours warm < %s.\n", runs, targetRatio, fmtDuration(targetWarm))
	fmt.Fprintln(w, "Times are wall clock; \"ours warm CPU\" is the process's user+system CPU time per warm resolve.")
	fmt.Fprintln(w, "\"ours cold\" writes no cache, as pip runs with --no-cache-dir (the ratio uses it); \"ours cold + cache\" also fills the on-disk cache the warm runs read.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| root set | packages | pip cold | ours cold | ours cold + cache | ours warm | ours warm CPU | pip cold / ours cold | ours warm vs 50 ms |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range results {
		cold := r.oursNoCache
		if len(cold) == 0 {
			cold = r.oursCold
		}
		pip, ratio := "n/a", "n/a"
		if len(r.pipCold) > 0 {
			pip = fmtStat(r.pipCold)
			x := float64(median(r.pipCold)) / float64(median(cold))
			ratio = fmt.Sprintf("%.0f× (%s)", x, verdict(x >= targetRatio))
		}
		warm := fmt.Sprintf("%s (%s)", fmtDuration(median(r.oursWarm)), verdict(median(r.oursWarm) < targetWarm))
		pkgs := strconv.Itoa(r.packages)
		if r.oursUnsat != "" {
			pkgs = "no solution"
		}
		cpu := "n/a"
		if len(r.oursWarmCPU) > 0 {
			cpu = fmtStat(r.oursWarmCPU)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.name, pkgs, pip, fmtStat(cold), fmtStat(r.oursCold), fmtStat(r.oursWarm), cpu, ratio, warm)
	}
	for _, r := range results {
		if len(r.synthesized) > 0 {
			fmt.Fprintf(w, "\n%s: the index was given synthesized releases (no requirements) to fill fixture gaps: %s\n", r.name, strings.Join(r.synthesized, ", "))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Index requests per run (last run of each kind):")
	for _, r := range results {
		pip := "pip not run"
		if len(r.pipCold) > 0 {
			pip = fmt.Sprintf("pip %d (%d wheel downloads)", r.pipRequests, r.pipWheels)
		}
		fmt.Fprintf(w, "  %s: %s, ours cold %d, ours warm %d\n", r.name, pip, r.coldRequests, r.warmRequests)
	}
}

// writeComparison prints how pip's pins differ from ours, per set.
func writeComparison(w io.Writer, results []setResult) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Pins, pip vs ours:")
	anyDiff := false
	for _, r := range results {
		switch {
		case len(r.pipCold) == 0:
			fmt.Fprintf(w, "  %s: not compared (%s)\n", r.name, firstLine(r.pipErr))
		case r.pipUnsat && r.oursUnsat != "":
			fmt.Fprintf(w, "  %s: both find no solution (the times above are the time to that verdict); ours explains:\n", r.name)
			for l := range strings.SplitSeq(r.oursUnsat, "\n") {
				fmt.Fprintf(w, "    %s\n", l)
			}
		case r.pipUnsat != (r.oursUnsat != ""):
			anyDiff = true
			who, other := "pip", "ours"
			if !r.pipUnsat {
				who, other = other, who
			}
			fmt.Fprintf(w, "  %s: %s finds no solution, %s does\n", r.name, who, other)
		case len(r.diffs) == 0:
			fmt.Fprintf(w, "  %s: identical (%d packages)\n", r.name, r.packages)
		default:
			anyDiff = true
			fmt.Fprintf(w, "  %s: %d of %d differ\n", r.name, len(r.diffs), r.packages)
			for _, d := range r.diffs {
				fmt.Fprintf(w, "    %-28s pip %-12s ours %s\n", d.name, orNone(d.pip), orNone(d.ours))
			}
		}
	}
	if anyDiff {
		fmt.Fprintln(w, "  Both sides pick from the same files for the same environment, so a difference is a")
		fmt.Fprintln(w, "  choice between valid resolutions: pip's resolvelib backtracks in its own order (most")
		fmt.Fprintln(w, "  recently conflicting package first) while our PubGrub solver decides packages in")
		fmt.Fprintln(w, "  first-seen order and learns conflicts; when two packages constrain each other, each")
		fmt.Fprintln(w, "  may keep the newest version of a different one. A package on one side only is pulled")
		fmt.Fprintln(w, "  in by a version the other side did not choose.")
	}
}

// diffPins lists the packages pinned differently, sorted by name.
func diffPins(pip, ours map[string]string) []pinDiff {
	var names []string
	for n := range pip {
		names = append(names, n)
	}
	for n := range ours {
		if _, ok := pip[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var out []pinDiff
	for _, n := range names {
		if pip[n] != ours[n] {
			out = append(out, pinDiff{name: n, pip: pip[n], ours: ours[n]})
		}
	}
	return out
}

// median of ds (the mean of the two middle values for an even count).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtStat(ds []time.Duration) string {
	return fmt.Sprintf("%s (%s)", fmtDuration(median(ds)), fmtDuration(slices.Min(ds)))
}

// fmtDuration prints seconds with two decimals from 1 s up, else
// milliseconds with one decimal.
func fmtDuration(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func verdict(ok bool) string {
	if ok {
		return "meets"
	}
	return "misses"
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
