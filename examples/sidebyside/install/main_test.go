package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

func TestFlags(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, run([]string{"-runs", "0"}, &bytes.Buffer{}, &stderr), 2)
	assert.Assert(t, strings.Contains(stderr.String(), "-runs: expected at least 1"), stderr.String())
	stderr.Reset()
	assert.Equal(t, run([]string{"-shared", t.TempDir()}, &bytes.Buffer{}, &stderr), 2)
	assert.Assert(t, strings.Contains(stderr.String(), "expected the PyPI fixture in pypi/roots.json"), stderr.String())
	assert.Equal(t, run([]string{"-h"}, &bytes.Buffer{}, &bytes.Buffer{}), 0)
}

func TestTable(t *testing.T) {
	var out bytes.Buffer
	writeTable(&out, 3, []result{{set: "jupyter", packages: 73, files: 443,
		pipCold: []time.Duration{6 * time.Second, 5 * time.Second, 7 * time.Second}, installCold: []time.Duration{300 * time.Millisecond, 250 * time.Millisecond, 400 * time.Millisecond},
		pipWarm: []time.Duration{5 * time.Second}, install: []time.Duration{200 * time.Millisecond},
		imageCold: []time.Duration{time.Second}, image: []time.Duration{900 * time.Millisecond}}})
	assert.Assert(t, strings.Contains(out.String(), "| jupyter | 73 (443) | 6.00 s (5.00 s) | 300 ms (250 ms) | 5.00 s | 200 ms | 20× | 25× | 1.00 s | 900 ms | n/a |"), out.String())
}
