package install

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/shareddata"
	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
)

// hostPython is the real CPython of this machine.
type hostPython struct {
	exe, version string
}

var (
	pyOnce sync.Once
	pyHost hostPython
	pyErr  error
)

// realPython finds python3 and pip; without them the test is skipped,
// except in CI, where they are required.
func realPython(t testing.TB) hostPython {
	t.Helper()
	pyOnce.Do(func() {
		var out []byte
		out, pyErr = exec.Command("python3", "-c", "import sys; print(sys.executable); print(sys.version.split()[0]); import pip").Output()
		if pyErr == nil {
			lines := strings.Fields(string(out))
			pyHost = hostPython{exe: lines[0], version: lines[1]}
		}
	})
	if pyErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 with pip is required in CI: %v", pyErr)
		}
		t.Skipf("python3 with pip is not available: %v", pyErr)
	}
	if !strings.HasPrefix(pyHost.version, "3.11.") {
		t.Skipf("the host interpreter is Python %s; these tests lock for %s", pyHost.version, hostTarget)
	}
	return pyHost
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "PIP_CONFIG_FILE=/dev/null", "PIP_NO_INPUT=1", "PIP_DISABLE_PIP_VERSION_CHECK=1", "PYTHONDONTWRITEBYTECODE=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	assert.NilError(t, err, "%s %s\n%s%s", name, strings.Join(args, " "), out, stderr.String())
	return string(out)
}

// pipInstall makes what a Dockerfile running pip makes: a venv
// (python3 -m venv --without-pip) and pip 23 installing the exported
// requirements into it, without bytecode (see Install's doc). It runs the
// interpreter realPython checked, not whatever python3 is first on PATH.
func pipInstall(t testing.TB, py hostPython, dir, requirements string) {
	t.Helper()
	run(t, py.exe, "-m", "venv", "--without-pip", dir)
	run(t, py.exe, "-m", "pip", "--python", filepath.Join(dir, "bin", "python"), "install", "--quiet",
		"--no-deps", "--require-hashes", "--no-compile", "--no-cache-dir", "-r", requirements)
}

// comparable lists an environment with the intended differences between
// Install and pip taken out: INSTALLER says "pydeploy" (and RECORD hashes
// it), pyvenv.cfg has no "command" line (no venv command ran) and names
// the interpreter as given rather than resolved ("executable"), and
// python -m venv's activate scripts are absent.
func comparable(t testing.TB, dir string) map[string]entry {
	t.Helper()
	tr := tree(t, dir, false)
	for _, name := range []string{"activate", "activate.csh", "activate.fish", "Activate.ps1"} {
		delete(tr, "bin/"+name)
	}
	rewrite := func(p string, f func(string) string) {
		data, err := os.ReadFile(filepath.Join(dir, p))
		assert.NilError(t, err)
		s := f(string(data))
		sum := sha256.Sum256([]byte(s))
		e := tr[p]
		e.Size, e.SHA256 = int64(len(s)), hex.EncodeToString(sum[:])
		tr[p] = e
	}
	for p := range tr {
		switch {
		case strings.HasSuffix(p, ".dist-info/INSTALLER"):
			rewrite(p, func(string) string { return "<installer>\n" })
		case strings.HasSuffix(p, ".dist-info/RECORD"):
			rewrite(p, func(s string) string {
				lines := strings.Split(s, "\r\n")
				for i, l := range lines {
					if path, _, ok := strings.Cut(l, ","); ok && strings.HasSuffix(path, ".dist-info/INSTALLER") {
						lines[i] = path + ",<installer>"
					}
				}
				return strings.Join(lines, "\r\n")
			})
		case p == "pyvenv.cfg":
			rewrite(p, func(s string) string {
				var keep []string
				for l := range strings.SplitSeq(s, "\n") {
					if !strings.HasPrefix(l, "command = ") && !strings.HasPrefix(l, "executable = ") {
						keep = append(keep, l)
					}
				}
				return strings.Join(keep, "\n")
			})
		}
	}
	return tr
}

