package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Runner runs the command of an exec probe. kubelet runs it inside the
// container through the container runtime; a Runner decides where it runs
// for Check (locally, in a docker exec, in a test harness).
type Runner interface {
	// Run runs argv (no shell), waiting at most timeout (no limit when 0)
	// or until ctx ends, and returns its combined stdout and stderr; keeping
	// more than 10 KiB + 1 byte is unnecessary. A command that exits
	// non-zero returns an *ExitError; one that overruns timeout returns an
	// error wrapping ErrCommandTimedOut. Any other error means the command
	// could not be run, which kubelet reports as an Unknown result.
	Run(ctx context.Context, argv []string, timeout time.Duration) ([]byte, error)
}

// ErrCommandTimedOut is wrapped by a Runner's error when the command ran
// longer than the probe's timeoutSeconds; its text matches the container
// runtime client's, so the probe message reads like kubelet's.
var ErrCommandTimedOut = errors.New("command timed out")

// ExitError reports that an exec probe's command exited with a non-zero
// status.
type ExitError struct {
	Argv []string
	Code int
}

// Error describes the exit as the container runtime client does.
func (e *ExitError) Error() string {
	return fmt.Sprintf("command '%s' exited with %d", strings.Join(e.Argv, " "), e.Code)
}

// LocalRunner runs exec probe commands as child processes of this program,
// the default Runner of a Target. Unlike kubelet, which execs the command
// in the container's namespaces and filesystem, the command sees this
// machine: use it for probes whose command is also present locally (a CI
// job running the service beside the check), or supply a Runner that execs
// into the container.
type LocalRunner struct {
	// Dir is the working directory; empty means the current one (kubelet
	// uses the container's root).
	Dir string
	// Env, when non-nil, is the whole environment of the command; nil
	// inherits this process's environment.
	Env []string
}

// Run implements Runner with os/exec. On timeout the process is killed and
// the run ends at most a second later even if a grandchild keeps its
// output open.
func (l LocalRunner) Run(ctx context.Context, argv []string, timeout time.Duration) ([]byte, error) {
	if len(argv) == 0 {
		return nil, errors.New("exec probe has an empty command")
	}
	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	cmd := exec.CommandContext(runCtx, argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = l.Dir, l.Env
	cmd.WaitDelay = time.Second
	out := &limitedBuffer{limit: maxOutput + 1}
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return out.Bytes(), fmt.Errorf("exec probe %q interrupted: %w", strings.Join(argv, " "), context.Cause(ctx))
	case runCtx.Err() != nil:
		return out.Bytes(), fmt.Errorf("%w: %q timed out after %s", ErrCommandTimedOut, strings.Join(argv, " "), timeout)
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.Exited() {
		return out.Bytes(), &ExitError{Argv: argv, Code: exitErr.ExitCode()}
	}
	if err != nil {
		return out.Bytes(), fmt.Errorf("cannot run exec probe %q: %w", strings.Join(argv, " "), err)
	}
	return out.Bytes(), nil
}

// limitedBuffer keeps the first limit bytes written and accepts (drops) the
// rest, so a chatty command is not blocked or failed. Stdout and stderr
// share it from two goroutines.
type limitedBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.limit - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (b *limitedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// checkExec mirrors kubelet's exec prober: exit 0 is Success, a non-zero
// exit is Failure with the command's output as the message, a timeout is
// Failure with the timeout error, and anything else is Unknown.
func checkExec(ctx context.Context, action *corev1.ExecAction, t Target, timeout time.Duration) Result {
	runner := t.Runner
	if runner == nil {
		runner = LocalRunner{}
	}
	data, err := runner.Run(ctx, action.Command, timeout)
	r := Result{ExitCode: -1}
	if len(data) > maxOutput {
		data, r.Truncated = data[:maxOutput], true
	}
	var exitErr *ExitError
	switch {
	case err == nil:
		r.Outcome, r.Message, r.ExitCode = Success, string(data), 0
	case errors.As(err, &exitErr):
		r.ExitCode = exitErr.Code
		r.Outcome, r.Message = Failure, string(data)
		if exitErr.Code == 0 {
			r.Outcome = Success
		}
	case errors.Is(err, ErrCommandTimedOut):
		r.Outcome, r.Message = Failure, err.Error()
	default:
		r.Outcome, r.Err = Unknown, err
	}
	return r
}
