package testcluster

import (
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/pydeploy/pydeploy/internal/testcluster/internal/grammar"
)

// Defaults of the clauses' options.
const (
	defaultCrashAfter    = 300 * time.Millisecond
	defaultCompleteAfter = 500 * time.Millisecond
	defaultFlapPeriod    = 2 * time.Second
)

// pullPlan scripts a container's image pulls.
type pullPlan struct {
	err   string        // "", "notfound", "unauthorized" or "429"
	times int           // failing pulls; 0: all of them
	delay time.Duration // how long each pull takes
}

// runKind is how a container instance ends.
type runKind int

const (
	runForever runKind = iota // until kubelet stops it
	runComplete
	runCrash
)

// runPlan scripts how each start of a container ends.
type runPlan struct {
	kind          runKind
	after         time.Duration // run time before the exit
	exit          int32
	reason        string // "Error", "OOMKilled"
	times         int    // crashes before the container behaves as its default; 0: never
	fallback      runKind
	fallbackAfter time.Duration
}

// probeKind is what a container's probes answer.
type probeKind int

const (
	probeReady probeKind = iota // pass from after
	probeNotReady
	probeFlap
)

type probePlan struct {
	kind   probeKind
	after  time.Duration // probeReady: pass from this long after the start
	period time.Duration // probeFlap
}

// containerPlan is the script of one container of one pod.
type containerPlan struct {
	scenario Scenario
	pull     pullPlan
	run      runPlan
	probe    probePlan
	logs     []string // what each start prints, nil for the scenario's own
}

// role is what kind of container a plan is for: its default run differs.
type role int

const (
	roleMain    role = iota // a container of a pod that restarts it
	roleInit                // an init container, or a container of a pod that does not restart
	roleSidecar             // an init container with restartPolicy Always
)

func containerRole(pod *corev1.Pod, name string) role {
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
				return roleSidecar
			}
			return roleInit
		}
	}
	if pod.Spec.RestartPolicy == corev1.RestartPolicyNever || pod.Spec.RestartPolicy == corev1.RestartPolicyOnFailure {
		return roleInit
	}
	return roleMain
}

// newPlan builds the plan of a container in scenario sc, for the pod with
// this ordinal (-1 when unknown); slow is Options.SlowReadyDelay. sc must
// parse.
func newPlan(sc Scenario, r role, ordinal int, slow time.Duration) containerPlan {
	p := containerPlan{scenario: sc}
	p.run.kind, p.run.after = runForever, 0
	if r == roleInit {
		p.run.kind, p.run.after = runComplete, defaultCompleteAfter
	}
	p.run.fallback, p.run.fallbackAfter = p.run.kind, p.run.after
	cs := sc.clauses()
	seen := map[string]bool{}
	for _, c := range cs {
		if !c.Applies(ordinal) || seen[c.Phase()] {
			continue
		}
		seen[c.Phase()] = true
		switch c.Phase() {
		case "pull":
			p.pull = pullClause(c, slow)
		case "probe":
			p.probe = probeClause(c)
		default:
			runClause(c, &p.run)
		}
	}
	return p
}

func pullClause(c grammar.Clause, slow time.Duration) pullPlan {
	pp := pullPlan{err: c.Opts["err"], times: atoi(c.Opts["times"])}
	switch d := c.Opts["delay"]; d {
	case "":
	case "slow":
		pp.delay = slow
	default:
		pp.delay = duration(d)
	}
	if pp.err == "" && pp.delay == 0 && c.Opts["delay"] == "" {
		pp.err = "notfound"
	}
	if pp.err == "429" && pp.times == 0 {
		pp.times = 1
	}
	return pp
}

func probeClause(c grammar.Clause) probePlan {
	switch c.Name {
	case "notready":
		return probePlan{kind: probeNotReady}
	case "flap":
		pp := probePlan{kind: probeFlap, period: defaultFlapPeriod}
		if v := c.Opts["period"]; v != "" {
			pp.period = duration(v)
		}
		return pp
	}
	return probePlan{kind: probeReady, after: duration(c.Opts["after"])}
}

func runClause(c grammar.Clause, rp *runPlan) {
	switch c.Name {
	case "run":
		rp.kind, rp.after = runForever, 0
	case "complete":
		rp.kind, rp.after = runComplete, defaultCompleteAfter
		if v := c.Opts["after"]; v != "" {
			rp.after = duration(v)
		}
	case "crash", "oom":
		rp.kind, rp.after, rp.exit, rp.reason = runCrash, defaultCrashAfter, 1, "Error"
		if c.Name == "oom" {
			rp.exit, rp.reason = 137, "OOMKilled"
		}
		if v := c.Opts["exit"]; v != "" {
			rp.exit = int32(atoi(v))
		}
		if rp.exit == 0 {
			rp.reason = "Completed"
		}
		if v := c.Opts["after"]; v != "" {
			rp.after = duration(v)
		}
		rp.times = atoi(c.Opts["times"])
	}
}

// instance is what start number n (1 for the first) of the container does.
func (rp runPlan) instance(n int) (kind runKind, after time.Duration) {
	if rp.kind == runCrash && rp.times > 0 && n > rp.times {
		return rp.fallback, rp.fallbackAfter
	}
	return rp.kind, rp.after
}

// ready reports whether the container's probes pass at since after its
// start.
func (pp probePlan) ready(since time.Duration) bool {
	switch pp.kind {
	case probeNotReady:
		return false
	case probeFlap:
		return (since/pp.period)%2 == 0
	}
	return since >= pp.after
}

// atoi and duration read options that parseClause has checked.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func duration(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}
