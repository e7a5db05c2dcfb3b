package simpleapi_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

// A loopback index stands in for PyPI; the client lists a project's files
// and reads one version's requirements from its PEP 658 metadata file.
func Example() {
	ix := testindex.New()
	ix.Add("requests", testindex.Pure("2.31.0", "idna<4,>=2.5", "urllib3<3,>=1.21.1"))
	srv, err := testindex.Start(ix, testindex.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	c, err := simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.SimpleURL(), Name: "local"}}, NoNetrc: true})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	p, err := c.Project(ctx, "Requests")
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range p.Files {
		fmt.Println(f.Filename, f.Index, f.CoreMetadata)
	}
	m, err := c.Metadata(ctx, &p.Files[0])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Name, m.Version, m.RequiresDist)
	// Output:
	// requests-2.31.0-py3-none-any.whl local true
	// requests-2.31.0.tar.gz local false
	// requests 2.31.0 [idna<4,>=2.5 urllib3<3,>=1.21.1]
}

// DownloadFile keeps a verified copy of a distribution file in the cache,
// for an installer to unpack; a second call is answered from the cache.
func ExampleClient_DownloadFile() {
	ix := testindex.New()
	ix.Add("idna", testindex.Pure("3.4"))
	srv, err := testindex.Start(ix, testindex.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	cache, err := os.MkdirTemp("", "simpleapi-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(cache)

	c, err := simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: srv.SimpleURL()}}, CacheDir: cache, NoNetrc: true})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	p, err := c.Project(ctx, "idna")
	if err != nil {
		log.Fatal(err)
	}
	// A lock gives the same three things: URL, hashes and (maybe) size.
	wheel := simpleapi.File{URL: p.Files[0].URL, Hashes: p.Files[0].Hashes, Size: p.Files[0].Size}
	for range 2 {
		lf, err := c.DownloadFile(ctx, &wheel)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(filepath.Base(lf.Path), lf.Size == p.Files[0].Size, lf.SHA256 == p.Files[0].Hashes["sha256"], lf.Cached)
	}
	// Output:
	// idna-3.4-py3-none-any.whl true true false
	// idna-3.4-py3-none-any.whl true true true
}

// ParseMetadata reads METADATA / PKG-INFO, including repeated fields and
// continuation lines.
func ExampleParseMetadata() {
	m, err := simpleapi.ParseMetadata([]byte("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n" +
		"Requires-Dist: rich; extra == \"cli\"\nProvides-Extra: cli\nRequires-Python: >=3.9\n"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Name, m.Version, m.RequiresPython, m.ProvidesExtra, m.RequiresDist)
	// Output: demo 1.0 >=3.9 [cli] [rich; extra == "cli"]
}

// Redact is how URLs with credentials appear in messages.
func ExampleRedact() {
	fmt.Println(simpleapi.Redact("https://ci:s3cret@pypi.internal.example/simple/"))
	// Output: https://***@pypi.internal.example/simple/
}
