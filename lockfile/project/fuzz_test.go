package project

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

// FuzzRequirementsFile checks that a requirements file of any content gives
// requirements or an error naming the file, never a panic.
func FuzzRequirementsFile(f *testing.F) {
	for _, s := range []string{
		"fastapi>=0.110  # web\nuvicorn[standard] \\\n  >=0.29 ; python_version >= \"3.11\"\n",
		"-r other.in\n-c c.txt\n--constraint=c.txt\n",
		"https://files.example.org/a/pkg-1.0-py3-none-any.whl\n",
		"git+https://github.com/org/repo#egg=repo\n",
		"a==${VERSION}\n",
		"name; " + strings.Repeat("(", 500) + "os_name == 'nt'" + strings.Repeat(")", 500),
		"\ufeffa\r\nb\\\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "requirements.in")
		l := &loader{seen: map[string]bool{}}
		if err := l.parse(path, data, false); err != nil && !strings.Contains(err.Error(), path) {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

// FuzzPyProject checks that a pyproject.toml of any content gives a project
// or an error naming the file, never a panic.
func FuzzPyProject(f *testing.F) {
	for _, s := range []string{
		pyproject,
		"[tool.poetry]\nname = 'x'\n",
		"[project]\ndependencies = 'x'\n",
		"[dependency-groups]\na = [{include-group = 'b'}]\nb = [{include-group = 'a'}]\n",
		"a = " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parsePyProject("pyproject.toml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "pyproject.toml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		_, _ = p.Requirements(nil, nil)
	})
}

// TestFuzzCorpus keeps the committed seed corpus honest: the seeds named
// valid-* load without error, the invalid-* ones give an error naming the
// file.
func TestFuzzCorpus(t *testing.T) {
	t.Parallel()
	for _, fuzz := range []string{"FuzzPyProject", "FuzzRequirementsFile"} {
		paths, err := filepath.Glob(filepath.Join("testdata", "fuzz", fuzz, "*"))
		assert.NilError(t, err)
		assert.Assert(t, len(paths) > 10, "%s has a seed corpus", fuzz)
		for _, p := range paths {
			name := filepath.Base(p)
			if !strings.HasPrefix(name, "valid-") && !strings.HasPrefix(name, "invalid-") {
				continue
			}
			t.Run(fuzz+"/"+name, func(t *testing.T) {
				data := corpusBytes(t, p)
				var err error
				file := filepath.Join(t.TempDir(), "input")
				if fuzz == "FuzzPyProject" {
					var pr *Project
					if pr, err = parsePyProject(file, data); err == nil {
						_, err = pr.Requirements(nil, nil)
						if len(pr.DependencyGroups) > 0 && len(pr.Dependencies) == 0 {
							_, err = pr.Requirements(nil, sortedKeys(pr.DependencyGroups))
						}
					}
				} else {
					l := &loader{seen: map[string]bool{}}
					err = l.parse(file, data, false)
				}
				if strings.HasPrefix(name, "valid-") {
					assert.NilError(t, err)
					return
				}
				assert.ErrorContains(t, err, file)
			})
		}
	}
}

// corpusBytes decodes a one-value []byte file in the "go test fuzz v1"
// format.
func corpusBytes(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	assert.NilError(t, err)
	header, body, ok := strings.Cut(strings.TrimSpace(string(raw)), "\n")
	assert.Assert(t, ok && header == "go test fuzz v1", "%s: not a fuzz corpus file", path)
	lit, ok := strings.CutPrefix(body, "[]byte(")
	assert.Assert(t, ok, "%s: want one []byte value", path)
	s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
	assert.NilError(t, err, path)
	return []byte(s)
}
