package install

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// imagePython is the interpreter of the python:3.11 images.
var imagePython = Python{Executable: "/usr/local/bin/python3.11", Version: "3.11.7"}

func TestInstallLayoutGolden(t *testing.T) {
	t.Parallel()
	srv := testindex.StartT(t, richIndex(), testindex.Options{})
	l := lockFor(t, srv, hostTarget, "toolkit-plugin")
	dir := filepath.Join(t.TempDir(), "env")
	res, err := Install(context.Background(), l, dir, Options{Client: newClient(t, srv, ""), Prefix: "/opt/venv", Python: imagePython})
	assert.NilError(t, err)
	assert.Equal(t, res.SitePackages, "lib/python3.11/site-packages")
	assert.Equal(t, res.Prefix, "/opt/venv")
	assert.Equal(t, len(res.Packages), 2)
	golden.Assert(t, listing(tree(t, dir, false)), "rich.golden")
	for _, f := range []string{"lib/python3.11/site-packages/toolkit-1.2.0.dist-info/RECORD", "bin/toolkit-admin", "bin/toolkit-report", "pyvenv.cfg"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		assert.NilError(t, err)
		golden.Assert(t, string(data), "rich."+strings.ReplaceAll(filepath.Base(f), ".", "_")+".golden")
	}
}

func TestInstallIsDeterministic(t *testing.T) {
	srv := testindex.StartT(t, richIndex(), testindex.Options{})
	l := lockFor(t, srv, hostTarget, "toolkit-plugin")
	cache := t.TempDir()
	install := func(opts Options) map[string]entry {
		dir := filepath.Join(t.TempDir(), "env")
		opts.Client, opts.Prefix, opts.Python = newClient(t, srv, cache), "/opt/venv", imagePython
		_, err := Install(context.Background(), l, dir, opts)
		assert.NilError(t, err)
		return tree(t, dir, true)
	}
	first := install(Options{Parallel: 1})
	assert.DeepEqual(t, install(Options{Parallel: 8}), first)
	for p, e := range first {
		assert.Equal(t, e.MTime, "1980-01-01T00:00:00Z", "%s", p)
	}
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for p, e := range install(Options{ModTime: at}) {
		assert.Equal(t, e.MTime, "2024-05-06T07:08:09Z", "%s", p)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	for p, e := range install(Options{}) {
		assert.Equal(t, e.MTime, "2023-11-14T22:13:20Z", "%s", p)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	_, err := Install(context.Background(), l, t.TempDir(), Options{Client: newClient(t, srv, cache)})
	assert.ErrorContains(t, err, `SOURCE_DATE_EPOCH="yesterday" is not a count of seconds`)
}

func TestInstallRefusesUnsafeWheels(t *testing.T) {
	t.Parallel()
	ok := zmember{name: "evil/__init__.py", data: "x = 1\n"}
	for _, tc := range []struct {
		name    string
		members []zmember
		want    string
		unsafe  bool
		record  bool
	}{
		{"traversal", []zmember{ok, {name: "../../../../etc/cron.d/evil", data: "x"}}, `unsafe entry "../../../../etc/cron.d/evil": path leaves site-packages`, true, false},
		{"hidden traversal", []zmember{ok, {name: "evil/../../../../bin/sh", data: "x"}}, "path leaves site-packages", true, false},
		{"absolute", []zmember{ok, {name: "/etc/passwd", data: "x"}}, "absolute path", true, false},
		{"data traversal", []zmember{ok, {name: "evil-1.0.data/data/../../../../x", data: "x"}}, "path leaves site-packages", true, false},
		{"unknown scheme", []zmember{ok, {name: "evil-1.0.data/lib/x.py", data: "x"}}, "files in .data must be under purelib/", true, false},
		{"absolute symlink", []zmember{ok, {name: "evil/passwd", data: "/etc/passwd", mode: fs.ModeSymlink | 0o777}}, `symlink to "/etc/passwd" leaves the environment`, true, false},
		{"escaping symlink", []zmember{ok, {name: "evil/up", data: "../../../../../root", mode: fs.ModeSymlink | 0o777}}, "leaves the environment", true, false},
		{"duplicate", []zmember{ok, {name: "evil/a.py", data: "1"}, {name: "evil/./a.py", data: "2"}}, "the archive holds this path twice", true, false},
		{"not in RECORD", []zmember{ok, {name: "evil/extra.py", data: "x", noRecord: true}}, "evil/extra.py: not listed in RECORD", false, true},
		{"wrong hash", []zmember{ok, {name: "evil/data.bin", data: "payload", badHash: true}}, "evil/data.bin: content (7 bytes) does not match RECORD's sha256=", false, true},
		{"two dist-info", []zmember{ok, {name: "other-1.0.dist-info/METADATA", data: "x"}}, "has 2 .dist-info directories", false, false},
		{"old wheel version", []zmember{ok, {name: "evil-1.0.dist-info/WHEEL", data: "Wheel-Version: 2.0\n"}}, `Wheel-Version "2.0" is not supported`, false, false},
		{"bad entry point", []zmember{ok, {name: "evil-1.0.dist-info/entry_points.txt", data: "[console_scripts]\nevil = evil\n"}}, "expected exactly one \":\"", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			l := craftedLock(t, dir, map[string][]byte{"evil-1.0-py3-none-any.whl": craftWheel(t, "evil", "1.0", tc.members...)})
			target := filepath.Join(dir, "env")
			_, err := Install(context.Background(), l, target, Options{LockDir: dir})
			assert.ErrorContains(t, err, tc.want)
			var ue *UnsafeArchiveError
			assert.Equal(t, errors.As(err, &ue), tc.unsafe, "%v", err)
			var re *RecordError
			assert.Equal(t, errors.As(err, &re), tc.record, "%v", err)
			assertNothingWritten(t, dir)
		})
	}
}

// assertNothingWritten checks that a failed Install left neither the
// environment nor its staging directory.
func assertNothingWritten(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	for _, e := range entries {
		assert.Assert(t, strings.HasSuffix(e.Name(), ".whl"), "left behind: %s", e.Name())
	}
}

func TestInstallSymlinkMemberLikePip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := craftedLock(t, dir, map[string][]byte{"linky-1.0-py3-none-any.whl": craftWheel(t, "linky", "1.0",
		zmember{name: "linky/__init__.py", data: ""}, zmember{name: "linky/alias.py", data: "__init__.py", mode: fs.ModeSymlink | 0o777})})
	env := filepath.Join(dir, "env")
	_, err := Install(context.Background(), l, env, Options{LockDir: dir})
	assert.NilError(t, err)
	// pip writes the link text as a regular file; so does Install.
	st, err := os.Lstat(filepath.Join(env, "lib/python3.11/site-packages/linky/alias.py"))
	assert.NilError(t, err)
	assert.Equal(t, st.Mode(), fs.FileMode(0o644))
}

