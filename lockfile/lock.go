package lockfile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/project"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/resolve"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// ToolName is the key of this library's table in a lock's [tool] table.
const ToolName = "pydeploy"

// Keys of the [tool.pydeploy] table.
const (
	keyInputHash    = "input-hash"
	keyInputs       = "inputs"
	keyTarget       = "target"
	keyTargets      = "targets"
	keyExcludeNewer = "exclude-newer"
)

// Options say how to lock, not what: the index client and the tool name.
// The zero value locks against Inputs.IndexURLs with no HTTP cache.
type Options struct {
	// Source is the index the resolver reads; nil means a simpleapi.Client
	// for Inputs.IndexURLs (in priority order) configured by CacheDir and
	// HTTPClient.
	Source resolve.Source
	// CacheDir is the HTTP cache of the default client; "" disables it.
	CacheDir string
	// HTTPClient is used by the default client; nil means a default one.
	HTTPClient *http.Client
	// CreatedBy is written as created-by; "" means "pydeploy".
	CreatedBy string
	// Prefetch is passed to the resolver (0 means its default).
	Prefetch int
	// RequestTimeout bounds each request of the default client, body
	// included (0 means 30s); a stalled index fails with an error naming
	// the index, the URL and so the project.
	RequestTimeout time.Duration
	// Deadline bounds the whole lock, resolution and verification
	// included: 0 means DefaultDeadline, a negative value none (the
	// context's own deadline still applies).
	Deadline time.Duration
	// SkipVerify makes Write skip Verify: by default it downloads every
	// locked file (through the cache) and checks its size and hashes
	// before writing the lock. VerifyParallel bounds those downloads (0
	// means DefaultVerifyParallel).
	SkipVerify     bool
	VerifyParallel int
}

// DefaultDeadline is how long Lock may take when Options.Deadline is 0: far
// more than a cold lock of a large project needs, short enough that a CI job
// stuck on a stalled index fails with a reason instead of timing out.
const DefaultDeadline = 10 * time.Minute

