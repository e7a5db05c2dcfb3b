package main

import (
	"bytes"
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/status"
)

func TestWriteTable(t *testing.T) {
	s := func(d float64) time.Duration { return time.Duration(d * float64(time.Second)) }
	ok := func(d float64) outcome { return outcome{kind: success, after: s(d), reason: "rolled out"} }
	crashed := func(d float64) outcome { return outcome{kind: failure, after: s(d), reason: "PodCrashLooping"} }
	capped := outcome{kind: none, reason: "waiting"}
	happy := []runResult{
		{kubectl: new(ok(2.04)), kstatus: ok(2.10), ours: ok(2.01)},
		{kubectl: new(ok(1.02)), kstatus: ok(1.30), ours: ok(1.005)},
		{kubectl: new(ok(1.03)), kstatus: ok(1.10), ours: ok(1.02)},
	}
	crash := []runResult{
		{kubectl: &capped, kstatus: capped, ours: crashed(16), oursFromPodStart: s(14.5)},
		{kubectl: &capped, kstatus: capped, ours: crashed(15.2), oursFromPodStart: s(13.1)},
		// A wrong reason is a wrong verdict for rollout.Wait.
		{kubectl: &capped, kstatus: capped, ours: outcome{kind: failure, after: s(3), reason: "OOMKilled"}, oursFromPodStart: s(2)},
	}
	transient := []runResult{
		{kubectl: new(ok(20)), kstatus: ok(20.5), ours: crashed(12)},
		{kubectl: &capped, kstatus: outcome{kind: toolError, after: s(1), reason: "forbidden"}, ours: capped},
		{kubectl: new(ok(18)), kstatus: ok(18.2), ours: ok(18), note: "not exercised"},
	}
	rows := []row{
		{scenario: "happy", expected: expect{success: true}, kubectl: true},
		{scenario: "crashloop", expected: expect{reason: status.PodCrashLooping}, kubectl: true},
		{scenario: "crash-twice", expected: expect{success: true}, kubectl: true},
		{scenario: "no-kubectl", expected: expect{success: true}},
	}
	for i, runs := range [][]runResult{happy, crash, transient} {
		for _, r := range runs {
			rows[i].add(r)
		}
	}
	for _, r := range happy {
		r.kubectl = nil
		rows[3].add(r)
	}
	var b bytes.Buffer
	writeTable(&b, tableHeader{runs: 3, cap: 90 * time.Second, progressDeadline: 600, parallel: 4}, rows)
	want := `3 runs per scenario (4 scenarios at a time), progressDeadlineSeconds 600, each tool stopped 90 s after the create. Time from the create (quota-surge: the update) to the verdict, median (min); "no verdict by 90 s": the tool had not returned. rollout.Wait from pod start: from the status.startTime (whole seconds) of the pod its failure names, else of the run's first pod, to its verdict. Right: the expected outcome (and, for rollout.Wait's failures, the expected reason).

| scenario | expected | kubectl rollout status | kstatus | rollout.Wait | rollout.Wait from pod start | verdicts right (kubectl / kstatus / rollout.Wait) |
| --- | --- | ---: | ---: | ---: | ---: | --- |
| happy | success | 1.0 s (1.0 s) | 1.3 s (1.1 s) | 1.0 s (1.0 s) | n/a | 3/3 / 3/3 / 3/3 |
| crashloop | failure (PodCrashLooping) | no verdict by 90 s | no verdict by 90 s | 15.2 s (3.0 s) | 13.1 s (2.0 s) | 0/3 / 0/3 / 2/3; wrong: rollout.Wait failure (OOMKilled) ×1 |
| crash-twice | success | 19.0 s (18.0 s); no verdict by 90 s ×1 | 18.2 s (1.0 s) | 15.0 s (12.0 s); no verdict by 90 s ×1 | n/a | 2/3 / 2/3 / 1/3; wrong: kstatus error (forbidden) ×1; rollout.Wait failure (PodCrashLooping) ×1 |
| no-kubectl | success | not run | 1.3 s (1.1 s) | 1.0 s (1.0 s) | n/a | n/a / 3/3 / 3/3 |

crash-twice: in 1 of 3 runs the scenario did not happen as scripted (see the run lines)
`
	assert.Equal(t, cmp.Diff(want, b.String()), "")
}

