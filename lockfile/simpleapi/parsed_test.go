package simpleapi

import (
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

func parsedFixture() (parseKey, *Project) {
	k := parseKey{bodySHA256: "ab12", kind: "json", base: "https://idx.example/simple/a/"}
	p := &Project{Name: "a", Versions: []string{}, Files: []File{{
		Project: "a", Filename: "a-1.0-py3-none-any.whl", URL: "https://idx.example/f/a-1.0-py3-none-any.whl",
		Hashes: map[string]string{"sha256": "00ff", "md5": "11"}, RequiresPython: ">=3.8",
		Yanked: true, YankedReason: "broken", UploadTime: time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC),
		Size: 1234, CoreMetadata: true, CoreMetadataHashes: map[string]string{"sha256": "cd"},
	}, {
		Project: "a", Filename: "a-1.0.tar.gz", URL: "https://idx.example/f/a-1.0.tar.gz", Size: -1,
		UploadTime: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), Index: "x",
	}}}
	return k, p
}

func TestParsedRoundTrip(t *testing.T) {
	t.Parallel()
	k, p := parsedFixture()
	noVersions := *p
	noVersions.Versions, noVersions.Files = nil, nil
	for _, tc := range []struct {
		name string
		p    *Project
	}{{"files", p}, {"empty", &noVersions}} {
		t.Run(tc.name, func(t *testing.T) {
			data := encodeParsed(k, tc.p)
			assert.DeepEqual(t, data, encodeParsed(k, tc.p)) // deterministic, maps included
			got, err := decodeParsed(k, data)
			assert.NilError(t, err)
			assert.DeepEqual(t, got, tc.p)
		})
	}
}

func TestParsedRejectsMismatchAndDamage(t *testing.T) {
	t.Parallel()
	k, p := parsedFixture()
	data := encodeParsed(k, p)
	other := func(f func(*parseKey)) parseKey { o := k; f(&o); return o }
	for _, tc := range []struct {
		name string
		k    parseKey
		data []byte
	}{
		{"other body", other(func(o *parseKey) { o.bodySHA256 = "ab13" }), data},
		{"other kind", other(func(o *parseKey) { o.kind = "html" }), data},
		{"other base", other(func(o *parseKey) { o.base = "https://idx.example/simple/b/" }), data},
		{"other name", other(func(o *parseKey) { o.name = "a" }), data},
		{"empty", k, nil},
		{"bad magic", k, append([]byte("pdp9"), data[4:]...)},
		{"flipped byte", k, func() []byte { d := append([]byte(nil), data...); d[len(d)/2] ^= 1; return d }()},
	} {
		_, err := decodeParsed(tc.k, tc.data)
		assert.ErrorIs(t, err, errParsed, tc.name)
	}
	for n := range len(data) {
		_, err := decodeParsed(k, data[:n])
		assert.ErrorIs(t, err, errParsed, "truncated to %d bytes", n)
	}
}
