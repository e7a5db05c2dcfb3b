package project

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

// Project is what a pyproject.toml declares for locking: the [project]
// table's name, requires-python, dependencies and optional-dependencies, and
// the PEP 735 [dependency-groups] with their includes expanded.
type Project struct {
	// Path is the file the project was read from.
	Path string
	// Name is the project name as written ("" when there is no [project]).
	Name string
	// RequiresPython is the project's requires-python specifier.
	RequiresPython string
	// Dependencies are the base requirements.
	Dependencies []pep508.Requirement
	// OptionalDependencies maps normalized extra names to requirements.
	OptionalDependencies map[string][]pep508.Requirement
	// DependencyGroups maps normalized group names to their requirements,
	// with {include-group = "…"} entries replaced by the included group's
	// requirements.
	DependencyGroups map[string][]pep508.Requirement
}

type pyprojectFile struct {
	Project *struct {
		Name                 string              `toml:"name"`
		RequiresPython       string              `toml:"requires-python"`
		Dependencies         []string            `toml:"dependencies"`
		OptionalDependencies map[string][]string `toml:"optional-dependencies"`
		Dynamic              []string            `toml:"dynamic"`
	} `toml:"project"`
	DependencyGroups map[string][]any `toml:"dependency-groups"`
}

// LoadPyProject reads a pyproject.toml. Every requirement is parsed with
// PEP 508; errors name the file and the key ("dependencies[2]",
// "dependency-groups.dev[0]"). Dependencies listed in project.dynamic cannot
// be locked without building the project and are an error.
func LoadPyProject(path string) (*Project, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f pyprojectFile
	if err := toml.Unmarshal(data, &f); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("%s:%d:%d: %w", path, row, col, err)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &Project{Path: path}
	if pr := f.Project; pr != nil {
		for _, d := range pr.Dynamic {
			if d == "dependencies" || d == "optional-dependencies" {
				return nil, fmt.Errorf("%s: project.%s is dynamic: the requirements are only known after a build, so they cannot be locked", path, d)
			}
		}
		p.Name = pr.Name
		if pr.RequiresPython != "" {
			if _, err := pep440.ParseSpecifiers(pr.RequiresPython); err != nil {
				return nil, fmt.Errorf("%s: project.requires-python: %w", path, err)
			}
		}
		p.RequiresPython = pr.RequiresPython
		if p.Dependencies, err = parseAll(path, "project.dependencies", pr.Dependencies); err != nil {
			return nil, err
		}
		p.OptionalDependencies = map[string][]pep508.Requirement{}
		for _, extra := range sortedKeys(pr.OptionalDependencies) {
			key := fmt.Sprintf("project.optional-dependencies.%s", extra)
			if err := pep508.ValidateName(extra); err != nil {
				return nil, fmt.Errorf("%s: %s: invalid extra name: %w", path, key, err)
			}
			norm := pep508.CanonicalName(extra)
			if _, dup := p.OptionalDependencies[norm]; dup {
				return nil, fmt.Errorf("%s: %s: extra %q is defined twice (names compare normalized)", path, key, norm)
			}
			if p.OptionalDependencies[norm], err = parseAll(path, key, pr.OptionalDependencies[extra]); err != nil {
				return nil, err
			}
		}
	}
	if p.DependencyGroups, err = expandGroups(path, f.DependencyGroups); err != nil {
		return nil, err
	}
	return p, nil
}

