package probe

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestCheckExec(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("exec probe tests need sh")
	}
	dir := t.TempDir()
	tests := []struct {
		name   string
		p      *corev1.Probe
		tgt    Target
		want   Outcome
		msg    string
		code   int
		errHas string
	}{
		{name: "exit 0", p: Exec("sh", "-c", "echo ready").Probe(), want: Success, msg: "ready\n"},
		{name: "exit 3 keeps stdout and stderr", p: Exec("sh", "-c", "echo out; echo 'db unreachable' >&2; exit 3").Probe(),
			want: Failure, msg: "out\ndb unreachable\n", code: 3},
		{name: "timeout", p: Exec("sh", "-c", "sleep 30").WithTimeout(time.Second).Probe(),
			want: Failure, msg: `command timed out: "sh -c sleep 30" timed out after 1s`, code: -1},
		{name: "not found", p: Exec("/nonexistent/probe-cmd").Probe(), want: Unknown, code: -1,
			errHas: `cannot run exec probe "/nonexistent/probe-cmd"`},
		{name: "empty command", p: Exec().Probe(), want: Unknown, code: -1, errHas: "exec probe has an empty command"},
		{name: "runner dir and env", p: Exec("sh", "-c", `cd . && echo "$PROBE_VAR" && pwd`).Probe(),
			tgt: Target{Runner: LocalRunner{Dir: dir, Env: []string{"PROBE_VAR=hello"}}}, want: Success, msg: "hello\n" + dir + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			r := Check(t.Context(), tc.p, tc.tgt)
			assert.Equal(t, r.Outcome, tc.want, "%+v", r)
			assert.Equal(t, r.Message, tc.msg)
			assert.Equal(t, r.ExitCode, tc.code)
			if tc.errHas != "" {
				assert.ErrorContains(t, r.Err, tc.errHas)
			} else {
				assert.NilError(t, r.Err)
			}
			assert.Assert(t, time.Since(start) < 10*time.Second)
		})
	}
}

func TestCheckExecOutputLimit(t *testing.T) {
	t.Parallel()
	r := Check(t.Context(), Exec("sh", "-c", "head -c 50000 /dev/zero | tr '\\0' x; exit 1").Probe(), Target{})
	assert.Equal(t, r.Outcome, Failure)
	assert.Equal(t, len(r.Message), 10<<10)
	assert.Assert(t, r.Truncated)
	assert.Equal(t, r.ExitCode, 1)
}

func TestLocalRunnerInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := LocalRunner{}.Run(ctx, []string{"sh", "-c", "sleep 30"}, time.Minute)
	assert.Assert(t, errors.Is(err, context.Canceled), "%v", err)
	assert.Assert(t, !errors.Is(err, ErrCommandTimedOut))

	r := Check(ctx, Exec("sh", "-c", "sleep 30").Probe(), Target{})
	assert.Equal(t, r.Outcome, Unknown)
	assert.Assert(t, is.Contains(r.Err.Error(), "interrupted"))
}

// shellRunner is a Runner that wraps every command in "sh -c", as a team
// exec-ing into a container through a shell would; it shows a Target's
// Runner is what Check uses.
type shellRunner struct{}

func (shellRunner) Run(ctx context.Context, argv []string, timeout time.Duration) ([]byte, error) {
	return LocalRunner{}.Run(ctx, []string{"sh", "-c", strings.Join(argv, " ")}, timeout)
}

func TestCheckExecCustomRunner(t *testing.T) {
	t.Parallel()
	r := Check(t.Context(), Exec("echo", "a", "&&", "exit", "4").Probe(), Target{Runner: shellRunner{}})
	assert.Equal(t, r.Outcome, Failure)
	assert.Equal(t, r.Message, "a\n")
	assert.Equal(t, r.ExitCode, 4)
}
