package wheel

import (
	"encoding/json"
	"testing"

	"github.com/pydeploy/pydeploy/internal/shareddata"
)

// rows returns the rows of one table of packaging/cases.json, each decoded
// into a fresh T.
func rows[T any](t *testing.T, key string) []T {
	t.Helper()
	raw := shareddata.CaseRows(t, key)
	out := make([]T, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			t.Fatalf("%s row %s: %v", key, r, err)
		}
	}
	return out
}
