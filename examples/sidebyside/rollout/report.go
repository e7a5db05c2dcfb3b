package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	host "github.com/pydeploy/pydeploy/examples/internal/machine"
)

// machine is what the figures were measured on.
type machine struct {
	cpu       string
	cores     int
	osArch    string
	load      string
	goVersion string
	kubectl   string
	cliUtils  string
}

func probeMachine(ctx context.Context, kubectl string, withKubectl bool) machine {
	m := machine{cpu: host.CPUModel(), cores: runtime.NumCPU(), osArch: runtime.GOOS + "/" + runtime.GOARCH,
		load: loadAverage(), goVersion: runtime.Version(), kubectl: "not found", cliUtils: moduleVersion("sigs.k8s.io/cli-utils")}
	if withKubectl {
		out, err := exec.CommandContext(ctx, kubectl, "version", "--client").CombinedOutput()
		if err != nil {
			m.kubectl = fmt.Sprintf("%q version --client failed: %v", kubectl, err)
		} else {
			m.kubectl = strings.Join(strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", ", ")), " ")
		}
	}
	return m
}

func loadAverage() string { return host.LoadAverage() }

// moduleVersion is the version of module path linked into this program.
func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build info)"
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return "not linked"
}

func writeMachine(w io.Writer, m machine) {
	fmt.Fprintf(w, "machine: %s, %d cores, %s, load average %s; %s; kubectl %s; sigs.k8s.io/cli-utils %s\n",
		m.cpu, m.cores, m.osArch, m.load, m.goVersion, m.kubectl, m.cliUtils)
}

// tool is one tool's answers over the runs of a scenario.
type tool struct {
	// times of the runs with an answer (verdict or error).
	times []time.Duration
	// noVerdict counts the runs stopped at the cap.
	noVerdict int
	right     int
	// wrong counts the wrong answers by description, in the order seen.
	wrong verdicts
}

func (t *tool) add(o outcome, x expect, checkReason bool) {
	if o.kind == none {
		t.noVerdict++
		return
	}
	t.times = append(t.times, o.after)
	switch {
	case o.right(x, checkReason):
		t.right++
	case o.kind == success:
		t.wrong.add("success")
	case o.kind == failure:
		t.wrong.add("failure (" + o.reason + ")")
	default:
		t.wrong.add("error (" + o.reason + ")")
	}
}

// cell is the tool's times: median (min) of the answers, and the runs
// stopped at the cap.
func (t tool) cell(capped time.Duration) string {
	noVerdict := "no verdict by " + fmtCap(capped)
	switch {
	case len(t.times) == 0:
		return noVerdict
	case t.noVerdict > 0:
		return fmt.Sprintf("%s; %s ×%d", fmtStat(t.times), noVerdict, t.noVerdict)
	}
	return fmtStat(t.times)
}

// row is one scenario's measurements.
type row struct {
	scenario string
	expected expect
	// kubectl is false when kubectl did not run.
	kubectl          bool
	kubectlTool      tool
	kstatusTool      tool
	ours             tool
	oursFromPodStart []time.Duration
	runs             int
	// notes counts the runs whose scenario did not happen as it should.
	notes int
}

// add records one run.
func (r *row) add(res runResult) {
	r.runs++
	if res.kubectl != nil {
		r.kubectlTool.add(*res.kubectl, r.expected, false)
	}
	r.kstatusTool.add(res.kstatus, r.expected, false)
	r.ours.add(res.ours, r.expected, true)
	if res.oursFromPodStart > 0 {
		r.oursFromPodStart = append(r.oursFromPodStart, res.oursFromPodStart)
	}
	if res.note != "" {
		r.notes++
	}
}

// verdicts counts each description, in the order first seen.
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
	parts := make([]string, len(v.names))
	for i, n := range v.names {
		parts[i] = fmt.Sprintf("%s ×%d", n, v.counts[n])
	}
	return strings.Join(parts, ", ")
}

// tableHeader is what the table's preamble states.
type tableHeader struct {
	runs             int
	cap              time.Duration
	progressDeadline int32
	parallel         int
}

// writeTable prints the rows as a Markdown table, ready for the README.
func writeTable(w io.Writer, h tableHeader, rows []row) {
	fmt.Fprintf(w, "%d runs per scenario (%d scenarios at a time), progressDeadlineSeconds %d, each tool stopped %s after the create. "+
		"Time from the create (quota-surge: the update) to the verdict, median (min); \"no verdict by %s\": the tool had not returned. "+
		"rollout.Wait from pod start: from the status.startTime (whole seconds) of the pod its failure names, else of the run's first pod, to its verdict. "+
		"Right: the expected outcome (and, for rollout.Wait's failures, the expected reason).\n\n",
		h.runs, h.parallel, h.progressDeadline, fmtCap(h.cap), fmtCap(h.cap))
	fmt.Fprintln(w, "| scenario | expected | kubectl rollout status | kstatus | rollout.Wait | rollout.Wait from pod start | verdicts right (kubectl / kstatus / rollout.Wait) |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | --- |")
	for _, r := range rows {
		expected := "success"
		if !r.expected.success {
			expected = "failure (" + string(r.expected.reason) + ")"
		}
		kubectl := "not run"
		if r.kubectl {
			kubectl = r.kubectlTool.cell(h.cap)
		}
		fromPod := "n/a"
		if len(r.oursFromPodStart) > 0 {
			fromPod = fmtStat(r.oursFromPodStart)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", r.scenario, expected, kubectl,
			r.kstatusTool.cell(h.cap), r.ours.cell(h.cap), fromPod, r.rightCell())
	}
	for _, r := range rows {
		if r.notes > 0 {
			fmt.Fprintf(w, "\n%s: in %d of %d runs the scenario did not happen as scripted (see the run lines)\n", r.scenario, r.notes, r.runs)
		}
	}
}

// rightCell is "k / s / w", n/a for kubectl when it did not run, and the
// wrong answers by tool.
func (r row) rightCell() string {
	kubectl := "n/a"
	if r.kubectl {
		kubectl = fmt.Sprintf("%d/%d", r.kubectlTool.right, r.runs)
	}
	s := fmt.Sprintf("%s / %d/%d / %d/%d", kubectl, r.kstatusTool.right, r.runs, r.ours.right, r.runs)
	var wrong []string
	for _, t := range []struct {
		name string
		v    verdicts
	}{{"kubectl", r.kubectlTool.wrong}, {"kstatus", r.kstatusTool.wrong}, {"rollout.Wait", r.ours.wrong}} {
		if len(t.v.names) > 0 {
			wrong = append(wrong, t.name+" "+t.v.String())
		}
	}
	if len(wrong) > 0 {
		s += "; wrong: " + strings.Join(wrong, "; ")
	}
	return s
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

// fmtDuration prints seconds with one decimal from 1 s up, else
// milliseconds with no decimals: kubelet's timers and a shared machine make
// finer figures noise.
func fmtDuration(d time.Duration) string {
	if d >= time.Second || d <= -time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}

// fmtCap prints the cap in whole seconds.
func fmtCap(d time.Duration) string {
	return fmt.Sprintf("%.0f s", d.Seconds())
}