func TestInstallConflicts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := craftedLock(t, dir, map[string][]byte{
		"alpha-1.0-py3-none-any.whl": craftWheel(t, "alpha", "1.0", zmember{name: "common.py", data: "A = 1\n"}, zmember{name: "same.py", data: "same\n"}),
		"beta-2.0-py3-none-any.whl":  craftWheel(t, "beta", "2.0", zmember{name: "common.py", data: "B = 2\n"}, zmember{name: "same.py", data: "same\n"}),
		"gamma-3.0-py3-none-any.whl": craftWheel(t, "gamma", "3.0", zmember{name: "gamma-3.0.data/data/pyvenv.cfg", data: "home = /evil\n"}),
	})
	_, err := Install(context.Background(), l, filepath.Join(dir, "env"), Options{LockDir: dir})
	var ce *ConflictError
	assert.Assert(t, errors.As(err, &ce), "%v", err)
	assert.ErrorContains(t, err, `install: packages "alpha" and "beta" both install lib/python3.11/site-packages/common.py with different content`)
	assert.ErrorContains(t, err, `packages "(the environment itself)" and "gamma" both install pyvenv.cfg`)
	assert.Assert(t, !strings.Contains(err.Error(), "same.py"), "identical files may be shared: %v", err)
	assertNothingWritten(t, dir)
}

