package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
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
	"github.com/google/go-containerregistry/pkg/v1/types"
	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/internal/testregistry"
	"github.com/pydeploy/pydeploy/lockfile/install"
)

// needPip skips without python3 and pip, except in CI.
func needPip(t *testing.T) {
	t.Helper()
	if err := exec.Command("python3", "-m", "pip", "--version").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 -m pip is required in CI: %v", err)
		}
		t.Skipf("python3 -m pip is not available: %v", err)
	}
}

func pip(t *testing.T, venv string, args ...string) {
	t.Helper()
	cmd := exec.Command("python3", append([]string{"-m", "pip", "--python", filepath.Join(venv, "bin", "python")}, args...)...)
	cmd.Env = append(os.Environ(), "PIP_CONFIG_FILE=/dev/null", "PIP_NO_INPUT=1", "PIP_DISABLE_PIP_VERSION_CHECK=1")
	out, err := cmd.CombinedOutput()
	assert.NilError(t, err, "pip %s\n%s", strings.Join(args, " "), out)
}

// node is one path of a directory snapshot.
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

// tarLayer writes nodes under mount as a layer, the way a container
// builder commits a RUN step; whiteouts are ".wh." files.
func tarLayer(t *testing.T, mount string, nodes map[string]node, whiteouts []string) v1.Layer {
	t.Helper()
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, w := range whiteouts {
		assert.NilError(t, tw.WriteHeader(&tar.Header{Name: path.Join(mount, path.Dir(w), ".wh."+path.Base(w)), Typeflag: tar.TypeReg, Mode: 0o644}))
	}
	for _, n := range names {
		nd := nodes[n]
		h := &tar.Header{Name: path.Join(mount, n), Mode: int64(nd.mode.Perm())}
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
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.DockerLayer))
	assert.NilError(t, err)
	return l
}

// diffLayer is what a builder commits after a RUN step: changed and added
// paths (with their parent directories) and whiteouts for removed ones.
func diffLayer(t *testing.T, mount string, before, after map[string]node) v1.Layer {
	t.Helper()
	changed := map[string]node{}
	for p, n := range after {
		old, ok := before[p]
		if ok && old.mode == n.mode && old.link == n.link && bytes.Equal(old.data, n.data) {
			continue
		}
		if n.mode.IsDir() && ok {
			continue
		}
		changed[p] = n
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			changed[d] = after[d]
		}
	}
	var whiteouts []string
	for p := range before {
		if _, ok := after[p]; ok {
			continue
		}
		if _, parentGone := before[path.Dir(p)]; parentGone && path.Dir(p) != "." {
			if _, still := after[path.Dir(p)]; !still {
				continue // the parent's whiteout covers it
			}
		}
		whiteouts = append(whiteouts, p)
	}
	sort.Strings(whiteouts)
	return tarLayer(t, mount, changed, whiteouts)
}

