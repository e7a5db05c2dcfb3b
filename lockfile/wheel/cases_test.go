package wheel

import (
	"encoding/json"
	"os"
	"sync"
	"testing"

	"github.com/pydeploy/pydeploy/internal/shareddata"
)

var (
	casesOnce sync.Once
	cases     map[string]struct {
		Rows []json.RawMessage `json:"rows"`
	}
	casesErr error
)

// rows returns the rows of one table of packaging/cases.json, each decoded
// into a fresh T.
func rows[T any](t *testing.T, key string) []T {
	t.Helper()
	path := shareddata.Dir(t, "packaging/cases.json")
	casesOnce.Do(func() {
		data, err := os.ReadFile(path)
		if err != nil {
			casesErr = err
			return
		}
		casesErr = json.Unmarshal(data, &cases)
	})
	if casesErr != nil {
		t.Fatalf("reading cases.json: %v", casesErr)
	}
	tab, ok := cases[key]
	if !ok || len(tab.Rows) == 0 {
		t.Fatalf("cases.json has no rows for %q", key)
	}
	out := make([]T, len(tab.Rows))
	for i, r := range tab.Rows {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			t.Fatalf("%s row %s: %v", key, r, err)
		}
	}
	return out
}
