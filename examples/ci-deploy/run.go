package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/rollout"
)

// options are the parsed flags.
type options struct {
	path           string
	kubeconfig     string
	embedded       bool
	namespace      string
	timeout        time.Duration
	stallTimeout   time.Duration
	format         string
	undoOnFailure  bool
	logLines       int
	dryRun         bool
	forceConflicts bool
	skipWait       []string
	// now is the clock of the report's timestamps; nil means time.Now.
	now func() time.Time
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("ci-deploy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.path, "f", "", "manifests: a `DIR` (kustomization, or *.yaml/*.yml/*.json files) or a FILE")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig `file` (default $KUBECONFIG, else ~/.kube/config)")
	fs.BoolVar(&o.embedded, "embedded", false, "start pydeploy's embedded test control plane and deploy there")
	fs.StringVar(&o.namespace, "namespace", "", "namespace for objects that name none (default: the kubeconfig context's, else \"default\")")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "one deadline for applying and rolling out every object")
	fs.DurationVar(&o.stallTimeout, "stall-timeout", 0, "fail when an object's status does not change for this long (0: never)")
	fs.StringVar(&o.format, "format", formatText, "output: text, github (GitHub Actions annotations) or json (JSON lines)")
	fs.BoolVar(&o.undoOnFailure, "undo-on-failure", false, "roll back every Deployment that failed, and wait for the rollback")
	fs.IntVar(&o.logLines, "log-lines", rollout.DefaultLogLines, "log lines of a failing container to show (0: none)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "server-side dry run: print what would change, apply and wait for nothing")
	fs.BoolVar(&o.forceConflicts, "force-conflicts", false, "take ownership of fields other field managers own")
	skip := fs.String("skip-wait", "", "comma-separated `kinds` to apply but not wait for")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected arguments %q; name the manifests with -f", fs.Args()))
	}
	if o.path == "" {
		problems = append(problems, "-f is required: a directory or file of manifests")
	}
	switch o.format {
	case formatText, formatGitHub, formatJSON:
	default:
		problems = append(problems, fmt.Sprintf("-format %q: expected text, github or json", o.format))
	}
	if o.timeout <= 0 {
		problems = append(problems, fmt.Sprintf("-timeout %s: expected a positive duration", o.timeout))
	}
	if o.stallTimeout < 0 {
		problems = append(problems, fmt.Sprintf("-stall-timeout %s: expected zero or a positive duration", o.stallTimeout))
	}
	if o.logLines < 0 {
		problems = append(problems, fmt.Sprintf("-log-lines %d: expected zero or more", o.logLines))
	}
	if o.embedded && o.kubeconfig != "" {
		problems = append(problems, "-embedded and -kubeconfig exclude each other")
	}
	for k := range strings.SplitSeq(*skip, ",") {
		if k = strings.TrimSpace(k); k != "" {
			o.skipWait = append(o.skipWait, k)
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return o, nil
}

// run is the whole command: it returns the exit code instead of exiting.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "ci-deploy: %v\n", err)
		return exitError
	}
	return deploy(ctx, o, stdout)
}

func deploy(ctx context.Context, o *options, stdout io.Writer) int {
	now := o.now
	if now == nil {
		now = time.Now
	}
	rep := newReporter(stdout, o.format, now)

	objs, err := loadManifests(ctx, o.path)
	if err != nil {
		rep.manifestFailure(err)
		rep.summary(exitError, fmt.Sprintf("cannot read the manifests in %s", o.path), nil)
		return exitError
	}

	cl, err := connect(ctx, o)
	if err != nil {
		rep.summary(exitError, err.Error(), nil)
		return exitError
	}
	defer func() {
		if err := cl.stop(); err != nil {
			rep.note("stopping the embedded control plane: %v", err)
		}
	}()
	rep.note("deploying %d %s from %s to namespace %q on %s", len(objs), plural(len(objs), "object", "objects"), o.path, cl.namespace, cl.where)

	// One deadline for the apply and the rollout of the whole set.
	deadlineCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	res, err := manifest.Apply(deadlineCtx, cl.cfg, objs, manifest.ApplyOptions{
		Namespace: cl.namespace, Force: o.forceConflicts, DryRun: o.dryRun, Diff: o.dryRun,
	})
	if res != nil {
		for _, a := range res.Objects {
			rep.applied(a, o.dryRun)
		}
	}
	if err != nil {
		code := exitApply
		if ctx.Err() != nil {
			code = exitCanceled
		} else if deadlineCtx.Err() != nil {
			code = exitTimeout
		}
		rep.failure(err)
		rep.summary(code, "apply failed: "+err.Error(), nil)
		return code
	}
	if o.dryRun {
		rep.diff(res)
		rep.summary(exitOK, fmt.Sprintf("server dry run of %d %s passed; nothing was changed", len(res.Objects), plural(len(res.Objects), "object", "objects")), nil)
		return exitOK
	}

	var waitFor []*unstructured.Unstructured
	for _, a := range res.Objects {
		if slices.ContainsFunc(o.skipWait, func(k string) bool { return strings.EqualFold(k, a.Object.GetKind()) }) {
			rep.skipped(a.Object.GetKind(), a.Object.GetNamespace(), a.Object.GetName(), "-skip-wait "+a.Object.GetKind())
			continue
		}
		waitFor = append(waitFor, a.Object)
	}
	if len(waitFor) == 0 {
		rep.summary(exitOK, "applied; nothing to wait for", nil)
		return exitOK
	}

	// What the apply left of the deadline; zero would mean none to Wait.
	deadline, _ := deadlineCtx.Deadline()
	remaining := max(time.Until(deadline), time.Millisecond)
	report, err := rollout.Wait(deadlineCtx, cl.cfg, waitFor, o.waitOptions(remaining, rep))
	if err == nil {
		rep.summary(exitOK, fmt.Sprintf("%d %s rolled out in %s", len(waitFor), plural(len(waitFor), "object", "objects"),
			report.Elapsed.Round(100*time.Millisecond)), nil)
		return exitOK
	}
	code := exitCode(err)
	if ctx.Err() != nil {
		code = exitCanceled
	}
	rep.failure(err)
	var rolledBack []string
	if o.undoOnFailure && code != exitCanceled {
		rolledBack = undoFailed(ctx, cl, o, err, rep)
	}
	rep.summary(code, firstLine(err), rolledBack)
	return code
}

func (o *options) waitOptions(timeout time.Duration, rep *reporter) rollout.Options {
	return rollout.Options{
		Timeout:      timeout,
		StallTimeout: o.stallTimeout,
		LogLines:     o.logLines,
		Progress:     rep.event,
	}
}

// firstLine is the error's first line; the report has the rest.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
