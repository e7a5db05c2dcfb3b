package pep440

import (
	"encoding/json"
	"testing"

	"github.com/pydeploy/pydeploy/internal/shareddata"
)

// loadTable returns the rows of the named table of packaging/cases.json,
// each split into its fields (a single-field table has bare values as rows).
func loadTable(t *testing.T, name string) [][]json.RawMessage {
	t.Helper()
	argnames, rows := shareddata.CaseTable(t, name)
	tab := struct {
		Argnames []string
		Rows     []json.RawMessage
	}{argnames, rows}
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
