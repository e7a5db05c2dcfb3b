package image

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/pydeploy/pydeploy/lockfile/install"
	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// VerifyOptions configure Verify. The zero value checks each image
// against the lock's target for its platform, finding the environment by
// itself.
type VerifyOptions struct {
	// Target is the environment the image must hold; the zero value means
	// the lock's target whose platform is the image's.
	Target wheel.Target
	// PythonVersion, Extras and DependencyGroups narrow the lock as
	// install.Select does.
	PythonVersion            string
	Extras, DependencyGroups []string
	// SitePackages is the environment's directory in the image
	// ("/opt/venv/lib/python3.12/site-packages"). "" means: the one under
	// the image's $VIRTUAL_ENV, else the directory holding the most locked
	// distributions.
	SitePackages string
	// AllowExtra names packages that may be installed without being
	// locked, such as the pip, setuptools and wheel a python base image
	// brings. Their files are still checked.
	AllowExtra []string
	// Remote is how Verify reads images from a registry.
	Remote Remote
}

// Report is the drift between one image and a lock.
type Report struct {
	// Image is the digest of the image checked; Platform its platform.
	Image    string       `json:"image"`
	Platform v1.Platform  `json:"platform"`
	Target   wheel.Target `json:"-"`
	// SitePackages is the directory checked ("" when the image has no
	// .dist-info at all); OtherSites are further directories holding
	// distributions (a distribution's own Python), not compared.
	SitePackages string   `json:"site_packages"`
	OtherSites   []string `json:"other_sites,omitempty"`
	// Installed is how many distributions SitePackages holds.
	Installed int `json:"installed"`
	// Missing are locked packages the image lacks; Extra are installed
	// packages the lock does not have; Versions differ in version.
	Missing  []Dist         `json:"missing"`
	Extra    []Dist         `json:"extra"`
	Versions []VersionDrift `json:"versions"`
	// Files are files whose content contradicts their distribution's
	// RECORD, are missing, or are in site-packages without any RECORD
	// listing them.
	Files []FileDrift `json:"files"`
}

// Dist is a package at a version.
type Dist struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// VersionDrift is a package installed at another version than locked.
type VersionDrift struct {
	Name      string `json:"name"`
	Locked    string `json:"locked"`
	Installed string `json:"installed"`
}

// Drift kinds of a FileDrift.
const (
	FileModified  = "modified"
	FileMissing   = "missing"
	FileUntracked = "untracked"
	FileNoRecord  = "no-record"
)

// FileDrift is one file that disagrees with the installed distributions.
type FileDrift struct {
	// Package is the distribution whose RECORD lists the file ("" for an
	// untracked file).
	Package string `json:"package,omitempty"`
	// Path is absolute in the image.
	Path string `json:"path"`
	// Kind is FileModified, FileMissing, FileUntracked or FileNoRecord (a
	// distribution without RECORD, whose files cannot be checked).
	Kind string `json:"kind"`
	// Want and Got are RECORD's hash and the image's, for FileModified.
	Want string `json:"want,omitempty"`
	Got  string `json:"got,omitempty"`
}

// PackagesMatch reports whether the image has exactly the locked packages
// at the locked versions.
func (r *Report) PackagesMatch() bool {
	return len(r.Missing) == 0 && len(r.Extra) == 0 && len(r.Versions) == 0
}

// Clean reports no drift at all.
func (r *Report) Clean() bool { return r.PackagesMatch() && len(r.Files) == 0 }

