package install

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// hostTarget is the CPython on this machine: the target whose environments
// the real python3 can import.
const hostTarget = "cp311-manylinux_2_36_x86_64"

// richIndex exercises every part of the binary distribution format:
// console and GUI entry points (one with a dotted callable), a setuptools
// wrapper that must be dropped, a "#!python" script, an executable script
// and module, headers, data files, a .data/purelib module, and a namespace
// file two packages ship with the same content.
func richIndex() *testindex.Index {
	ix := testindex.New()
	tk := testindex.Pure("1.2.0")
	tk.EntryPoints = "[console_scripts]\ntoolkit = toolkit.cli:main\ntoolkit-admin = toolkit.cli:Admin.run\n\n[gui_scripts]\ntoolkit-gui = toolkit.cli:main\n"
	tk.WheelExtras = []testindex.WheelEntry{
		{Name: "toolkit/cli.py", Data: []byte("import toolkit\n\n\ndef main():\n    print('toolkit', toolkit.__version__)\n    return 0\n\n\nclass Admin:\n    @staticmethod\n    def run():\n        print('admin')\n        return 0\n")},
		{Name: "toolkit/helper.sh", Data: []byte("#!/bin/sh\necho helper\n"), Executable: true},
		{Name: "toolkit-1.2.0.data/scripts/toolkit-report", Data: []byte("#!python\nimport toolkit\nprint('report', toolkit.__version__)\n"), Executable: true},
		{Name: "toolkit-1.2.0.data/scripts/toolkit-env.sh", Data: []byte("#!/bin/sh\necho env\n"), Executable: true},
		{Name: "toolkit-1.2.0.data/scripts/toolkit", Data: []byte("#!python\n# a setuptools wrapper, replaced by the launcher\n")},
		{Name: "toolkit-1.2.0.data/headers/toolkit.h", Data: []byte("#define TOOLKIT 1\n")},
		{Name: "toolkit-1.2.0.data/data/share/toolkit/defaults.toml", Data: []byte("level = 3\n")},
		{Name: "toolkit-1.2.0.data/purelib/toolkit_extra.py", Data: []byte("EXTRA = True\n")},
		{Name: "nspkg/shared.txt", Data: []byte("shared by two packages\n")},
	}
	ix.Add("toolkit", tk)
	plugin := testindex.Pure("0.3.0", "toolkit>=1.0")
	plugin.WheelExtras = []testindex.WheelEntry{{Name: "nspkg/shared.txt", Data: []byte("shared by two packages\n")}}
	ix.Add("toolkit-plugin", plugin)
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

// lockFor locks requirements against the server for target.
func lockFor(t testing.TB, srv *testindex.Server, target string, requirements ...string) *pylock.Lock {
	t.Helper()
	l, err := lockfile.Lock(context.Background(), project.Inputs{
		Requirements: reqs(t, requirements...),
		IndexURLs:    []string{srv.SimpleURL()},
		Targets:      []string{target},
	}, lockfile.Options{})
	assert.NilError(t, err)
	return l
}

func newClient(t testing.TB, srv *testindex.Server, cache string) *simpleapi.Client {
	t.Helper()
	if cache == "" {
		cache = t.TempDir()
	}
	c, err := simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.SimpleURL()}}, CacheDir: cache, NoNetrc: true,
		Backoff: func(int) time.Duration { return 0 }})
	assert.NilError(t, err)
	return c
}

// entry is one path of a tree as tests compare it.
type entry struct {
	Mode   string // fs.FileMode string
	Size   int64
	SHA256 string
	Link   string
	MTime  string
}

// tree lists dir: every path with its mode, content hash or link target,
// and (withTimes) its modification time.
func tree(t testing.TB, dir string, withTimes bool) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		e := entry{Mode: info.Mode().String()}
		if withTimes {
			e.MTime = info.ModTime().UTC().Format(time.RFC3339Nano)
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			e.Link, err = os.Readlink(p)
		case info.Mode().IsRegular():
			var data []byte
			data, err = os.ReadFile(p)
			sum := sha256.Sum256(data)
			e.Size, e.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
		}
		out[filepath.ToSlash(rel)] = e
		return err
	})
	assert.NilError(t, err)
	return out
}

// listing renders a tree for golden files: one line per path.
func listing(tr map[string]entry) string {
	paths := make([]string, 0, len(tr))
	for p := range tr {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		e := tr[p]
		switch {
		case e.Link != "":
			fmt.Fprintf(&b, "%s %s -> %s\n", e.Mode, p, e.Link)
		case e.SHA256 != "":
			fmt.Fprintf(&b, "%s %s %d %s\n", e.Mode, p, e.Size, e.SHA256[:12])
		default:
			fmt.Fprintf(&b, "%s %s\n", e.Mode, p)
		}
	}
	return b.String()
}

func mustTarget(t testing.TB, s string) wheel.Target {
	t.Helper()
	tg, err := wheel.ParseTarget(s)
	assert.NilError(t, err)
	return tg
}
