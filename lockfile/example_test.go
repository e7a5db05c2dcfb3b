package lockfile_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// Lock a service against an index, then run the CI freshness check after a
// requirement changed.
func Example() {
	srv, err := testindex.Start(testindex.Payments(), testindex.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	dir, err := os.MkdirTemp("", "lock")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	parse := func(ss ...string) []pep508.Requirement {
		var out []pep508.Requirement
		for _, s := range ss {
			r, err := pep508.Parse(s)
			if err != nil {
				log.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	in := project.Inputs{
		Requirements: parse("fastapi>=0.110", "gunicorn"),
		IndexURLs:    []string{srv.SimpleURL()},
		Targets:      []string{"cp312-manylinux_2_36_x86_64"},
		ExcludeNewer: testindex.PaymentsExcludeNewer,
	}
	path := filepath.Join(dir, pylock.FileName("payments"))
	ctx := context.Background()
	if _, err := lockfile.Write(ctx, path, in, lockfile.Options{}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("fresh:", lockfile.CheckFile(path, in) == nil)

	in.Requirements = parse("fastapi>=0.200", "gunicorn", "httpx")
	err = lockfile.CheckFile(path, in)
	if stale, ok := errors.AsType[*lockfile.StaleError](err); ok {
		for _, c := range stale.Changes {
			fmt.Println(c)
		}
		for _, u := range stale.Unsatisfied {
			fmt.Println(u)
		}
	}
	// Output:
	// fresh: true
	// changed requirement fastapi>=0.110 → fastapi>=0.200
	// added requirement httpx
	// requirement fastapi>=0.200 is not satisfied by locked fastapi 0.112.2
	// requirement httpx: httpx is not in the lock
}

// One lock for three images: two architectures and two Pythons. Each
// package lists the wheel of every image, and each image's installation is
// what pylock.Select picks.
func ExampleLock_universal() {
	srv, err := testindex.Start(testindex.Payments(), testindex.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	r, err := pep508.Parse("uvicorn[standard]>=0.29")
	if err != nil {
		log.Fatal(err)
	}
	images := []string{"cp311-manylinux_2_36_x86_64", "cp312-manylinux_2_36_x86_64", "cp312-manylinux_2_36_aarch64"}
	in := project.Inputs{
		Requirements: []pep508.Requirement{r},
		IndexURLs:    []string{srv.SimpleURL()},
		Targets:      images,
		ExcludeNewer: testindex.PaymentsExcludeNewer,
	}
	l, err := lockfile.Lock(context.Background(), in, lockfile.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range l.Packages {
		if p.Name == "uvloop" {
			for _, w := range p.Wheels {
				fmt.Println(w.FileName())
			}
		}
	}
	for _, image := range images {
		t, err := wheel.ParseTarget(image)
		if err != nil {
			log.Fatal(err)
		}
		sel, err := l.Select(t.Environment(), t)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(image, len(sel), "packages")
	}
	// Output:
	// uvloop-0.20.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
	// uvloop-0.20.0-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl
	// uvloop-0.20.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
	// cp311-manylinux_2_36_x86_64 5 packages
	// cp312-manylinux_2_36_x86_64 5 packages
	// cp312-manylinux_2_36_aarch64 5 packages
}
