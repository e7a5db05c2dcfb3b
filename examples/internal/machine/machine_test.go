package machine

import (
	"runtime"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

func TestProbes(t *testing.T) {
	cpu := CPUModel()
	assert.Assert(t, cpu != "")
	load := LoadAverage()
	if runtime.GOOS == "linux" {
		assert.Equal(t, len(strings.Fields(load)), 3, load)
	}
}
