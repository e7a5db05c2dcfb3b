// Command rollout is the side-by-side comparison of three ways to wait for
// a Deployment's rollout — pydeploy's rollout.Wait, `kubectl rollout
// status` and kstatus (sigs.k8s.io/cli-utils' status watcher, as Flux, kpt
// and Helm v4 use it) — on the same embedded cluster, the same Deployments
// and the same scenarios, with Kubernetes' default progress deadline.
//
// It starts one cluster (internal/testcluster: etcd, kube-apiserver,
// kube-scheduler, the controllers, and three nodes running kubelet's own
// code on a scripted container runtime) and writes a kubeconfig for
// kubectl. Each run of a scenario creates a fresh Deployment in a namespace
// of its own: 3 replicas, an HTTP readiness probe (Kubernetes' default
// period, 10 s, as pydeploy's probe package writes it) and
// progressDeadlineSeconds from -progress-deadline (default 600, Kubernetes'
// own default). Right after the create (after the update, for quota-surge)
// it starts, concurrently,
//
//	kubectl --kubeconfig K rollout status deployment/NAME -n NS
//
// as a subprocess; kstatus: a watcher.DefaultStatusWatcher on the one
// Deployment, its events gathered by a collector.ResourceStatusCollector
// until the status is Current (success) or Failed (failure); and
// rollout.Wait on the created object (the one-call form, with its default
// Options). Each builds its own clients and discovers the API, as a CI step
// would. A tool that has not returned -cap after the create is stopped
// (kubectl killed, the others' contexts cancelled) and reported as "no
// verdict by" the cap, not with a time.
//
// The scenarios (testcluster's scenario grammar scripts images and
// processes; the rest is Kubernetes' own behaviour), and the right
// verdict:
//
//   - happy: pods become ready. Success.
//   - crashloop: every container exits 1 0.3 s after each start. Failure.
//   - imagepull: the image does not exist (not found). Failure.
//   - unschedulable: each pod requests 64 CPUs; no node has that many.
//     Failure.
//   - readiness: containers run but their readiness probe answers 503
//     forever (no crash). Failure.
//   - missing-config: env from a ConfigMap that does not exist, so kubelet
//     reports CreateContainerConfigError. Failure.
//   - crash-once, crash-twice: the container crashes once (twice), then
//     runs. Success: kubelet restarts it and it becomes ready.
//   - oom-once: the container is OOM-killed once (exit 137), then runs.
//     Success.
//   - pull-429: the first pull of each pod's image gets 429 Too Many
//     Requests, kubelet retries after its back-off. Success.
//   - quota-surge: a ResourceQuota of 3 pods, a first revision rolled out,
//     then an update (maxSurge 1, maxUnavailable 2): the surge pod is
//     refused (FailedCreate, exceeded quota) until old pods are gone, then
//     the rollout completes by itself. Measured from the update. Success.
//   - scale-up: pods select a node pool that does not exist yet, so the
//     scheduler reports them Unschedulable; the program then plays
//     cluster-autoscaler: it writes a TriggeredScaleUp event on each pod
//     and, 25 s later (past rollout.Wait's 15 s Unschedulable grace), adds
//     a node of that pool (testcluster's AnnounceScaleUp and AddNode). Success. Each run adds
//     a node, which stays.
//
// A verdict is right when it is the expected outcome; for a failure,
// rollout.Wait's must also carry the expected reason (kubectl and kstatus
// give none beyond the progress deadline). quota-surge and scale-up runs
// also check that the scenario happened (the quota refused a pod; the
// autoscaler saw the pods Unschedulable) and say so when it did not.
//
// Times are measured from the create (the update for quota-surge) to the
// tool's return and, for rollout.Wait's verdicts, also from pod start: the
// status.startTime of the pod its failure names (else the first pod of the
// run to start), which kubelet sets when it accepts the pod. It is in
// whole seconds, so "from pod start" is up to 1 s too long, never too
// short.
//
// To keep the wall time down, the scenarios of one round run at the same
// time, each in its namespace (-parallel limits how many); rounds run one
// after the other, -runs of them. A round takes about -cap, since kubectl
// and kstatus see no failure before the progress deadline. The pods of
// concurrent scenarios share the machine's CPUs with the control plane,
// which the figures include. One unmeasured happy run first warms up the
// API server and kubectl's discovery cache.
//
// The output is a line on the machine (CPU model, cores, load, Go version,
// kubectl client version, cli-utils version), a line per run, and a
// Markdown table per scenario: expected verdict, each tool's median and
// minimum time to verdict (or "no verdict by" the cap), rollout.Wait from
// pod start, and how many verdicts of each tool were right. Without
// kubectl on PATH (or -kubectl naming a missing program) the other two
// run, and the output says so.
//
// Run it from the repository root (about runs × (cap + 5 s), plus the
// build and the cluster's start):
//
//	go -C examples run ./sidebyside/rollout -runs 3
//
// Exit codes: 0 when every run finished (whatever the verdicts), 1 when the
// cluster or a run could not be set up, 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// config is what a comparison runs.
type config struct {
	runs             int
	progressDeadline time.Duration
	cap              time.Duration
	kubectl          string
	// parallel is how many scenarios of a round run at once; 0 means all.
	parallel  int
	scenarios []scenario
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "rollout side-by-side: %v\n", err)
		return 2
	}
	if err := compare(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "rollout side-by-side: %v\n", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var (
		cfg  config
		only string
	)
	fs := flag.NewFlagSet("rollout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.runs, "runs", 3, "measured runs (rounds) per scenario")
	fs.DurationVar(&cfg.progressDeadline, "progress-deadline", 600*time.Second, "progressDeadlineSeconds of the Deployments (whole seconds; Kubernetes' default is 600s)")
	fs.DurationVar(&cfg.cap, "cap", 2*time.Minute, "stop each tool this long after the create and report \"no verdict by\" it")
	fs.StringVar(&cfg.kubectl, "kubectl", "kubectl", "kubectl `program`; a missing one runs only kstatus and rollout.Wait")
	fs.IntVar(&cfg.parallel, "parallel", 0, "scenarios of a round run at once (0: all)")
	fs.StringVar(&only, "scenarios", "", "comma-separated `names` of the scenarios to run (default: all): "+strings.Join(scenarioNames(), ", "))
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	switch {
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	case cfg.runs < 1:
		return config{}, fmt.Errorf("-runs %d: expected at least 1", cfg.runs)
	case cfg.progressDeadline < time.Second || cfg.progressDeadline%time.Second != 0:
		return config{}, fmt.Errorf("-progress-deadline %s: expected whole seconds, at least 1s", cfg.progressDeadline)
	case cfg.cap < time.Second:
		return config{}, fmt.Errorf("-cap %s: expected at least 1s", cfg.cap)
	case cfg.parallel < 0:
		return config{}, fmt.Errorf("-parallel %d: expected 0 (all) or more", cfg.parallel)
	}
	var err error
	if cfg.scenarios, err = selectScenarios(only); err != nil {
		return config{}, err
	}
	if cfg.selected(scaleUpName) && cfg.runs > maxScaleUpRuns {
		return config{}, fmt.Errorf("-runs %d: the %s scenario adds a node per run, and the cluster takes at most %d more; run fewer, or leave %s out with -scenarios",
			cfg.runs, scaleUpName, maxScaleUpRuns, scaleUpName)
	}
	return cfg, nil
}

// selectScenarios returns the scenarios named in the comma-separated list,
// in the program's order; an empty list selects all.
func selectScenarios(list string) ([]scenario, error) {
	if strings.TrimSpace(list) == "" {
		return scenarios, nil
	}
	var names []string
	for n := range strings.SplitSeq(list, ",") {
		n = strings.TrimSpace(n)
		if !slices.Contains(scenarioNames(), n) {
			return nil, fmt.Errorf("-scenarios: unknown scenario %q: expected some of %s", n, strings.Join(scenarioNames(), ", "))
		}
		names = append(names, n)
	}
	var out []scenario
	for _, sc := range scenarios {
		if slices.Contains(names, sc.name) {
			out = append(out, sc)
		}
	}
	return out, nil
}

func (c config) selected(name string) bool {
	return slices.ContainsFunc(c.scenarios, func(sc scenario) bool { return sc.name == name })
}
