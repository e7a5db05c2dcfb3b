package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

// env is the cluster and the clients every run uses.
type env struct {
	cfg         config
	cluster     *testcluster.Cluster
	rest        *rest.Config
	cs          kubernetes.Interface
	kubeconfig  string
	cacheDir    string
	withKubectl bool
}

func (e *env) progressDeadline() int32 { return int32(e.cfg.progressDeadline / time.Second) }

// runResult is one run of one scenario.
type runResult struct {
	scenario string
	round    int
	kubectl  *outcome // nil without kubectl
	kstatus  outcome
	ours     outcome
	// oursFromPodStart is rollout.Wait's time from the start of its
	// evidence pod (or the first pod) to its verdict; zero when no pod
	// started or Wait gave no verdict.
	oursFromPodStart time.Duration
	// note says when the scenario did not happen as it should.
	note string
}

func compare(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	_, err := exec.LookPath(cfg.kubectl)
	withKubectl := err == nil
	writeMachine(stdout, probeMachine(ctx, cfg.kubectl, withKubectl))

	start := time.Now()
	c, err := testcluster.Start(ctx, testcluster.Options{})
	if err != nil {
		return fmt.Errorf("start the embedded cluster: %w", err)
	}
	defer func() {
		if err := c.Stop(); err != nil {
			fmt.Fprintf(stderr, "stop the cluster: %v\n", err)
		}
	}()
	tmp, err := os.MkdirTemp("", "sidebyside-rollout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	e := &env{cfg: cfg, cluster: c, rest: c.Config(), cs: c.Client(), kubeconfig: filepath.Join(tmp, "kubeconfig"),
		cacheDir: filepath.Join(tmp, "kubectl-cache"), withKubectl: withKubectl}
	if err := c.WriteKubeconfig(e.kubeconfig); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cluster: internal/testcluster, started in %s (kubelet's own code on 3 nodes; scripted container runtime)\n",
		time.Since(start).Round(100*time.Millisecond))
	fmt.Fprintf(stdout, "Deployments: %d replicas, HTTP readiness probe, progressDeadlineSeconds %d; each tool stopped %s after the create\n",
		replicas, e.progressDeadline(), fmtCap(cfg.cap))
	if !withKubectl {
		fmt.Fprintf(stdout, "kubectl: %q not found on PATH; kstatus and rollout.Wait only\n", cfg.kubectl)
	}
	fmt.Fprintln(stdout)

	if _, err := e.runOnce(ctx, scenarios[0], 0); err != nil {
		return fmt.Errorf("warm-up run: %w", err)
	}
	rows := make([]row, len(cfg.scenarios))
	for i, sc := range cfg.scenarios {
		rows[i] = row{scenario: sc.name, expected: sc.expected, kubectl: withKubectl}
	}
	roundsStart := time.Now()
	for round := 1; round <= cfg.runs; round++ {
		results, err := e.round(ctx, round)
		if err != nil {
			return err
		}
		for i, res := range results {
			rows[i].add(res)
			fmt.Fprintln(stdout, res.describe(cfg.cap, cfg.scenarios[i].expected))
		}
	}
	fmt.Fprintf(stdout, "\n%d rounds in %s; load average after the runs: %s\n\n", cfg.runs, time.Since(roundsStart).Round(time.Second), loadAverage())
	writeTable(stdout, tableHeader{runs: cfg.runs, cap: cfg.cap, progressDeadline: e.progressDeadline(), parallel: e.parallelism()}, rows)
	return nil
}

func (e *env) parallelism() int {
	if e.cfg.parallel == 0 || e.cfg.parallel > len(e.cfg.scenarios) {
		return len(e.cfg.scenarios)
	}
	return e.cfg.parallel
}

// round runs every selected scenario once, up to -parallel at a time, and
// returns the results in the scenarios' order.
func (e *env) round(ctx context.Context, round int) ([]runResult, error) {
	results := make([]runResult, len(e.cfg.scenarios))
	errs := make([]error, len(e.cfg.scenarios))
	slots := make(chan struct{}, e.parallelism())
	var wg sync.WaitGroup
	for i, sc := range e.cfg.scenarios {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			results[i], errs[i] = e.runOnce(ctx, sc, round)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("%s round %d: %w", sc.name, round, errs[i])
			}
		})
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

