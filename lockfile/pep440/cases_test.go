package pep440

import (
	"encoding/json"
	"os"
	"sync"
	"testing"

	"github.com/pydeploy/pydeploy/internal/shareddata"
)

// caseTable is one table of ../shared/testdata/packaging/cases.json (the
// parametrize tables of pypa/packaging's test suite).
type caseTable struct {
	Source   string            `json:"source"`
	Argnames []string          `json:"argnames"`
	Rows     []json.RawMessage `json:"rows"`
}

var (
	casesOnce sync.Once
	cases     map[string]caseTable
	casesErr  error
)

// loadTable returns the rows of the named table, each split into its fields
// (a single-field table has bare values as rows).
func loadTable(t *testing.T, name string) [][]json.RawMessage {
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
		t.Fatalf("reading %s: %v", path, casesErr)
	}
	tab, ok := cases[name]
	if !ok {
		t.Fatalf("table %q not found in %s", name, path)
	}
	if len(tab.Rows) == 0 {
		t.Fatalf("table %q has no rows", name)
	}
	out := make([][]json.RawMessage, len(tab.Rows))
	for i, raw := range tab.Rows {
		if len(tab.Argnames) == 1 {
			out[i] = []json.RawMessage{raw}
			continue
		}
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatalf("table %q row %d: %v", name, i, err)
		}
		if len(out[i]) != len(tab.Argnames) {
			t.Fatalf("table %q row %d: %d fields, want %d (%v)", name, i, len(out[i]), len(tab.Argnames), tab.Argnames)
		}
	}
	return out
}

// field decodes one field of a row.
func field[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return v
}

// eachRow runs fn on every row of the table and checks (and logs) that every
// row was checked.
func eachRow(t *testing.T, name string, fn func(t *testing.T, row []json.RawMessage)) {
	t.Helper()
	rows := loadTable(t, name)
	checked := 0
	for _, row := range rows {
		fn(t, row)
		checked++
	}
	if checked != len(rows) || checked == 0 {
		t.Fatalf("%s: checked %d of %d rows", name, checked, len(rows))
	}
	t.Logf("%s: %d rows checked", name, checked)
}
