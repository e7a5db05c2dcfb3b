package probe

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Clock is the time source Until waits on. Tests supply one that advances
// instantly; nil means real time.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d, or until ctx ends, in which case it returns
	// context.Cause(ctx).
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the Clock of the wall: time.Now and a timer.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx ends.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Options tune Until. The zero value runs in real time and reports nothing.
type Options struct {
	// Clock is the time source; nil means RealClock.
	Clock Clock
	// Observe, when set, is called after every run of the probe with the
	// attempt number (from 1) and its result, e.g. to log progress in CI.
	Observe func(attempt int, r Result)
}

// Verdict is where Until stopped.
type Verdict struct {
	// Passed is true when successThreshold consecutive runs succeeded,
	// false when failureThreshold consecutive runs failed (or ctx ended).
	Passed bool
	// Attempts is how many times the probe ran.
	Attempts int
	// Consecutive is the length of the final run of like results.
	Consecutive int
	// Last is the result of the last run.
	Last Result
	// Elapsed is the time from the call to the verdict, on the Clock.
	Elapsed time.Duration
}

// Until runs p against t the way kubelet's probe worker does until it
// reaches a verdict: it waits initialDelaySeconds, then runs the probe every
// periodSeconds (measured start to start; a run that overruns the period is
// followed at once), and stops when successThreshold consecutive runs
// succeed (Passed) or failureThreshold consecutive runs fail. A Warning
// counts as a success and an Unknown as a failure, as in kubelet. p is
// defaulted like the API server does (see Default).
//
// The error is nil whenever a verdict was reached, passed or not; when ctx
// ends first, Until returns the runs so far and an error wrapping the
// context's cause. kubelet aligns the first run to its ticker after the
// initial delay; Until runs it exactly at the initial delay.
func Until(ctx context.Context, p *corev1.Probe, t Target, opts Options) (Verdict, error) {
	clock := opts.Clock
	if clock == nil {
		clock = RealClock{}
	}
	begin := clock.Now()
	var v Verdict
	if p == nil {
		v.Last = Check(ctx, nil, t)
		return v, fmt.Errorf("cannot repeat a probe: %w", v.Last.Err)
	}
	p = p.DeepCopy()
	Default(p)
	period := time.Duration(p.PeriodSeconds) * time.Second

	if err := clock.Sleep(ctx, time.Duration(p.InitialDelaySeconds)*time.Second); err != nil {
		return v, fmt.Errorf("probe never ran: context ended during initialDelaySeconds %d: %w", p.InitialDelaySeconds, err)
	}
	lastHealthy := false
	for {
		start := clock.Now()
		r := Check(ctx, p, t)
		if err := context.Cause(ctx); err != nil {
			// A run cut short by the caller says nothing about the server.
			v.Elapsed = clock.Now().Sub(begin)
			return v, fmt.Errorf("probe reached no verdict after %d attempts: %w", v.Attempts, err)
		}
		v.Attempts++
		v.Last = r
		if opts.Observe != nil {
			opts.Observe(v.Attempts, r)
		}
		if healthy := r.Healthy(); v.Attempts == 1 || healthy != lastHealthy {
			lastHealthy, v.Consecutive = healthy, 1
		} else {
			v.Consecutive++
		}
		switch {
		case lastHealthy && v.Consecutive >= int(p.SuccessThreshold):
			v.Passed, v.Elapsed = true, clock.Now().Sub(begin)
			return v, nil
		case !lastHealthy && v.Consecutive >= int(p.FailureThreshold):
			v.Elapsed = clock.Now().Sub(begin)
			return v, nil
		}
		if err := clock.Sleep(ctx, period-clock.Now().Sub(start)); err != nil {
			v.Elapsed = clock.Now().Sub(begin)
			return v, fmt.Errorf("probe reached no verdict after %d attempts (last: %s %q): %w", v.Attempts, r.Outcome, r.Message, err)
		}
	}
}