func TestInstallRefusesSourcesItCannotInstall(t *testing.T) {
	t.Parallel()
	size := int64(10)
	hashes := map[string]string{"sha256": strings.Repeat("ab", 32)}
	l := &pylock.Lock{LockVersion: "1.0", CreatedBy: "test", Packages: []pylock.Package{
		{Name: "built", Version: "1.0", Sdist: &pylock.File{URL: "https://files.example/built-1.0.tar.gz", Size: &size, Hashes: hashes}},
		{Name: "repo", VCS: &pylock.VCS{Type: "git", URL: "https://git.example/repo.git", CommitID: "0123456789abcdef"}},
		{Name: "tarball", Version: "2.0", Archive: &pylock.Archive{URL: "https://files.example/tarball-2.0.tar.gz", Hashes: hashes}},
	}}
	target, err := wheel.ParseTarget(hostTarget)
	assert.NilError(t, err)
	dir := t.TempDir()
	_, err = Install(context.Background(), l, filepath.Join(dir, "env"), Options{Target: target})
	assert.Assert(t, errors.Is(err, ErrSdist), "%v", err)
	assert.Assert(t, errors.Is(err, ErrUnsupportedSource), "%v", err)
	for _, want := range []string{
		`install: package "built" 1.0: only a source distribution fits the target; building from source is not supported (built-1.0.tar.gz fits cp311-manylinux_2_36_x86_64`,
		`install: package "repo": vcs and directory sources have no hashed archive to install (vcs source)`,
		`install: package "tarball" 2.0: archive tarball-2.0.tar.gz: only a source distribution`,
	} {
		assert.ErrorContains(t, err, want)
	}
	// Without a target in the lock or the options, nothing can be chosen.
	_, err = Install(context.Background(), l, filepath.Join(dir, "env"), Options{})
	assert.Assert(t, errors.Is(err, ErrNoTarget), "%v", err)
	assertNothingWritten(t, dir)
}

func TestInstallVerifiesHashesBeforeUnpacking(t *testing.T) {
	t.Parallel()
	srv := testindex.StartT(t, richIndex(), testindex.Options{Faults: []testindex.Fault{{Path: "/files/toolkit/*.whl", WrongHash: true}}})
	l := lockFor(t, srv, hostTarget, "toolkit-plugin") // the lock records the wrong hash the index advertises
	dir := t.TempDir()
	_, err := Install(context.Background(), l, filepath.Join(dir, "env"), Options{Client: newClient(t, srv, "")})
	var hm *simpleapi.HashMismatchError
	assert.Assert(t, errors.As(err, &hm), "%v", err)
	assert.ErrorContains(t, err, `install: package "toolkit" 1.2.0:`)
	assertNothingWritten(t, dir)

	// A file given by path is checked in place.
	crafted := t.TempDir()
	cl := craftedLock(t, crafted, map[string][]byte{"ok-1.0-py3-none-any.whl": craftWheel(t, "ok", "1.0")})
	cl.Packages[0].Wheels[0].Hashes["sha256"] = strings.Repeat("0", 64)
	_, err = Install(context.Background(), cl, filepath.Join(crafted, "env"), Options{LockDir: crafted})
	assert.Assert(t, errors.As(err, &hm), "%v", err)
}

func TestInstallTargetDirectory(t *testing.T) {
	t.Parallel()
	srv := testindex.StartT(t, richIndex(), testindex.Options{})
	l := lockFor(t, srv, hostTarget, "toolkit")
	c := newClient(t, srv, "")
	dir := filepath.Join(t.TempDir(), "env")
	assert.NilError(t, os.MkdirAll(dir, 0o755)) // an empty directory is fine
	_, err := Install(context.Background(), l, dir, Options{Client: c})
	assert.NilError(t, err)
	_, err = Install(context.Background(), l, dir, Options{Client: c})
	assert.Assert(t, errors.Is(err, ErrTargetExists), "%v", err)
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "stale"), nil, 0o644))
	res, err := Install(context.Background(), l, dir, Options{Client: c, Replace: true})
	assert.NilError(t, err)
	assert.Assert(t, res.Packages[0].Cached)
	_, err = os.Stat(filepath.Join(dir, "stale"))
	assert.Assert(t, errors.Is(err, fs.ErrNotExist), "the old environment is gone")
	entries, err := os.ReadDir(filepath.Dir(dir))
	assert.NilError(t, err)
	assert.Equal(t, len(entries), 1, "no staging directory is left")
}

func TestInstallOptionErrors(t *testing.T) {
	t.Parallel()
	srv := testindex.StartT(t, richIndex(), testindex.Options{})
	l := lockFor(t, srv, hostTarget, "toolkit")
	c := newClient(t, srv, "")
	win, _ := wheel.ParseTarget("cp311-win_amd64")
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no client", Options{}, "Options.Client is nil"},
		{"relative prefix", Options{Client: c, Prefix: "opt/venv"}, `Options.Prefix "opt/venv" is not an absolute path`},
		{"relative python", Options{Client: c, Python: Python{Executable: "python3"}}, `Python.Executable "python3" is not an absolute path`},
		{"python of another version", Options{Client: c, Python: Python{Version: "3.12.1"}}, `Python.Version "3.12.1" does not match target cp311-manylinux_2_36_x86_64`},
		{"windows", Options{Client: c, Target: win}, "only CPython on Linux or macOS is supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Install(context.Background(), l, filepath.Join(t.TempDir(), "env"), tc.opts)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}
