package probe

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// fakeClock advances only when Until sleeps, so tests never wait.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if err := context.Cause(ctx); err != nil {
		return err
	}
	c.now = c.now.Add(d)
	return nil
}

// scripted serves the given status codes in turn, repeating the last.
func scripted(t *testing.T, codes ...int) (Target, func() int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		code := codes[min(n, len(codes)-1)]
		n++
		mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	tgt, _ := target(t, srv)
	return tgt, func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

func TestUntil(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		codes    []int
		b        Builder
		passed   bool
		attempts int
		consec   int
		sleeps   []time.Duration
	}{
		{
			name:  "passes on first success",
			codes: []int{200}, b: HTTPGet("/", intstr.FromString("http")),
			passed: true, attempts: 1, consec: 1, sleeps: []time.Duration{0},
		},
		{
			name:   "initial delay then period until success threshold",
			codes:  []int{503, 503, 200, 302, 200},
			b:      HTTPGet("/", intstr.FromString("http")).WithInitialDelay(5 * time.Second).WithPeriod(3 * time.Second).WithSuccessThreshold(3).WithFailureThreshold(3),
			passed: true, attempts: 5, consec: 3,
			sleeps: []time.Duration{5 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second},
		},
		{
			name:  "fails after failure threshold",
			codes: []int{500}, b: HTTPGet("/", intstr.FromString("http")).WithFailureThreshold(3),
			passed: false, attempts: 3, consec: 3, sleeps: []time.Duration{0, 10 * time.Second, 10 * time.Second},
		},
		{
			name:   "a success resets the failure run",
			codes:  []int{500, 500, 200, 500, 500, 500},
			b:      HTTPGet("/", intstr.FromString("http")).WithSuccessThreshold(2).WithFailureThreshold(3),
			passed: false, attempts: 6, consec: 3,
			sleeps: []time.Duration{0, 10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tgt, served := scripted(t, tc.codes...)
			clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
			var seen []Outcome
			v, err := Until(t.Context(), tc.b.Probe(), tgt, Options{Clock: clock, Observe: func(n int, r Result) {
				assert.Equal(t, n, len(seen)+1)
				seen = append(seen, r.Outcome)
			}})
			assert.NilError(t, err)
			assert.Equal(t, v.Passed, tc.passed)
			assert.Equal(t, v.Attempts, tc.attempts)
			assert.Equal(t, v.Consecutive, tc.consec)
			assert.Equal(t, served(), tc.attempts)
			assert.Equal(t, len(seen), tc.attempts)
			assert.DeepEqual(t, clock.sleeps, tc.sleeps)
			var total time.Duration
			for _, d := range tc.sleeps {
				total += d
			}
			assert.Equal(t, v.Elapsed, total)
		})
	}
}

func TestUntilContextEnds(t *testing.T) {
	t.Parallel()
	tgt, _ := scripted(t, 503)
	ctx, cancel := context.WithCancelCause(t.Context())
	clock := &fakeClock{}
	stop := errors.New("deploy aborted")
	v, err := Until(ctx, HTTPGet("/", intstr.FromString("http")).WithFailureThreshold(1000).Probe(), tgt, Options{
		Clock: clock,
		Observe: func(n int, r Result) {
			if n == 4 {
				cancel(stop)
			}
		},
	})
	assert.Assert(t, errors.Is(err, stop), "%v", err)
	assert.ErrorContains(t, err, `probe reached no verdict after 4 attempts (last: failure "HTTP probe failed with statuscode: 503")`)
	assert.Equal(t, v.Attempts, 4)
	assert.Assert(t, !v.Passed)

	_, err = Until(ctx, HTTPGet("/", intstr.FromString("http")).WithInitialDelay(time.Minute).Probe(), tgt, Options{Clock: &fakeClock{}})
	assert.ErrorContains(t, err, "probe never ran: context ended during initialDelaySeconds 60: deploy aborted")

	_, err = Until(t.Context(), nil, tgt, Options{})
	assert.ErrorContains(t, err, "cannot repeat a probe: no probe to check")
}

// TestUntilRealTime runs with the real clock and a 1s period (the API's
// minimum): the server turns healthy on the second run.
func TestUntilRealTime(t *testing.T) {
	t.Parallel()
	tgt, served := scripted(t, 503, 200)
	start := time.Now()
	v, err := Until(t.Context(), HTTPGet("/", intstr.FromString("http")).WithPeriod(time.Second).Probe(), tgt, Options{})
	elapsed := time.Since(start)
	assert.NilError(t, err)
	assert.Assert(t, v.Passed)
	assert.Equal(t, v.Attempts, 2)
	assert.Equal(t, served(), 2)
	assert.Assert(t, elapsed >= time.Second && elapsed < 10*time.Second, "took %v", elapsed)
	assert.Assert(t, v.Elapsed >= time.Second, "verdict elapsed %v", v.Elapsed)
}

func TestRealClockSleep(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.Assert(t, errors.Is(RealClock{}.Sleep(ctx, time.Hour), context.Canceled))
	assert.NilError(t, RealClock{}.Sleep(t.Context(), 0))
	assert.NilError(t, RealClock{}.Sleep(t.Context(), time.Millisecond))
}