// TestVerifyFindsDriftInHandBuiltImage builds an image the way a
// Dockerfile running pip does, layer by layer with real pip, then checks it:
//
//	FROM base
//	RUN python -m venv /opt/venv && pip install --require-hashes -r requirements.txt   (layer A)
//	RUN pip install alpha==2.0.0 delta && pip uninstall -y gamma                      (layer B)
//	RUN sed -i … site-packages/beta/__init__.py                                       (layer C)
func TestVerifyFindsDriftInHandBuiltImage(t *testing.T) {
	t.Parallel()
	needPip(t)
	ix := testindex.New()
	ix.Add("alpha", testindex.Pure("1.0.0"), testindex.Pure("2.0.0"))
	beta := testindex.Pure("1.0.0")
	beta.EntryPoints = "[console_scripts]\nbeta = beta:main\n"
	ix.Add("beta", beta)
	ix.Add("gamma", testindex.Pure("1.0.0"))
	ix.Add("delta", testindex.Pure("1.0.0"))
	srv := testindex.StartT(t, ix, testindex.Options{})
	const target = "cp311-manylinux_2_36_x86_64"
	lock := lockFor(t, srv, target, "alpha==1.0.0", "beta", "gamma")
	reg := testregistry.StartT(t, testregistry.Options{})
	ctx := context.Background()
	baseRef, err := reg.PushStandInBase(ctx, "base/python", "3.11")
	assert.NilError(t, err)
	baseIdx, err := remote.Get(mustRef(t, baseRef))
	assert.NilError(t, err)
	base, err := platformImage(baseIdx, v1.Platform{OS: "linux", Architecture: "amd64"})
	assert.NilError(t, err)

	// The venv lives at /opt/venv in the image; pip runs on this machine.
	venv := filepath.Join(t.TempDir(), "venv")
	out, err := exec.Command("python3", "-m", "venv", "--without-pip", venv).CombinedOutput()
	assert.NilError(t, err, "%s", out)
	reqFile := filepath.Join(t.TempDir(), "requirements.txt")
	var req bytes.Buffer
	assert.NilError(t, install.Export(&req, lock, install.ExportOptions{}))
	assert.NilError(t, os.WriteFile(reqFile, req.Bytes(), 0o644))
	pip(t, venv, "install", "--no-deps", "--require-hashes", "-r", reqFile)
	s1 := snapshot(t, venv)
	layerA := tarLayer(t, "opt/venv", s1, nil)
	pip(t, venv, "install", "--no-deps", "--index-url", srv.SimpleURL(), "alpha==2.0.0", "delta==1.0.0")
	pip(t, venv, "uninstall", "--yes", "gamma")
	s2 := snapshot(t, venv)
	layerB := diffLayer(t, "opt/venv", s1, s2)
	initPy := "lib/python3.11/site-packages/beta/__init__.py"
	edited := s2[initPy]
	edited.data = append(append([]byte(nil), edited.data...), "PATCHED = True\n"...)
	layerC := tarLayer(t, "opt/venv", map[string]node{initPy: edited}, nil)

	check := func(img v1.Image, tag string) *Report {
		t.Helper()
		ref := reg.Ref("acme/handmade", ":"+tag)
		assert.NilError(t, remote.Write(mustRef(t, ref), img))
		reports, err := Verify(ctx, ref, lock, VerifyOptions{})
		assert.NilError(t, err)
		assert.Equal(t, len(reports), 1)
		return reports[0]
	}
	pipOnly, err := mutate.AppendLayers(base, layerA)
	assert.NilError(t, err)
	r := check(pipOnly, "pip")
	assert.Assert(t, r.Clean(), "pip's install of the exported lock matches it: %+v", r)
	assert.Equal(t, r.SitePackages, "/opt/venv/lib/python3.11/site-packages")
	assert.Equal(t, r.Installed, 3)

	drifted, err := mutate.AppendLayers(base, layerA, layerB, layerC)
	assert.NilError(t, err)
	r = check(drifted, "drifted")
	assert.DeepEqual(t, r.Missing, []Dist{{"gamma", "1.0.0"}})
	assert.DeepEqual(t, r.Extra, []Dist{{"delta", "1.0.0"}})
	assert.DeepEqual(t, r.Versions, []VersionDrift{{"alpha", "1.0.0", "2.0.0"}})
	assert.Equal(t, len(r.Files), 1, "%+v", r.Files)
	assert.Equal(t, r.Files[0].Path, "/opt/venv/"+initPy)
	assert.Equal(t, r.Files[0].Kind, FileModified)
	assert.Equal(t, r.Files[0].Package, "beta")
	var text bytes.Buffer
	assert.NilError(t, r.WriteText(&text))
	for _, want := range []string{"missing    gamma 1.0.0", "extra      delta 1.0.0", "version    alpha: locked 1.0.0, installed 2.0.0",
		"modified   /opt/venv/" + initPy + " (beta): RECORD sha256=", "drift: 1 missing, 1 extra, 1 version, 1 files"} {
		assert.Assert(t, strings.Contains(text.String(), want), "%s\nwant %q", text.String(), want)
	}
	data, err := json.Marshal(r)
	assert.NilError(t, err)
	assert.Assert(t, strings.Contains(string(data), `"missing":[{"name":"gamma","version":"1.0.0"}]`), "%s", data)
	assert.Assert(t, strings.Contains(string(data), `"target":"cp311-manylinux_2_36_x86_64"`), "%s", data)

	// An opaque directory hides what lower layers put in it: a layer that
	// recreates bin/ with only the interpreter link loses beta's launcher.
	opaque := tarLayer(t, "opt/venv", map[string]node{"bin/python3": s1["bin/python3"], "bin/.wh..wh..opq": {mode: 0o644}}, nil)
	hidden, err := mutate.AppendLayers(base, layerA, opaque)
	assert.NilError(t, err)
	r = check(hidden, "opaque")
	assert.Assert(t, r.PackagesMatch(), "%+v", r)
	assert.Equal(t, len(r.Files), 1, "%+v", r.Files)
	assert.Equal(t, r.Files[0].Path, "/opt/venv/bin/beta")
	assert.Equal(t, r.Files[0].Kind, FileMissing)
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	assert.NilError(t, err)
	return r
}

func TestVerifyUntrackedAndAllowedExtras(t *testing.T) {
	t.Parallel()
	w := newWorld(t, webIndex(), "webserve")
	b := buildWeb(t, w, nil)
	ctx := context.Background()
	site := "opt/venv/lib/python3.12/site-packages"
	// A later layer drops a .pth file (code run at every interpreter start)
	// and a stray module, and deletes a launcher.
	extra := tarLayer(t, site, map[string]node{"zz_inject.pth": {mode: 0o644, data: []byte("import os\n")}}, nil)
	gone := tarLayer(t, "opt/venv/bin", nil, []string{"webserve"})
	img, err := mutate.AppendLayers(b.Image, extra, gone)
	assert.NilError(t, err)
	r, err := VerifyImage(ctx, img, w.lock, VerifyOptions{})
	assert.NilError(t, err)
	assert.Assert(t, r.PackagesMatch())
	assert.DeepEqual(t, r.Files, []FileDrift{
		{Package: "webserve", Path: "/opt/venv/bin/webserve", Kind: FileMissing, Want: r.Files[0].Want},
		{Path: "/" + site + "/zz_inject.pth", Kind: FileUntracked},
	})
	// Extras a base brings can be allowed; their files are still checked.
	r, err = VerifyImage(ctx, b.Image, w.lock, VerifyOptions{SitePackages: "/" + site, AllowExtra: []string{"IDNA"}})
	assert.NilError(t, err)
	assert.Assert(t, r.Clean())
	// Another target than the image's platform is an error, not drift.
	_, err = VerifyImage(ctx, b.Image, w.lock, VerifyOptions{Target: mustTarget(t, armTarget)})
	assert.ErrorContains(t, err, "no environment of the lock matches")
}
