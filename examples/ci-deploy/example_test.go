package main

import (
	"context"
	"fmt"
	"os"
)

// A manifest with a typo fails the step before any cluster is contacted, with
// exit code 1 and the file, document and line of the problem.
func Example() {
	code := run(context.Background(), []string{"-f", "testdata/invalid", "-kubeconfig", "/nonexistent/kubeconfig"}, os.Stdout, os.Stdout)
	fmt.Println("exit code", code)
	// Output:
	// error: testdata/invalid/b-deployment.yaml: document 2, line 11: unknown field "spec.replicass"
	// ci-deploy: failed (exit 1, error): cannot read the manifests in testdata/invalid
	// exit code 1
}

// In GitHub Actions, -format github turns the same problem into an
// annotation on the file and line.
func Example_github() {
	code := run(context.Background(), []string{"-f", "testdata/invalid", "-kubeconfig", "/nonexistent/kubeconfig", "-format", "github"}, os.Stdout, os.Stdout)
	fmt.Println("exit code", code)
	// Output:
	// ::error file=testdata/invalid/b-deployment.yaml,line=11,title=invalid manifest::testdata/invalid/b-deployment.yaml: document 2, line 11: unknown field "spec.replicass"
	// ci-deploy: failed (exit 1, error): cannot read the manifests in testdata/invalid
	// exit code 1
}
