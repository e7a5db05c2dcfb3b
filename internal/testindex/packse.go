package testindex

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Scenario is a packse resolver scenario: the universe is served as an
// index, the rest tells a test what to resolve and what to expect.
type Scenario struct {
	Name        string `toml:"name"`
	Description string `toml:"description"`
	Template    string `toml:"template"`
	Root        struct {
		Requires       []string `toml:"requires"`
		RequiresPython string   `toml:"requires_python"`
	} `toml:"root"`
	ResolverOptions struct {
		Universal            bool     `toml:"universal"`
		Python               string   `toml:"python"`
		Prereleases          bool     `toml:"prereleases"`
		PythonPlatform       string   `toml:"python_platform"`
		NoBinary             []string `toml:"no_binary"`
		NoBuild              []string `toml:"no_build"`
		RequiredEnvironments []string `toml:"required_environments"`
	} `toml:"resolver_options"`
	Environment struct {
		Python           string   `toml:"python"`
		AdditionalPython []string `toml:"additional_python"`
	} `toml:"environment"`
	Expected struct {
		Satisfiable bool              `toml:"satisfiable"`
		Packages    map[string]string `toml:"packages"`
		Explanation string            `toml:"explanation"`
	} `toml:"expected"`
	Packages map[string]struct {
		Versions map[string]packseVersion `toml:"versions"`
	} `toml:"packages"`
}

type packseVersion struct {
	Requires       []string            `toml:"requires"`
	Extras         map[string][]string `toml:"extras"`
	RequiresPython *string             `toml:"requires_python"`
	WheelTags      []string            `toml:"wheel_tags"`
	Sdist          *bool               `toml:"sdist"`
	Wheel          *bool               `toml:"wheel"`
	Yanked         bool                `toml:"yanked"`
	Description    string              `toml:"description"`
}

// packseEpoch is the upload time of the first file of a packse index; each
// later version is one minute newer, so exclude-newer tests have a spread.
var packseEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// FromPackse reads a packse scenario TOML file and returns the scenario and
// an index holding its package universe, with packse's defaults applied:
// requires_python ">=3.8", a py3-none-any wheel unless wheel_tags or
// wheel = false, an sdist unless sdist = false, and extras as
// Provides-Extra plus `extra == "<x>"` requirements. Package names are the
// short names of the file (no scenario prefix).
func FromPackse(path string) (*Scenario, *Index, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("testindex: reading packse scenario: %w", err)
	}
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		return nil, nil, fmt.Errorf("testindex: packse scenario %s: %w", path, err)
	}
	if sc.Root.RequiresPython == "" {
		sc.Root.RequiresPython = ">=3.8"
	}
	if sc.Environment.Python == "" {
		sc.Environment.Python = "3.8"
	}
	ix := New()
	names := make([]string, 0, len(sc.Packages))
	for n := range sc.Packages {
		names = append(names, n)
	}
	sort.Strings(names)
	minute := 0
	for _, n := range names {
		vers := sc.Packages[n].Versions
		keys := make([]string, 0, len(vers))
		for k := range vers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		p := ix.Add(n)
		for _, k := range keys {
			pv := vers[k]
			v := &Version{Version: k, RequiresPython: ">=3.8", Yanked: pv.Yanked, Sdist: true, UploadTime: packseEpoch.Add(time.Duration(minute) * time.Minute)}
			minute++
			if pv.RequiresPython != nil {
				v.RequiresPython = *pv.RequiresPython
			}
			if pv.Sdist != nil {
				v.Sdist = *pv.Sdist
			}
			switch {
			case pv.Wheel != nil && !*pv.Wheel:
			case len(pv.WheelTags) > 0:
				v.WheelTags = append([]string(nil), pv.WheelTags...)
			default:
				v.WheelTags = []string{"py3-none-any"}
			}
			v.RequiresDist = append(v.RequiresDist, pv.Requires...)
			extras := make([]string, 0, len(pv.Extras))
			for e := range pv.Extras {
				extras = append(extras, e)
			}
			sort.Strings(extras)
			for _, e := range extras {
				v.ProvidesExtra = append(v.ProvidesExtra, e)
				for _, r := range pv.Extras[e] {
					v.RequiresDist = append(v.RequiresDist, withExtraMarker(r, e))
				}
			}
			p.Versions = append(p.Versions, v)
		}
	}
	if err := ix.Check(); err != nil {
		return nil, nil, fmt.Errorf("testindex: packse scenario %s: %w", path, err)
	}
	return &sc, ix, nil
}

// withExtraMarker adds `extra == "<e>"` to a requirement, keeping an
// existing marker (parenthesized) as the sdist-to-wheel conversion does.
func withExtraMarker(req, extra string) string {
	for i := 0; i < len(req); i++ {
		if req[i] == ';' {
			return fmt.Sprintf("%s; (%s) and extra == %q", strings.TrimSpace(req[:i]), strings.TrimSpace(req[i+1:]), extra)
		}
	}
	return fmt.Sprintf("%s; extra == %q", strings.TrimSpace(req), extra)
}
