package pylock

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/pydeploy/pydeploy/internal/shareddata"
	"gotest.tools/v3/assert"
)

const h64 = "0000000000000000000000000000000000000000000000000000000000000000"

// wheelDoc is a valid one-package lock with a placeholder for extra package
// keys and one for the wheel table body.
func wheelDoc(pkgExtra, wheelBody string) string {
	return "lock-version = '1.0'\ncreated-by = 'x'\n[[packages]]\nname = 'a'\nversion = '1.0'\n" + pkgExtra +
		"[[packages.wheels]]\n" + wheelBody + "\n"
}

const goodWheel = "url = 'https://h/a-1.0-py3-none-any.whl'\nhashes = {sha256 = '" + h64 + "'}"

func TestUnmarshalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, want string
	}{
		{"toml syntax", "lock-version = ", "invalid pylock.toml: line 1, column"},
		{"no version", "created-by = 'x'\npackages = []", "lock-version: missing required value"},
		{"version type", "lock-version = 1.0\ncreated-by = 'x'\npackages = []", "lock-version: unexpected type float (expected str)"},
		{"no created-by", "lock-version = '1.0'\npackages = []", "created-by: missing required value"},
		{"no packages", "lock-version = '1.0'\ncreated-by = 'x'", "packages: missing required value"},
		{"name not normalized", strings.Replace(wheelDoc("", goodWheel), "name = 'a'", "name = 'A_b'", 1), `packages[0].name: name "A_b" is not normalized (expected "a-b")`},
		{"bad version", strings.Replace(wheelDoc("", goodWheel), "'1.0'\n[[", "'one'\n[[", 1), `packages[0].version: invalid version "one"`},
		{"legacy extra", wheelDoc("marker = 'extra == \"x\"'\n", goodWheel), `packages[0].marker: marker "extra == \"x\"" uses the legacy "extra" variable`},
		{"bad marker", wheelDoc("marker = 'os_name ==='\n", goodWheel), "packages[0].marker: invalid marker"},
		{"bad requires-python", wheelDoc("requires-python = '3.8'\n", goodWheel), `packages[0].requires-python: invalid specifier "3.8"`},
		{"bad environment", "lock-version = '1.0'\ncreated-by = 'x'\nenvironments = ['nope']\npackages = []", "environments[0]: invalid marker"},
		{"extras not normalized", "lock-version = '1.0'\ncreated-by = 'x'\nextras = ['Docs']\npackages = []", `extras[0]: name "Docs" is not normalized`},
		{"no source", "lock-version = '1.0'\ncreated-by = 'x'\n[[packages]]\nname = 'a'", "packages[0]: no source"},
		{"vcs and wheels", wheelDoc("vcs = {type = 'git', url = 'https://g', commit-id = 'c'}\n", goodWheel), "packages[0]: vcs cannot be combined with sdist or wheels"},
		{"two direct sources", "lock-version = '1.0'\ncreated-by = 'x'\n[[packages]]\nname = 'a'\ndirectory = {path = '.'}\narchive = {url = 'https://h/a.zip', hashes = {sha256 = '" + h64 + "'}}", "packages[0]: sources directory, archive exclude each other"},
		{"version with directory", "lock-version = '1.0'\ncreated-by = 'x'\n[[packages]]\nname = 'a'\nversion = '1'\ndirectory = {path = '.'}", "packages[0].version: must not be set for a vcs or directory source"},
		{"vcs commit", "lock-version = '1.0'\ncreated-by = 'x'\n[[packages]]\nname = 'a'\nvcs = {type = 'git', url = 'https://g'}", "packages[0].vcs.commit-id: missing required value"},
		{"no location", wheelDoc("", "hashes = {sha256 = '"+h64+"'}"), "packages[0].wheels[0]: path or url must be provided"},
		{"upper hex", wheelDoc("", "url = 'https://h/a-1.0-py3-none-any.whl'\nhashes = {sha256 = '"+strings.ToUpper(strings.Repeat("a", 64))+"'}"), "packages[0].wheels[0].hashes.sha256: hash value"},
		{"upper alg", wheelDoc("", "url = 'https://h/a-1.0-py3-none-any.whl'\nhashes = {SHA256 = '"+h64+"'}"), `packages[0].wheels[0].hashes: algorithm name "SHA256" must be lower-case`},
		{"short sha256", wheelDoc("", "url = 'https://h/a-1.0-py3-none-any.whl'\nhashes = {sha256 = 'abc'}"), "sha256 digest must have 64 hex digits (found 3)"},
		{"wrong project", wheelDoc("", "url = 'https://h/b-1.0-py3-none-any.whl'\nhashes = {sha256 = '"+h64+"'}"), `packages[0].wheels[0]: wheel "b-1.0-py3-none-any.whl" belongs to project "b", not "a"`},
		{"wrong version", wheelDoc("", "url = 'https://h/a-2.0-py3-none-any.whl'\nhashes = {sha256 = '"+h64+"'}"), "has version 2.0, but the package version is 1.0"},
		{"bad wheel name", wheelDoc("", "name = 'a.whl'\nurl = 'https://h/x'\nhashes = {sha256 = '"+h64+"'}"), `packages[0].wheels[0]: invalid wheel filename "a.whl"`},
		{"size type", wheelDoc("", goodWheel+"\nsize = '3'"), "packages[0].wheels[0].size: unexpected type str (expected int)"},
		{"negative size", wheelDoc("", goodWheel+"\nsize = -3"), "packages[0].wheels[0].size: size must not be negative"},
		{"time type", wheelDoc("", goodWheel+"\nupload-time = 2024-01-01"), "upload-time: unexpected type date (expected datetime)"},
		{"unknown key", wheelDoc("", goodWheel+"\nsig = 'x'"), "packages[0].wheels[0].sig: unknown key"},
		{"attestation kind", wheelDoc("", goodWheel) + "[[packages.attestation-identities]]\nrepo = 'x'\n", "packages[0].attestation-identities[0].kind: missing required value"},
		{"packages type", "lock-version = '1.0'\ncreated-by = 'x'\npackages = 'a'", "packages: unexpected type str (expected Sequence)"},
		{"sdist name", "lock-version = '1.0'\ncreated-by = 'x'\n[[packages]]\nname = 'a'\nsdist = {url = 'https://h/a-1.0.rar', hashes = {sha256 = '" + h64 + "'}}", `packages[0].sdist: invalid sdist filename "a-1.0.rar"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Unmarshal([]byte(tc.doc))
			assert.ErrorContains(t, err, tc.want)
		})
	}
	// A valid document for contrast, so the table cannot pass on a reader
	// that rejects everything.
	_, err := Unmarshal([]byte(wheelDoc("", goodWheel)))
	assert.NilError(t, err)
}

func TestValidationErrorListsEveryProblem(t *testing.T) {
	t.Parallel()
	l := fullLock()
	l.Packages[0].Name = "Alpha"
	l.Packages[1].Archive.Hashes = nil
	err := l.Validate()
	var ve *ValidationError
	assert.Assert(t, errors.As(err, &ve))
	assert.Equal(t, len(ve.Errors), 2, err.Error())
	var fe *FieldError
	assert.Assert(t, errors.As(err, &fe))
	assert.Equal(t, fe.Path, "packages[0].name")
	assert.ErrorContains(t, err, "packages[1].archive.hashes: at least one hash must be provided")
}

func TestPackagingCases(t *testing.T) {
	t.Parallel()
	t.Run("pylock_file_name", func(t *testing.T) {
		for _, raw := range shareddata.CaseRows(t, "pylock_file_name") {
			var row [2]any
			assert.NilError(t, json.Unmarshal(raw, &row))
			_, err := ParseFileName(row[0].(string))
			assert.Equal(t, err == nil, row[1].(bool), row[0])
		}
	})
	versionDoc := func(v string) string {
		return fmt.Sprintf("lock-version = %q\ncreated-by = \"pip\"\npackages = []\n", v)
	}
	t.Run("pylock_version_supported", func(t *testing.T) {
		for _, raw := range shareddata.CaseRows(t, "pylock_version_supported") {
			var v string
			assert.NilError(t, json.Unmarshal(raw, &v))
			l, err := Unmarshal([]byte(versionDoc(v)))
			assert.NilError(t, err, v)
			assert.Equal(t, l.LockVersion, v)
		}
	})
	t.Run("pylock_version_unsupported", func(t *testing.T) {
		for _, raw := range shareddata.CaseRows(t, "pylock_version_unsupported") {
			var v string
			assert.NilError(t, json.Unmarshal(raw, &v))
			_, err := Unmarshal([]byte(versionDoc(v)))
			var u *UnsupportedVersionError
			assert.Assert(t, errors.As(err, &u), "%s: %v", v, err)
			assert.Equal(t, u.Version, v)
		}
	})
	t.Run("pylock_hash_validation", func(t *testing.T) {
		rows := shareddata.CaseRows(t, "pylock_hash_validation")
		assert.Assert(t, len(rows) > 0)
		for _, raw := range rows {
			var row [2]json.RawMessage
			assert.NilError(t, json.Unmarshal(raw, &row))
			var hashes any
			var want string
			assert.NilError(t, json.Unmarshal(row[0], &hashes))
			assert.NilError(t, json.Unmarshal(row[1], &want))
			doc := wheelDoc("", "url = 'https://h/a-1.0-py3-none-any.whl'\nhashes = "+tomlValue(t, hashes))
			_, err := Unmarshal([]byte(doc))
			// Upstream: "<Message> in 'hashes'"; ours: "<path>: <message>".
			msg := strings.TrimSuffix(want, " in 'hashes'")
			msg = string(unicode.ToLower(rune(msg[0]))) + msg[1:]
			assert.ErrorContains(t, err, "packages[0].wheels[0].hashes: "+msg)
		}
	})
}

// tomlValue writes a JSON-decoded value as TOML.
func tomlValue(t *testing.T, v any) string {
	t.Helper()
	if m, ok := v.(map[string]any); ok {
		for k, x := range m {
			if f, ok := x.(float64); ok {
				m[k] = int64(f)
			}
		}
	}
	e := &emitter{}
	s, err := value(e, v)
	assert.NilError(t, err)
	return s
}

// TestUnmarshalLimits: oversized or absurdly nested input is an error,
// never a crash.
func TestUnmarshalLimits(t *testing.T) {
	_, err := Unmarshal(make([]byte, MaxFileSize+1))
	assert.ErrorContains(t, err, "more than the 67108864 this package reads")
	deep := "lock-version = '1.0'\ncreated-by = 'x'\npackages = []\n[tool]\nx = " + strings.Repeat("[", 1<<20) + strings.Repeat("]", 1<<20)
	_, err = Unmarshal([]byte(deep))
	assert.Assert(t, err != nil)
}