// checkAgainstPip installs l with Install and with pip, compares the two
// trees, then checks the environment Install wrote with the real
// interpreter: importlib.metadata sees exactly the locked versions, every
// top-level module imports, and pip check passes.
func checkAgainstPip(t *testing.T, srv *testindex.Server, l *pylock.Lock, py hostPython) string {
	t.Helper()
	base := t.TempDir()
	reqFile := filepath.Join(base, "requirements.txt")
	var req bytes.Buffer
	assert.NilError(t, Export(&req, l, ExportOptions{PythonVersion: py.version}))
	assert.NilError(t, os.WriteFile(reqFile, req.Bytes(), 0o644))
	envDir := filepath.Join(base, "env")
	pipInstall(t, py, envDir, reqFile)

	ours := filepath.Join(base, "ours")
	res, err := Install(context.Background(), l, ours, Options{Client: newClient(t, srv, ""), Prefix: envDir,
		Python: Python{Executable: py.exe, Version: py.version}})
	assert.NilError(t, err)
	assert.DeepEqual(t, comparable(t, ours), comparable(t, envDir))

	// Put ours where it expects to live and run it.
	assert.NilError(t, os.RemoveAll(envDir))
	assert.NilError(t, os.Rename(ours, envDir))
	checkWithPython(t, envDir, res, py)
	return envDir
}

const inspect = `
import importlib, importlib.metadata as md, json, re, sys
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
versions = {norm(d.metadata["Name"]): d.version for d in md.distributions()}
failed = {}
for d in md.distributions():
    tops = set()
    for f in d.files or []:
        parts = f.parts
        if parts[0] == ".." or parts[0].endswith((".dist-info", ".data")):
            continue
        if len(parts) == 1 and parts[0].endswith(".py"):
            tops.add(parts[0][:-3])
        elif len(parts) == 2 and parts[1] == "__init__.py":
            tops.add(parts[0])
    for m in sorted(tops):
        try:
            mod = importlib.import_module(m)
            if m not in sys.stdlib_module_names and not (mod.__file__ or "").startswith(sys.prefix):
                failed[m] = "imported from " + str(mod.__file__)
        except Exception as e:
            failed[m] = repr(e)
print(json.dumps({"versions": versions, "failed": failed, "prefix": sys.prefix, "base": sys.base_prefix}))
`

func checkWithPython(t *testing.T, envDir string, res *Result, py hostPython) {
	t.Helper()
	out := run(t, filepath.Join(envDir, "bin", "python"), "-c", inspect)
	var got struct {
		Versions map[string]string
		Failed   map[string]string
		Prefix   string
		Base     string
	}
	assert.NilError(t, json.Unmarshal([]byte(out), &got), out)
	want := map[string]string{}
	for _, p := range res.Packages {
		want[p.Name] = p.Version
	}
	assert.DeepEqual(t, got.Versions, want)
	assert.DeepEqual(t, got.Failed, map[string]string{})
	assert.Equal(t, got.Prefix, envDir, "the environment is a venv")
	assert.Assert(t, got.Base != envDir)
	out = run(t, py.exe, "-m", "pip", "--python", filepath.Join(envDir, "bin", "python"), "check")
	assert.Assert(t, strings.Contains(out, "No broken requirements found"), out)
}

func TestInstallMatchesPipRich(t *testing.T) {
	t.Parallel()
	py := realPython(t)
	srv := testindex.StartT(t, richIndex(), testindex.Options{})
	l := lockFor(t, srv, hostTarget, "toolkit-plugin")
	env := checkAgainstPip(t, srv, l, py)
	// The launchers and the rewritten script run with the environment's
	// interpreter.
	for _, tc := range []struct{ cmd, want string }{
		{"toolkit", "toolkit 1.2.0\n"},
		{"toolkit-admin", "admin\n"},
		{"toolkit-gui", "toolkit 1.2.0\n"},
		{"toolkit-report", "report 1.2.0\n"},
		{"toolkit-env.sh", "env\n"},
	} {
		assert.Equal(t, run(t, filepath.Join(env, "bin", tc.cmd)), tc.want)
	}
}

