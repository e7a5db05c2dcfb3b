package image

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/lockfile/install"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
	"github.com/pydeploy/pydeploy/manifest"
)

var testStamp = manifest.Stamp{GitSHA: "3f2c1d07a9b8e6f5d4c3b2a1908f7e6d5c4b3a29", LockHash: "sha256:0123", Version: "v0.0.0-test"}

func buildWeb(t *testing.T, w *world, mutate func(*Spec)) *Built {
	t.Helper()
	spec := Spec{Base: w.base, Lock: w.lock, Source: appSource(t), Cmd: []string{"webserve", "--port", "8000"}, Stamp: testStamp}
	if mutate != nil {
		mutate(&spec)
	}
	b, err := Build(context.Background(), spec, BuildOptions{Client: newClient(t, w.idx), TempDir: t.TempDir()})
	assert.NilError(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

func TestBuildIsReproducible(t *testing.T) {
	t.Parallel()
	w := newWorld(t, webIndex(), "webserve")
	// Fresh source checkouts, caches and scratch directories each time.
	first, second := buildWeb(t, w, nil), buildWeb(t, w, nil)
	assert.Equal(t, first.Digest, second.Digest)
	assert.Assert(t, first.Index == nil)

	ctx := context.Background()
	ref := w.reg.Ref("acme/web", ":1.0")
	pinned, err := first.Push(ctx, ref, Remote{})
	assert.NilError(t, err)
	assert.Equal(t, pinned.String(), ref+"@"+first.Digest.String())
	// The registry reports the digest Build computed.
	d, err := (&manifest.RegistryResolver{PlainHTTP: true}).Digest(ctx, pinned)
	assert.NilError(t, err)
	assert.Equal(t, d, first.Digest.String())
	// Pushing the second build again uploads nothing new.
	w.reg.ResetLog()
	_, err = second.Push(ctx, ref, Remote{})
	assert.NilError(t, err)
	for _, r := range w.reg.Requests() {
		blobUpload := r.Method == http.MethodPut && strings.Contains(r.Path, "/blobs/")
		assert.Assert(t, !blobUpload, "blob uploaded again: %+v", r)
	}

	reports, err := Verify(ctx, pinned.String(), w.lock, VerifyOptions{})
	assert.NilError(t, err)
	assert.Equal(t, len(reports), 1)
	r := reports[0]
	assert.Assert(t, r.Clean(), "%+v", r)
	assert.Equal(t, r.SitePackages, "/opt/venv/lib/python3.12/site-packages")
	assert.Equal(t, r.Installed, 2)
	assert.Equal(t, r.Image, first.Digest.String())
}

func TestBuildConfigAndLayers(t *testing.T) {
	t.Parallel()
	w := newWorld(t, webIndex(), "webserve")
	created := time.Date(2024, 9, 1, 12, 0, 0, 0, time.UTC)
	b := buildWeb(t, w, func(s *Spec) {
		s.Exclude = []string{"*.log", "docs/", "!docs/keep/", "/tests/fixtures"}
		s.Entrypoint = []string{"/opt/venv/bin/webserve"}
		s.Env = map[string]string{"PYTHONUNBUFFERED": "1"}
		s.Labels = map[string]string{"team": "payments"}
		s.Created = created
	})
	cfg, err := b.Image.ConfigFile()
	assert.NilError(t, err)
	c := cfg.Config
	assert.Equal(t, c.User, "10001")
	assert.Equal(t, c.WorkingDir, "/app")
	assert.DeepEqual(t, c.Entrypoint, []string{"/opt/venv/bin/webserve"})
	assert.DeepEqual(t, c.Cmd, []string{"webserve", "--port", "8000"})
	assert.DeepEqual(t, c.Env, []string{
		"PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
		"PYTHONUNBUFFERED=1", "VIRTUAL_ENV=/opt/venv"})
	assert.Equal(t, c.Labels["team"], "payments")
	assert.Equal(t, c.Labels[LabelLockHash], "sha256:0123")
	assert.Equal(t, c.Labels[LabelGitSHA], testStamp.GitSHA)
	assert.Equal(t, c.Labels["org.opencontainers.image.revision"], testStamp.GitSHA)
	assert.Equal(t, c.Labels[LabelVersion], "v0.0.0-test")
	assert.Equal(t, c.Labels[LabelTarget], amd64Target)
	assert.Equal(t, c.Labels["org.opencontainers.image.created"], "2024-09-01T12:00:00Z")
	assert.Assert(t, strings.HasPrefix(c.Labels["org.opencontainers.image.base.digest"], "sha256:"))
	assert.Assert(t, strings.Contains(c.Labels["org.opencontainers.image.description"], "stand-in"), "the base's labels are kept")
	assert.Equal(t, cfg.Created.Time, created)
	assert.Equal(t, len(cfg.History), 3)
	assert.Equal(t, cfg.History[1].CreatedBy, "pydeploy: install 2 locked packages for cp312-manylinux_2_36_x86_64 into /opt/venv")

	layers, err := b.Image.Layers()
	assert.NilError(t, err)
	assert.Equal(t, len(layers), 3)
	stamp := " 2024-09-01T12:00:00Z"
	env := layerFiles(t, layers[1])
	for name, want := range map[string]string{
		"opt/":                     "drwxr-xr-x",
		"opt/venv/":                "drwxr-xr-x",
		"opt/venv/bin/python3.12":  "Lrwxrwxrwx ->/usr/local/bin/python3.12",
		"opt/venv/bin/python":      "Lrwxrwxrwx ->python3.12",
		"opt/venv/lib64":           "Lrwxrwxrwx ->lib",
		"opt/venv/pyvenv.cfg":      "-rw-r--r-- 16cf7683",
		"opt/venv/bin/webserve":    "-rwxr-xr-x",
		"opt/venv/lib/python3.12/": "drwxr-xr-x",
	} {
		got, ok := env[name]
		assert.Assert(t, ok, "env layer lacks %s: %v", name, env)
		assert.Assert(t, strings.HasPrefix(got, want) && strings.HasSuffix(got, stamp), "%s: %s, want %s…%s", name, got, want, stamp)
	}
	app := layerFiles(t, layers[2])
	var names []string
	for name, v := range app {
		names = append(names, name+" "+strings.TrimSuffix(v, stamp))
	}
	slices.Sort(names)
	assert.DeepEqual(t, names, []string{
		"app/ drwxr-xr-x",
		"app/app/ drwxr-xr-x",
		"app/app/__init__.py -rw-r--r-- e3b0c442",
		"app/app/main.py -rw-r--r-- cc0b3a24",
		"app/app/static/ drwxr-xr-x",
		"app/app/static/logo.svg -rw-r--r-- d4dc5666",
		"app/app/templates/ drwxr-xr-x",
		"app/bin/ drwxr-xr-x",
		"app/bin/start.sh -rwxr-xr-x 32228ded",
		"app/config/ drwxr-xr-x",
		"app/config/current.toml Lrwxrwxrwx ->settings.toml",
		"app/config/settings.toml -rw-r--r-- d4c9ec26",
		"app/docs/ drwxr-xr-x",
		"app/docs/keep/ drwxr-xr-x",
		"app/docs/keep/LICENSE -rw-r--r-- adc37366",
		"app/tests/ drwxr-xr-x",
		"app/tests/test_main.py -rw-r--r-- bbec98af",
	})
}

func TestBuildRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t, webIndex(), "webserve")
	ctx := context.Background()
	c := newClient(t, w.idx)
	escaping := filepath.Join(t.TempDir(), "src")
	writeTree(t, escaping, map[string]string{"main.py": "", "secrets": "->../../etc"})
	absolute := filepath.Join(t.TempDir(), "src")
	writeTree(t, absolute, map[string]string{"main.py": "", "python": "->/usr/bin/python3"})
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"tag only", Spec{Base: w.reg.Ref("base/python", ":3.12"), Lock: w.lock}, "is not pinned by digest"},
		{"latest", Spec{Base: w.reg.Ref("base/python", ":latest"), Lock: w.lock}, "latest"},
		{"no lock", Spec{Base: w.base}, "Spec.Lock is nil"},
		{"escaping link", Spec{Base: w.base, Lock: w.lock, Source: escaping}, `is a symbolic link to "../../etc", outside the source directory`},
		{"absolute link", Spec{Base: w.base, Lock: w.lock, Source: absolute}, `is a symbolic link to "/usr/bin/python3"`},
		{"no platform in base", Spec{Base: w.base, Lock: w.lock, Targets: []wheel.Target{mustTarget(t, "cp312-manylinux_2_36_s390x")}}, "no image for linux/s390x (the index has linux/amd64, linux/arm64/v8)"},
		{"relative venv", Spec{Base: w.base, Lock: w.lock, VenvDir: "venv"}, `"venv" must be an absolute directory below /`},
		{"bad pattern", Spec{Base: w.base, Lock: w.lock, Source: absolute, Exclude: []string{"[z-a"}}, "exclude pattern"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(ctx, tc.spec, BuildOptions{Client: c, TempDir: t.TempDir()})
			assert.ErrorContains(t, err, tc.want)
		})
	}
	_, err := Build(ctx, Spec{Base: w.base, Lock: w.lock}, BuildOptions{})
	assert.ErrorContains(t, err, "BuildOptions.Client is nil")
}

