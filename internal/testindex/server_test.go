package testindex

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	assert.NilError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	assert.NilError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	assert.NilError(t, err)
	return resp, body
}

func TestNegotiation(t *testing.T) {
	t.Parallel()
	s := StartT(t, Generated(GenerateOptions{HugeVersions: 3}), Options{})
	for _, tc := range []struct {
		accept, query, want string
		status              int
	}{
		{"", "", ContentTypeLegacyHTML, 200},
		{"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01", "", ContentTypeJSON, 200},
		{"application/vnd.pypi.simple.v1+json;q=0.2, application/vnd.pypi.simple.v1+html", "", ContentTypeHTML, 200},
		{"application/vnd.pypi.simple.latest+json", "", ContentTypeJSON, 200},
		{"text/*", "", ContentTypeLegacyHTML, 200},
		{"*/*", "", ContentTypeJSON, 200},
		{"image/png", "", "", 406},
		{"text/html", "format=json", ContentTypeJSON, 200},
	} {
		url := s.URL + "/simple/yanked/"
		if tc.query != "" {
			url += "?" + tc.query
		}
		resp, _ := get(t, url, "Accept", tc.accept)
		assert.Equal(t, resp.StatusCode, tc.status, tc.accept)
		if tc.status == 200 {
			assert.Equal(t, resp.Header.Get("Content-Type"), tc.want, tc.accept)
			assert.Equal(t, resp.Header.Get("Vary"), "Accept")
		}
	}
}

func TestJSONPage(t *testing.T) {
	t.Parallel()
	ix := Generated(GenerateOptions{HugeVersions: 3})
	s := StartT(t, ix, Options{})
	resp, body := get(t, s.URL+"/simple/yanked/", "Accept", ContentTypeJSON)
	assert.Equal(t, resp.StatusCode, 200)
	var page struct {
		Meta     map[string]string `json:"meta"`
		Name     string            `json:"name"`
		Versions []string          `json:"versions"`
		Files    []map[string]any  `json:"files"`
	}
	assert.NilError(t, json.Unmarshal(body, &page))
	assert.Equal(t, page.Meta["api-version"], "1.1")
	assert.DeepEqual(t, page.Versions, []string{"0.9.0", "1.0.0", "1.1.0", "2.0.0"})
	assert.Equal(t, len(page.Files), 8)
	byName := map[string]map[string]any{}
	for _, f := range page.Files {
		byName[f["filename"].(string)] = f
	}
	whl := byName["yanked-1.1.0-py3-none-any.whl"]
	assert.Equal(t, whl["yanked"], "broken build")
	assert.Equal(t, byName["yanked-2.0.0-py3-none-any.whl"]["yanked"], true)
	assert.Equal(t, byName["yanked-1.0.0-py3-none-any.whl"]["yanked"], false)
	assert.Equal(t, whl["upload-time"], "2022-01-01T02:00:00.000000Z")
	assert.Equal(t, whl["url"], "../../files/yanked/yanked-1.1.0-py3-none-any.whl")
	f, err := ix.File("yanked", "yanked-1.1.0-py3-none-any.whl")
	assert.NilError(t, err)
	assert.DeepEqual(t, whl["hashes"], map[string]any{"sha256": f.SHA256})
	assert.DeepEqual(t, whl["core-metadata"], map[string]any{"sha256": f.MetadataSHA256})
	assert.Equal(t, whl["size"], float64(len(f.Body)))
	_, hasMeta := byName["yanked-1.1.0.tar.gz"]["core-metadata"]
	assert.Assert(t, !hasMeta, "sdists offer no metadata file")

	// The file and its metadata are served and match the advertised hashes.
	_, wheel := get(t, s.URL+"/files/yanked/yanked-1.1.0-py3-none-any.whl")
	assert.Equal(t, hexSHA(wheel), f.SHA256)
	_, meta := get(t, s.URL+"/files/yanked/yanked-1.1.0-py3-none-any.whl.metadata")
	assert.Equal(t, hexSHA(meta), f.MetadataSHA256)
	resp, _ = get(t, s.URL+"/files/yanked/yanked-1.1.0.tar.gz.metadata")
	assert.Equal(t, resp.StatusCode, 404)
}

