package simpleapi

import (
	"net/url"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	assert.NilError(t, err)
	return u
}

func TestParseHTML(t *testing.T) {
	t.Parallel()
	page := `<!DOCTYPE html><html><head>
<META name="pypi:repository-version" content="1.0">
<!-- <a href="commented-out.whl">no</a> -->
</head><body>
<A HREF="../../files/a/a-1.0-py3-none-any.whl#SHA256=ABCDEF" data-requires-python="&gt;=3.8, &lt;4" data-core-metadata="sha256=1234">a-1.0-py3-none-any.whl</A><br/>
<a href='https://files.example/a-1.0.tar.gz#md5=ff' data-yanked data-dist-info-metadata=true>a-1.0.tar.gz</a>
<a href=a-0.9.tar.gz data-yanked="bad &amp; broken">  a-0.9.tar.gz </a>
<a href="https://user:pw@mirror.example/x/a-0.8.zip"><span>a-0.8.zip</span></a>
<a name="no-href">anchor without href</a>
</body></html>`
	p, err := ParseHTML([]byte(page), "a", mustURL(t, "https://idx.example/simple/a/"))
	assert.NilError(t, err)
	want := []File{
		{Project: "a", Filename: "a-1.0-py3-none-any.whl", URL: "https://idx.example/files/a/a-1.0-py3-none-any.whl", Hashes: map[string]string{"sha256": "abcdef"},
			RequiresPython: ">=3.8, <4", Size: -1, CoreMetadata: true, CoreMetadataHashes: map[string]string{"sha256": "1234"}},
		{Project: "a", Filename: "a-1.0.tar.gz", URL: "https://files.example/a-1.0.tar.gz", Hashes: map[string]string{"md5": "ff"}, Yanked: true, Size: -1, CoreMetadata: true},
		{Project: "a", Filename: "a-0.9.tar.gz", URL: "https://idx.example/simple/a/a-0.9.tar.gz", Yanked: true, YankedReason: "bad & broken", Size: -1},
		{Project: "a", Filename: "a-0.8.zip", URL: "https://mirror.example/x/a-0.8.zip", Size: -1},
	}
	assert.DeepEqual(t, p.Files, want)
}

