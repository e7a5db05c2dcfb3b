package testindex

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
)

type pypiRoots struct {
	Cutoff   time.Time `json:"cutoff"`
	RootSets map[string]struct {
		Requirements            []string `json:"requirements"`
		Projects                []string `json:"projects"`
		ProjectsWithoutMetadata []string `json:"projects_without_metadata"`
	} `json:"root_sets"`
	ProjectsWithoutMetadata map[string]struct {
		ReferencedBy []string `json:"referenced_by"`
	} `json:"projects_without_metadata"`
}

type pypiProject struct {
	Name     string `json:"name"`
	Versions []struct {
		Version        string   `json:"version"`
		RequiresPython *string  `json:"requires_python"`
		RequiresDist   []string `json:"requires_dist"`
		ProvidesExtras []string `json:"provides_extras"`
		Files          []struct {
			Filename string `json:"filename"`
		} `json:"files"`
	} `json:"versions"`
}

// PyPIRoot is one root set of the PyPI fixture.
type PyPIRoot struct {
	// Requirements are the root requirement strings.
	Requirements []string
	// Cutoff is the crawl time of the snapshot; every upload time the index
	// serves is before it.
	Cutoff time.Time
}

// FromPyPI builds an index from the real PyPI metadata fixture in dir (the
// directory holding roots.json and projects/). rootSet names one of its
// root sets ("web-service", "jupyter", "dagster"); "" takes every project.
//
// The fixture has no hashes, sizes, upload times or sdist names (README,
// gap 3), so every version gets its recorded wheels, or a py3-none-any
// wheel when none is recorded, plus an sdist, all generated; upload times
// are one day apart, ending before the cut-off. Projects the fixture
// references without metadata (gap 2) are synthesized with no
// requirements, at versions chosen so that every dependent's specifier is
// satisfied by one of them, and listed in Index.Synthesized. Projects whose
// newer releases are missing (gap 1) get the versions their dependents'
// newest releases require, shaped like their newest recorded release, and
// listed in Index.Bridged; with both, all three root sets resolve.
func FromPyPI(dir, rootSet string) (*Index, *PyPIRoot, error) {
	var roots pypiRoots
	if err := readJSON(filepath.Join(dir, "roots.json"), &roots); err != nil {
		return nil, nil, err
	}
	var projects, missing []string
	root := &PyPIRoot{Cutoff: roots.Cutoff}
	if rootSet == "" {
		entries, err := os.ReadDir(filepath.Join(dir, "projects"))
		if err != nil {
			return nil, nil, fmt.Errorf("testindex: reading pypi fixture: %w", err)
		}
		for _, e := range entries {
			if n, ok := strings.CutSuffix(e.Name(), ".json"); ok {
				projects = append(projects, n)
			}
		}
		for n := range roots.ProjectsWithoutMetadata {
			missing = append(missing, n)
		}
	} else {
		rs, ok := roots.RootSets[rootSet]
		if !ok {
			known := make([]string, 0, len(roots.RootSets))
			for k := range roots.RootSets {
				known = append(known, k)
			}
			sort.Strings(known)
			return nil, nil, fmt.Errorf("testindex: pypi fixture has no root set %q (have %s)", rootSet, strings.Join(known, ", "))
		}
		root.Requirements = rs.Requirements
		isMissing := map[string]bool{}
		for _, n := range rs.ProjectsWithoutMetadata {
			isMissing[n] = true
		}
		missing = rs.ProjectsWithoutMetadata
		for _, n := range rs.Projects {
			if !isMissing[n] {
				projects = append(projects, n)
			}
		}
	}
	sort.Strings(projects)
	sort.Strings(missing)

	ix := New()
	for _, n := range projects {
		var pj pypiProject
		if err := readJSON(filepath.Join(dir, "projects", n+".json"), &pj); err != nil {
			return nil, nil, err
		}
		p := ix.Add(pj.Name)
		// The fixture lists newest first; upload in release order.
		count := len(pj.Versions)
		for i := count - 1; i >= 0; i-- {
			src := pj.Versions[i]
			v := &Version{
				Version:       src.Version,
				RequiresDist:  src.RequiresDist,
				ProvidesExtra: src.ProvidesExtras,
				Sdist:         true,
				UploadTime:    roots.Cutoff.Add(-time.Duration(i+1) * 24 * time.Hour).Truncate(time.Second),
			}
			if src.RequiresPython != nil {
				v.RequiresPython = *src.RequiresPython
			}
			for _, f := range src.Files {
				v.WheelFiles = append(v.WheelFiles, f.Filename)
			}
			if len(v.WheelFiles) == 0 {
				v.WheelTags = []string{"py3-none-any"}
			}
			p.Versions = append(p.Versions, v)
		}
	}
	refs := references(ix)
	for _, n := range missing {
		if err := synthesize(ix, n, refs[n]); err != nil {
			return nil, nil, err
		}
		ix.Synthesized = append(ix.Synthesized, n)
	}
	bridged, err := bridgeVersions(ix, func(i int) time.Time {
		return roots.Cutoff.Add(-time.Hour - time.Duration(i)*time.Minute).Truncate(time.Second)
	})
	if err != nil {
		return nil, nil, err
	}
	ix.Bridged = bridged
	if err := ix.Check(); err != nil {
		return nil, nil, fmt.Errorf("testindex: pypi fixture %s: %w", dir, err)
	}
	return ix, root, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("testindex: reading pypi fixture: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("testindex: pypi fixture %s: %w", path, err)
	}
	return nil
}

// reqRE splits a requirement into name, extras, specifier (with or without
// the legacy parentheses) and marker.
var reqRE = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*\(?([^;()]*)\)?\s*(?:;(.*))?$`)

// reference is one requirement on a project: its specifier and extras.
type reference struct {
	specifier string
	extras    []string
}

// references indexes every requirement of ix by normalized target name.
func references(ix *Index) map[string][]reference {
	out := map[string][]reference{}
	for _, dep := range ix.Names() {
		for _, v := range ix.projects[dep].Versions {
			for _, r := range v.RequiresDist {
				m := reqRE.FindStringSubmatch(r)
				if m == nil {
					continue
				}
				ref := reference{specifier: strings.TrimSpace(m[3])}
				for e := range strings.SplitSeq(m[2], ",") {
					if e = strings.TrimSpace(e); e != "" {
						ref.extras = append(ref.extras, pep508.CanonicalName(e))
					}
				}
				n := pep508.CanonicalName(m[1])
				out[n] = append(out[n], ref)
			}
		}
	}
	return out
}

// synthesize adds project name with no requirements, at one version per
// distinct specifier its dependents use, offering the extras they ask for.
func synthesize(ix *Index, name string, refs []reference) error {
	specs := map[string]bool{}
	extras := map[string]bool{}
	for _, r := range refs {
		specs[r.specifier] = true
		for _, e := range r.extras {
			extras[e] = true
		}
	}
	versions, err := satisfyingVersions(sortedKeys(specs))
	if err != nil {
		return fmt.Errorf("testindex: synthesizing %q: %w", name, err)
	}
	p := ix.Add(name)
	for i, ver := range versions {
		v := Pure(ver)
		v.ProvidesExtra = sortedKeys(extras)
		v.UploadTime = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
		p.Versions = append(p.Versions, v)
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
