package project

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// Inputs is everything a lock is derived from. Two equal Inputs (after
// canonicalization, see Items) must give the same lock.
type Inputs struct {
	// Requirements are the requirements to lock.
	Requirements []pep508.Requirement
	// Constraints limit versions without adding packages.
	Constraints []pep508.Requirement
	// RequiresPython is the Python range the lock must support.
	RequiresPython string
	// Extras and Groups are the extras and dependency groups that were
	// selected to produce Requirements (recorded so that a change of
	// selection is visible, and written as the lock's extras and
	// dependency-groups).
	Extras []string
	Groups []string
	// ExtraRequirements and GroupRequirements, when set, say which of
	// Requirements a selected extra or dependency group brings in, keyed
	// by its normalized name. The lock then marks the packages only they
	// need with "'web' in extras" or "'dev' in dependency_groups", so an
	// installer that does not select them skips those packages. When they
	// are nil every locked package is installed whatever is selected.
	// Project.Selected fills them.
	ExtraRequirements map[string][]pep508.Requirement
	GroupRequirements map[string][]pep508.Requirement
	// IndexURLs are the Simple API base URLs, primary first. Credentials
	// in them are never recorded.
	IndexURLs []string
	// Targets are the install environments in wheel.ParseTarget syntax
	// ("cp312-manylinux_2_36_x86_64"). One target makes a lock for that
	// image; several make one universal lock that installs on each of them
	// (packages carry markers, and every target finds its wheels). None
	// makes a universal lock for every environment RequiresPython admits,
	// narrowed by Environments, as uv lock does.
	Targets []string
	// Environments, for a universal lock without Targets, are markers the
	// lock is limited to ("sys_platform == 'linux'"), like uv's
	// tool.uv.environments. RequiredEnvironments are markers of platforms
	// every locked package must have a wheel (or allowed sdist) for where
	// it is needed, like uv's tool.uv.required-environments.
	Environments         []string
	RequiredEnvironments []string
	// ExcludeNewer ignores files uploaded after it; the zero time means no
	// cut-off (and no reproducible re-lock).
	ExcludeNewer time.Time
	// AllowSdist lets a package without a fitting wheel be locked through
	// its sdist; by default a lock is wheel-only.
	AllowSdist bool
}

// Item kinds: the prefix of each canonical item.
const (
	KindRequirement    = "requires"
	KindConstraint     = "constraint"
	KindRequiresPython = "requires-python"
	KindExtra          = "extra"
	// KindExtraRequirement and KindGroupRequirement record which
	// requirements an extra or group brings in ("extra-requires:web:redis").
	KindExtraRequirement = "extra-requires"
	KindGroupRequirement = "group-requires"
	KindGroup            = "group"
	KindIndex            = "index"
	KindTarget           = "target"
	// KindEnvironment and KindRequiredEnvironment record the environment
	// markers of a universal lock.
	KindEnvironment         = "environment"
	KindRequiredEnvironment = "required-environment"
	KindExcludeNewer        = "exclude-newer"
	KindPolicy              = "policy"
)

// Items returns the canonical form of the inputs: sorted, de-duplicated
// "kind:value" strings such as "requires:fastapi>=0.110",
// "index:https://pypi.org/simple" or "exclude-newer:2026-11-01T00:00:00Z".
// Requirements use normalized names and packaging's normalized text, index
// URLs lose their credentials, targets their spelling variants. These items
// are what a lock records in [tool.pydeploy], so a later check can say what
// changed. Invalid index URLs, targets or requires-python are errors.
func (in *Inputs) Items() ([]string, error) {
	var items []string
	for _, r := range in.Requirements {
		items = append(items, KindRequirement+":"+canonicalRequirement(r))
	}
	for _, r := range in.Constraints {
		items = append(items, KindConstraint+":"+canonicalRequirement(r))
	}
	if in.RequiresPython != "" {
		s, err := pep440.ParseSpecifiers(in.RequiresPython)
		if err != nil {
			return nil, fmt.Errorf("inputs: requires-python: %w", err)
		}
		items = append(items, KindRequiresPython+":"+s.String())
	}
	for _, e := range in.Extras {
		items = append(items, KindExtra+":"+pep508.CanonicalName(e))
	}
	for name, reqs := range in.ExtraRequirements {
		for _, r := range reqs {
			items = append(items, KindExtraRequirement+":"+pep508.CanonicalName(name)+":"+canonicalRequirement(r))
		}
	}
	for name, reqs := range in.GroupRequirements {
		for _, r := range reqs {
			items = append(items, KindGroupRequirement+":"+pep508.CanonicalName(name)+":"+canonicalRequirement(r))
		}
	}
	for _, g := range in.Groups {
		items = append(items, KindGroup+":"+pep508.CanonicalName(g))
	}
	for _, u := range in.IndexURLs {
		clean, err := RedactURL(u)
		if err != nil {
			return nil, fmt.Errorf("inputs: index URL: %w", err)
		}
		items = append(items, KindIndex+":"+clean)
	}
	for _, t := range in.Targets {
		tg, err := wheel.ParseTarget(t)
		if err != nil {
			return nil, fmt.Errorf("inputs: target: %w", err)
		}
		items = append(items, KindTarget+":"+tg.String())
	}
	for kind, ms := range map[string][]string{KindEnvironment: in.Environments, KindRequiredEnvironment: in.RequiredEnvironments} {
		for _, s := range ms {
			m, err := pep508.ParseMarker(s)
			if err != nil {
				return nil, fmt.Errorf("inputs: %s: %w", kind, err)
			}
			items = append(items, kind+":"+m.String())
		}
	}
	if !in.ExcludeNewer.IsZero() {
		items = append(items, KindExcludeNewer+":"+in.ExcludeNewer.UTC().Format(time.RFC3339Nano))
	}
	if in.AllowSdist {
		items = append(items, KindPolicy+":allow-sdist")
	}
	slices.Sort(items)
	return slices.Compact(items), nil
}

