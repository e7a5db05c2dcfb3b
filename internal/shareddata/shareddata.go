// Package shareddata locates the conformance data that lives outside the
// repository, in ../shared/testdata next to the clone (pypa/packaging case
// tables, packse resolver scenarios, real PyPI metadata). The data is never
// copied into the project.
//
// Tests call Dir: in a user's clone without ../shared the test is skipped
// with a clear message; when the CI environment variable is "true" a missing
// directory is a failure instead, so CI can never pass by skipping.
package shareddata

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Root walks up from the working directory to the repository root (the
// directory holding README.md and .git or the outermost go.mod) and returns
// ../shared/testdata next to it.
func Root() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		cand := filepath.Join(dir, "..", "shared", "testdata")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return filepath.Clean(cand), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("shareddata: no ../shared/testdata next to any parent of " + wd)
		}
		dir = parent
	}
}

// Dir returns the path of sub (for example "packse" or "packaging/cases.json")
// inside the shared test data. It skips the test when the data is absent,
// unless CI=true, where absence fails the test.
func Dir(tb testing.TB, sub string) string {
	tb.Helper()
	root, err := Root()
	if err == nil {
		p := filepath.Join(root, sub)
		if _, err = os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("shared test data %q is required in CI: %v", sub, err)
	}
	tb.Skipf("shared test data %q not found (%v); it lives in ../shared/testdata next to the clone", sub, err)
	return ""
}

// caseTable is one table of packaging/cases.json (see its README): the
// parametrize tables of pypa/packaging's test suite.
type caseTable struct {
	Argnames []string          `json:"argnames"`
	Rows     []json.RawMessage `json:"rows"`
}

var (
	casesOnce sync.Once
	cases     map[string]caseTable
	casesErr  error
)

// CaseRows returns the rows of one table of packaging/cases.json, read once
// per test binary. A missing file skips (or, in CI, fails) like Dir; a
// missing or empty table fails the test.
func CaseRows(tb testing.TB, table string) []json.RawMessage {
	tb.Helper()
	_, rows := CaseTable(tb, table)
	return rows
}

// CaseTable is CaseRows with the table's argument names: a table with one
// name has bare values as rows, the others arrays of that many fields.
func CaseTable(tb testing.TB, table string) (argnames []string, rows []json.RawMessage) {
	tb.Helper()
	path := Dir(tb, "packaging/cases.json")
	casesOnce.Do(func() {
		data, err := os.ReadFile(path)
		if err != nil {
			casesErr = err
			return
		}
		casesErr = json.Unmarshal(data, &cases)
	})
	if casesErr != nil {
		tb.Fatalf("reading %s: %v", path, casesErr)
	}
	tab, ok := cases[table]
	if !ok || len(tab.Rows) == 0 {
		tb.Fatalf("%s has no rows for %q", path, table)
	}
	return tab.Argnames, tab.Rows
}
