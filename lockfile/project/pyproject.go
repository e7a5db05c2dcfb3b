package project

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pydeploy/pydeploy/internal/boundedfile"
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

// LoadPyProject reads a pyproject.toml. Every requirement is parsed with
// PEP 508; errors name the file and the key ("dependencies[2]",
// "dependency-groups.dev[0]"), and a value of the wrong type names the
// TOML type expected and found. Dependencies listed in project.dynamic
// cannot be locked without building the project and are an error. A file
// with neither a [project] table nor [dependency-groups] has nothing to
// lock and is an error that says what it holds instead (a Poetry project's
// [tool.poetry] table is named as such).
func LoadPyProject(path string) (*Project, error) {
	data, err := boundedfile.ReadFile(path, MaxFileSize, "a pyproject.toml")
	if err != nil {
		return nil, err
	}
	return parsePyProject(path, data)
}

// parsePyProject is LoadPyProject on the file's content.
func parsePyProject(path string, data []byte) (*Project, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: the file is %d bytes, more than the %d a pyproject.toml may have", path, len(data), MaxFileSize)
	}
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		return nil, fmt.Errorf("%s: the file starts with a UTF-8 byte order mark, which TOML does not allow (Python's tomllib refuses it too); save it as UTF-8 without BOM", path)
	}
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		if de, ok := errors.AsType[*toml.DecodeError](err); ok {
			row, col := de.Position()
			return nil, fmt.Errorf("%s:%d:%d: %w", path, row, col, err)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &Project{Path: path}
	rawGroupsTable, hasGroups := raw["dependency-groups"]
	pr, hasProject := raw["project"]
	if !hasProject && !hasGroups {
		return nil, noProjectError(path, raw)
	}
	if hasProject {
		t, err := asTable(path, "project", pr)
		if err != nil {
			return nil, err
		}
		if err := p.readProject(t); err != nil {
			return nil, err
		}
	}
	var rawGroups map[string][]any
	if hasGroups {
		t, err := asTable(path, "dependency-groups", rawGroupsTable)
		if err != nil {
			return nil, err
		}
		rawGroups = map[string][]any{}
		for k, v := range t {
			arr, ok := v.([]any)
			if !ok {
				return nil, typeError(path, "dependency-groups."+k, "an array", v)
			}
			rawGroups[k] = arr
		}
	}
	groups, err := expandGroups(path, rawGroups)
	if err != nil {
		return nil, err
	}
	p.DependencyGroups = groups
	return p, nil
}

// MaxFileSize bounds the pyproject.toml and requirements files read (1 MiB):
// real ones are a few kilobytes, and a bound keeps a hostile file from
// exhausting memory. The read itself stops after MaxFileSize+1 bytes, and
// anything but a regular file (a named pipe, a device) is refused without
// blocking on it.
const MaxFileSize = 1 << 20

// readProject reads the [project] table.
func (p *Project) readProject(t map[string]any) error {
	path := p.Path
	dynamic, err := stringArray(path, "project.dynamic", t["dynamic"])
	if err != nil {
		return err
	}
	for _, d := range dynamic {
		if d == "dependencies" || d == "optional-dependencies" {
			return fmt.Errorf("%s: project.%s is dynamic: the requirements are only known after a build, so they cannot be locked", path, d)
		}
	}
	if p.Name, err = stringValue(path, "project.name", t["name"]); err != nil {
		return err
	}
	if p.RequiresPython, err = stringValue(path, "project.requires-python", t["requires-python"]); err != nil {
		return err
	}
	if p.RequiresPython != "" {
		if _, err := pep440.ParseSpecifiers(p.RequiresPython); err != nil {
			return fmt.Errorf("%s: project.requires-python: %w", path, err)
		}
	}
	deps, err := stringArray(path, "project.dependencies", t["dependencies"])
	if err != nil {
		return err
	}
	if p.Dependencies, err = parseAll(path, "project.dependencies", deps); err != nil {
		return err
	}
	p.OptionalDependencies = map[string][]pep508.Requirement{}
	if t["optional-dependencies"] == nil {
		return nil
	}
	opt, err := asTable(path, "project.optional-dependencies", t["optional-dependencies"])
	if err != nil {
		return err
	}
	for _, extra := range sortedKeys(opt) {
		key := fmt.Sprintf("project.optional-dependencies.%s", extra)
		if err := pep508.ValidateName(extra); err != nil {
			return fmt.Errorf("%s: %s: invalid extra name: %w", path, key, err)
		}
		norm := pep508.CanonicalName(extra)
		if _, dup := p.OptionalDependencies[norm]; dup {
			return fmt.Errorf("%s: %s: extra %q is defined twice (names compare normalized)", path, key, norm)
		}
		reqs, err := stringArray(path, key, opt[extra])
		if err != nil {
			return err
		}
		if p.OptionalDependencies[norm], err = parseAll(path, key, reqs); err != nil {
			return err
		}
	}
	return nil
}

