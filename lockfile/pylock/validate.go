package pylock

import (
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// Validate checks every rule of the specification: a supported
// lock-version (an unknown major version is an *UnsupportedVersionError),
// the required keys, normalized names, valid versions, specifiers and
// markers (no legacy `extra ==`), hashes, file names that fit their package,
// and the mutual exclusion of sources. Other problems are reported together
// in a *ValidationError whose entries name the key path.
func (l *Lock) Validate() error {
	if err := checkLockVersion(l.LockVersion); err != nil {
		return err
	}
	var p problems
	for i, env := range l.Environments {
		checkMarker(&p, index("environments", i), env)
	}
	checkSpecifiers(&p, "requires-python", l.RequiresPython)
	for i, e := range l.Extras {
		if !pep508.IsCanonicalName(e) {
			p.add(index("extras", i), "name %q is not normalized", e)
		}
	}
	checkGroups(&p, "dependency-groups", l.DependencyGroups)
	checkGroups(&p, "default-groups", l.DefaultGroups)
	if strings.TrimSpace(l.CreatedBy) == "" {
		p.add("created-by", "missing required value")
	}
	for i := range l.Packages {
		l.Packages[i].validate(&p, index("packages", i))
	}
	return p.err()
}

// checkLockVersion accepts 1.x and rejects anything else.
func checkLockVersion(s string) error {
	if s == "" {
		return &ValidationError{Errors: []*FieldError{{Path: "lock-version", Message: "missing required value"}}}
	}
	if _, err := lockMinor(s); err != nil {
		return err
	}
	return nil
}

// lockMinor parses a lock-version and reports whether it is newer than the
// version this package knows (a reason to warn on unknown keys).
func lockMinor(s string) (newer bool, err error) {
	v, perr := pep440.Parse(s)
	if perr != nil {
		return false, &UnsupportedVersionError{Version: s}
	}
	if v.Compare(pep440.MustParse("1")) < 0 || v.Compare(pep440.MustParse("2")) >= 0 {
		return false, &UnsupportedVersionError{Version: s}
	}
	return v.Compare(pep440.MustParse(SupportedVersion)) > 0, nil
}

func checkGroups(p *problems, key string, groups []string) {
	for i, g := range groups {
		if err := pep508.ValidateName(g); err != nil {
			p.add(index(key, i), "invalid group name %q: %v", g, err)
		}
	}
}

func checkMarker(p *problems, path, s string) {
	m, err := pep508.ParseMarker(s)
	if err != nil {
		p.add(path, "invalid marker %q: %s", s, firstLine(err))
		return
	}
	if pep508.Mentions(m, pep508.VarExtra) {
		p.add(path, "marker %q uses the legacy \"extra\" variable; lock files use \"extras\" (e.g. '\"name\" in extras')", s)
	}
}

func checkSpecifiers(p *problems, path, s string) {
	if s == "" {
		return
	}
	if _, err := pep440.ParseSpecifiers(s); err != nil {
		p.add(path, "invalid specifier %q: %s", s, firstLine(err))
	}
}

// firstLine keeps error messages on one line (pep508 errors carry a caret
// line for terminals).
func firstLine(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

func (pkg *Package) validate(p *problems, path string) {
	if pkg.Name == "" {
		p.add(join(path, "name"), "missing required value")
	} else if !pep508.IsCanonicalName(pkg.Name) {
		p.add(join(path, "name"), "name %q is not normalized (expected %q)", pkg.Name, pep508.CanonicalName(pkg.Name))
	}
	var version pep440.Version
	if pkg.Version != "" {
		v, err := pep440.Parse(pkg.Version)
		if err != nil {
			p.add(join(path, "version"), "invalid version %q: %s", pkg.Version, firstLine(err))
		}
		version = v
	}
	if pkg.Marker != "" {
		checkMarker(p, join(path, "marker"), pkg.Marker)
	}
	checkSpecifiers(p, join(path, "requires-python"), pkg.RequiresPython)
	for i, d := range pkg.Dependencies {
		dp := index(join(path, "dependencies"), i)
		if d.Name == "" && len(d.Other) == 0 {
			p.add(dp, "a dependency needs at least a name to identify a package entry")
		}
		if d.Name != "" && !pep508.IsCanonicalName(d.Name) {
			p.add(join(dp, "name"), "name %q is not normalized (expected %q)", d.Name, pep508.CanonicalName(d.Name))
		}
		for _, k := range []string{"name", "version", "marker"} {
			if _, dup := d.Other[k]; dup {
				p.add(join(dp, k), "key %q set both as a field and in Other", k)
			}
		}
	}
	pkg.validateSources(p, path)
	if pkg.VCS != nil {
		pkg.VCS.validate(p, join(path, "vcs"))
	}
	if pkg.Directory != nil && pkg.Directory.Path == "" {
		p.add(join(path, "directory.path"), "missing required value")
	}
	if pkg.Archive != nil {
		a := pkg.Archive
		ap := join(path, "archive")
		checkLocation(p, ap, a.URL, a.Path)
		checkHashes(p, join(ap, "hashes"), a.Hashes)
		checkSize(p, join(ap, "size"), a.Size)
	}
	if pkg.Sdist != nil {
		pkg.Sdist.validate(p, join(path, "sdist"), pkg.Name, version, false)
	}
	for i := range pkg.Wheels {
		pkg.Wheels[i].validate(p, index(join(path, "wheels"), i), pkg.Name, version, true)
	}
	for i, id := range pkg.AttestationIdentities {
		if k, ok := id["kind"].(string); !ok || k == "" {
			p.add(join(index(join(path, "attestation-identities"), i), "kind"), "missing required value")
		}
	}
}

func (pkg *Package) validateSources(p *problems, path string) {
	var direct []string
	if pkg.VCS != nil {
		direct = append(direct, "vcs")
	}
	if pkg.Directory != nil {
		direct = append(direct, "directory")
	}
	if pkg.Archive != nil {
		direct = append(direct, "archive")
	}
	dists := pkg.Sdist != nil || len(pkg.Wheels) > 0
	switch {
	case len(direct) > 1:
		p.add(path, "sources %s exclude each other; set exactly one", strings.Join(direct, ", "))
	case len(direct) == 1 && dists:
		p.add(path, "%s cannot be combined with sdist or wheels", direct[0])
	case len(direct) == 0 && !dists:
		p.add(path, "no source: expected sdist and/or wheels, or exactly one of vcs, directory, archive")
	}
	if pkg.Version != "" && (pkg.VCS != nil || pkg.Directory != nil) {
		p.add(join(path, "version"), "must not be set for a vcs or directory source (found %q)", pkg.Version)
	}
}

func (v *VCS) validate(p *problems, path string) {
	if v.Type == "" {
		p.add(join(path, "type"), "missing required value")
	}
	if v.CommitID == "" {
		p.add(join(path, "commit-id"), "missing required value")
	}
	checkLocation(p, path, v.URL, v.Path)
}

func checkLocation(p *problems, path, url, filePath string) {
	if url == "" && filePath == "" {
		p.add(path, "path or url must be provided")
	}
}

func checkSize(p *problems, path string, size *int64) {
	if size != nil && *size < 0 {
		p.add(path, "size must not be negative (found %d)", *size)
	}
}

// hashLengths are the hex digest lengths of the algorithms we can check.
var hashLengths = map[string]int{"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}

func checkHashes(p *problems, path string, hashes map[string]string) {
	if len(hashes) == 0 {
		p.add(path, "at least one hash must be provided")
		return
	}
	for _, alg := range sortedKeys(hashes) {
		val := hashes[alg]
		if alg == "" || strings.ToLower(alg) != alg {
			p.add(path, "algorithm name %q must be lower-case", alg)
		}
		if val == "" || strings.Trim(val, "0123456789abcdef") != "" {
			p.add(join(path, alg), "hash value %q is not lower-case hexadecimal", val)
			continue
		}
		if n, ok := hashLengths[alg]; ok && len(val) != n {
			p.add(join(path, alg), "%s digest must have %d hex digits (found %d)", alg, n, len(val))
		}
	}
}

func (f *File) validate(p *problems, path, pkgName string, version pep440.Version, isWheel bool) {
	checkLocation(p, path, f.URL, f.Path)
	checkHashes(p, join(path, "hashes"), f.Hashes)
	checkSize(p, join(path, "size"), f.Size)
	name := f.FileName()
	kind := "sdist"
	if isWheel {
		kind = "wheel"
	}
	if name == "" {
		if f.URL != "" || f.Path != "" {
			p.add(path, "cannot determine the %s file name from name, path or url", kind)
		}
		return
	}
	var fileProject string
	var fileVersion pep440.Version
	if isWheel {
		fn, err := wheel.ParseFilename(name)
		if err != nil {
			p.add(path, "invalid wheel filename %q: %s", name, firstLine(err))
			return
		}
		fileProject, fileVersion = fn.Name, fn.Version
	} else {
		fn, err := wheel.ParseSdistFilename(name)
		if err != nil {
			p.add(path, "invalid sdist filename %q: %s", name, firstLine(err))
			return
		}
		fileProject, fileVersion = fn.Name, fn.Version
	}
	if pkgName != "" && pep508.CanonicalName(fileProject) != pep508.CanonicalName(pkgName) {
		p.add(path, "%s %q belongs to project %q, not %q", kind, name, pep508.CanonicalName(fileProject), pkgName)
	}
	if !version.IsZero() && !fileVersion.Equal(version) {
		p.add(path, "%s %q has version %s, but the package version is %s", kind, name, fileVersion, version)
	}
}
