package install

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// ExportOptions configure Export. The zero value exports for the lock's
// one target with its default groups.
type ExportOptions struct {
	// Target is the environment to export for; the zero value means the
	// one target the lock records (see Targets).
	Target wheel.Target
	// PythonVersion is the interpreter's full version ("3.12.7") for
	// python_full_version markers; "" means the target's X.Y.
	PythonVersion string
	// Extras and DependencyGroups select the lock's optional parts; with
	// neither, the lock's default-groups apply.
	Extras, DependencyGroups []string
	// IndexURL replaces the index the lock records (a mirror holding the
	// same files: the hashes keep it honest); "" keeps the lock's.
	IndexURL string
	// LockDir resolves files the lock gives by relative path, which are
	// exported as file:// URLs; "" means the current directory.
	LockDir string
}

// pipHashes are the algorithms pip accepts in --hash, strongest last.
var pipHashes = []string{"sha256", "sha384", "sha512"}

// Export writes the packages a lock selects for one target as a pip
// requirements file that `pip install --no-deps --require-hashes -r`
// installs: one "name==version" line per package with a --hash for each
// of its chosen file's sha256/sha384/sha512 digests (pip then accepts only
// that file, so it picks the wheel the lock chose), and --index-url /
// --extra-index-url lines for the lock's indexes. A package with a file
// but no index becomes "name @ URL". It is the bridge for Dockerfiles
// that run pip. Markers are already evaluated for the target, so the file
// is for that target only.
//
// Credentials in URLs are never written. VCS and directory sources cannot
// be pinned by hash and are refused (ErrUnsupportedSource); sdists are
// exported (pip builds them). Nothing is written on error.
func Export(w io.Writer, l *pylock.Lock, opts ExportOptions) error {
	t, sel, err := Select(l, SelectOptions{Target: opts.Target, PythonVersion: opts.PythonVersion, Extras: opts.Extras, DependencyGroups: opts.DependencyGroups})
	if err != nil {
		return err
	}
	var body bytes.Buffer
	var indexes []string
	seen := map[string]bool{}
	var errs []error
	for _, s := range sel {
		line, index, err := requirementLine(s, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if index != "" && !seen[index] {
			seen[index] = true
			indexes = append(indexes, index)
		}
		body.WriteString(line)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "# Exported by pydeploy from a pylock.toml for %s.\n# Install with: pip install --no-deps --require-hashes -r <this file>\n", t)
	for i, ix := range indexes {
		flag := "--index-url"
		if i > 0 {
			flag = "--extra-index-url"
		}
		fmt.Fprintf(&out, "%s %s\n", flag, ix)
	}
	out.Write(body.Bytes())
	_, err = w.Write(out.Bytes())
	return err
}

// requirementLine renders one selection and returns the index it needs.
func requirementLine(s pylock.Selection, opts ExportOptions) (line, index string, err error) {
	pkg := s.Package
	var f pylock.File
	switch s.Kind {
	case pylock.SourceWheel, pylock.SourceSdist:
		f = *s.File
	case pylock.SourceArchive:
		f = wheelFile(s)
	default:
		return "", "", fmt.Errorf("export: package %q: %w (%s source)", pkg.Name, ErrUnsupportedSource, s.Kind)
	}
	var hashes []string
	for _, alg := range pipHashes {
		if v, ok := f.Hashes[alg]; ok {
			hashes = append(hashes, "--hash="+alg+":"+strings.ToLower(v))
		}
	}
	if len(hashes) == 0 {
		return "", "", fmt.Errorf("export: package %q: file %s has no sha256, sha384 or sha512 hash, which --require-hashes needs", pkg.Name, f.FileName())
	}
	req := pkg.Name + "==" + pkg.Version
	switch {
	case s.Kind == pylock.SourceArchive || (pkg.Index == "" && opts.IndexURL == ""):
		u, err := fileURL(f, opts.LockDir)
		if err != nil {
			return "", "", fmt.Errorf("export: package %q: %w", pkg.Name, err)
		}
		req = pkg.Name + " @ " + u
	case opts.IndexURL != "":
		index = stripUserinfo(opts.IndexURL)
	default:
		index = stripUserinfo(pkg.Index)
	}
	return req + " \\\n    " + strings.Join(hashes, " \\\n    ") + "\n", index, nil
}

// fileURL is the direct reference of a file: its URL without credentials,
// or a file:// URL of its path.
func fileURL(f pylock.File, lockDir string) (string, error) {
	if f.URL != "" {
		return stripUserinfo(f.URL), nil
	}
	abs, err := filepath.Abs(filepath.Join(lockDir, filepath.FromSlash(f.Path)))
	if err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil
}

func stripUserinfo(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}
