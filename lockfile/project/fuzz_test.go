package project

import (
	"path/filepath"
	"strings"
	"testing"
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
