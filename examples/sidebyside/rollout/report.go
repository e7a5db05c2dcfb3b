package main

import (
	"context"
	"fmt"
	host "github.com/pydeploy/pydeploy/examples/internal/machine"
	"io"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// machine is what the figures were measured on.
type machine struct {
	cpu       string
	cores     int
	osArch    string
	goVersion string
	kubectl   string
	load      string
}

func probeMachine(ctx context.Context, kubectl string, withKubectl bool) machine {
	m := machine{cpu: host.CPUModel(), cores: runtime.NumCPU(), osArch: runtime.GOOS + "/" + runtime.GOARCH,
		goVersion: runtime.Version(), kubectl: "not found", load: host.LoadAverage()}
	if withKubectl {
		out, err := exec.CommandContext(ctx, kubectl, "version", "--client").CombinedOutput()
		if err != nil {
			m.kubectl = fmt.Sprintf("%q version --client failed: %v", kubectl, err)
		} else {
			m.kubectl = strings.Join(strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; ")), " ")
		}
	}
	return m
}

func writeMachine(w io.Writer, m machine) {
	fmt.Fprintf(w, "machine: %s, %d cores, %s\n", m.cpu, m.cores, m.osArch)
	fmt.Fprintf(w, "go: %s\n", m.goVersion)
	fmt.Fprintf(w, "kubectl: %s\n", m.kubectl)
	fmt.Fprintf(w, "load average before the runs: %s\n", m.load)
}

// row is one scenario's measurements from one starting point.
type row struct {
	scenario string
	// fromAvailable rows measure from the Deployment being Available, the
	// others from the create.
	fromAvailable bool
	// kubectl is false when only our side ran.
	kubectl        bool
	kubectlTimes   []time.Duration
	oursTimes      []time.Duration
	kubectlVerdict verdicts
	oursVerdict    verdicts
	// unmeasured counts runs whose Available the watch never saw.
	unmeasured int
}

// verdicts counts each verdict, in the order first seen.
type verdicts struct {
	names  []string
	counts map[string]int
}

func (v *verdicts) add(s string) {
	if v.counts == nil {
		v.counts = map[string]int{}
	}
	if v.counts[s] == 0 {
		v.names = append(v.names, s)
	}
	v.counts[s]++
}

func (v verdicts) String() string {
	if len(v.names) == 0 {
		return "-"
	}
	parts := make([]string, len(v.names))
	for i, n := range v.names {
		parts[i] = fmt.Sprintf("%s ×%d", n, v.counts[n])
	}
	return strings.Join(parts, ", ")
}

// add records one run.
func (r *row) add(res runResult) {
	from := res.created
	if r.fromAvailable {
		if res.availableAt.IsZero() {
			r.unmeasured++
			return
		}
		from = res.availableAt
	}
	r.oursTimes = append(r.oursTimes, res.ours.end.Sub(from))
	r.oursVerdict.add(res.ours.verdict)
	if res.kubectl != nil {
		r.kubectlTimes = append(r.kubectlTimes, res.kubectl.end.Sub(from))
		r.kubectlVerdict.add(res.kubectl.verdict)
	}
}

// writeTable prints the rows as a Markdown table, ready for the README.
func writeTable(w io.Writer, runs int, rows []row) {
	fmt.Fprintf(w, "%d runs per scenario; median (min). Available → return: from the program's watch seeing the Deployment Available to the tool returning; create → verdict: from the create to the tool returning its verdict.\n\n", runs)
	fmt.Fprintln(w, "| scenario | measured | kubectl rollout status | rollout.Wait | kubectl / ours | kubectl verdict | our verdict |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | --- | --- |")
	for _, r := range rows {
		measured := "create → verdict"
		if r.fromAvailable {
			measured = "Available → return"
		}
		kubectl, ratio, kv := "not run", "n/a", "-"
		if r.kubectl {
			kubectl, ratio, kv = fmtStat(r.kubectlTimes), fmtRatio(r.kubectlTimes, r.oursTimes), r.kubectlVerdict.String()
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", r.scenario, measured, kubectl, fmtStat(r.oursTimes), ratio, kv, r.oursVerdict.String())
	}
	for _, r := range rows {
		if r.unmeasured > 0 {
			fmt.Fprintf(w, "\n%s: %d of %d runs not measured: the watch never saw the Deployment Available\n", r.scenario, r.unmeasured, runs)
		}
	}
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
	if len(ds) == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%s (%s)", fmtDuration(median(ds)), fmtDuration(slices.Min(ds)))
}

// fmtRatio is the ratio of the medians, or n/a when ours is not positive.
func fmtRatio(kubectl, ours []time.Duration) string {
	k, o := median(kubectl), median(ours)
	if len(kubectl) == 0 || len(ours) == 0 || o <= 0 {
		return "n/a"
	}
	x := float64(k) / float64(o)
	if x >= 10 {
		return fmt.Sprintf("%.0f×", x)
	}
	return fmt.Sprintf("%.1f×", x)
}

// fmtDuration prints seconds with two decimals from 1 s up, else
// milliseconds with one decimal.
func fmtDuration(d time.Duration) string {
	if d >= time.Second || d <= -time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
