package simpleapi

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/pydeploy/pydeploy/internal/testindex"
)

// hugePage fetches the page of a project with 2,000 versions in the given
// representation from a loopback testindex.
func hugePage(b *testing.B, accept string) ([]byte, *url.URL) {
	b.Helper()
	s := testindex.StartT(b, testindex.Generated(testindex.GenerateOptions{HugeVersions: 2000}), testindex.Options{})
	req, err := http.NewRequest(http.MethodGet, s.SimpleURL()+"huge/", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	return body, resp.Request.URL
}

func BenchmarkParseJSONHugePage(b *testing.B) {
	body, base := hugePage(b, MediaTypeJSON)
	b.SetBytes(int64(len(body)))
	var files int
	for b.Loop() {
		p, err := ParseJSON(body, base)
		if err != nil {
			b.Fatal(err)
		}
		files = len(p.Files)
	}
	b.ReportMetric(float64(files), "files/page")
}

func BenchmarkParseHTMLHugePage(b *testing.B) {
	body, base := hugePage(b, MediaTypeLegacyHTML)
	b.SetBytes(int64(len(body)))
	var files int
	for b.Loop() {
		p, err := ParseHTML(body, "huge", base)
		if err != nil {
			b.Fatal(err)
		}
		files = len(p.Files)
	}
	b.ReportMetric(float64(files), "files/page")
}
