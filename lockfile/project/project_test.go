package project

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/fs"
)

func strs(reqs []pep508.Requirement) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.String())
	}
	return out
}

const pyproject = `
[project]
name = "My_App"
requires-python = ">=3.11"
dependencies = ["fastapi>=0.110", "uvicorn[standard]"]
[project.optional-dependencies]
DB = ["sqlalchemy>=2"]
all = ["my-app[db]", "redis"]

[dependency-groups]
test = ["pytest>=8", {include-group = "lint"}]
Lint = ["ruff"]
dev = [{include-group = "test"}, "ipython"]
`

func TestLoadPyProject(t *testing.T) {
	t.Parallel()
	dir := fs.NewDir(t, "pp", fs.WithFile("pyproject.toml", pyproject))
	p, err := LoadPyProject(dir.Join("pyproject.toml"))
	assert.NilError(t, err)
	assert.Equal(t, p.Name, "My_App")
	assert.Equal(t, p.RequiresPython, ">=3.11")
	assert.DeepEqual(t, strs(p.DependencyGroups["dev"]), []string{"pytest>=8", "ruff", "ipython"})
	assert.DeepEqual(t, strs(p.OptionalDependencies["db"]), []string{"sqlalchemy>=2"})

	reqs, err := p.Requirements([]string{"all"}, []string{"LINT"})
	assert.NilError(t, err)
	assert.DeepEqual(t, strs(reqs), []string{"fastapi>=0.110", "uvicorn[standard]", "sqlalchemy>=2", "redis", "ruff"})
	_, err = p.Requirements([]string{"nope"}, nil)
	assert.ErrorContains(t, err, `extra "nope" is not defined in project.optional-dependencies (defined: ["all" "db"])`)
	_, err = p.Requirements(nil, []string{"docs"})
	assert.ErrorContains(t, err, `dependency group "docs" is not defined`)
}

func TestRequirementsNothingToLock(t *testing.T) {
	t.Parallel()
	dir := fs.NewDir(t, "pp",
		fs.WithFile("empty.toml", "[project]\nname = 'x'\ndependencies = []\n[dependency-groups]\ndev = ['pytest']\n"),
		fs.WithFile("groups.toml", "[dependency-groups]\ndev = ['pytest']\n"))
	p, err := LoadPyProject(dir.Join("empty.toml"))
	assert.NilError(t, err)
	_, err = p.Requirements(nil, nil)
	assert.ErrorContains(t, err, `empty.toml: nothing to lock: project.dependencies is empty and the selected extras [] and groups [] add none`)
	reqs, err := p.Requirements(nil, []string{"dev"})
	assert.NilError(t, err)
	assert.DeepEqual(t, strs(reqs), []string{"pytest"})

	// PEP 735 groups need no [project] table.
	p, err = LoadPyProject(dir.Join("groups.toml"))
	assert.NilError(t, err)
	_, err = p.Requirements(nil, nil)
	assert.ErrorContains(t, err, `groups.toml: nothing to lock: there is no [project] table`)
	reqs, err = p.Requirements(nil, []string{"dev"})
	assert.NilError(t, err)
	assert.DeepEqual(t, strs(reqs), []string{"pytest"})
}

func TestLoadPyProjectErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, content, want string }{
		{"cycle", "[dependency-groups]\na = [{include-group = 'b'}]\nb = [{include-group = 'a'}]", "include cycle a -> b -> a"},
		{"self cycle", "[dependency-groups]\na = [{include-group = 'A'}]", "include cycle a -> a"},
		{"unknown include", "[dependency-groups]\na = [{include-group = 'zz'}]", `dependency-groups.a[0]: include-group "zz" names no group`},
		{"bad table", "[dependency-groups]\na = [{include = 'b'}]", `dependency-groups.a[0]: expected a requirement string or {include-group = "name"}`},
		{"bad item", "[dependency-groups]\na = [1]", `dependency-groups.a[0]: expected a requirement string or {include-group = "name"}, found an integer`},
		{"exponential includes", "[dependency-groups]\n" + doublingGroups(20), "dependency-groups.g03: its includes expand to more than 100000 requirements"},
		{"duplicate group", "[dependency-groups]\nFoo = []\nfoo = []", `"Foo" and "foo" are the same group`},
		{"bad requirement", "[project]\nname = 'x'\ndependencies = ['ok', 'bad req here']", "project.dependencies[1]: invalid requirement"},
		{"bad extra req", "[project]\nname = 'x'\n[project.optional-dependencies]\ne = ['x[']", "project.optional-dependencies.e[0]"},
		{"dynamic", "[project]\nname = 'x'\ndynamic = ['dependencies']", "project.dependencies is dynamic"},
		{"requires-python", "[project]\nname = 'x'\nrequires-python = '3.11'", "project.requires-python"},
		{"toml", "[project\n", "pyproject.toml:1:"},
		{"byte order mark", "\ufeff[project]\nname = 'x'", "pyproject.toml: the file starts with a UTF-8 byte order mark, which TOML does not allow"},
		{"type", "[project]\ndependencies = 'x'", "pyproject.toml: project.dependencies: expected an array of strings, found a string"},
		{"type in array", "[project]\ndependencies = ['a', 2]", "project.dependencies[1]: expected a string, found an integer"},
		{"type of name", "[project]\nname = 1", "project.name: expected a string, found an integer"},
		{"type of requires-python", "[project]\nrequires-python = 3.11", "project.requires-python: expected a string, found a float"},
		{"type of project", "project = 'x'", "project: expected a table, found a string"},
		{"type of extras", "[project]\noptional-dependencies = ['a']", "project.optional-dependencies: expected a table, found an array"},
		{"type of an extra", "[project.optional-dependencies]\nweb = 'x'", "project.optional-dependencies.web: expected an array of strings, found a string"},
		{"type of a group", "[dependency-groups]\ndev = 'pytest'", "dependency-groups.dev: expected an array, found a string"},
		{"type of dynamic", "[project]\ndynamic = 'dependencies'", "project.dynamic: expected an array of strings, found a string"},
		{"poetry", "[tool.poetry]\nname = 'x'\n[tool.poetry.dependencies]\npython = '^3.11'\n[build-system]\nrequires = ['poetry-core']",
			"no [project] table (PEP 621) and no [dependency-groups], so there is nothing to lock; found [build-system], [tool.poetry]; this is a Poetry project"},
		{"typo", "[projcet]\nname = 'x'", "found [projcet]; did you mean [project] instead of [projcet]?"},
		{"empty", "", "nothing to lock; found nothing"},
		{"tools only", "[tool.black]\nline-length = 100", "found [tool.black]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := fs.NewDir(t, "pp", fs.WithFile("pyproject.toml", tc.content))
			_, err := LoadPyProject(dir.Join("pyproject.toml"))
			assert.ErrorContains(t, err, tc.want)
		})
	}
	_, err := LoadPyProject(filepath.Join(t.TempDir(), "missing.toml"))
	assert.Assert(t, os.IsNotExist(err))
}

func TestLoadRequirements(t *testing.T) {
	t.Parallel()
	dir := fs.NewDir(t, "req",
		fs.WithFile("requirements.in", strings.Join([]string{
			"# service deps",
			"fastapi>=0.110  # web",
			"",
			"uvicorn[standard] \\",
			"   >=0.29 ; python_version >= \"3.11\"",
			"-r common.in",
			"-c constraints.txt",
			"--constraint=constraints.txt",
			"pkg @ https://example.org/pkg-1.0.tar.gz#sha256=abc",
		}, "\n")),
		fs.WithFile("common.in", "Requests\r\n-r requirements.in\r\n"),
		fs.WithDir("sub", fs.WithFile("more.txt", "idna<4\n")),
		fs.WithFile("constraints.txt", "pydantic<3\n-c sub/more.txt\n-r sub/more.txt\n"),
	)
	r, err := LoadRequirements(dir.Join("requirements.in"))
	assert.NilError(t, err)
	var got []string
	for _, q := range r.Requirements {
		got = append(got, filepath.Base(q.File)+":"+strconv.Itoa(q.Line)+" "+q.String())
	}
	assert.DeepEqual(t, got, []string{
		"requirements.in:2 fastapi>=0.110",
		`requirements.in:4 uvicorn[standard]>=0.29; python_version >= "3.11"`,
		"common.in:1 Requests",
		"requirements.in:9 pkg @ https://example.org/pkg-1.0.tar.gz#sha256=abc",
	})
	reqs, cons := r.Lists()
	assert.Equal(t, len(reqs), 4)
	assert.DeepEqual(t, strs(cons), []string{"pydantic<3", "idna<4"})
}

func TestLoadRequirementsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, content, want string }{
		{"editable", "ok\n-e ./src", "requirements.in:2: option -e is not supported in a lock input: editable installs"},
		{"hash", "a==1 \\\n  --hash=sha256:abc", "requirements.in:1: option --hash is not supported in a lock input: hashes are written by the lock"},
		{"index", "--index-url https://user:pw@x/simple", "requirements.in:1: option --index-url is not supported"},
		{"unknown option", "--frobnicate", "requirements.in:1: unknown option --frobnicate"},
		{"bad requirement", "\n\nfoo >= 1 2", "requirements.in:3: invalid requirement"},
		{"bare path", "./src/pkg", "requirements.in:1: local path ./src/pkg: a lock must hold files an image build can fetch"},
		{"absolute path", "/wheels/a-1.0-py3-none-any.whl", "requirements.in:1: local path /wheels/a-1.0-py3-none-any.whl"},
		{"file URL", "a @ file:///wheels/a-1.0-py3-none-any.whl", "requirements.in:1: local file reference file:///wheels/a-1.0-py3-none-any.whl"},
		{"vcs egg", "git+https://user:pw@github.com/org/repo@v1.0#egg=repo", "requirements.in:1: VCS reference git+https://github.com/org/repo@v1.0#egg=repo: a version-control checkout cannot be locked without building it"},
		{"vcs named", "repo @ git+https://github.com/org/repo@v1.0", "requirements.in:1: VCS reference git+https://github.com/org/repo@v1.0"},
		{"editable vcs", "-e git+https://github.com/org/repo#egg=repo", "requirements.in:1: option -e is not supported in a lock input"},
		{"unset variable", "a==${PYDEPLOY_TEST_UNSET_VERSION}", "requirements.in:1: environment variable ${PYDEPLOY_TEST_UNSET_VERSION} is not set"},
		{"bare URL without a name", "https://example.org/download?id=3", "requirements.in:1: invalid requirement"},
		{"missing include", "-r nope.in", "requirements.in:1: open"},
		{"empty include", "-r", "requirements.in:1: option -r needs a file name"},
		{"constraint extras", "-c c.txt", "c.txt:1: constraint \"x[y]<2\" names extras"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := fs.NewDir(t, "req", fs.WithFile("requirements.in", tc.content), fs.WithFile("c.txt", "x[y]<2\n"))
			_, err := LoadRequirements(dir.Join("requirements.in"))
			assert.ErrorContains(t, err, tc.want)
			assert.Assert(t, !strings.Contains(err.Error(), "pw@"), "credentials leaked: %v", err)
		})
	}
}

// TestLoadRequirementsPipSyntax: what pip's requirements parser accepts and
// a lock can hold.
func TestLoadRequirementsPipSyntax(t *testing.T) {
	t.Setenv("PYDEPLOY_TEST_FASTAPI", "0.110")
	t.Setenv("PYDEPLOY_TEST_HOST", "files.example.org")
	dir := fs.NewDir(t, "req", fs.WithFile("requirements.in", strings.Join([]string{
		"fastapi>=${PYDEPLOY_TEST_FASTAPI}",
		"https://${PYDEPLOY_TEST_HOST}/a/My_Pkg-1.0-py3-none-any.whl",
		"https://files.example.org/b/other-pkg-2.0.tar.gz#sha256=00ff",
		"https://files.example.org/dl?id=7#egg=named",
		"direct @ https://files.example.org/direct-3.0-py3-none-any.whl",
	}, "\n")))
	r, err := LoadRequirements(dir.Join("requirements.in"))
	assert.NilError(t, err)
	var got []string
	for _, q := range r.Requirements {
		got = append(got, q.String())
	}
	assert.DeepEqual(t, got, []string{
		"fastapi>=0.110",
		"my-pkg @ https://files.example.org/a/My_Pkg-1.0-py3-none-any.whl",
		"other-pkg @ https://files.example.org/b/other-pkg-2.0.tar.gz#sha256=00ff",
		"named @ https://files.example.org/dl?id=7#egg=named",
		"direct @ https://files.example.org/direct-3.0-py3-none-any.whl",
	})
}

func mustReqs(t *testing.T, ss ...string) []pep508.Requirement {
	t.Helper()
	var out []pep508.Requirement
	for _, s := range ss {
		r, err := pep508.Parse(s)
		assert.NilError(t, err)
		out = append(out, r)
	}
	return out
}