// runOnce runs the scenario in a fresh namespace: its set-up, the measured
// create (or update), the three tools at once until each answers or the cap
// passes, and the namespace's deletion.
func (e *env) runOnce(ctx context.Context, sc scenario, round int) (runResult, error) {
	id := fmt.Sprint(round)
	ns := fmt.Sprintf("sbs-%s-%s", sc.name, id)
	res := runResult{scenario: sc.name, round: round}
	if _, err := e.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return res, fmt.Errorf("create namespace %s: %w", ns, err)
	}
	defer func() {
		// The namespace controller deletes the Deployment, its ReplicaSets
		// and pods, so failure loops stop costing CPU.
		_ = e.cs.CoreV1().Namespaces().Delete(context.WithoutCancel(ctx), ns, metav1.DeleteOptions{})
	}()
	var old *appsv1.Deployment
	if sc.before != nil {
		var err error
		if old, err = sc.before(ctx, e, ns); err != nil {
			return res, err
		}
	}
	pods, err := e.watchPodStarts(ctx, ns)
	if err != nil {
		return res, err
	}
	defer pods.stop()

	d, start, err := e.measuredStep(ctx, sc, ns, id, old)
	if err != nil {
		return res, err
	}
	u, err := toUnstructured(d)
	if err != nil {
		return res, err
	}
	capCtx, cancel := context.WithTimeout(ctx, e.cfg.cap-time.Since(start))
	defer cancel()
	duringErr := make(chan error, 1)
	if sc.during != nil {
		go func() { duringErr <- sc.during(capCtx, e, ns, id) }()
	} else {
		duringErr <- nil
	}
	var wg sync.WaitGroup
	if e.withKubectl {
		wg.Go(func() {
			o := e.kubectlOnce(capCtx, start, ns)
			res.kubectl = &o
		})
	}
	wg.Go(func() { res.kstatus = kstatusOnce(capCtx, e.rest, start, ns) })
	wg.Go(func() { res.ours = oursOnce(capCtx, e.rest, start, u) })
	wg.Wait()
	cancel()
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if err := <-duringErr; err != nil && res.note == "" {
		res.note = err.Error()
	}
	if sc.happened != nil && res.note == "" {
		res.note = sc.happened(ctx, e, ns)
	}
	if res.ours.kind != none {
		if at, ok := pods.startOf(res.ours.pod); ok {
			res.oursFromPodStart = start.Add(res.ours.after).Sub(at)
		}
	}
	return res, nil
}

// measuredStep creates the scenario's Deployment, or updates old to it,
// and returns what the API server returned and when.
func (e *env) measuredStep(ctx context.Context, sc scenario, ns, id string, old *appsv1.Deployment) (*appsv1.Deployment, time.Time, error) {
	want := deployment(sc, ns, id, e.progressDeadline())
	if old == nil {
		d, err := e.cs.AppsV1().Deployments(ns).Create(ctx, want, metav1.CreateOptions{})
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("create deployment %s/%s: %w", ns, deploymentName, err)
		}
		return d, time.Now(), nil
	}
	upd := old.DeepCopy()
	upd.Spec = want.Spec
	d, err := e.cs.AppsV1().Deployments(ns).Update(ctx, upd, metav1.UpdateOptions{})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("update deployment %s/%s: %w", ns, deploymentName, err)
	}
	return d, time.Now(), nil
}

// podStarts records each pod's status.startTime (when kubelet accepted
// it, on kubelet's clock: the nodes run on this machine), for the pods of
// a namespace created after the watch began. startTime is in whole
// seconds, so times measured from it are up to 1 s too long.
type podStarts struct {
	mu      sync.Mutex
	started map[string]time.Time
	first   time.Time
	stop    context.CancelFunc
}

func (e *env) watchPodStarts(ctx context.Context, ns string) (*podStarts, error) {
	list, err := e.cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list pods in %s: %w", ns, err)
	}
	before := map[types.UID]bool{}
	for _, p := range list.Items {
		before[p.UID] = true
	}
	wctx, stop := context.WithCancel(ctx)
	w, err := e.cs.CoreV1().Pods(ns).Watch(wctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		stop()
		return nil, fmt.Errorf("watch pods in %s: %w", ns, err)
	}
	ps := &podStarts{started: map[string]time.Time{}, stop: stop}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if ok && !before[p.UID] && p.Status.StartTime != nil {
				ps.saw(p.Name, p.Status.StartTime.Time)
			}
		}
	}()
	return ps, nil
}

func (ps *podStarts) saw(pod string, at time.Time) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if _, ok := ps.started[pod]; ok {
		return
	}
	ps.started[pod] = at
	if ps.first.IsZero() || at.Before(ps.first) {
		ps.first = at
	}
}

// startOf is when pod started, or the first pod of the run when pod is
// unknown or empty.
func (ps *podStarts) startOf(pod string) (time.Time, bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if at, ok := ps.started[pod]; ok {
		return at, true
	}
	return ps.first, !ps.first.IsZero()
}

func toUnstructured(d *appsv1.Deployment) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(d)
	if err != nil {
		return nil, fmt.Errorf("convert deployment %s/%s: %w", d.Namespace, d.Name, err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion("apps/v1")
	u.SetKind("Deployment")
	return u, nil
}

// describe is the one-line account of a run.
func (r runResult) describe(capped time.Duration, x expect) string {
	mark := func(o outcome, checkReason bool) string {
		if o.right(x, checkReason) {
			return " [right]"
		}
		if o.kind == none {
			return ""
		}
		if o.detail != "" {
			return " [WRONG: " + o.detail + "]"
		}
		return " [WRONG]"
	}
	s := fmt.Sprintf("%s round %d (expected %s): ", r.scenario, r.round, x)
	if r.kubectl != nil {
		s += "kubectl " + r.kubectl.describe(capped) + mark(*r.kubectl, false) + "; "
	}
	s += "kstatus " + r.kstatus.describe(capped) + mark(r.kstatus, false) + "; "
	s += "rollout.Wait " + r.ours.describe(capped) + mark(r.ours, true)
	if r.oursFromPodStart > 0 {
		s += fmt.Sprintf(", %s after pod start", fmtDuration(r.oursFromPodStart))
	}
	if r.note != "" {
		s += "; NOTE: " + r.note
	}
	return s
}
