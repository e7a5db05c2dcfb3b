package pep508

import (
	"encoding/json"
	"testing"

	"github.com/pydeploy/pydeploy/internal/shareddata"
)

// loadTable returns the rows of one table of packaging/cases.json; tests
// skip when the shared data is absent outside CI.
func loadTable(t *testing.T, key string) []json.RawMessage {
	t.Helper()
	return shareddata.CaseRows(t, key)
}

// strings1 decodes a table whose rows are bare strings.
func strings1(t *testing.T, key string) []string {
	t.Helper()
	var out []string
	for _, r := range loadTable(t, key) {
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			t.Fatalf("%s: row %s: %v", key, r, err)
		}
		out = append(out, s)
	}
	return out
}

// tuples decodes rows that are arrays into []json.RawMessage per row.
func tuples(t *testing.T, key string) [][]json.RawMessage {
	t.Helper()
	var out [][]json.RawMessage
	for _, r := range loadTable(t, key) {
		var row []json.RawMessage
		if err := json.Unmarshal(r, &row); err != nil {
			t.Fatalf("%s: row %s: %v", key, r, err)
		}
		out = append(out, row)
	}
	return out
}

func str(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("decoding %s as string: %v", raw, err)
	}
	return s
}

// optStr decodes a string or null.
func optStr(t *testing.T, raw json.RawMessage) (string, bool) {
	t.Helper()
	var s *string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("decoding %s as string or null: %v", raw, err)
	}
	if s == nil {
		return "", false
	}
	return *s, true
}