// Verify reads the image ref (any registry, any builder: this package's
// Build or a docker build) and reports its drift against the lock: the
// layers are flattened with whiteouts honoured, the *.dist-info of the
// environment are compared with the packages the lock selects for the
// image's target, and every file a RECORD lists is hashed. A
// multi-platform index gives one report per platform the lock has a
// target for. Errors are for images that cannot be read or a lock that
// cannot be narrowed; drift is in the reports.
func Verify(ctx context.Context, ref string, l *pylock.Lock, opts VerifyOptions) ([]*Report, error) {
	desc, err := opts.Remote.get(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("image: verify %s: %w", ref, err)
	}
	if !desc.MediaType.IsIndex() {
		img, err := desc.Image()
		if err != nil {
			return nil, fmt.Errorf("image: verify %s: %w", ref, err)
		}
		r, err := VerifyImage(ctx, img, l, opts)
		if err != nil {
			return nil, fmt.Errorf("image: verify %s: %w", ref, err)
		}
		return []*Report{r}, nil
	}
	targets := []wheel.Target{opts.Target}
	if opts.Target.Implementation == "" {
		if targets, err = install.Targets(l); err != nil {
			return nil, err
		}
	}
	var out []*Report
	for _, t := range targets {
		p, err := Platform(t)
		if err != nil {
			return nil, err
		}
		img, err := platformImage(desc, p)
		if err != nil {
			return nil, fmt.Errorf("image: verify %s for %s: %w", ref, t, err)
		}
		o := opts
		o.Target = t
		r, err := VerifyImage(ctx, img, l, o)
		if err != nil {
			return nil, fmt.Errorf("image: verify %s for %s: %w", ref, t, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// VerifyImage is Verify for an image already at hand.
func VerifyImage(ctx context.Context, img v1.Image, l *pylock.Lock, opts VerifyOptions) (*Report, error) {
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	r := &Report{Platform: v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}}
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	r.Image = d.String()
	if r.Target, err = targetFor(l, opts.Target, r.Platform); err != nil {
		return nil, err
	}
	_, sel, err := install.Select(l, install.SelectOptions{Target: r.Target, PythonVersion: opts.PythonVersion,
		Extras: opts.Extras, DependencyGroups: opts.DependencyGroups})
	if err != nil {
		return nil, err
	}
	fsys, err := flatten(ctx, img, nil)
	if err != nil {
		return nil, err
	}
	dists := fsys.dists()
	r.SitePackages, r.OtherSites = chooseSite(dists, sel, opts.SitePackages, envValue(cfg.Config.Env, "VIRTUAL_ENV"))
	installed := dists[r.SitePackages]
	r.Installed = len(installed)
	compare(r, sel, installed, opts.AllowExtra)
	if err := checkFiles(ctx, r, img, fsys, installed); err != nil {
		return nil, err
	}
	return r, nil
}

// targetFor is t, or the lock's target for platform p.
func targetFor(l *pylock.Lock, t wheel.Target, p v1.Platform) (wheel.Target, error) {
	if t.Implementation != "" {
		return t, nil
	}
	ts, err := install.Targets(l)
	if err != nil {
		return wheel.Target{}, err
	}
	var names []string
	for _, t := range ts {
		if tp, err := Platform(t); err == nil && samePlatform(tp, p) {
			return t, nil
		}
		names = append(names, t.String())
	}
	return wheel.Target{}, fmt.Errorf("image: the image is for %s and the lock has no target for it (it has %s); set VerifyOptions.Target",
		p.String(), strings.Join(names, ", "))
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// file is a regular file or link of the flattened image.
type file struct {
	link    string // symlink target, or hard-link source
	hard    bool
	symlink bool
	size    int64
	sum     []byte // sha256, or the algorithm asked for in a second pass
}

// imageFS is the flattened image: every regular file with its hash, and
// the content of the .dist-info files Verify reads.
type imageFS struct {
	files map[string]*file  // path without leading "/"
	meta  map[string][]byte // METADATA and RECORD contents
}

// flatten reads the image's filesystem as the runtime sees it (later
// layers win, whiteouts and opaque directories honoured). With algs it
// hashes only those files, with those algorithms (a second pass for
// RECORDs that do not use sha256).
func flatten(ctx context.Context, img v1.Image, algs map[string]string) (*imageFS, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	fsys := &imageFS{files: map[string]*file{}, meta: map[string][]byte{}}
	tr := tar.NewReader(rc)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the image's layers: %w", err)
		}
		p := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		switch h.Typeflag {
		case tar.TypeReg:
			f := &file{size: h.Size}
			if err := fsys.read(tr, p, f, algs); err != nil {
				return nil, fmt.Errorf("reading %s: %w", p, err)
			}
			fsys.files[p] = f
		case tar.TypeSymlink:
			fsys.files[p] = &file{symlink: true, link: h.Linkname}
		case tar.TypeLink:
			fsys.files[p] = &file{hard: true, link: strings.TrimPrefix(path.Clean("/"+h.Linkname), "/")}
		}
	}
	for _, f := range fsys.files {
		if f.hard {
			if src, ok := fsys.files[f.link]; ok && !src.hard {
				f.size, f.sum = src.size, src.sum
			}
		}
	}
	return fsys, nil
}

func (fsys *imageFS) read(r io.Reader, p string, f *file, algs map[string]string) error {
	base := path.Base(p)
	keep := strings.HasSuffix(path.Dir(p), ".dist-info") && (base == "METADATA" || base == "RECORD")
	if algs != nil {
		alg, ok := algs[p]
		if !ok {
			return nil
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		hv, err := install.RecordHash(alg, data)
		f.sum = []byte(hv)
		return err
	}
	h := sha256.New()
	if keep {
		data, err := io.ReadAll(io.LimitReader(r, 64<<20))
		if err != nil {
			return err
		}
		fsys.meta[p] = data
		h.Write(data)
	} else if _, err := io.Copy(h, r); err != nil {
		return err
	}
	f.sum = h.Sum(nil)
	return nil
}

// installedDist is a *.dist-info found in the image.
type installedDist struct {
	Dist
	infoDir string // path of the .dist-info, without leading "/"
}

// dists groups the image's distributions by the directory holding them.
func (fsys *imageFS) dists() map[string][]installedDist {
	out := map[string][]installedDist{}
	for p, data := range fsys.meta {
		if path.Base(p) != "METADATA" {
			continue
		}
		info := path.Dir(p)
		d := installedDist{infoDir: info}
		if m, err := simpleapi.ParseMetadata(data); err == nil {
			d.Name, d.Version = pep508.CanonicalName(m.Name), m.Version
		} else {
			name, ver, _ := strings.Cut(strings.TrimSuffix(path.Base(info), ".dist-info"), "-")
			d.Name, d.Version = pep508.CanonicalName(name), ver
		}
		site := "/" + path.Dir(info)
		out[site] = append(out[site], d)
	}
	for _, ds := range out {
		sort.Slice(ds, func(i, j int) bool { return ds[i].infoDir < ds[j].infoDir })
	}
	return out
}

// chooseSite picks the environment's site-packages directory.
func chooseSite(dists map[string][]installedDist, sel []pylock.Selection, explicit, venv string) (string, []string) {
	var sites []string
	for s := range dists {
		sites = append(sites, s)
	}
	sort.Strings(sites)
	others := func(chosen string) []string {
		return slices.DeleteFunc(slices.Clone(sites), func(s string) bool { return s == chosen })
	}
	if explicit != "" {
		chosen := path.Clean("/" + explicit)
		return chosen, others(chosen)
	}
	if venv != "" {
		prefix := path.Clean(venv) + "/lib/"
		for _, s := range sites {
			if strings.HasPrefix(s, prefix) && strings.HasSuffix(s, "/site-packages") {
				return s, others(s)
			}
		}
	}
	locked := map[string]bool{}
	for _, s := range sel {
		locked[s.Package.Name] = true
	}
	best, bestScore := "", -1
	for _, s := range sites {
		score := 0
		for _, d := range dists[s] {
			if locked[d.Name] {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = s, score
		}
	}
	return best, others(best)
}

// compare fills the package-level drift.
func compare(r *Report, sel []pylock.Selection, installed []installedDist, allow []string) {
	allowed := map[string]bool{}
	for _, a := range allow {
		allowed[pep508.CanonicalName(strings.TrimSpace(a))] = true
	}
	have := map[string]installedDist{}
	for _, d := range installed {
		if _, dup := have[d.Name]; dup || !isLocked(sel, d.Name) && !allowed[d.Name] {
			r.Extra = append(r.Extra, d.Dist)
			continue
		}
		have[d.Name] = d
	}
	for _, s := range sel {
		d, ok := have[s.Package.Name]
		switch {
		case !ok:
			r.Missing = append(r.Missing, Dist{s.Package.Name, s.Package.Version})
		case !sameVersion(s.Package.Version, d.Version):
			r.Versions = append(r.Versions, VersionDrift{s.Package.Name, s.Package.Version, d.Version})
		}
	}
}

func isLocked(sel []pylock.Selection, name string) bool {
	for _, s := range sel {
		if s.Package.Name == name {
			return true
		}
	}
	return false
}

func sameVersion(a, b string) bool {
	va, err1 := pep440.Parse(a)
	vb, err2 := pep440.Parse(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return va.Equal(vb)
}

// checkFiles hashes every file each installed distribution's RECORD
// lists, and finds files in site-packages no RECORD lists.
func checkFiles(ctx context.Context, r *Report, img v1.Image, fsys *imageFS, installed []installedDist) error {
	site := strings.TrimPrefix(r.SitePackages, "/")
	listed := map[string]bool{}
	other := map[string]string{} // path -> algorithm, for the second pass
	type pending struct {
		pkg, p string
		e      install.RecordEntry
	}
	var later []pending
	for _, d := range installed {
		data, ok := fsys.meta[d.infoDir+"/RECORD"]
		if !ok {
			r.Files = append(r.Files, FileDrift{Package: d.Name, Path: "/" + d.infoDir + "/RECORD", Kind: FileNoRecord})
			continue
		}
		entries, err := install.ParseRecord(data)
		if err != nil {
			r.Files = append(r.Files, FileDrift{Package: d.Name, Path: "/" + d.infoDir + "/RECORD", Kind: FileNoRecord, Got: err.Error()})
			continue
		}
		for _, e := range entries {
			p := path.Clean(path.Join(site, e.Path))
			listed[p] = true
			if e.Hash == "" {
				// pip lists bytecode and RECORD without a hash; a missing
				// .pyc is regenerated, anything else is drift.
				if _, ok := fsys.files[p]; !ok && !strings.HasSuffix(p, ".pyc") {
					r.Files = append(r.Files, FileDrift{Package: d.Name, Path: "/" + p, Kind: FileMissing})
				}
				continue
			}
			f, ok := fsys.files[p]
			switch {
			case !ok || f.symlink:
				r.Files = append(r.Files, FileDrift{Package: d.Name, Path: "/" + p, Kind: FileMissing, Want: e.Hash})
			case e.Algorithm() != "sha256":
				other[p] = e.Algorithm()
				later = append(later, pending{d.Name, p, e})
			case !e.Matches("sha256", f.sum, f.size):
				r.Files = append(r.Files, FileDrift{Package: d.Name, Path: "/" + p, Kind: FileModified, Want: e.Hash,
					Got: "sha256=" + base64.RawURLEncoding.EncodeToString(f.sum)})
			}
		}
	}
	if len(later) > 0 {
		again, err := flatten(ctx, img, other)
		if err != nil {
			return err
		}
		for _, l := range later {
			if got := string(again.files[l.p].sum); got != l.e.Hash {
				r.Files = append(r.Files, FileDrift{Package: l.pkg, Path: "/" + l.p, Kind: FileModified, Want: l.e.Hash, Got: got})
			}
		}
	}
	if site != "" {
		for p, f := range fsys.files {
			if strings.HasPrefix(p, site+"/") && !listed[p] && !f.symlink && !strings.Contains(p, "/__pycache__/") {
				r.Files = append(r.Files, FileDrift{Path: "/" + p, Kind: FileUntracked})
			}
		}
	}
	sort.Slice(r.Files, func(i, j int) bool {
		if r.Files[i].Path != r.Files[j].Path {
			return r.Files[i].Path < r.Files[j].Path
		}
		return r.Files[i].Package < r.Files[j].Package
	})
	return nil
}