// canonicalRequirement writes r with its normalized name and extras.
func canonicalRequirement(r pep508.Requirement) string {
	return r.Normalized().String()
}

// RedactURL returns u without user information (credentials) and with a
// lower-case scheme and host, so recorded index URLs never carry secrets.
func RedactURL(u string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		// url.Parse echoes the input, which may hold a password.
		return "", fmt.Errorf("cannot parse URL (not shown, it may hold credentials)")
	}
	if p.Scheme == "" || p.Host == "" {
		return "", fmt.Errorf("URL %q needs a scheme and a host", redactedString(p))
	}
	p.User = nil
	p.Scheme = strings.ToLower(p.Scheme)
	p.Host = strings.ToLower(p.Host)
	return p.String(), nil
}

func redactedString(p *url.URL) string {
	c := *p
	c.User = nil
	return c.String()
}

// InputHash returns "sha256:<hex>" over canonical items (one per line).
func InputHash(items []string) string {
	h := sha256.New()
	for _, it := range items {
		h.Write([]byte(it))
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Change is one difference between recorded and current inputs.
type Change struct {
	// Kind is the item kind (KindRequirement, KindIndex, …).
	Kind string
	// Old and New are the values without the kind prefix; Old is empty for
	// an addition and New for a removal.
	Old, New string
}

// String reads "added requirement httpx>=0.27", "removed index
// https://…", or "changed requirement fastapi>=0.110 →
// fastapi>=0.111".
func (c Change) String() string {
	label := kindLabel(c.Kind)
	switch {
	case c.Old == "":
		return "added " + label + " " + c.New
	case c.New == "":
		return "removed " + label + " " + c.Old
	}
	return "changed " + label + " " + c.Old + " → " + c.New
}

func kindLabel(kind string) string {
	switch kind {
	case KindRequirement:
		return "requirement"
	case KindExtra:
		return "extra"
	case KindExtraRequirement:
		return "requirement of extra"
	case KindGroupRequirement:
		return "requirement of group"
	}
	return kind
}

// Diff lists the changes from recorded to current canonical items. A
// requirement or constraint whose project appears on both sides with
// different text, and a changed requires-python or exclude-newer, is one
// "changed" entry rather than a removal and an addition. The result is
// sorted by kind, then value.
func Diff(recorded, current []string) []Change {
	old := groupItems(recorded)
	cur := groupItems(current)
	var changes []Change
	for _, kind := range unionKeys(old, cur) {
		o, n := old[kind], cur[kind]
		for _, key := range unionKeys(o, n) {
			ov, nv := o[key], n[key]
			rem, add := minus(ov, nv), minus(nv, ov)
			for len(rem) > 0 && len(add) > 0 {
				changes = append(changes, Change{Kind: kind, Old: rem[0], New: add[0]})
				rem, add = rem[1:], add[1:]
			}
			for _, v := range rem {
				changes = append(changes, Change{Kind: kind, Old: v})
			}
			for _, v := range add {
				changes = append(changes, Change{Kind: kind, New: v})
			}
		}
	}
	return changes
}

// groupItems maps kind → pairing key → values. Requirements and
// constraints pair by project name; single-valued kinds pair with each
// other; other kinds only match exactly.
func groupItems(items []string) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	for _, it := range items {
		kind, val, _ := strings.Cut(it, ":")
		key := val
		switch kind {
		case KindRequirement, KindConstraint:
			if r, err := pep508.Parse(val); err == nil {
				key = r.CanonicalName()
			}
		case KindRequiresPython, KindExcludeNewer:
			key = ""
		}
		if out[kind] == nil {
			out[kind] = map[string][]string{}
		}
		out[kind][key] = append(out[kind][key], val)
	}
	return out
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := sortedKeys(a)
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func minus(a, b []string) []string {
	var out []string
	for _, v := range a {
		if !slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}