func TestInputs(t *testing.T) {
	t.Parallel()
	in := Inputs{
		Requirements:   mustReqs(t, "FastAPI >= 0.110", "uvicorn", "uvicorn"),
		Constraints:    mustReqs(t, "pydantic<3"),
		RequiresPython: ">= 3.12",
		Extras:         []string{"Web_Extra"},
		IndexURLs:      []string{"HTTPS://user:secret@Pypi.Example.org/simple/"},
		Targets:        []string{"python3.12-manylinux_2_36_x86_64"},
		ExcludeNewer:   time.Date(2026, 11, 1, 1, 0, 0, 0, time.FixedZone("x", 3600)),
	}
	items, err := in.Items()
	assert.NilError(t, err)
	assert.DeepEqual(t, items, []string{
		"constraint:pydantic<3",
		"exclude-newer:2026-11-01T00:00:00Z",
		"extra:web-extra",
		"index:https://pypi.example.org/simple/",
		"requires-python:>=3.12",
		"requires:fastapi>=0.110",
		"requires:uvicorn",
		"target:cp312-manylinux_2_36_x86_64",
	})
	assert.Equal(t, InputHash(items), InputHash(append([]string(nil), items...)))
	assert.Assert(t, InputHash(items) != InputHash(items[1:]))
	assert.Assert(t, strings.HasPrefix(InputHash(nil), "sha256:"))

	bad := in
	bad.Targets = []string{"nonsense"}
	_, err = bad.Items()
	assert.ErrorContains(t, err, "inputs: target")
	bad = in
	bad.IndexURLs = []string{"https://u:secret@host/%zz"}
	_, err = bad.Items()
	assert.ErrorContains(t, err, "cannot parse URL")
	assert.Assert(t, !strings.Contains(err.Error(), "secret"))
	bad.IndexURLs = []string{"/relative/simple"}
	_, err = bad.Items()
	assert.ErrorContains(t, err, "needs a scheme and a host")
}

func TestDiff(t *testing.T) {
	t.Parallel()
	old := []string{"exclude-newer:2026-01-01T00:00:00Z", "index:https://a/simple", "requires:fastapi>=0.110", "requires:requests", "requires-python:>=3.11"}
	cur := []string{"exclude-newer:2026-02-01T00:00:00Z", "index:https://b/simple", "requires:fastapi>=0.111", "requires:httpx", "requires-python:>=3.11"}
	var got []string
	for _, c := range Diff(old, cur) {
		got = append(got, c.String())
	}
	assert.DeepEqual(t, got, []string{
		"changed exclude-newer 2026-01-01T00:00:00Z → 2026-02-01T00:00:00Z",
		"removed index https://a/simple",
		"added index https://b/simple",
		"changed requirement fastapi>=0.110 → fastapi>=0.111",
		"added requirement httpx",
		"removed requirement requests",
	})
	assert.Equal(t, len(Diff(cur, cur)), 0)
}

// TestLoadBounded: a file over MaxFileSize is refused naming the file, the
// limit and the size found, and a named pipe (here one whose writer never
// closes it) is refused at once instead of blocking the read.
func TestLoadBounded(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("# padding\n", MaxFileSize/10+1)
	dir := fs.NewDir(t, "big", fs.WithFile("pyproject.toml", "[project]\nname = 'x'\n"+big), fs.WithFile("requirements.in", "a\n"+big))
	_, err := LoadPyProject(dir.Join("pyproject.toml"))
	assert.Error(t, err, dir.Join("pyproject.toml")+": the file is "+strconv.Itoa(len(big)+21)+" bytes, more than the 1048576 a pyproject.toml may have")
	_, err = LoadRequirements(dir.Join("requirements.in"))
	assert.Error(t, err, dir.Join("requirements.in")+": the file is "+strconv.Itoa(len(big)+2)+" bytes, more than the 1048576 a requirements file may have")

	fifo := filepath.Join(t.TempDir(), "pyproject.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	assert.NilError(t, err)
	defer r.Close()
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	assert.NilError(t, err)
	defer w.Close()
	_, err = w.WriteString("[project]\nname = 'x'\n")
	assert.NilError(t, err)
	_, err = LoadPyProject(fifo)
	assert.Error(t, err, fifo+": not a regular file (a named pipe)")
	_, err = LoadRequirements(fifo)
	assert.Error(t, err, fifo+": not a regular file (a named pipe)")
}

// doublingGroups returns n groups g00…, each including the next one twice,
// so that g00 expands to 2^n requirements.
func doublingGroups(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "g%02d = [{include-group = 'g%02d'}, {include-group = 'g%02d'}]\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "g%02d = ['a']\n", n)
	return b.String()
}