// withDeadline applies Options.Deadline to ctx.
func (o Options) withDeadline(ctx context.Context) (context.Context, context.CancelFunc, time.Duration) {
	d := o.Deadline
	if d == 0 {
		d = DefaultDeadline
	}
	if d < 0 {
		return ctx, func() {}, 0
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, d
}

// deadlineError names the deadline when it is what stopped the lock.
func deadlineError(ctx, parent context.Context, d time.Duration, in project.Inputs, err error) error {
	if d > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil {
		var idx []string
		for _, u := range in.IndexURLs {
			if clean, err := project.RedactURL(u); err == nil {
				idx = append(idx, clean)
			}
		}
		return fmt.Errorf("lock: gave up when the %s deadline (Options.Deadline) passed, using index %s: %w", d, strings.Join(idx, ", "), err)
	}
	return err
}

// Lock resolves the inputs for their target and returns the lock: pinned
// packages with the chosen wheel (or sdist, when Inputs.AllowSdist) and its
// URL, size, upload time, hashes and index; requires-python; an environments
// marker describing the target; and a [tool.pydeploy] table recording the
// canonical inputs, their hash, the target and exclude-newer, for Check and
// CheckStrict. The lock is validated before it is returned. Index faults and
// unsatisfiable requirements are errors (a *resolve.NoSolutionError for the
// latter); nothing is written.
func Lock(ctx context.Context, in project.Inputs, opts Options) (*pylock.Lock, error) {
	dctx, cancel, d := opts.withDeadline(ctx)
	defer cancel()
	l, err := lock(dctx, in, opts)
	if err != nil {
		return nil, deadlineError(dctx, ctx, d, in, err)
	}
	return l, nil
}

func lock(ctx context.Context, in project.Inputs, opts Options) (*pylock.Lock, error) {
	items, err := in.Items()
	if err != nil {
		return nil, err
	}
	req, targets, err := request(in)
	if err != nil {
		return nil, err
	}
	src := opts.Source
	if src == nil {
		if src, err = defaultClient(in, opts); err != nil {
			return nil, err
		}
	}
	res, err := resolve.Resolve(ctx, req, resolve.Options{Source: src, Prefetch: opts.Prefetch})
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	l, err := build(res, in, items, targets, opts)
	if err != nil {
		return nil, err
	}
	if err := l.Validate(); err != nil {
		return nil, fmt.Errorf("lock: the resolution does not make a valid lock: %w", err)
	}
	if err := checkSelection(l, res); err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		if err := checkSamples(l); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// sampleTargets are common images a universal lock without targets is
// tried on: every CPython from 3.8 on, on the usual platforms.
var sampleTargets = func() []wheel.Target {
	var out []wheel.Target
	for minor := 8; minor <= 14; minor++ {
		for _, plat := range []string{"manylinux_2_28_x86_64", "manylinux_2_28_aarch64", "musllinux_1_2_x86_64", "macosx_14_0_arm64", "macosx_14_0_x86_64", "win_amd64"} {
			if t, err := wheel.ParseTarget(fmt.Sprintf("cp3%d-%s", minor, plat)); err == nil {
				out = append(out, t)
			}
		}
	}
	return out
}()

// checkSamples runs pylock.Select on a universal lock without targets for
// every sample image inside its requires-python and environments: no two
// entries of a package may apply at once and every package's
// requires-python must admit the interpreter. A missing file is allowed: a
// universal lock, like uv's, promises files only for its
// RequiredEnvironments.
func checkSamples(l *pylock.Lock) error {
	for _, t := range sampleTargets {
		env := t.Environment()
		if l.RequiresPython != "" {
			if rp, err := pep440.ParseSpecifiers(l.RequiresPython); err == nil && !rp.ContainsWith(pep440.MustParse(env.PythonFullVersion), new(true), false) {
				continue
			}
		}
		env.Extras, env.DependencyGroups = l.Extras, l.DependencyGroups
		_, err := l.Select(env, t)
		if err == nil || errors.Is(err, pylock.ErrNoEnvironment) || errors.Is(err, pylock.ErrNoFile) {
			continue
		}
		return fmt.Errorf("lock: an installer would refuse the lock on %s: %w", t, err)
	}
	return nil
}

// request turns the inputs into a resolver request: one target, several
// (a universal lock over them), or none (a universal lock over the
// requires-python range and the environment markers).
func request(in project.Inputs) (resolve.Request, []wheel.Target, error) {
	req := resolve.Request{
		Requirements: in.Requirements,
		Constraints:  in.Constraints,
		ExcludeNewer: in.ExcludeNewer,
		AllowSdist:   in.AllowSdist,
	}
	var err error
	if in.RequiresPython != "" {
		if req.RequiresPython, err = pep440.ParseSpecifiers(in.RequiresPython); err != nil {
			return req, nil, fmt.Errorf("lock: requires-python: %w", err)
		}
	}
	var targets []wheel.Target
	for _, s := range in.Targets {
		t, err := wheel.ParseTarget(s)
		if err != nil {
			return req, nil, fmt.Errorf("lock: target: %w", err)
		}
		if req.RequiresPython.Len() > 0 && !req.RequiresPython.ContainsWith(pep440.MustParse(t.Python.String()), new(true), false) {
			return req, nil, fmt.Errorf("lock: target %s runs Python %s, outside the project's requires-python %s", t, t.Python, req.RequiresPython)
		}
		targets = append(targets, t)
	}
	envs, err := parseMarkers("environments", in.Environments)
	if err != nil {
		return req, nil, err
	}
	if req.RequiredEnvironments, err = parseMarkers("required-environments", in.RequiredEnvironments); err != nil {
		return req, nil, err
	}
	switch {
	case len(targets) == 1:
		req.Target = targets[0]
	case len(targets) > 1:
		req.Targets = targets
	case req.RequiresPython.Len() == 0:
		return req, nil, errors.New("lock: no target: set Inputs.Targets (one lock per image, or one universal lock for several), or Inputs.RequiresPython for a universal lock over that Python range")
	default:
		req.Universal, req.Environments = true, envs
	}
	if len(targets) > 0 && len(envs) > 0 {
		return req, nil, errors.New("lock: Inputs.Environments narrows a universal lock without targets; with Targets, list the targets instead")
	}
	return req, targets, nil
}

func parseMarkers(what string, ss []string) ([]pep508.Marker, error) {
	var out []pep508.Marker
	for i, s := range ss {
		m, err := pep508.ParseMarker(s)
		if err != nil {
			return nil, fmt.Errorf("lock: %s[%d]: %w", what, i, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// checkSelection runs on the finished lock, for every target, the selection
// an installer runs (pylock.Select: environments, requires-python of the
// lock and of every package, markers, ambiguity, the best file by name)
// with the lock's extras and groups selected, and demands exactly the
// packages and files the resolver chose for that target. A lock that fails
// here is never returned or written: it would fail, or install something
// else, at install time.
func checkSelection(l *pylock.Lock, res *resolve.Resolution) error {
	for _, ti := range res.Installs {
		if err := checkTarget(l, ti); err != nil {
			return err
		}
	}
	return nil
}

func checkTarget(l *pylock.Lock, ti resolve.TargetInstall) error {
	target := ti.Target
	env := target.Environment()
	env.Extras, env.DependencyGroups = l.Extras, l.DependencyGroups
	sel, err := l.Select(env, target)
	if err != nil {
		return fmt.Errorf("lock: an installer would refuse the lock on %s: %w", target, err)
	}
	want := map[string]string{}
	for _, p := range ti.Packages {
		want[p.Name] = p.Version.String() + " " + p.File.Filename
	}
	got := map[string]string{}
	for _, s := range sel {
		name := "(none)"
		if s.File != nil {
			name = s.File.FileName()
		}
		got[s.Package.Name] = s.Package.Version + " " + name
	}
	var diffs []string
	for _, n := range unionNames(want, got) {
		if want[n] != got[n] {
			diffs = append(diffs, fmt.Sprintf("%s: resolved %q, an installer would pick %q", n, want[n], got[n]))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("lock: on %s an installer would not install what was resolved:\n\t%s", target, strings.Join(diffs, "\n\t"))
	}
	return nil
}

// Write locks the inputs, verifies every locked file (see Verify; unless
// Options.SkipVerify) and writes the lock to path atomically. The file is
// only replaced after a complete, validated, verified lock exists: on any
// error the previous file is untouched. It returns the lock's content hash
// (pylock.Hash of the written bytes).
func Write(ctx context.Context, path string, in project.Inputs, opts Options) (string, error) {
	if opts.Source == nil {
		c, err := defaultClient(in, opts)
		if err != nil {
			return "", err
		}
		opts.Source = c
	}
	dctx, cancel, d := opts.withDeadline(ctx)
	defer cancel()
	opts.Deadline = -1
	l, err := Lock(dctx, in, opts)
	if err != nil {
		return "", deadlineError(dctx, ctx, d, in, err)
	}
	if !opts.SkipVerify {
		if err := Verify(dctx, l, opts.Source, opts); err != nil {
			return "", deadlineError(dctx, ctx, d, in, err)
		}
	}
	data, err := pylock.Marshal(l)
	if err != nil {
		return "", err
	}
	if err := pylock.WriteFile(path, l); err != nil {
		return "", err
	}
	return pylock.Hash(data), nil
}

func defaultClient(in project.Inputs, opts Options) (*simpleapi.Client, error) {
	if len(in.IndexURLs) == 0 {
		return nil, errors.New("lock: no index URL: set Inputs.IndexURLs or Options.Source")
	}
	var idx []simpleapi.Index
	for _, u := range in.IndexURLs {
		clean, err := project.RedactURL(u)
		if err != nil {
			return nil, fmt.Errorf("lock: index URL: %w", err)
		}
		idx = append(idx, simpleapi.Index{URL: u, Name: clean})
	}
	c, err := simpleapi.New(simpleapi.Options{Indexes: idx, CacheDir: opts.CacheDir, HTTPClient: opts.HTTPClient, Timeout: opts.RequestTimeout})
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	return c, nil
}

// build turns a resolution into a lock.
func build(res *resolve.Resolution, in project.Inputs, items []string, targets []wheel.Target, opts Options) (*pylock.Lock, error) {
	createdBy := opts.CreatedBy
	if createdBy == "" {
		createdBy = ToolName
	}
	inputs := make([]any, len(items))
	for i, it := range items {
		inputs[i] = it
	}
	tool := map[string]any{
		keyInputHash: project.InputHash(items),
		keyInputs:    inputs,
	}
	switch len(targets) {
	case 0:
	case 1:
		tool[keyTarget] = targets[0].String()
	default:
		var ts []any
		for _, t := range targets {
			ts = append(ts, t.String())
		}
		tool[keyTargets] = ts
	}
	if !in.ExcludeNewer.IsZero() {
		tool[keyExcludeNewer] = in.ExcludeNewer.UTC()
	}
	l := &pylock.Lock{
		LockVersion:      pylock.SupportedVersion,
		Environments:     lockEnvironments(in, targets),
		RequiresPython:   lockRequiresPython(in, targets),
		Extras:           normalizedNames(in.Extras),
		DependencyGroups: normalizedNames(in.Groups),
		CreatedBy:        createdBy,
		Tool:             map[string]any{ToolName: tool},
	}
	selection := selectionMarkers(res, in)
	for _, p := range res.Packages {
		marker, err := andMarkers(p.Marker, selection[p.Name])
		if err != nil {
			return nil, fmt.Errorf("lock: package %s %s: %w", p.Name, p.Version, err)
		}
		pkg := pylock.Package{Name: p.Name, Version: p.Version.String(), RequiresPython: p.RequiresPython, Marker: marker}
		for _, d := range p.DependsOn {
			pkg.Dependencies = append(pkg.Dependencies, pylock.Dependency{Name: d.Name, Version: d.Version.String()})
		}
		for _, f := range p.Files {
			file, err := lockFile(p.Name, f)
			if err != nil {
				return nil, err
			}
			if pkg.Index == "" {
				pkg.Index = indexURL(f.Index, in.IndexURLs)
			}
			if f.Wheel {
				pkg.Wheels = append(pkg.Wheels, file)
			} else {
				pkg.Sdist = &file
			}
		}
		if len(p.Files) == 0 {
			return nil, fmt.Errorf("lock: package %s %s: the resolver chose no file", p.Name, p.Version)
		}
		l.Packages = append(l.Packages, pkg)
	}
	return l, nil
}

// lockEnvironments are the environments markers an installer checks: one
// per target, the universal lock's own environment markers, or none.
func lockEnvironments(in project.Inputs, targets []wheel.Target) []string {
	var out []string
	for _, t := range targets {
		out = append(out, environmentMarker(t))
	}
	if len(targets) == 0 {
		for _, s := range in.Environments {
			if m, err := pep508.ParseMarker(s); err == nil {
				out = append(out, m.String())
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// lockRequiresPython is the project's requires-python, else the lowest
// Python of the targets.
func lockRequiresPython(in project.Inputs, targets []wheel.Target) string {
	if in.RequiresPython != "" {
		return in.RequiresPython
	}
	var lo *wheel.Target
	for i, t := range targets {
		if lo == nil || t.Python.Major < lo.Python.Major || (t.Python.Major == lo.Python.Major && t.Python.Minor < lo.Python.Minor) {
			lo = &targets[i]
		}
	}
	if lo == nil {
		return ""
	}
	return fmt.Sprintf(">=%d.%d", lo.Python.Major, lo.Python.Minor)
}

// andMarkers is "a and b" ("" when both are empty), normalized.
func andMarkers(a, b string) (string, error) {
	switch {
	case a == "":
		return b, nil
	case b == "":
		return a, nil
	}
	m, err := pep508.ParseMarker("(" + a + ") and (" + b + ")")
	if err != nil {
		return "", err
	}
	return m.String(), nil
}

func lockFile(project string, f resolve.File) (pylock.File, error) {
	if f.Hashes["sha256"] == "" {
		return pylock.File{}, fmt.Errorf("lock: package %s: the index gave no sha256 for %s; a lock needs one for every file", project, f.Filename)
	}
	out := pylock.File{Name: f.Filename, URL: f.URL, UploadTime: f.UploadTime.UTC(), Hashes: map[string]string{}}
	for alg, h := range f.Hashes {
		out.Hashes[strings.ToLower(alg)] = strings.ToLower(h)
	}
	if f.Size >= 0 {
		size := f.Size
		out.Size = &size
	}
	return out, nil
}

func normalizedNames(names []string) []string {
	var out []string
	for _, n := range names {
		out = append(out, pep508.CanonicalName(n))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// selectionMarkers says which packages only a selected extra or dependency
// group needs: the packages reachable from the base requirements get no
// marker, the others "'web' in extras or 'dev' in dependency_groups" for
// every extra and group that reaches them. Without
// Inputs.ExtraRequirements and GroupRequirements every package is base.
func selectionMarkers(res *resolve.Resolution, in project.Inputs) map[string]string {
	out := map[string]string{}
	if in.ExtraRequirements == nil && in.GroupRequirements == nil {
		return out
	}
	deps := map[string][]string{}
	for _, p := range res.Packages {
		deps[p.Name] = p.Dependencies
	}
	optional := map[string]bool{}
	for _, reqs := range in.ExtraRequirements {
		for _, r := range reqs {
			optional[r.Normalized().String()] = true
		}
	}
	for _, reqs := range in.GroupRequirements {
		for _, r := range reqs {
			optional[r.Normalized().String()] = true
		}
	}
	labels := map[string]map[string]bool{}
	var reach func(name, label string)
	reach = func(name, label string) {
		if _, ok := deps[name]; !ok || labels[name][label] {
			return
		}
		if labels[name] == nil {
			labels[name] = map[string]bool{}
		}
		labels[name][label] = true
		for _, d := range deps[name] {
			reach(d, label)
		}
	}
	for _, r := range in.Requirements {
		if !optional[r.Normalized().String()] {
			reach(r.CanonicalName(), "")
		}
	}
	for _, e := range slices.Sorted(maps.Keys(in.ExtraRequirements)) {
		for _, r := range in.ExtraRequirements[e] {
			reach(r.CanonicalName(), fmt.Sprintf("%q in extras", pep508.CanonicalName(e)))
		}
	}
	for _, g := range slices.Sorted(maps.Keys(in.GroupRequirements)) {
		for _, r := range in.GroupRequirements[g] {
			reach(r.CanonicalName(), fmt.Sprintf("%q in dependency_groups", pep508.CanonicalName(g)))
		}
	}
	for name, ls := range labels {
		if ls[""] {
			continue
		}
		m, err := pep508.ParseMarker(strings.Join(slices.Sorted(maps.Keys(ls)), " or "))
		if err == nil {
			out[name] = m.String()
		}
	}
	return out
}

// indexURL maps the name of the index that served a file back to its URL
// (without credentials): the default client names indexes by their URL; a
// custom Source may use the host.
func indexURL(name string, urls []string) string {
	for _, u := range urls {
		clean, err := project.RedactURL(u)
		if err != nil {
			continue
		}
		if name == clean {
			return clean
		}
		if p, err := url.Parse(clean); err == nil && strings.EqualFold(p.Host, name) {
			return clean
		}
	}
	if len(urls) == 1 {
		clean, err := project.RedactURL(urls[0])
		if err == nil {
			return clean
		}
	}
	return ""
}

// environmentMarker describes the target as a marker, so an installer
// refuses the lock on any other interpreter or platform.
func environmentMarker(t wheel.Target) string {
	env := t.Environment()
	var parts []string
	add := func(v pep508.Variable, val string) {
		if val != "" {
			parts = append(parts, fmt.Sprintf("%s == %q", v, val))
		}
	}
	add(pep508.VarImplementationName, env.ImplementationName)
	add(pep508.VarPythonVersion, env.PythonVersion)
	add(pep508.VarSysPlatform, env.SysPlatform)
	add(pep508.VarPlatformMachine, env.PlatformMachine)
	m, err := pep508.ParseMarker(strings.Join(parts, " and "))
	if err != nil {
		return strings.Join(parts, " and ")
	}
	return m.String()
}
