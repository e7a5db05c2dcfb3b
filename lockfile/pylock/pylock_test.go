package pylock

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pelletier/go-toml/v2"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"
)

func sha(c byte) map[string]string {
	return map[string]string{"sha256": strings.Repeat(string(c), 64)}
}

// fullLock uses every table of the format.
func fullLock() *Lock {
	up := time.Date(2026, 3, 1, 12, 30, 45, 123456000, time.UTC)
	return &Lock{
		LockVersion:      "1.0",
		Environments:     []string{`sys_platform == "linux"`},
		RequiresPython:   ">=3.12",
		Extras:           []string{"docs"},
		DependencyGroups: []string{"dev"},
		DefaultGroups:    []string{"default"},
		CreatedBy:        "pydeploy",
		Packages: []Package{
			{Name: "alpha", Version: "1.0", Marker: `"dev" in dependency_groups`, RequiresPython: ">=3.8",
				Dependencies: []Dependency{{Name: "beta", Version: "2.0"}, {Name: "gamma", Other: map[string]any{"url": "https://x/y"}}},
				Index:        "https://pypi.org/simple",
				Sdist:        &File{Name: "alpha-1.0.tar.gz", UploadTime: up, URL: "https://files/alpha-1.0.tar.gz", Size: new(int64(10)), Hashes: sha('a')},
				Wheels: []File{
					{Name: "alpha-1.0-py3-none-any.whl", UploadTime: up, URL: "https://files/alpha-1.0-py3-none-any.whl", Size: new(int64(0)), Hashes: map[string]string{"md5": strings.Repeat("0", 32), "sha256": strings.Repeat("b", 64)}},
				},
				AttestationIdentities: []map[string]any{{"kind": "GitHub", "repository": "o/alpha"}},
				Tool:                  map[string]any{"pydeploy": map[string]any{"note": "x"}, "n": int64(3)},
			},
			{Name: "beta", Version: "2.0", Archive: &Archive{URL: "https://x/beta.zip", Size: new(int64(5)), UploadTime: up, Hashes: sha('c'), Subdirectory: "sub"}},
			{Name: "delta", VCS: &VCS{Type: "git", URL: "https://github.com/o/delta", RequestedRevision: "main", CommitID: "deadbeef", Subdirectory: "pkg"}},
			{Name: "epsilon", Directory: &Directory{Path: "./src/eps", Editable: true, Subdirectory: "x"}},
			{Name: "gamma", Archive: &Archive{Path: "vendor/gamma.tar.gz", Hashes: sha('d')}},
		},
		Tool: map[string]any{
			"pydeploy": map[string]any{
				"input-hash": "sha256:" + strings.Repeat("e", 64),
				"inputs":     []any{"requires:alpha>=1", "index:https://pypi.org/simple", "target:cp312-manylinux_2_36_x86_64", "exclude-newer:2026-11-01T00:00:00Z", "a long enough entry to wrap the array"},
				"when":       up,
				"nested":     map[string]any{"f": 1.5, "b": true, "arr": []any{int64(1), int64(2)}},
			},
			"plain": "value",
		},
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tricky := fullLock()
	tricky.CreatedBy = "it's \"quoted\"\\ \t tab\nnewline \x01 ctl \x7f del ünï 🐍"
	tricky.Tool = map[string]any{"weird key.with dots": map[string]any{"": "empty key", "q'uote": "x'y"}}
	tests := map[string]*Lock{
		"full":   fullLock(),
		"tricky": tricky,
		"empty":  {LockVersion: "1.0", CreatedBy: "pydeploy"},
	}
	for name, l := range tests {
		t.Run(name, func(t *testing.T) {
			data, err := Marshal(l)
			assert.NilError(t, err)
			got, err := Unmarshal(data)
			assert.NilError(t, err, string(data))
			assert.DeepEqual(t, got, l.sorted())
			again, err := Marshal(got)
			assert.NilError(t, err)
			assert.Equal(t, string(again), string(data))
		})
	}
}

func TestMarshalGolden(t *testing.T) {
	t.Parallel()
	data, err := Marshal(fullLock())
	assert.NilError(t, err)
	golden.Assert(t, string(data), "full.golden.toml")
}

func TestMarshalSortsAndIsDeterministic(t *testing.T) {
	t.Parallel()
	a := fullLock()
	b := fullLock()
	b.Packages[0], b.Packages[3] = b.Packages[3], b.Packages[0]
	b.Packages[3].Dependencies[0], b.Packages[3].Dependencies[1] = b.Packages[3].Dependencies[1], b.Packages[3].Dependencies[0]
	b.Packages = append(b.Packages, Package{Name: "alpha", Version: "0.9", Sdist: &File{URL: "https://f/alpha-0.9.tar.gz", Hashes: sha('f')}})
	a.Packages = append([]Package{{Name: "alpha", Version: "0.9", Sdist: &File{URL: "https://f/alpha-0.9.tar.gz", Hashes: sha('f')}}}, a.Packages...)
	da, err := Marshal(a)
	assert.NilError(t, err)
	db, err := Marshal(b)
	assert.NilError(t, err)
	assert.Equal(t, string(da), string(db))
	assert.Assert(t, strings.Index(string(da), "\nversion = '0.9'") < strings.Index(string(da), "\nversion = '1.0'"))
	assert.Equal(t, b.Packages[0].Name, "epsilon", "Marshal must not reorder its argument")
}

func TestQuote(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`plain`, `'plain'`},
		{`has "double"`, `'has "double"'`},
		{`it's`, `"it's"`},
		{"tab\there", "'tab\there'"},
		{"nl\n", `"nl\n"`},
		{"back\\slash'", `"back\\slash'"`},
		{"\x00\x1f\x7f\b\f\r", `"\u0000\u001F\u007F\b\f\r"`},
		{"ünï🐍", `'ünï🐍'`},
		{``, `''`},
	}
	for _, tc := range tests {
		e := &emitter{}
		got := quote(e, tc.in)
		assert.NilError(t, e.err)
		assert.Equal(t, got, tc.want)
		var doc map[string]any
		assert.NilError(t, toml.Unmarshal([]byte("k = "+got), &doc), got)
		assert.Equal(t, doc["k"], tc.in)
	}
	e := &emitter{}
	quote(e, "bad \xff utf8")
	assert.ErrorContains(t, e.err, "not valid UTF-8")
}

func TestSpecExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("testdata", "spec-example.toml"))
	assert.NilError(t, err)
	l, err := Unmarshal(data)
	assert.NilError(t, err)
	assert.Equal(t, l.RequiresPython, "==3.12.*")
	assert.Equal(t, len(l.Packages), 3)
	assert.Equal(t, l.Packages[1].Dependencies[0].Name, "tinyattrs")
	assert.Equal(t, l.Packages[0].Wheels[0].UploadTime, time.Date(2025, 1, 25, 11, 30, 10, 164985000, time.UTC))
	assert.Equal(t, *l.Packages[2].Wheels[1].Size, int64(16116679))
	assert.Equal(t, l.Packages[0].AttestationIdentities[0]["kind"], "GitHub")
	runOn := l.Tool["mousebender"].(map[string]any)["run-on"]
	assert.Equal(t, runOn.(toml.LocalDateTime).String(), "2025-03-06T12:28:57.760769")

	out, err := Marshal(l)
	assert.NilError(t, err)
	golden.Assert(t, string(out), "spec-example.golden.toml")
	back, err := Unmarshal(out)
	assert.NilError(t, err)
	assert.DeepEqual(t, back, l.sorted())
}

func TestFileName(t *testing.T) {
	t.Parallel()
	assert.Equal(t, FileName(""), "pylock.toml")
	assert.Equal(t, FileName("web"), "pylock.web.toml")
	for _, tc := range []struct {
		name, service string
		ok            bool
	}{
		{"pylock.toml", "", true}, {"pylock.web.toml", "web", true}, {"pylock.a.b.toml", "", false},
		{"pylock..toml", "", false}, {"Pylock.toml", "", false}, {"pylock.web.toml.bak", "", false},
	} {
		got, err := ParseFileName(tc.name)
		assert.Equal(t, err == nil, tc.ok, tc.name)
		assert.Equal(t, got, tc.service)
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	assert.Equal(t, Hash([]byte("")), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	a, _ := Marshal(fullLock())
	b, _ := Marshal(fullLock())
	assert.Equal(t, Hash(a), Hash(b))
}

func TestFileFileName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f    File
		want string
	}{
		{File{Name: "n.whl", URL: "https://h/x.whl"}, "n.whl"},
		{File{URL: "https://h/a/b/x-1.whl?sig=1#frag"}, "x-1.whl"},
		{File{URL: "https://h"}, ""},
		{File{Path: `dist\win\x.whl`}, "x.whl"},
		{File{Path: "dist/x.tar.gz", URL: "https://h/y"}, "x.tar.gz"},
	} {
		assert.Equal(t, tc.f.FileName(), tc.want, "%+v", tc.f)
	}
}

func TestMarshalRejectsInvalid(t *testing.T) {
	t.Parallel()
	l := fullLock()
	l.Packages[0].Name = "Alpha"
	_, err := Marshal(l)
	assert.ErrorContains(t, err, `packages[0].name: name "Alpha" is not normalized`)
	_, err = Marshal(nil)
	assert.ErrorContains(t, err, "nil lock")
	l = fullLock()
	l.Tool["bad"] = map[string]any{"x": struct{}{}}
	_, err = Marshal(l)
	assert.ErrorContains(t, err, "tool.bad.x: unsupported value of type struct {}")
}

func TestDecodeWarnings(t *testing.T) {
	t.Parallel()
	doc := "lock-version = '1.3'\ncreated-by = 'x'\nfuture = 1\npackages = [{name = 'a', new-key = 2, sdist = {url = 'https://h/a-1.tar.gz', hashes = {sha256 = '" + strings.Repeat("0", 64) + "'}}}]\n"
	l, warns, err := Decode([]byte(doc))
	assert.NilError(t, err)
	assert.DeepEqual(t, warns, []string{"future: unknown key ignored (newer lock-version)", "packages[0].new-key: unknown key ignored (newer lock-version)"})
	assert.Equal(t, l.Packages[0].Name, "a")

	_, err = Unmarshal([]byte(strings.Replace(doc, "1.3", "1.0", 1)))
	assert.ErrorContains(t, err, "future: unknown key")
	assert.ErrorContains(t, err, "packages[0].new-key: unknown key")
}

func TestDiffIsReadable(t *testing.T) {
	t.Parallel()
	// go-cmp compares time.Time with Equal, so UTC conversion on read keeps
	// round trips equal; make sure a real difference still shows.
	a := fullLock()
	b := fullLock()
	b.Packages[1].Archive.Size = new(int64(6))
	assert.Assert(t, cmp.Diff(a, b) != "")
}
