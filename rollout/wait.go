package rollout

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/pydeploy/pydeploy/rollout/status"
)

// Waiter waits for applied objects to roll out. It is safe for concurrent
// use: each Wait opens its own Session on the Source.
type Waiter struct {
	src  Source
	opts Options
}

// NewWaiter returns a Waiter reading the cluster through src: NewSource
// for a real cluster, rollouttest for a scripted one.
func NewWaiter(src Source, opts Options) *Waiter {
	return &Waiter{src: src, opts: opts}
}

// NewForConfig returns a Waiter on the cluster cfg points at, with the
// clients and a discovery-backed RESTMapper built from cfg.
func NewForConfig(cfg *rest.Config, opts Options) (*Waiter, error) {
	src, err := SourceForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return NewWaiter(src, opts), nil
}

// Wait is NewForConfig followed by Waiter.Wait.
func Wait(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured, opts Options) (*Report, error) {
	w, err := NewForConfig(cfg, opts)
	if err != nil {
		return nil, err
	}
	return w.Wait(ctx, objs)
}

// Report is what a wait found, object by object in the order given.
type Report struct {
	Objects []ObjectReport
	// Elapsed is the duration of the whole wait.
	Elapsed time.Duration
	// Warnings says what the wait had to go without (a child kind the
	// credentials may not list), as the Warning events did.
	Warnings []string
}

// ObjectReport is the last status of one object.
type ObjectReport struct {
	status.Result
	// Elapsed is when, after the start of the wait, the object finished
	// (ready or failed); zero while it was unfinished.
	Elapsed time.Duration
	// Err is the object's own error, if it failed.
	Err error
}

// Wait blocks until every object has rolled out, and returns a report. The
// objects should be the ones Apply returned: each object's
// metadata.generation is the write Wait waits for, so a stale cache cannot
// report success for a spec the controller has not seen yet.
//
// It returns early with a typed error: *FailedError (or
// *ProgressDeadlineError, *SupersededError, *PausedError, which wrap one)
// when an object cannot succeed, *DeletedError when one goes away,
// *StalledError when one stops changing for Options.StallTimeout,
// *TimeoutError at the deadline, *CanceledError when ctx is cancelled.
// Several failures seen together are joined (errors.Join). The report is
// returned with every error except invalid input.
func (w *Waiter) Wait(ctx context.Context, objs []*unstructured.Unstructured) (*Report, error) {
	e, err := newEngine(objs, w.opts)
	if err != nil {
		return nil, err
	}
	e.emit = w.opts.Progress
	return e.run(ctx, w.src)
}

// Watch is Wait as a channel of events. The channel is closed after the
// Finished event, which carries Wait's report and error. Read it until it
// is closed, or cancel ctx; events sent after ctx ends may be dropped.
// Options.Progress, if set, is called as well.
func (w *Waiter) Watch(ctx context.Context, objs []*unstructured.Unstructured) <-chan Event {
	ch := make(chan Event, 16)
	e, err := newEngine(objs, w.opts)
	if err != nil {
		ch <- Event{Type: Finished, Time: w.opts.clock().Now(), Err: err}
		close(ch)
		return ch
	}
	progress := w.opts.Progress
	e.emit = func(ev Event) {
		if progress != nil {
			progress(ev)
		}
		select {
		case ch <- ev:
		case <-ctx.Done():
			select {
			case ch <- ev:
			default:
			}
		}
	}
	go func() {
		defer close(ch)
		_, _ = e.run(ctx, w.src)
	}()
	return ch
}

// Summary returns one line per object: its status and, when finished, when.
func (r *Report) Summary() []string {
	out := make([]string, len(r.Objects))
	for i, o := range r.Objects {
		line := fmt.Sprintf("%s: %s (%s)", o.Object, o.State, o.Reason)
		if o.Elapsed > 0 {
			line += fmt.Sprintf(" after %s", o.Elapsed.Round(time.Millisecond))
		}
		out[i] = line
	}
	return out
}