func TestHTMLPage(t *testing.T) {
	t.Parallel()
	s := StartT(t, Generated(GenerateOptions{HugeVersions: 3}), Options{Format: "html"})
	resp, body := get(t, s.URL+"/simple/yanked/", "Accept", ContentTypeJSON)
	assert.Equal(t, resp.Header.Get("Content-Type"), ContentTypeLegacyHTML)
	page := string(body)
	assert.Assert(t, is.Contains(page, `<meta name="pypi:repository-version" content="1.1">`))
	assert.Assert(t, is.Contains(page, `data-yanked="broken build"`))
	assert.Assert(t, is.Contains(page, `data-yanked=""`))
	assert.Assert(t, is.Contains(page, `data-core-metadata="sha256=`))
	assert.Assert(t, is.Contains(page, `data-dist-info-metadata="sha256=`))
	_, py := get(t, s.URL+"/simple/needs-py312/")
	assert.Assert(t, is.Contains(string(py), `data-requires-python="&gt;=3.12"`))
	_, list := get(t, s.URL+"/simple/")
	assert.Assert(t, is.Contains(string(list), `<a href="no-upload-time/">no-upload-time</a>`))
}

func TestRedirectsAndNotFound(t *testing.T) {
	t.Parallel()
	s := StartT(t, Generated(GenerateOptions{HugeVersions: 3}), Options{})
	for _, tc := range []struct{ path, location string }{
		{"/simple/No_Upload.Time/", "/simple/no-upload-time/"},
		{"/simple/yanked", "/simple/yanked/"},
		{"/simple/Yanked?format=json", "/simple/yanked/?format=json"},
	} {
		resp, _ := get(t, s.URL+tc.path)
		assert.Equal(t, resp.StatusCode, http.StatusMovedPermanently, tc.path)
		assert.Equal(t, resp.Header.Get("Location"), tc.location, tc.path)
	}
	resp, _ := get(t, s.URL+"/simple/nope/")
	assert.Equal(t, resp.StatusCode, 404)
	resp, _ = get(t, s.URL+"/files/yanked/nope.whl")
	assert.Equal(t, resp.StatusCode, 404)
}

func TestETagRevalidation(t *testing.T) {
	t.Parallel()
	s := StartT(t, Generated(GenerateOptions{HugeVersions: 3}), Options{PageCacheControl: "max-age=0, must-revalidate"})
	resp, _ := get(t, s.URL+"/simple/app/", "Accept", ContentTypeJSON)
	etag := resp.Header.Get("ETag")
	assert.Assert(t, etag != "")
	assert.Equal(t, resp.Header.Get("Cache-Control"), "max-age=0, must-revalidate")
	resp, body := get(t, s.URL+"/simple/app/", "Accept", ContentTypeJSON, "If-None-Match", etag)
	assert.Equal(t, resp.StatusCode, http.StatusNotModified)
	assert.Equal(t, len(body), 0)
	// The HTML representation has its own ETag.
	resp, _ = get(t, s.URL+"/simple/app/", "Accept", "text/html", "If-None-Match", etag)
	assert.Equal(t, resp.StatusCode, 200)
	assert.Equal(t, s.Count("/simple/app/", http.StatusNotModified), 1)
	assert.Equal(t, s.Count("/simple/app/", 0), 3)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	ix := Generated(GenerateOptions{HugeVersions: 3})
	s := StartT(t, ix, Options{Faults: []Fault{
		{Path: "/simple/yanked/", Status: 503, Times: 2},
		{Path: "/files/app/*.whl", Truncate: true},
		{Path: "/files/platform/*.whl", WrongHash: true},
		{Path: "/files/needs-py312/*", NoMetadata: true},
	}})
	for i, want := range []int{503, 503, 200} {
		resp, _ := get(t, s.URL+"/simple/yanked/")
		assert.Equal(t, resp.StatusCode, want, "request %d", i)
	}

	resp, err := http.Get(s.URL + "/files/app/app-1.0.0-py3-none-any.whl")
	assert.NilError(t, err)
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Assert(t, errors.Is(err, io.ErrUnexpectedEOF), "got %v", err)

	_, body := get(t, s.URL+"/simple/platform/", "Accept", ContentTypeJSON)
	f, err := ix.File("platform", "platform-1.0.0-cp312-cp312-win_amd64.whl")
	assert.NilError(t, err)
	assert.Assert(t, !bytes.Contains(body, []byte(f.SHA256)), "advertised hash must be wrong")
	assert.Assert(t, bytes.Contains(body, []byte(f.MetadataSHA256)), "metadata hash stays right")

	_, body = get(t, s.URL+"/simple/needs-py312/", "Accept", ContentTypeJSON)
	assert.Assert(t, !bytes.Contains(body, []byte("core-metadata")))
	resp2, _ := get(t, s.URL+"/files/needs-py312/needs_py312-2.0.0-py3-none-any.whl.metadata")
	assert.Equal(t, resp2.StatusCode, 404)
}