func parseAll(path, key string, reqs []string) ([]pep508.Requirement, error) {
	out := make([]pep508.Requirement, 0, len(reqs))
	for i, s := range reqs {
		r, err := pep508.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %s[%d]: %w", path, key, i, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// expandGroups parses PEP 735 groups and replaces includes by the included
// requirements, refusing cycles and unknown groups.
func expandGroups(path string, raw map[string][]any) (map[string][]pep508.Requirement, error) {
	byNorm := map[string]string{}
	for _, name := range sortedKeys(raw) {
		if err := pep508.ValidateName(name); err != nil {
			return nil, fmt.Errorf("%s: dependency-groups.%s: invalid group name: %w", path, name, err)
		}
		norm := pep508.CanonicalName(name)
		if prev, dup := byNorm[norm]; dup {
			return nil, fmt.Errorf("%s: dependency-groups: %q and %q are the same group (names compare normalized)", path, prev, name)
		}
		byNorm[norm] = name
	}
	out := map[string][]pep508.Requirement{}
	var expand func(norm string, stack []string) ([]pep508.Requirement, error)
	expand = func(norm string, stack []string) ([]pep508.Requirement, error) {
		if done, ok := out[norm]; ok {
			return done, nil
		}
		if i := slices.Index(stack, norm); i >= 0 {
			return nil, fmt.Errorf("%s: dependency-groups: include cycle %s", path, strings.Join(append(stack[i:], norm), " -> "))
		}
		stack = append(stack, norm)
		name := byNorm[norm]
		reqs := []pep508.Requirement{}
		for i, item := range raw[name] {
			key := fmt.Sprintf("dependency-groups.%s[%d]", name, i)
			switch v := item.(type) {
			case string:
				r, err := pep508.Parse(v)
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %w", path, key, err)
				}
				reqs = append(reqs, r)
			case map[string]any:
				inc, ok := v["include-group"].(string)
				if !ok || len(v) != 1 {
					return nil, fmt.Errorf("%s: %s: expected a requirement string or {include-group = \"name\"}, found a table with keys %q", path, key, sortedKeys(v))
				}
				target := pep508.CanonicalName(inc)
				if _, ok := byNorm[target]; !ok {
					return nil, fmt.Errorf("%s: %s: include-group %q names no group", path, key, inc)
				}
				sub, err := expand(target, stack)
				if err != nil {
					return nil, err
				}
				reqs = append(reqs, sub...)
			default:
				return nil, fmt.Errorf("%s: %s: expected a requirement string or {include-group = \"name\"}, found %T", path, key, item)
			}
		}
		out[norm] = reqs
		return reqs, nil
	}
	for _, norm := range sortedKeys(byNorm) {
		if _, err := expand(norm, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Requirements returns the requirements to lock for the given extras and
// dependency groups: the base dependencies, then each extra's, then each
// group's. A requirement on the project itself with extras
// ("myapp[web,db]" inside optional-dependencies) is expanded to those
// extras instead of being kept. Unknown extras or groups are errors.
func (p *Project) Requirements(extras, groups []string) ([]pep508.Requirement, error) {
	self := pep508.CanonicalName(p.Name)
	seen := map[string]bool{}
	var out []pep508.Requirement
	var addExtra func(extra string) error
	add := func(reqs []pep508.Requirement) error {
		for _, r := range reqs {
			if p.Name != "" && r.CanonicalName() == self && r.URL == "" {
				for _, e := range r.Extras {
					if err := addExtra(e); err != nil {
						return err
					}
				}
				continue
			}
			out = append(out, r)
		}
		return nil
	}
	addExtra = func(extra string) error {
		norm := pep508.CanonicalName(extra)
		if seen[norm] {
			return nil
		}
		seen[norm] = true
		reqs, ok := p.OptionalDependencies[norm]
		if !ok {
			return fmt.Errorf("%s: extra %q is not defined in project.optional-dependencies (defined: %q)", p.Path, extra, sortedKeys(p.OptionalDependencies))
		}
		return add(reqs)
	}
	if err := add(p.Dependencies); err != nil {
		return nil, err
	}
	for _, e := range extras {
		if err := addExtra(e); err != nil {
			return nil, err
		}
	}
	for _, g := range groups {
		reqs, ok := p.DependencyGroups[pep508.CanonicalName(g)]
		if !ok {
			return nil, fmt.Errorf("%s: dependency group %q is not defined (defined: %q)", p.Path, g, sortedKeys(p.DependencyGroups))
		}
		if err := add(reqs); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
