package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/internal/testregistry"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/manifest/image"
)

// An image built from the lock passes; the CI step exits 0.
func Example() {
	ctx := context.Background()
	ix := testindex.New()
	ix.Add("idna", testindex.Pure("3.7"))
	idx, err := testindex.Start(ix, testindex.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer idx.Close()
	reg, err := testregistry.Start(testregistry.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer reg.Close()
	dir, err := os.MkdirTemp("", "image-check-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	req, _ := pep508.Parse("idna")
	l, err := lockfile.Lock(ctx, project.Inputs{Requirements: []pep508.Requirement{req}, IndexURLs: []string{idx.SimpleURL()},
		Targets: []string{"cp312-manylinux_2_36_x86_64"}}, lockfile.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	lockFile := filepath.Join(dir, "pylock.toml")
	if err := pylock.WriteFile(lockFile, l); err != nil {
		fmt.Println(err)
		return
	}
	base, err := reg.PushStandInBase(ctx, "base/python", "3.12")
	if err != nil {
		fmt.Println(err)
		return
	}
	client, err := simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: idx.SimpleURL()}}, CacheDir: filepath.Join(dir, "cache"), NoNetrc: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	built, err := image.Build(ctx, image.Spec{Base: base, Lock: l}, image.BuildOptions{Client: client, TempDir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer built.Close()
	pinned, err := built.Push(ctx, reg.Ref("acme/app", ":1.0.0"), image.Remote{})
	if err != nil {
		fmt.Println(err)
		return
	}

	var out strings.Builder
	code := run(ctx, []string{"-image", pinned.String(), "-lock", lockFile}, &out, os.Stderr)
	fmt.Println("exit code", code)
	fmt.Println(strings.Contains(out.String(), "ok: the image holds exactly the locked packages"))
	// Output:
	// exit code 0
	// true
}
