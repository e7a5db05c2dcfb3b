package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/internal/testregistry"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/install"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/manifest/image"
)

const target = "cp312-manylinux_2_36_x86_64"

// fixture is a registry holding three images of one service: built from
// the lock, drifted by hand (a package added, one removed, one upgraded,
// a file edited), and with only an edited file.
type fixture struct {
	reg                 *testregistry.Registry
	lockFile            string
	good, drift, edited string
}

func lock(t *testing.T, srv *testindex.Server, requirements ...string) *pylock.Lock {
	t.Helper()
	var reqs []pep508.Requirement
	for _, s := range requirements {
		r, err := pep508.Parse(s)
		assert.NilError(t, err)
		reqs = append(reqs, r)
	}
	l, err := lockfile.Lock(context.Background(), project.Inputs{Requirements: reqs, IndexURLs: []string{srv.SimpleURL()},
		Targets: []string{target}}, lockfile.Options{})
	assert.NilError(t, err)
	return l
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	ix := testindex.New()
	ix.Add("alpha", testindex.Pure("1.0.0"), testindex.Pure("2.0.0"))
	beta := testindex.Pure("1.0.0")
	beta.EntryPoints = "[console_scripts]\nbeta = beta:main\n"
	ix.Add("beta", beta)
	ix.Add("gamma", testindex.Pure("1.0.0"))
	ix.Add("delta", testindex.Pure("1.0.0"))
	srv := testindex.StartT(t, ix, testindex.Options{})
	client, err := simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.SimpleURL()}}, CacheDir: t.TempDir(), NoNetrc: true})
	assert.NilError(t, err)

	f := &fixture{reg: testregistry.StartT(t, testregistry.Options{})}
	base, err := f.reg.PushStandInBase(ctx, "base/python", "3.12")
	assert.NilError(t, err)
	locked := lock(t, srv, "alpha==1.0.0", "beta", "gamma")
	f.lockFile = filepath.Join(t.TempDir(), "pylock.toml")
	assert.NilError(t, pylock.WriteFile(f.lockFile, locked))

	built, err := image.Build(ctx, image.Spec{Base: base, Lock: locked}, image.BuildOptions{Client: client, TempDir: t.TempDir()})
	assert.NilError(t, err)
	defer built.Close()
	f.good = f.push(t, built.Image, "good")

	// By hand: what `RUN pip install alpha==2.0.0 delta && pip uninstall -y
	// gamma` then `RUN sed -i … beta/__init__.py` would commit.
	env := func(l *pylock.Lock) string {
		dir := filepath.Join(t.TempDir(), "venv")
		_, err := install.Install(ctx, l, dir, install.Options{Client: client, Prefix: "/opt/venv"})
		assert.NilError(t, err)
		return dir
	}
	before, after := snapshot(t, env(locked)), snapshot(t, env(lock(t, srv, "alpha==2.0.0", "beta", "delta")))
	initPy := "lib/python3.12/site-packages/beta/__init__.py"
	edit := map[string]node{initPy: {mode: 0o644, data: append(append([]byte(nil), before[initPy].data...), "PATCHED = 1\n"...)}}
	drifted, err := mutate.AppendLayers(built.Image, diffLayer(t, before, after), tarLayer(t, edit, nil))
	assert.NilError(t, err)
	f.drift = f.push(t, drifted, "drift")
	edited, err := mutate.AppendLayers(built.Image, tarLayer(t, edit, nil))
	assert.NilError(t, err)
	f.edited = f.push(t, edited, "edited")
	return f
}

func (f *fixture) push(t *testing.T, img v1.Image, tag string) string {
	t.Helper()
	ref := f.reg.Ref("acme/app", ":"+tag)
	r, err := name.ParseReference(ref)
	assert.NilError(t, err)
	assert.NilError(t, remote.Write(r, img))
	return ref
}

type node struct {
	mode fs.FileMode
	data []byte
	link string
}

func snapshot(t *testing.T, dir string) map[string]node {
	t.Helper()
	out := map[string]node{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		n := node{mode: info.Mode()}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			n.link, err = os.Readlink(p)
		case info.Mode().IsRegular():
			n.data, err = os.ReadFile(p)
		}
		out[filepath.ToSlash(rel)] = n
		return err
	})
	assert.NilError(t, err)
	return out
}

// tarLayer writes nodes under /opt/venv, with ".wh." whiteouts.
func tarLayer(t *testing.T, nodes map[string]node, whiteouts []string) v1.Layer {
	t.Helper()
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, w := range whiteouts {
		assert.NilError(t, tw.WriteHeader(&tar.Header{Name: path.Join("opt/venv", path.Dir(w), ".wh."+path.Base(w)), Typeflag: tar.TypeReg, Mode: 0o644}))
	}
	for _, n := range names {
		nd := nodes[n]
		h := &tar.Header{Name: path.Join("opt/venv", n), Mode: int64(nd.mode.Perm())}
		switch {
		case nd.mode.IsDir():
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		case nd.mode&fs.ModeSymlink != 0:
			h.Typeflag, h.Linkname = tar.TypeSymlink, nd.link
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(nd.data))
		}
		assert.NilError(t, tw.WriteHeader(h))
		_, err := tw.Write(nd.data)
		assert.NilError(t, err)
	}
	assert.NilError(t, tw.Close())
	data := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	assert.NilError(t, err)
	return l
}

