package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile"
	"github.com/pydeploy/pydeploy/lockfile/project"
)

// A service locked its dependencies, then someone added httpx to
// pyproject.toml without re-locking: the CI step fails with exit code 1 and
// says what changed and how to fix it.
func Example() {
	srv, err := testindex.Start(testindex.Payments(), testindex.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	dir, err := os.MkdirTemp("", "lock-check-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	wd, err := os.Getwd()
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := os.Chdir(dir); err != nil {
		fmt.Println(err)
		return
	}
	defer os.Chdir(wd)

	// The lock step, as the service's repository runs it.
	if err := os.WriteFile("pyproject.toml", []byte(pyproject), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	p, err := project.LoadPyProject("pyproject.toml")
	if err != nil {
		fmt.Println(err)
		return
	}
	reqs, err := p.Requirements(nil, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	in := project.Inputs{Requirements: reqs, RequiresPython: p.RequiresPython, IndexURLs: []string{srv.SimpleURL()},
		Targets: []string{"cp312-manylinux_2_36_x86_64"}, ExcludeNewer: testindex.PaymentsExcludeNewer}
	if _, err := lockfile.Write(context.Background(), "pylock.payments-api.toml", in, lockfile.Options{}); err != nil {
		fmt.Println(err)
		return
	}

	// A later change to the declared dependencies, without a re-lock.
	edited := strings.Replace(pyproject, `"gunicorn>=22",`, `"gunicorn>=22", "httpx>=0.27",`, 1)
	if err := os.WriteFile("pyproject.toml", []byte(edited), 0o644); err != nil {
		fmt.Println(err)
		return
	}

	code := run([]string{"-relock", "make lock"}, os.Stdout, os.Stderr)
	fmt.Println("exit code", code)
	// Output:
	// pylock.payments-api.toml is stale: pyproject.toml changed since it was locked
	//   added requirement httpx>=0.27
	//   unsatisfied: requirement httpx>=0.27: httpx is not in the lock
	// To update it, run `make lock` and commit pylock.payments-api.toml.
	// exit code 1
}
