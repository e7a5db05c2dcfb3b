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
	created := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return created.Add(d) }
	happy := []runResult{
		{created: created, availableAt: at(2 * time.Second),
			kubectl: &outcome{end: at(2*time.Second + 40*time.Millisecond), verdict: "rolled out", ok: true},
			ours:    outcome{end: at(2*time.Second + 10*time.Millisecond), verdict: "rolled out", ok: true}},
		{created: created, availableAt: at(time.Second),
			kubectl: &outcome{end: at(time.Second + 20*time.Millisecond), verdict: "rolled out", ok: true},
			ours:    outcome{end: at(time.Second + 5*time.Millisecond), verdict: "rolled out", ok: true}},
		{created: created, availableAt: at(time.Second),
			kubectl: &outcome{end: at(time.Second + 30*time.Millisecond), verdict: "rolled out", ok: true},
			ours:    outcome{end: at(time.Second + 20*time.Millisecond), verdict: "rolled out", ok: true}},
		// The watch missed Available: not measured from it.
		{created: created,
			kubectl: &outcome{end: at(time.Second), verdict: "rolled out", ok: true},
			ours:    outcome{end: at(time.Second), verdict: "rolled out", ok: true}},
	}
	crash := []runResult{
		{created: created, kubectl: &outcome{end: at(62 * time.Second), verdict: "progress deadline exceeded"}, ours: outcome{end: at(3 * time.Second), verdict: "PodCrashLooping"}},
		{created: created, kubectl: &outcome{end: at(61 * time.Second), verdict: "progress deadline exceeded"}, ours: outcome{end: at(2500 * time.Millisecond), verdict: "PodCrashLooping"}},
		{created: created, kubectl: &outcome{end: at(240 * time.Second), verdict: "timed out"}, ours: outcome{end: at(2 * time.Second), verdict: "PodCrashLooping"}},
	}
	rows := []row{
		{scenario: "happy", fromAvailable: true, kubectl: true},
		{scenario: "happy", kubectl: true},
		{scenario: "crashloop", kubectl: true},
		{scenario: "imagepull"},
	}
	for _, r := range happy {
		rows[0].add(r)
		rows[1].add(r)
	}
	for _, r := range crash {
		rows[2].add(r)
		r.kubectl = nil
		rows[3].add(r)
	}
	var b bytes.Buffer
	writeTable(&b, 3, rows)
	want := `3 runs per scenario; median (min). Available → return: from the program's watch seeing the Deployment Available to the tool returning; create → verdict: from the create to the tool returning its verdict.

| scenario | measured | kubectl rollout status | rollout.Wait | kubectl / ours | kubectl verdict | our verdict |
| --- | --- | ---: | ---: | ---: | --- | --- |
| happy | Available → return | 30.0 ms (20.0 ms) | 10.0 ms (5.0 ms) | 3.0× | rolled out ×3 | rolled out ×3 |
| happy | create → verdict | 1.02 s (1.00 s) | 1.01 s (1.00 s) | 1.0× | rolled out ×4 | rolled out ×4 |
| crashloop | create → verdict | 62.00 s (61.00 s) | 2.50 s (2.00 s) | 25× | progress deadline exceeded ×2, timed out ×1 | PodCrashLooping ×3 |
| imagepull | create → verdict | not run | 2.50 s (2.00 s) | n/a | - | PodCrashLooping ×3 |

happy: 1 of 3 runs not measured: the watch never saw the Deployment Available
`
	assert.Equal(t, cmp.Diff(want, b.String()), "")
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
	assert.Equal(t, fmtRatio([]time.Duration{time.Second}, nil), "n/a")
	assert.Equal(t, fmtRatio([]time.Duration{time.Second}, []time.Duration{0}), "n/a")
	assert.Equal(t, fmtDuration(-1500*time.Millisecond), "-1.50 s")
}

func TestVerdicts(t *testing.T) {
	exitErr := exec.Command("false").Run()
	assert.Assert(t, exitErr != nil)
	for _, tc := range []struct {
		err    error
		output string
		want   string
	}{
		{nil, "Waiting for deployment \"x\" rollout to finish: 0 of 3 updated replicas are available...\ndeployment \"x\" successfully rolled out\n", "rolled out"},
		{exitErr, "error: deployment \"x\" exceeded its progress deadline\n", "progress deadline exceeded"},
		{exitErr, "error: timed out waiting for the condition\n", "timed out"},
		{exitErr, "error: the server doesn't have a resource type \"deployment\"\n", "exit status 1: error: the server doesn't have a resource type \"deployment\""},
	} {
		assert.Equal(t, kubectlVerdict(tc.err, tc.output), tc.want)
	}
	fe := &rollout.FailedError{Reason: status.ImagePullFailed}
	assert.Equal(t, oursVerdict(nil), "rolled out")
	assert.Equal(t, oursVerdict(fe), "ImagePullFailed")
	assert.Equal(t, oursVerdict(&rollout.ProgressDeadlineError{FailedError: fe}), "progress deadline exceeded")
	assert.Equal(t, oursVerdict(&rollout.TimeoutError{}), "timed out")
	assert.Equal(t, oursVerdict(errors.New("dial tcp: refused\nmore")), "error: more")
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-runs", "0"}, "-runs 0: expected at least 1"},
		{[]string{"-progress-deadline", "1500ms"}, "-progress-deadline 1.5s: expected whole seconds, at least 1s"},
		{[]string{"extra"}, `unexpected arguments ["extra"]`},
	} {
		_, err := parseFlags(tc.args, &bytes.Buffer{})
		assert.ErrorContains(t, err, tc.want)
	}
	cfg, err := parseFlags(nil, &bytes.Buffer{})
	assert.NilError(t, err)
	assert.DeepEqual(t, cfg, config{runs: 5, progressDeadline: time.Minute, kubectl: "kubectl"}, cmp.AllowUnexported(config{}))
}