func TestSlowFaultHonoursClientTimeout(t *testing.T) {
	t.Parallel()
	s := StartT(t, Generated(GenerateOptions{HugeVersions: 3}), Options{Faults: []Fault{{Path: "/simple/app/", Delay: time.Minute}}})
	client := &http.Client{Timeout: 100 * time.Millisecond}
	_, err := client.Get(s.URL + "/simple/app/")
	assert.ErrorContains(t, err, "Client.Timeout")
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	s := StartT(t, Generated(GenerateOptions{HugeVersions: 3}), Options{User: "u", Password: "s3cret"})
	resp, _ := get(t, s.URL+"/simple/")
	assert.Equal(t, resp.StatusCode, http.StatusUnauthorized)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/simple/", nil)
	req.SetBasicAuth("u", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	assert.NilError(t, err)
	resp.Body.Close()
	assert.Equal(t, resp.StatusCode, 200)
	reqs := s.Requests()
	assert.Assert(t, !reqs[0].Authorized && reqs[1].Authorized)
}

func TestWheelIsValidAndDeterministic(t *testing.T) {
	t.Parallel()
	build := func() *File {
		ix := New()
		v := Pure("1.2.3+local", `dep>=1; extra == "x"`)
		v.ProvidesExtra = []string{"x"}
		v.RequiresPython = ">=3.9"
		ix.Add("My.Package", v)
		f, err := ix.File("my-package", "my_package-1.2.3+local-py3-none-any.whl")
		assert.NilError(t, err)
		return f
	}
	a, b := build(), build()
	assert.Equal(t, a.SHA256, b.SHA256)
	assert.DeepEqual(t, a.Body, b.Body)

	zr, err := zip.NewReader(bytes.NewReader(a.Body), int64(len(a.Body)))
	assert.NilError(t, err)
	contents := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		assert.NilError(t, err)
		contents[zf.Name], err = io.ReadAll(rc)
		assert.NilError(t, err)
		rc.Close()
	}
	di := "my_package-1.2.3+local.dist-info/"
	assert.Equal(t, string(contents[di+"METADATA"]), "Metadata-Version: 2.1\nName: My.Package\nVersion: 1.2.3+local\n"+
		"Summary: generated by pydeploy testindex\nRequires-Python: >=3.9\nProvides-Extra: x\nRequires-Dist: dep>=1; extra == \"x\"\n")
	assert.Assert(t, is.Contains(string(contents[di+"WHEEL"]), "Tag: py3-none-any\n"))
	for line := range strings.SplitSeq(strings.TrimSpace(string(contents[di+"RECORD"])), "\n") {
		parts := strings.Split(line, ",")
		if parts[0] == di+"RECORD" {
			continue
		}
		sum := sha256.Sum256(contents[parts[0]])
		assert.Equal(t, parts[1], "sha256="+base64.RawURLEncoding.EncodeToString(sum[:]), parts[0])
	}
	assert.Equal(t, len(contents), 4)
}

func TestCheckRejectsBadInput(t *testing.T) {
	t.Parallel()
	ix := New()
	ix.Add("a", &Version{Version: "1.0", WheelTags: []string{"py3-none"}})
	assert.ErrorContains(t, ix.Check(), `wheel tag "py3-none" is not python-abi-platform`)
	ix = New()
	ix.Add("a", Pure("1.0"), Pure("1.0"))
	assert.ErrorContains(t, ix.Check(), `version "1.0" added twice`)
	_, err := Start(New(), Options{Format: "xml"})
	assert.ErrorContains(t, err, `Options.Format is "xml"`)
}

func TestPagesAreByteStable(t *testing.T) {
	t.Parallel()
	s1 := StartT(t, Generated(GenerateOptions{HugeVersions: 20}), Options{})
	s2 := StartT(t, Generated(GenerateOptions{HugeVersions: 20}), Options{})
	for _, accept := range []string{ContentTypeJSON, "text/html"} {
		for _, p := range []string{"/simple/", "/simple/platform/", "/simple/huge/", "/files/platform/platform-1.0.0.tar.gz"} {
			r1, b1 := get(t, s1.URL+p, "Accept", accept)
			r2, b2 := get(t, s2.URL+p, "Accept", accept)
			assert.Equal(t, r1.StatusCode, 200)
			assert.DeepEqual(t, b1, b2)
			assert.Equal(t, r1.Header.Get("ETag"), r2.Header.Get("ETag"))
		}
	}
}