func TestDescribe(t *testing.T) {
	r := runResult{scenario: "crashloop", round: 2,
		kubectl:          &outcome{kind: none, reason: `Waiting for deployment "payments-api" rollout to finish: 0 of 3 updated replicas are available...`},
		kstatus:          outcome{kind: none, reason: "InProgress: Ready: 0/3"},
		ours:             outcome{kind: failure, after: 16 * time.Second, reason: "PodCrashLooping"},
		oursFromPodStart: 14500 * time.Millisecond}
	want := `crashloop round 2 (expected failure): kubectl no verdict by 90 s (last: Waiting for deployment "payments-api" rollout to finish: 0 of 3 updated replicas are available...); ` +
		`kstatus no verdict by 90 s (last: InProgress: Ready: 0/3); rollout.Wait failure after 16.0 s (PodCrashLooping) [right], 14.5 s after pod start`
	assert.Equal(t, r.describe(90*time.Second, expect{reason: status.PodCrashLooping}), want)

	r = runResult{scenario: "oom-once", round: 1, kstatus: outcome{kind: success, after: 900 * time.Millisecond},
		ours: outcome{kind: failure, after: 5 * time.Second, reason: "OOMKilled", detail: "pod x was OOM-killed"}, note: "not exercised"}
	want = `oom-once round 1 (expected success): kstatus success after 900 ms [right]; rollout.Wait failure after 5.0 s (OOMKilled) [WRONG: pod x was OOM-killed]; NOTE: not exercised`
	assert.Equal(t, r.describe(90*time.Second, expect{success: true}), want)
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{3}, 3},
		{[]time.Duration{5, 1, 3}, 3},
		{[]time.Duration{4, 1, 3, 2}, 2},
	} {
		assert.Equal(t, median(tc.in), tc.want)
	}
	assert.Equal(t, fmtStat(nil), "n/a")
	assert.Equal(t, fmtDuration(-1500*time.Millisecond), "-1.5 s")
	assert.Equal(t, fmtDuration(12400*time.Microsecond), "12 ms")
}

func TestVerdicts(t *testing.T) {
	exitErr := exec.Command("false").Run()
	assert.Assert(t, exitErr != nil)
	for _, tc := range []struct {
		err    error
		output string
		want   outcome
	}{
		{nil, "Waiting for deployment \"x\" rollout to finish: 0 of 3 updated replicas are available...\ndeployment \"x\" successfully rolled out\n",
			outcome{kind: success, reason: "successfully rolled out"}},
		{exitErr, "error: deployment \"x\" exceeded its progress deadline\n", outcome{kind: failure, reason: "progress deadline exceeded"}},
		{exitErr, "error: the server doesn't have a resource type \"deployment\"\n",
			outcome{kind: toolError, reason: "exit status 1: error: the server doesn't have a resource type \"deployment\""}},
		{nil, "something else\n", outcome{kind: toolError, reason: "exit 0: something else"}},
	} {
		assert.DeepEqual(t, kubectlVerdict(tc.err, tc.output), tc.want, cmp.AllowUnexported(outcome{}))
	}
	fe := &rollout.FailedError{Reason: status.ImagePullFailed, Message: "cannot pull", Pods: []status.PodFailure{{Pod: "payments-api-abc"}}}
	for _, tc := range []struct {
		err  error
		want outcome
	}{
		{nil, outcome{kind: success, reason: "rolled out"}},
		{fe, outcome{kind: failure, reason: "ImagePullFailed", pod: "payments-api-abc", detail: fe.Error()}},
		{&rollout.ProgressDeadlineError{FailedError: &rollout.FailedError{Reason: status.ProgressDeadlineExceeded}},
			outcome{kind: failure, reason: "ProgressDeadlineExceeded", detail: (&rollout.FailedError{Reason: status.ProgressDeadlineExceeded}).Error()}},
		{&rollout.TimeoutError{Pending: []rollout.Pending{{Reason: status.LessAvailable, Message: "Available: 0/3..."}}},
			outcome{kind: none, reason: "LessAvailable: Available: 0/3"}},
		{&rollout.CanceledError{}, outcome{kind: none, reason: "wait cancelled after 0s with 0 objects unfinished:"}},
		{errors.New("dial tcp: refused\nmore"), outcome{kind: toolError, reason: "more"}},
	} {
		assert.DeepEqual(t, oursVerdict(tc.err), tc.want, cmp.AllowUnexported(outcome{}))
	}
}