// noProjectError explains a pyproject.toml without [project] or
// [dependency-groups]: what it holds instead, naming Poetry's table.
func noProjectError(path string, raw map[string]any) error {
	var found []string
	for _, k := range sortedKeys(raw) {
		if k == "tool" {
			if tools, ok := raw[k].(map[string]any); ok {
				for _, tk := range sortedKeys(tools) {
					found = append(found, "[tool."+tk+"]")
				}
				continue
			}
		}
		found = append(found, "["+k+"]")
	}
	what := "nothing"
	if len(found) > 0 {
		what = strings.Join(found, ", ")
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "%s: no [project] table (PEP 621) and no [dependency-groups], so there is nothing to lock; found %s", path, what)
	if tools, ok := raw["tool"].(map[string]any); ok && tools["poetry"] != nil {
		msg.WriteString("; this is a Poetry project: its dependencies in [tool.poetry.dependencies] are not read, declare them in [project] dependencies (Poetry 2 reads them there too)")
	}
	for _, k := range sortedKeys(raw) {
		if k != "project" && editDistance(strings.ToLower(k), "project") <= 2 {
			fmt.Fprintf(&msg, "; did you mean [project] instead of [%s]?", k)
		}
	}
	return errors.New(msg.String())
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// tomlType names the TOML type of a decoded value.
func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	default:
		return "a date-time"
	}
}

func typeError(path, key, want string, v any) error {
	return fmt.Errorf("%s: %s: expected %s, found %s", path, key, want, tomlType(v))
}

func asTable(path, key string, v any) (map[string]any, error) {
	t, ok := v.(map[string]any)
	if !ok {
		return nil, typeError(path, key, "a table", v)
	}
	return t, nil
}

// stringValue reads an optional string.
func stringValue(path, key string, v any) (string, error) {
	if v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", typeError(path, key, "a string", v)
	}
	return s, nil
}

// stringArray reads an optional array of strings.
func stringArray(path, key string, v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, typeError(path, key, "an array of strings", v)
	}
	out := make([]string, len(arr))
	for i, item := range arr {
		s, ok := item.(string)
		if !ok {
			return nil, typeError(path, fmt.Sprintf("%s[%d]", key, i), "a string", item)
		}
		out[i] = s
	}
	return out, nil
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

// maxGroupRequirements bounds a dependency group once its includes are
// expanded: a few hundred bytes of groups that each include the next one
// twice would otherwise expand to billions of requirements.
const maxGroupRequirements = 100_000

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
				if len(reqs)+len(sub) > maxGroupRequirements {
					return nil, fmt.Errorf("%s: dependency-groups.%s: its includes expand to more than %d requirements", path, name, maxGroupRequirements)
				}
				reqs = append(reqs, sub...)
			default:
				return nil, typeError(path, key, "a requirement string or {include-group = \"name\"}", item)
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
// extras instead of being kept. Unknown extras or groups are errors, and so
// is an empty result: a lock of nothing is almost always a mistake (a
// forgotten extra or group, dependencies declared under another tool's
// table).
func (p *Project) Requirements(extras, groups []string) ([]pep508.Requirement, error) {
	out, err := p.collect(extras, groups)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: nothing to lock: %s and the selected extras %q and groups %q add none", p.Path, p.describeDependencies(), extras, groups)
	}
	return out, nil
}

// collect gathers the requirements of the base, the extras and the groups.
func (p *Project) collect(extras, groups []string) ([]pep508.Requirement, error) {
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

// Selected returns the inputs that depend on the project alone for the
// given extras and dependency groups: Requirements (as Requirements
// returns them), RequiresPython, Extras and Groups (normalized), and
// ExtraRequirements and GroupRequirements, so that the lock marks the
// packages only an extra or a group needs. Index URLs, targets and
// policies are for the caller to add.
func (p *Project) Selected(extras, groups []string) (Inputs, error) {
	all, err := p.Requirements(extras, groups)
	if err != nil {
		return Inputs{}, err
	}
	in := Inputs{Requirements: all, RequiresPython: p.RequiresPython}
	for _, e := range extras {
		norm := pep508.CanonicalName(e)
		reqs, err := p.requirementsOf([]string{e}, nil)
		if err != nil {
			return Inputs{}, err
		}
		if in.ExtraRequirements == nil {
			in.ExtraRequirements = map[string][]pep508.Requirement{}
		}
		in.Extras = append(in.Extras, norm)
		in.ExtraRequirements[norm] = reqs
	}
	for _, g := range groups {
		norm := pep508.CanonicalName(g)
		reqs, err := p.requirementsOf(nil, []string{g})
		if err != nil {
			return Inputs{}, err
		}
		if in.GroupRequirements == nil {
			in.GroupRequirements = map[string][]pep508.Requirement{}
		}
		in.Groups = append(in.Groups, norm)
		in.GroupRequirements[norm] = reqs
	}
	slices.Sort(in.Extras)
	in.Extras = slices.Compact(in.Extras)
	slices.Sort(in.Groups)
	in.Groups = slices.Compact(in.Groups)
	return in, nil
}

// requirementsOf returns what the given extras and groups add on their own,
// without the base dependencies.
func (p *Project) requirementsOf(extras, groups []string) ([]pep508.Requirement, error) {
	q := *p
	q.Dependencies = nil
	return q.collect(extras, groups)
}

func (p *Project) describeDependencies() string {
	if p.Name == "" && p.OptionalDependencies == nil {
		return "there is no [project] table"
	}
	return "project.dependencies is empty"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
