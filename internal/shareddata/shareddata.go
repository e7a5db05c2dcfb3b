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
	"errors"
	"os"
	"path/filepath"
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