func TestParseHTMLBaseAndErrors(t *testing.T) {
	t.Parallel()
	p, err := ParseHTML([]byte(`<base href="https://cdn.example/pkgs/"><a href="a-1.whl">a-1.whl</a>`), "a", mustURL(t, "https://idx.example/simple/a/"))
	assert.NilError(t, err)
	assert.Equal(t, p.Files[0].URL, "https://cdn.example/pkgs/a-1.whl")
	for _, tc := range []struct{ page, want string }{
		{`<meta name="pypi:repository-version" content="2.0"><a href="x.whl">x.whl</a>`, `repository API version "2.0" is not supported`},
		{`<a href="javascript:alert(1)">x</a>`, "is not an absolute http(s) URL"},
		{`<a href="%zz">x</a>`, "is not a URL"},
	} {
		_, err := ParseHTML([]byte(tc.page), "a", mustURL(t, "https://idx.example/simple/a/"))
		assert.ErrorContains(t, err, tc.want, tc.page)
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	page := `{"meta":{"api-version":"1.3","_last-serial":5},"name":"Foo.Bar","versions":["1.0"],"files":[
 {"filename":"foo_bar-1.0-py3-none-any.whl","url":"/files/foo_bar-1.0-py3-none-any.whl","hashes":{"SHA256":"AA"},"requires-python":">=3.9",
  "size":10,"upload-time":"2024-05-01T10:20:30.123456Z","yanked":"security","core-metadata":{"sha256":"bb"},"provenance":null},
 {"filename":"foo_bar-1.0.tar.gz","url":"https://files.example/foo_bar-1.0.tar.gz#sha256=cc","hashes":{},"yanked":false,"dist-info-metadata":true,"size":0}
]}`
	p, err := ParseJSON([]byte(page), mustURL(t, "https://idx.example/simple/foo-bar/"))
	assert.NilError(t, err)
	want := &Project{Name: "foo-bar", Versions: []string{"1.0"}, Files: []File{
		{Project: "foo-bar", Filename: "foo_bar-1.0-py3-none-any.whl", URL: "https://idx.example/files/foo_bar-1.0-py3-none-any.whl",
			Hashes: map[string]string{"sha256": "aa"}, RequiresPython: ">=3.9", Yanked: true, YankedReason: "security",
			UploadTime: time.Date(2024, 5, 1, 10, 20, 30, 123456000, time.UTC), Size: 10, CoreMetadata: true, CoreMetadataHashes: map[string]string{"sha256": "bb"}},
		{Project: "foo-bar", Filename: "foo_bar-1.0.tar.gz", URL: "https://files.example/foo_bar-1.0.tar.gz", Hashes: map[string]string{"sha256": "cc"}, Size: 0, CoreMetadata: true},
	}}
	assert.DeepEqual(t, p, want)
}

func TestParseJSONErrors(t *testing.T) {
	t.Parallel()
	base := mustURL(t, "https://idx.example/simple/a/")
	for _, tc := range []struct{ page, want string }{
		{`{"meta":{"api-version":"2.0"},"name":"a","files":[]}`, `repository API version "2.0" is not supported`},
		{`{"meta":{"api-version":"1.0"},"name":"a","files":[{"filename":"a.whl","url":"a.whl","hashes":{},"yanked":3}]}`, `files[0] ("a.whl"): yanked: want a boolean or a string, got 3`},
		{`{"meta":{"api-version":"1.1"},"name":"a","files":[{"filename":"a.whl","url":"a.whl","hashes":{},"upload-time":"yesterday"}]}`, `upload-time "yesterday" is not ISO 8601`},
		{`{"meta":{"api-version":"1.1"},"name":"a","files":[{"filename":"a.whl","url":"a.whl","hashes":{},"size":-1}]}`, `size -1 is negative`},
		{`{"meta":{"api-version":"1.1"},"name":"a","files":[{"filename":"../a.whl","url":"a.whl","hashes":{}}]}`, `filename must be a plain file name`},
		{`{"meta":{"api-version":"1.1"},"name":"a","files":[{"filename":"a.whl","url":"a.whl","core-metadata":[1]}]}`, `core-metadata: want a boolean or a hash object`},
		{`{"meta":`, `decoding JSON project page`},
	} {
		_, err := ParseJSON([]byte(tc.page), base)
		assert.ErrorContains(t, err, tc.want, tc.page)
	}
}

func TestParseMetadata(t *testing.T) {
	t.Parallel()
	in := "Metadata-Version: 2.3\r\nName: Foo.Bar\r\nVersion: 1.0.post1\r\nSummary: a\r\n  summary continued\r\n" +
		"requires-dist: idna (>=2.5)\r\nRequires-Dist: pysocks!=1.5.7,>=1.5.6;   extra == 'socks'\r\nProvides-Extra: socks\r\n" +
		"Provides-Extra: use_chardet_on_py3\r\nRequires-Python: >=3.7\r\nClassifier: A\r\nClassifier: B\r\n\r\nLong description\n\nwith blank line\n"
	m, err := ParseMetadata([]byte(in))
	assert.NilError(t, err)
	want := &Metadata{MetadataVersion: "2.3", Name: "Foo.Bar", Version: "1.0.post1", RequiresPython: ">=3.7",
		RequiresDist:  []string{"idna (>=2.5)", "pysocks!=1.5.7,>=1.5.6; extra == 'socks'"},
		ProvidesExtra: []string{"socks", "use_chardet_on_py3"},
		Fields: map[string][]string{
			"Metadata-Version": {"2.3"}, "Name": {"Foo.Bar"}, "Version": {"1.0.post1"}, "Summary": {"a\nsummary continued"},
			"requires-dist":  {"idna (>=2.5)", "pysocks!=1.5.7,>=1.5.6;   extra == 'socks'"},
			"Provides-Extra": {"socks", "use_chardet_on_py3"}, "Requires-Python": {">=3.7"}, "Classifier": {"A", "B"},
			"Description": {"Long description\n\nwith blank line"},
		}}
	assert.DeepEqual(t, m, want)
}

func TestParseMetadataErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"Metadata-Version: 2.1\nName: a\n", "core metadata has no Version field"},
		{"Name: a\nVersion: 1\n", "core metadata has no Metadata-Version field"},
		{" continued\nName: a\n", "line 1: continuation line before any field"},
		{"Metadata-Version: 2.1\nthis is not a header\n", `line 2: expected "Field: value", found "this is not a header"`},
		{"", "core metadata has no Metadata-Version field"},
	} {
		_, err := ParseMetadata([]byte(tc.in))
		assert.ErrorContains(t, err, tc.want, tc.in)
	}
}

func TestParseNetrc(t *testing.T) {
	t.Parallel()
	entries, err := parseNetrc("machine a.example login u1 password p1\n# comment\nmacdef init\ncd /tmp\n\ndefault login anon password x\nmachine b.example\n\tlogin u2 account acct\n\tpassword p2\n")
	assert.NilError(t, err)
	for _, tc := range []struct {
		host string
		want credentials
	}{
		{"a.example", credentials{"u1", "p1"}},
		{"B.example", credentials{"u2", "p2"}},
		{"other", credentials{"anon", "x"}},
	} {
		got, ok := lookupNetrc(entries, tc.host)
		assert.Assert(t, ok)
		assert.Equal(t, got, tc.want, tc.host)
	}
	for _, tc := range []struct{ in, want string }{
		{"machine", `netrc line 1: "machine" needs a value`},
		{"login x", `netrc line 1: "login" before any machine`},
		{"machine a\nbogus", "netrc line 2: unexpected token"},
	} {
		_, err := parseNetrc(tc.in)
		assert.ErrorContains(t, err, tc.want)
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://u:p@host/simple/":   "https://***@host/simple/",
		"https://token@host/simple/": "https://***@host/simple/",
		"https://host/simple/":       "https://host/simple/",
		"https://u:p@host/%zz":       "https://***@host/%zz",
		"not a url":                  "not a url",
	} {
		assert.Equal(t, Redact(in), want, in)
	}
}
