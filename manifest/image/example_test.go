package image_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/internal/testregistry"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/manifest/image"
)

// Build a service image from a lock onto a pinned base in a registry on
// 127.0.0.1, push it, and check the pushed image against the lock.
func Example() {
	ix := testindex.New()
	ix.Add("idna", testindex.Pure("3.7"))
	idx, err := testindex.Start(ix, testindex.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer idx.Close()
	reg, err := testregistry.Start(testregistry.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	ctx := context.Background()
	base, err := reg.PushStandInBase(ctx, "base/python", "3.12")
	if err != nil {
		log.Fatal(err)
	}
	req, err := pep508.Parse("idna")
	if err != nil {
		log.Fatal(err)
	}
	lock, err := lockfile.Lock(ctx, project.Inputs{Requirements: []pep508.Requirement{req},
		IndexURLs: []string{idx.SimpleURL()}, Targets: []string{"cp312-manylinux_2_36_x86_64"}}, lockfile.Options{})
	if err != nil {
		log.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "image-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.py"), []byte("print('hello')\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	client, err := simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: idx.SimpleURL()}}, CacheDir: filepath.Join(tmp, "cache"), NoNetrc: true})
	if err != nil {
		log.Fatal(err)
	}

	built, err := image.Build(ctx, image.Spec{Base: base, Lock: lock, Source: src, Cmd: []string{"python", "main.py"},
		Stamp: manifest.Stamp{LockHash: "sha256:…", Version: "v1.0.0"}}, image.BuildOptions{Client: client, TempDir: tmp})
	if err != nil {
		log.Fatal(err)
	}
	defer built.Close()
	pinned, err := built.Push(ctx, reg.Ref("acme/hello", ":1.0.0"), image.Remote{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pinned.Digest == built.Digest.String())

	reports, err := image.Verify(ctx, pinned.String(), lock, image.VerifyOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(reports[0].SitePackages, reports[0].Installed, reports[0].Clean())
	// Output:
	// true
	// /opt/venv/lib/python3.12/site-packages 1 true
}
