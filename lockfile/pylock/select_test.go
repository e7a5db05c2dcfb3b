package pylock

import (
	"errors"
	"testing"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
	"gotest.tools/v3/assert"
)

func selectLock() *Lock {
	w := func(name string) File { return File{URL: "https://h/" + name, Hashes: sha('a')} }
	return &Lock{
		LockVersion:    "1.0",
		CreatedBy:      "pydeploy",
		RequiresPython: ">=3.11",
		Environments:   []string{`sys_platform == "linux"`, `sys_platform == "darwin"`},
		DefaultGroups:  []string{"default"},
		Packages: []Package{
			{Name: "numpy", Version: "2.2.3", Wheels: []File{
				w("numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
				w("numpy-2.2.3-cp312-cp312-win_amd64.whl"),
				w("numpy-2.2.3-cp312-abi3-manylinux_2_17_x86_64.whl"),
			}, Sdist: &File{URL: "https://h/numpy-2.2.3.tar.gz", Hashes: sha('b')}},
			{Name: "pure", Version: "1.0", Sdist: &File{URL: "https://h/pure-1.0.tar.gz", Hashes: sha('c')}},
			{Name: "winonly", Version: "1.0", Marker: `sys_platform == "win32"`, Wheels: []File{w("winonly-1.0-py3-none-any.whl")}},
			{Name: "devtool", Version: "1.0", Marker: `"dev" in dependency_groups`, Wheels: []File{w("devtool-1.0-py3-none-any.whl")}},
			{Name: "web", Version: "1.0", Marker: `"default" in dependency_groups`, Wheels: []File{w("web-1.0-py3-none-any.whl")}},
		},
	}
}

func mustTarget(t *testing.T, s string) wheel.Target {
	t.Helper()
	tg, err := wheel.ParseTarget(s)
	assert.NilError(t, err)
	return tg
}

func TestSelect(t *testing.T) {
	t.Parallel()
	l := selectLock()
	tg := mustTarget(t, "cp312-manylinux_2_36_x86_64")
	sel, err := l.Select(tg.Environment(), tg)
	assert.NilError(t, err)
	var got []string
	for _, s := range sel {
		got = append(got, s.Package.Name+" "+string(s.Kind)+" "+s.File.FileName())
	}
	assert.DeepEqual(t, got, []string{
		"numpy wheel numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"pure sdist pure-1.0.tar.gz",
		"web wheel web-1.0-py3-none-any.whl",
	})

	env := tg.Environment()
	env.DependencyGroups = []string{"dev"}
	sel, err = l.Select(env, tg)
	assert.NilError(t, err)
	assert.Equal(t, sel[0].Package.Name, "devtool")
	assert.Equal(t, len(sel), 3)
}

func TestSelectErrors(t *testing.T) {
	t.Parallel()
	linux := mustTarget(t, "cp312-manylinux_2_36_x86_64")
	tests := []struct {
		name   string
		mutate func(*Lock)
		target wheel.Target
		want   error
		msg    string
	}{
		{"old python", func(*Lock) {}, mustTarget(t, "cp310-manylinux_2_36_x86_64"), ErrRequiresPython, `select: requires-python: python version not allowed: python 3.10.0 is not in ">=3.11"`},
		{"windows", func(*Lock) {}, mustTarget(t, "cp312-win_amd64"), ErrNoEnvironment, "win32"},
		{"package python", func(l *Lock) { l.Packages[1].RequiresPython = ">=3.13" }, linux, ErrRequiresPython, `package "pure": packages[1].requires-python`},
		{"ambiguous", func(l *Lock) { l.Packages = append(l.Packages, l.Packages[1]) }, linux, ErrAmbiguous, `packages[1] and packages[5] both apply to package "pure"`},
		{"no file", func(l *Lock) { l.Packages[0].Sdist = nil }, mustTarget(t, "cp312-manylinux_2_36_aarch64"), ErrNoFile, "none of 3 wheels fits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := selectLock()
			tc.mutate(l)
			_, err := l.Select(tc.target.Environment(), tc.target)
			assert.Assert(t, errors.Is(err, tc.want), "%v", err)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
	_, err := selectLock().Select(pep508.Environment{}, linux)
	assert.ErrorContains(t, err, "environment python version")
}
