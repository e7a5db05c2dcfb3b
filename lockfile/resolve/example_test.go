package resolve_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/resolve"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// index is a tiny in-memory Source: project -> version -> Requires-Dist.
type index map[string]map[string][]string

func (ix index) Project(_ context.Context, name string) (*simpleapi.Project, error) {
	versions, ok := ix[name]
	if !ok {
		return nil, &simpleapi.NotFoundError{Project: name}
	}
	p := &simpleapi.Project{Name: name}
	for v := range versions {
		fn := name + "-" + v + "-py3-none-any.whl"
		p.Files = append(p.Files, simpleapi.File{Project: name, Filename: fn, URL: "https://files.example/" + fn,
			Hashes: map[string]string{"sha256": "00"}, Size: -1, CoreMetadata: true})
	}
	return p, nil
}

func (ix index) Metadata(_ context.Context, f *simpleapi.File) (*simpleapi.Metadata, error) {
	fn, err := wheel.ParseFilename(f.Filename)
	if err != nil {
		return nil, err
	}
	return &simpleapi.Metadata{Name: fn.Name, Version: fn.Version.String(), RequiresDist: ix[fn.Name][fn.Version.String()]}, nil
}

func parse(ss ...string) []pep508.Requirement {
	var out []pep508.Requirement
	for _, s := range ss {
		r, err := pep508.Parse(s)
		if err != nil {
			panic(err)
		}
		out = append(out, r)
	}
	return out
}

func Example() {
	ix := index{
		"fastapi":   {"0.95.0": {"pydantic<2", "starlette>=0.26"}, "0.103.0": {"pydantic>=1.7,<3", "starlette>=0.27"}},
		"pydantic":  {"1.10.12": nil, "2.3.0": nil},
		"starlette": {"0.26.0": nil, "0.27.0": nil},
	}
	target, _ := wheel.ParseTarget("cp311-manylinux_2_28_x86_64")
	res, err := resolve.Resolve(context.Background(), resolve.Request{
		Target:       target,
		Requirements: parse("fastapi", "pydantic<2"),
	}, resolve.Options{Source: ix})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range res.Packages {
		fmt.Println(p.Name, p.Version, p.Files[0].Filename, p.Dependencies)
	}
	// Output:
	// fastapi 0.103.0 fastapi-0.103.0-py3-none-any.whl [pydantic starlette]
	// pydantic 1.10.12 pydantic-1.10.12-py3-none-any.whl []
	// starlette 0.27.0 starlette-0.27.0-py3-none-any.whl []
}

func ExampleNoSolutionError() {
	ix := index{
		"fastapi":  {"0.95.0": {"pydantic<2"}},
		"pydantic": {"1.10.12": nil, "2.3.0": nil},
	}
	target, _ := wheel.ParseTarget("cp311-manylinux_2_28_x86_64")
	_, err := resolve.Resolve(context.Background(), resolve.Request{
		Name:         "payments",
		Target:       target,
		Requirements: parse("fastapi==0.95.0", "pydantic>=2"),
	}, resolve.Options{Source: ix})
	if nse, ok := errors.AsType[*resolve.NoSolutionError](err); ok {
		fmt.Println(nse.Explanation)
	}
	// Output:
	// Because fastapi depends on pydantic<2 and payments depends on fastapi==0.95.0, payments requires pydantic<2.
	// And because payments depends on pydantic>=2, version solving failed.
}

// A universal resolution for two images: the requirement's markers
// conflict, so the resolution forks by Python version and numpy gets one
// entry per fork, each with its marker; every image's installation is
// listed.
func Example_universal() {
	ix := index{
		"app":   {"1.0": {"numpy<1.26; python_version < '3.12'", "numpy>=1.26; python_version >= '3.12'"}},
		"numpy": {"1.25.2": nil, "1.26.0": nil},
	}
	var targets []wheel.Target
	for _, s := range []string{"cp311-manylinux_2_28_x86_64", "cp312-manylinux_2_28_aarch64"} {
		t, _ := wheel.ParseTarget(s)
		targets = append(targets, t)
	}
	res, err := resolve.Resolve(context.Background(), resolve.Request{
		Targets:      targets,
		Requirements: parse("app"),
	}, resolve.Options{Source: ix})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range res.Packages {
		fmt.Printf("%s %s %q\n", p.Name, p.Version, p.Marker)
	}
	for _, in := range res.Installs {
		fmt.Print(in.Target, ":")
		for _, p := range in.Packages {
			fmt.Print(" ", p.Name, "==", p.Version)
		}
		fmt.Println()
	}
	// Output:
	// app 1.0 ""
	// numpy 1.25.2 "python_version < \"3.12\""
	// numpy 1.26.0 "python_version >= \"3.12\""
	// cp311-manylinux_2_28_x86_64: app==1.0 numpy==1.25.2
	// cp312-manylinux_2_28_aarch64: app==1.0 numpy==1.26.0
}
