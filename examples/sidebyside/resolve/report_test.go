package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"
)

func ms(v ...float64) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x * float64(time.Millisecond))
	}
	return out
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{ms(7), ms(7)[0]},
		{ms(9, 1, 5), ms(5)[0]},
		{ms(4, 1, 3, 2), ms(2.5)[0]},
	} {
		assert.Equal(t, median(tc.in), tc.want, "%v", tc.in)
	}
}

func TestFmtDuration(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{
		{1234567 * time.Nanosecond, "1.2 ms"},
		{49960 * time.Microsecond, "50.0 ms"},
		{999 * time.Millisecond, "999.0 ms"},
		{time.Second, "1.00 s"},
		{12345 * time.Millisecond, "12.35 s"},
	} {
		assert.Equal(t, fmtDuration(tc.in), tc.want)
	}
}

func TestOurTarget(t *testing.T) {
	for in, want := range map[string]string{
		"Python 3.11.7":  "python3.11.7-manylinux2014_x86_64",
		"Python 3.11.10": "python3.11.10-manylinux2014_x86_64",
		"Python 3.12.1":  defaultTarget,
		"Python 3.11.0+": defaultTarget,
		"":               defaultTarget,
	} {
		assert.Equal(t, ourTarget(in), want, in)
	}
}

func TestWriteTable(t *testing.T) {
	results := []setResult{
		{
			name: "web-service", packages: 41,
			pipCold: ms(5200, 5000, 5400), oursNoCache: ms(90, 80, 100), oursCold: ms(120, 100, 110), oursWarm: ms(30, 20, 40), oursWarmCPU: ms(45, 35, 40),
			pipRequests: 131, pipWheels: 41, coldRequests: 90,
		},
		{
			name: "dagster", packages: 55,
			pipCold: ms(2000, 2200, 2100), oursCold: ms(150, 160, 140), oursWarm: ms(60, 70, 55),
			pipRequests: 165, pipWheels: 55, coldRequests: 110, warmRequests: 2,
		},
		{
			name: "jupyter", oursUnsat: "Because …", pipErr: "pip is not available",
			oursCold: ms(700, 720, 710), oursWarm: ms(40, 42, 41), coldRequests: 104,
		},
	}
	var b strings.Builder
	writeTable(&b, 3, results)
	want := `3 runs each; median (min). Targets: pip cold / ours cold ≥ 20×, ours warm < 50.0 ms.
Times are wall clock; "ours warm CPU" is the process's user+system CPU time per warm resolve.
"ours cold" writes no cache, as pip runs with --no-cache-dir (the ratio uses it); "ours cold + cache" also fills the on-disk cache the warm runs read.

| root set | packages | pip cold | ours cold | ours cold + cache | ours warm | ours warm CPU | pip cold / ours cold | ours warm vs 50 ms |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| web-service | 41 | 5.20 s (5.00 s) | 90.0 ms (80.0 ms) | 110.0 ms (100.0 ms) | 30.0 ms (20.0 ms) | 40.0 ms (35.0 ms) | 58× (meets) | 30.0 ms (meets) |
| dagster | 55 | 2.10 s (2.00 s) | 150.0 ms (140.0 ms) | 150.0 ms (140.0 ms) | 60.0 ms (55.0 ms) | n/a | 14× (misses) | 60.0 ms (misses) |
| jupyter | no solution | n/a | 710.0 ms (700.0 ms) | 710.0 ms (700.0 ms) | 41.0 ms (40.0 ms) | n/a | n/a | 41.0 ms (meets) |

Index requests per run (last run of each kind):
  web-service: pip 131 (41 wheel downloads), ours cold 90, ours warm 0
  dagster: pip 165 (55 wheel downloads), ours cold 110, ours warm 2
  jupyter: pip not run, ours cold 104, ours warm 0
`
	assert.Equal(t, b.String(), want, cmp.Diff(want, b.String()))
}

func TestWriteComparison(t *testing.T) {
	results := []setResult{
		{name: "web-service", packages: 41, pipCold: ms(1)},
		{name: "dagster", packages: 55, pipCold: ms(1), diffs: diffPins(
			map[string]string{"a": "1.0", "b": "2.0", "c": "3.0"},
			map[string]string{"a": "1.0", "b": "2.1", "d": "4.0"})},
		{name: "jupyter", pipCold: ms(1), pipUnsat: true, oursUnsat: "Because x.\nAnd because y, version solving failed."},
		{name: "other", pipErr: "pip is not available\nmore"},
	}
	var b strings.Builder
	writeComparison(&b, results)
	got := b.String()
	want := `
Pins, pip vs ours:
  web-service: identical (41 packages)
  dagster: 3 of 55 differ
    b                            pip 2.0          ours 2.1
    c                            pip 3.0          ours -
    d                            pip -            ours 4.0
  jupyter: both find no solution (the times above are the time to that verdict); ours explains:
    Because x.
    And because y, version solving failed.
  other: not compared (pip is not available)
`
	assert.Assert(t, strings.HasPrefix(got, want), cmp.Diff(want, got))
	assert.Assert(t, strings.Contains(got[len(want):], "choice between valid resolutions"), got)
}

func TestReportPins(t *testing.T) {
	pins, err := reportPins([]byte(`{"install": [{"metadata": {"name": "Typing_Extensions", "version": "4.7.1"}}]}`))
	assert.NilError(t, err)
	assert.DeepEqual(t, pins, map[string]string{"typing-extensions": "4.7.1"})
	_, err = reportPins([]byte(`{"install": []}`))
	assert.ErrorContains(t, err, "expected an install list")
	_, err = reportPins([]byte(`{`))
	assert.ErrorContains(t, err, "pip's report")
}