func TestInstallMatchesPipPayments(t *testing.T) {
	t.Parallel()
	py := realPython(t)
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	// The quickstart's inputs (examples/quickstart/payments-api), locked for
	// the interpreter on this machine so that it can import the result.
	roots, requiresPython := quickstartInputs(t)
	l, err := lockfile.Lock(context.Background(), project.Inputs{
		Requirements:   roots,
		RequiresPython: requiresPython,
		IndexURLs:      []string{srv.SimpleURL()},
		Targets:        []string{hostTarget},
		ExcludeNewer:   testindex.PaymentsExcludeNewer,
	}, lockfile.Options{})
	assert.NilError(t, err)
	checkAgainstPip(t, srv, l, py)
}

func TestInstallMatchesPipPyPIRootSets(t *testing.T) {
	t.Parallel()
	py := realPython(t)
	dir := shareddata.Dir(t, "pypi")
	for _, set := range []string{"web-service", "jupyter", "dagster"} {
		t.Run(set, func(t *testing.T) {
			t.Parallel()
			ix, root, err := testindex.FromPyPI(dir, set)
			assert.NilError(t, err)
			srv := testindex.StartT(t, ix, testindex.Options{})
			l, err := lockfile.Lock(context.Background(), project.Inputs{
				Requirements: reqs(t, root.Requirements...),
				IndexURLs:    []string{srv.SimpleURL()},
				Targets:      []string{hostTarget},
				ExcludeNewer: root.Cutoff,
			}, lockfile.Options{})
			assert.NilError(t, err)
			checkAgainstPip(t, srv, l, py)
		})
	}
}

// quickstartPyProject is the pyproject.toml examples/quickstart locks (it
// embeds this very file), read from here so the tests cannot drift from it.
var quickstartPyProject = filepath.Join("..", "..", "examples", "quickstart", "payments-api", "pyproject.toml")

// quickstartInputs returns what the quickstart locks from its
// pyproject.toml: the base dependencies and requires-python.
func quickstartInputs(t *testing.T) ([]pep508.Requirement, string) {
	t.Helper()
	proj, err := project.LoadPyProject(quickstartPyProject)
	assert.NilError(t, err)
	roots, err := proj.Requirements(nil, nil)
	assert.NilError(t, err)
	return roots, proj.RequiresPython
}

// The quickstart's own lock is for CPython 3.12, which this machine's
// Python cannot import; pip can still install it for that target
// (--target with --python-version/--platform), and site-packages must come
// out identical. The inputs are the quickstart's: its pyproject.toml's
// dependencies, requires-python and target.
func TestInstallMatchesPipQuickstartLockForCp312(t *testing.T) {
	t.Parallel()
	realPython(t)
	roots, requiresPython := quickstartInputs(t)
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	l, err := lockfile.Lock(context.Background(), project.Inputs{
		Requirements:   roots,
		RequiresPython: requiresPython,
		IndexURLs:      []string{srv.SimpleURL()},
		Targets:        []string{"cp312-manylinux_2_36_x86_64"},
		ExcludeNewer:   testindex.PaymentsExcludeNewer,
	}, lockfile.Options{})
	assert.NilError(t, err)
	base := t.TempDir()
	var req bytes.Buffer
	assert.NilError(t, Export(&req, l, ExportOptions{}))
	reqFile := filepath.Join(base, "requirements.txt")
	assert.NilError(t, os.WriteFile(reqFile, req.Bytes(), 0o644))
	pipDir := filepath.Join(base, "pip-target")
	args := []string{"-m", "pip", "install", "--quiet", "--no-deps", "--require-hashes", "--no-compile", "--no-cache-dir",
		"--target", pipDir, "--python-version", "3.12", "--implementation", "cp", "--abi", "cp312", "--only-binary=:all:", "-r", reqFile}
	// pip expands only the legacy manylinux2014/2010 names: name every tag
	// the target accepts.
	for _, p := range mustTarget(t, "cp312-manylinux_2_36_x86_64").Platform.Tags() {
		args = append(args, "--platform", p)
	}
	run(t, "python3", args...)
	res, err := Install(context.Background(), l, filepath.Join(base, "ours"), Options{Client: newClient(t, srv, "")})
	assert.NilError(t, err)
	assert.Equal(t, len(res.Packages), 20)
	assert.DeepEqual(t, comparable(t, filepath.Join(res.Dir, res.SitePackages)), comparable(t, pipDir))
}
