// Command rollout is the side-by-side comparison of pydeploy's rollout.Wait
// with `kubectl rollout status` on the same embedded control plane and the
// same Deployments.
//
// It starts one control plane (internal/testcluster: etcd, kube-apiserver,
// kube-scheduler, the controllers, and three nodes running kubelet's own
// code on a scripted container runtime), writes a kubeconfig for kubectl, and for each scenario and
// run creates a fresh Deployment (3 replicas, progressDeadlineSeconds from
// -progress-deadline) in a namespace of its own. Right after the create it
// starts, concurrently,
//
//	kubectl --kubeconfig K rollout status deployment/NAME -n NS --timeout=T
//
// as a subprocess, and rollout.Wait on the created object in this process
// (the one-call form, which builds its clients and discovers the API each
// time, as a CI step would). A watch in the program records when the
// Deployment first is Available: Available=True, observedGeneration equal to
// generation, and updatedReplicas = availableReplicas = 3.
//
// The scenarios are chosen by image name, as the nodes' container runtime
// reads them:
//
//   - happy: pods become ready. Measured: latency from Available (as the
//     program's watch saw it) to each tool returning. Ours must not be
//     slower.
//   - crashloop: containers crash at start, and imagepull: image pulls
//     fail. Measured: time from the create to each tool's verdict. kubectl
//     notices only the progress deadline (the controller's
//     ProgressDeadlineExceeded), so its time is about -progress-deadline;
//     rollout.Wait fails on the new ReplicaSet's pods within seconds.
//
// One unmeasured happy run warms up the API server and kubectl's discovery
// cache (kept in a temp dir). Then every scenario runs -runs times, one at a
// time. The output is the machine (CPU model, cores, load, Go version,
// kubectl version --client), a line per run, and a Markdown table with the
// median and minimum per tool and scenario, the ratio kubectl/ours and the
// verdicts, ready for the README. Without kubectl on PATH (or -kubectl
// naming a missing program) only our side runs, and the output says so.
//
// Run it from the repository root (it takes about 2 × runs × the progress
// deadline, plus a minute):
//
//	go -C examples run ./sidebyside/rollout -runs 5 -progress-deadline 60s
//
// Exit codes: 0 when every run finished (whatever the verdicts), 1 when the
// control plane or a run could not be set up, 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// config is what a comparison runs.
type config struct {
	runs             int
	progressDeadline time.Duration
	kubectl          string
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
	var cfg config
	fs := flag.NewFlagSet("rollout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.runs, "runs", 5, "measured runs per scenario")
	fs.DurationVar(&cfg.progressDeadline, "progress-deadline", 60*time.Second, "progressDeadlineSeconds of the Deployments (whole seconds)")
	fs.StringVar(&cfg.kubectl, "kubectl", "kubectl", "kubectl `program`; a missing one runs only our side")
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
	}
	return cfg, nil
}