// diffLayer is what a builder commits: changed paths and whiteouts.
func diffLayer(t *testing.T, before, after map[string]node) v1.Layer {
	t.Helper()
	changed := map[string]node{}
	for p, n := range after {
		if old, ok := before[p]; ok && old.mode == n.mode && old.link == n.link && bytes.Equal(old.data, n.data) {
			continue
		}
		changed[p] = n
	}
	var whiteouts []string
	for p := range before {
		if _, ok := after[p]; !ok {
			if _, parentKept := after[path.Dir(p)]; parentKept || path.Dir(p) == "." {
				whiteouts = append(whiteouts, p)
			}
		}
	}
	sort.Strings(whiteouts)
	return tarLayer(t, changed, whiteouts)
}

func runCheck(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestImageCheck(t *testing.T) {
	f := newFixture(t)

	code, out, errOut := runCheck(t, "-image", f.good, "-lock", f.lockFile)
	assert.Equal(t, code, exitClean, "%s%s", out, errOut)
	assert.Assert(t, strings.Contains(out, ": clean\n"), out)
	assert.Assert(t, strings.Contains(out, "site-packages /opt/venv/lib/python3.12/site-packages: 3 distributions"), out)

	code, out, _ = runCheck(t, "-image", f.drift, "-lock", f.lockFile)
	assert.Equal(t, code, exitDrift, out)
	for _, want := range []string{
		"missing    gamma 1.0.0",
		"extra      delta 1.0.0",
		"version    alpha: locked 1.0.0, installed 2.0.0",
		"modified   /opt/venv/lib/python3.12/site-packages/beta/__init__.py (beta): RECORD sha256=",
		"drift: 1 missing, 1 extra, 1 version, 1 files",
	} {
		assert.Assert(t, strings.Contains(out, want), "%s\nwant %q", out, want)
	}

	code, out, _ = runCheck(t, "-image", f.edited, "-lock", f.lockFile)
	assert.Equal(t, code, exitFiles, out)
	assert.Assert(t, strings.Contains(out, ": file drift\n"), out)
}

func TestImageCheckFormats(t *testing.T) {
	f := newFixture(t)
	code, out, errOut := runCheck(t, "-image", f.drift, "-lock", f.lockFile, "-format", "json")
	assert.Equal(t, code, exitDrift)
	var doc struct {
		Status   string `json:"status"`
		ExitCode int    `json:"exit_code"`
		Reports  []struct {
			Missing []struct{ Name string } `json:"missing"`
		} `json:"reports"`
	}
	assert.NilError(t, json.Unmarshal([]byte(out), &doc), out)
	assert.Equal(t, doc.Status, "package drift")
	assert.Equal(t, doc.ExitCode, 1)
	assert.Equal(t, doc.Reports[0].Missing[0].Name, "gamma")
	assert.Equal(t, errOut, "")

	code, out, errOut = runCheck(t, "-image", f.drift, "-lock", f.lockFile, "-format", "github")
	assert.Equal(t, code, exitDrift)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Equal(t, len(lines), 4, out)
	for _, l := range lines {
		assert.Assert(t, strings.HasPrefix(l, "::error file="+escapeProperty(f.lockFile)+",title=image "), l)
	}
	assert.Assert(t, strings.Contains(out, "::missing package gamma 1.0.0"), out)
	assert.Assert(t, strings.Contains(errOut, "drift: 1 missing"), "the job log gets the text report")
}

func TestImageCheckErrors(t *testing.T) {
	lockFile := filepath.Join(t.TempDir(), "pylock.toml")
	assert.NilError(t, os.WriteFile(lockFile, []byte("lock-version = '1.0'\ncreated-by = 'x'\n[[packages]]\nname = 'a'\nversion = '1.0'\n"+
		"wheels = [{url = 'https://files.example/a-1.0-py3-none-any.whl', hashes = {sha256 = '"+strings.Repeat("0", 64)+"'}}]\n"), 0o644))
	invalid := filepath.Join(t.TempDir(), "pylock.toml")
	assert.NilError(t, os.WriteFile(invalid, []byte("lock-version = '1.0'\ncreated-by = 'x'\n[[packages]]\nname = 'a'\n"), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-lock", lockFile}, "-image is required"},
		{[]string{"-image", "127.0.0.1:9/acme/app:1", "-format", "xml"}, `-format: expected text, github or json, found "xml"`},
		{[]string{"-image", "127.0.0.1:9/acme/app:1", "-lock", filepath.Join(t.TempDir(), "missing.toml")}, "no such file"},
		{[]string{"-image", "127.0.0.1:9/acme/app:1", "-lock", lockFile}, "127.0.0.1:9"},
		{[]string{"-image", "127.0.0.1:9/acme/app:1", "-lock", lockFile, "-target", "cp3"}, "-target"},
		{[]string{"-image", "x", "extra"}, "unexpected arguments"},
		{[]string{"-image", "127.0.0.1:9/acme/app:1", "-lock", invalid}, "packages[0]: no source"},
	} {
		code, _, errOut := runCheck(t, tc.args...)
		assert.Equal(t, code, exitError, "%v: %s", tc.args, errOut)
		assert.Assert(t, strings.Contains(errOut, tc.want), "%v: %s", tc.args, errOut)
	}
	code, out, _ := runCheck(t, "-image", "127.0.0.1:9/acme/app:1", "-lock", lockFile, "-format", "json")
	assert.Equal(t, code, exitError)
	assert.Assert(t, strings.Contains(out, `"status": "error"`), out)
}