func TestRight(t *testing.T) {
	fail := expect{reason: status.PodCrashLooping}
	for _, tc := range []struct {
		o           outcome
		x           expect
		checkReason bool
		want        bool
	}{
		{outcome{kind: success}, expect{success: true}, true, true},
		{outcome{kind: success}, fail, false, false},
		{outcome{kind: failure, reason: "progress deadline exceeded"}, fail, false, true},
		{outcome{kind: failure, reason: "OOMKilled"}, fail, true, false},
		{outcome{kind: failure, reason: "PodCrashLooping"}, fail, true, true},
		{outcome{kind: none}, fail, false, false},
		{outcome{kind: toolError}, expect{success: true}, false, false},
	} {
		assert.Equal(t, tc.o.right(tc.x, tc.checkReason), tc.want, "%+v %+v", tc.o, tc.x)
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-runs", "0"}, "-runs 0: expected at least 1"},
		{[]string{"-runs", "x"}, `invalid value "x" for flag -runs`},
		{[]string{"-progress-deadline", "1500ms"}, "-progress-deadline 1.5s: expected whole seconds, at least 1s"},
		{[]string{"-cap", "500ms"}, "-cap 500ms: expected at least 1s"},
		{[]string{"-cap", "-1m"}, "-cap -1m0s: expected at least 1s"},
		{[]string{"-parallel", "-2"}, "-parallel -2: expected 0 (all) or more"},
		{[]string{"-scenarios", "happy,nope"}, `-scenarios: unknown scenario "nope": expected some of happy, crashloop,`},
		{[]string{"-scenarios", ","}, `-scenarios: unknown scenario ""`},
		{[]string{"-runs", "13"}, "-runs 13: the scale-up scenario adds a node per run, and the cluster takes at most 12 more"},
		{[]string{"extra"}, `unexpected arguments ["extra"]`},
	} {
		_, err := parseFlags(tc.args, &bytes.Buffer{})
		assert.ErrorContains(t, err, tc.want, "%q", tc.args)
	}

	cfg, err := parseFlags(nil, &bytes.Buffer{})
	assert.NilError(t, err)
	assert.Equal(t, cfg.runs, 3)
	assert.Equal(t, cfg.progressDeadline, 600*time.Second)
	assert.Equal(t, cfg.cap, 2*time.Minute)
	assert.Equal(t, cfg.kubectl, "kubectl")
	assert.Equal(t, cfg.parallel, 0)
	assert.DeepEqual(t, names(cfg.scenarios), scenarioNames())

	// Without scale-up, more runs are fine; the order is the program's.
	cfg, err = parseFlags([]string{"-runs", "13", "-scenarios", "quota-surge, happy"}, &bytes.Buffer{})
	assert.NilError(t, err)
	assert.DeepEqual(t, names(cfg.scenarios), []string{"happy", "quota-surge"})
}

func names(scs []scenario) []string {
	var out []string
	for _, sc := range scs {
		out = append(out, sc.name)
	}
	return out
}
