package project_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
)

// Read a requirements.in with a constraints file next to it.
func ExampleLoadRequirements() {
	dir, err := os.MkdirTemp("", "reqs")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	write("requirements.in", "# web service\nfastapi>=0.110\nuvicorn[standard] \\\n    >=0.29\n-c constraints.txt\n")
	write("constraints.txt", "pydantic<3\n")

	r, err := project.LoadRequirements(filepath.Join(dir, "requirements.in"))
	if err != nil {
		log.Fatal(err)
	}
	for _, q := range r.Requirements {
		fmt.Printf("%s:%d %s\n", filepath.Base(q.File), q.Line, q)
	}
	for _, q := range r.Constraints {
		fmt.Printf("constraint %s\n", q)
	}
	// Output:
	// requirements.in:2 fastapi>=0.110
	// requirements.in:3 uvicorn[standard]>=0.29
	// constraint pydantic<3
}

// Canonical input items, and what changed between two sets of them.
func ExampleDiff() {
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
	old := project.Inputs{
		Requirements: parse("FastAPI >= 0.110"),
		IndexURLs:    []string{"https://user:token@pypi.example/simple/"},
		Targets:      []string{"cp312-manylinux_2_36_x86_64"},
	}
	cur := old
	cur.Requirements = parse("fastapi>=0.111", "httpx")

	recorded, err := old.Items()
	if err != nil {
		log.Fatal(err)
	}
	current, err := cur.Items()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(recorded)
	fmt.Println(project.InputHash(recorded) == project.InputHash(current))
	for _, c := range project.Diff(recorded, current) {
		fmt.Println(c)
	}
	// Output:
	// [index:https://pypi.example/simple/ requires:fastapi>=0.110 target:cp312-manylinux_2_36_x86_64]
	// false
	// changed requirement fastapi>=0.110 → fastapi>=0.111
	// added requirement httpx
}