func mustTarget(t testing.TB, s string) wheel.Target {
	t.Helper()
	tg, err := wheel.ParseTarget(s)
	assert.NilError(t, err)
	return tg
}

func TestBuildMultiPlatformIndex(t *testing.T) {
	t.Parallel()
	w := newWorld(t, webIndex(), "webserve")
	// One universal lock for both platforms, as lockfile.Lock writes it.
	w.lock = lockForTargets(t, w.idx, []string{amd64Target, armTarget}, "webserve")
	targets, err := install.Targets(w.lock)
	assert.NilError(t, err)
	assert.Equal(t, len(targets), 2)
	first, second := buildWeb(t, w, nil), buildWeb(t, w, nil)
	assert.Equal(t, first.Digest, second.Digest)
	assert.Assert(t, first.Index != nil && first.Image == nil)
	im, err := first.Index.IndexManifest()
	assert.NilError(t, err)
	var platforms []string
	for _, d := range im.Manifests {
		platforms = append(platforms, d.Platform.String())
	}
	assert.DeepEqual(t, platforms, []string{"linux/amd64", "linux/arm64/v8"})
	for _, p := range first.Platforms {
		cfg, err := p.Image.ConfigFile()
		assert.NilError(t, err)
		assert.Equal(t, cfg.Architecture, p.Platform.Architecture)
		assert.Equal(t, cfg.Config.Labels[LabelTarget], p.Target.String())
	}
	ctx := context.Background()
	pinned, err := first.Push(ctx, w.reg.Ref("acme/web", ":multi"), Remote{})
	assert.NilError(t, err)
	reports, err := Verify(ctx, pinned.String(), w.lock, VerifyOptions{})
	assert.NilError(t, err)
	assert.Equal(t, len(reports), 2)
	for _, r := range reports {
		assert.Assert(t, r.Clean(), "%+v", r)
	}
	assert.Equal(t, reports[1].Platform.Architecture, "arm64")
}

func TestBuildSourceDateEpoch(t *testing.T) {
	w := newWorld(t, webIndex(), "webserve")
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	b := buildWeb(t, w, nil)
	cfg, err := b.Image.ConfigFile()
	assert.NilError(t, err)
	assert.Equal(t, cfg.Created.Time, time.Unix(1700000000, 0).UTC())
	layers, err := b.Image.Layers()
	assert.NilError(t, err)
	for name, v := range layerFiles(t, layers[2]) {
		assert.Assert(t, strings.HasSuffix(v, "2023-11-14T22:13:20Z"), "%s: %s", name, v)
	}
}
