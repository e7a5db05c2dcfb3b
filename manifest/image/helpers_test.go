package image

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/internal/testregistry"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

const (
	amd64Target = "cp312-manylinux_2_36_x86_64"
	armTarget   = "cp312-manylinux_2_36_aarch64"
)

// webIndex is a small service's dependencies, with a console script.
func webIndex() *testindex.Index {
	ix := testindex.New()
	srv := testindex.Pure("1.4.0", "idna>=3")
	srv.EntryPoints = "[console_scripts]\nwebserve = webserve:main\n"
	srv.WheelExtras = []testindex.WheelEntry{{Name: "webserve/__main__.py", Data: []byte("print('serving')\n")}}
	ix.Add("webserve", srv)
	ix.Add("idna", testindex.Pure("3.7"))
	return ix
}

func reqs(t testing.TB, ss ...string) []pep508.Requirement {
	t.Helper()
	var out []pep508.Requirement
	for _, s := range ss {
		r, err := pep508.Parse(s)
		assert.NilError(t, err)
		out = append(out, r)
	}
	return out
}

func lockFor(t testing.TB, srv *testindex.Server, target string, requirements ...string) *pylock.Lock {
	t.Helper()
	return lockForTargets(t, srv, []string{target}, requirements...)
}

// lockForTargets locks for several targets: one universal lock.
func lockForTargets(t testing.TB, srv *testindex.Server, targets []string, requirements ...string) *pylock.Lock {
	t.Helper()
	l, err := lockfile.Lock(context.Background(), project.Inputs{Requirements: reqs(t, requirements...),
		IndexURLs: []string{srv.SimpleURL()}, Targets: targets}, lockfile.Options{})
	assert.NilError(t, err)
	return l
}

func newClient(t testing.TB, srv *testindex.Server) *simpleapi.Client {
	t.Helper()
	c, err := simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.SimpleURL()}}, CacheDir: t.TempDir(), NoNetrc: true})
	assert.NilError(t, err)
	return c
}

// world is an index, a registry with the stand-in base, and a lock for
// amd64Target.
type world struct {
	idx  *testindex.Server
	reg  *testregistry.Registry
	base string
	lock *pylock.Lock
}

func newWorld(t testing.TB, ix *testindex.Index, requirements ...string) *world {
	t.Helper()
	w := &world{idx: testindex.StartT(t, ix, testindex.Options{}), reg: testregistry.StartT(t, testregistry.Options{})}
	var err error
	w.base, err = w.reg.PushStandInBase(context.Background(), "base/python", "3.12")
	assert.NilError(t, err)
	w.lock = lockFor(t, w.idx, amd64Target, requirements...)
	return w
}

// writeTree creates files under dir: a value starting with "->" makes a
// symlink, a name ending in "*" an executable.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		mode := os.FileMode(0o644)
		if before, ok := strings.CutSuffix(name, "*"); ok {
			name, mode = before, 0o755
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		assert.NilError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		if target, ok := strings.CutPrefix(data, "->"); ok {
			assert.NilError(t, os.Symlink(target, p))
			continue
		}
		assert.NilError(t, os.WriteFile(p, []byte(data), mode))
	}
}

// appSource is a service's checkout, with things that must stay out.
func appSource(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "src")
	writeTree(t, dir, map[string]string{
		"app/__init__.py":             "",
		"app/main.py":                 "def application(environ, start):\n    return []\n",
		"app/__pycache__/main.pyc":    "bytecode",
		"bin/start.sh*":               "#!/bin/sh\nexec webserve\n",
		"config/settings.toml":        "debug = false\n",
		"config/current.toml":         "->settings.toml",
		".git/HEAD":                   "ref: refs/heads/main\n",
		"docs/index.md":               "# docs\n",
		"docs/keep/LICENSE":           "MIT\n",
		"notes.log":                   "local notes\n",
		".venv/bin/python":            "->/usr/bin/python3",
		"tests/test_main.py":          "def test(): pass\n",
		"tests/fixtures/big.bin":      "0123456789",
		"app/static/logo.svg":         "<svg/>",
		"app/templates/base.html.log": "not a log",
	})
	return dir
}

// layerFiles lists the paths of one layer with their modes and contents
// ("->target" for links).
func layerFiles(t testing.TB, l v1.Layer) map[string]string {
	t.Helper()
	rc, err := l.Uncompressed()
	assert.NilError(t, err)
	defer rc.Close()
	out := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		assert.NilError(t, err)
		assert.Equal(t, h.Uid, 0)
		assert.Equal(t, h.Gid, 0)
		assert.Equal(t, h.Uname, "")
		v := h.FileInfo().Mode().String()
		switch h.Typeflag {
		case tar.TypeSymlink:
			v += " ->" + h.Linkname
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			assert.NilError(t, err)
			sum := sha256.Sum256(data)
			v += " " + hex.EncodeToString(sum[:4])
		}
		out[h.Name] = v + " " + h.ModTime.UTC().Format(time.RFC3339)
	}
}
