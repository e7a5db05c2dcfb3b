package image

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/pydeploy/pydeploy/lockfile/install"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
	"github.com/pydeploy/pydeploy/manifest"
)

// Defaults of Spec.
const (
	DefaultVenvDir = "/opt/venv"
	DefaultWorkDir = "/app"
	// DefaultUser is deploy's default runAsUser, so the image and the pod
	// agree on who runs the server.
	DefaultUser = "10001"
)

// Labels the image carries besides the OCI ones (the stamp's annotation
// keys, so `crane config` and the rendered Deployment read alike).
const (
	LabelLockHash = manifest.AnnotationLockHash
	LabelGitSHA   = manifest.AnnotationGitSHA
	LabelVersion  = manifest.AnnotationVersion
	LabelTarget   = "pydeploy.io/python-target"
)

// Spec describes a service image: a pinned base, the locked environment,
// the application source and how the container starts.
type Spec struct {
	// Base is the base image, pinned by digest ("registry/python@sha256:…",
	// a tag may precede the digest); a tag alone would make the build
	// irreproducible. When it is a multi-platform index, each target gets
	// the image of its platform.
	Base string
	// Lock is the lock whose packages form the environment.
	Lock *pylock.Lock
	// Targets are the install targets to build; nil means every target
	// the lock records (install.Targets). Several make a multi-platform
	// index.
	Targets []wheel.Target
	// Python is the interpreter inside the base image (see install.Python).
	Python install.Python
	// Extras and DependencyGroups select the lock's optional parts.
	Extras, DependencyGroups []string
	// VenvDir is where the environment lives in the image; "" means
	// DefaultVenvDir. Its bin/ is put first on PATH and VIRTUAL_ENV names it.
	VenvDir string
	// Source is the application directory copied to WorkDir, minus the
	// Exclude patterns; "" builds no application layer.
	Source string
	// WorkDir is the working directory and the application's place; ""
	// means DefaultWorkDir.
	WorkDir string
	// Exclude patterns (gitignore syntax: "*.log", "docs/", "**/tmp",
	// "!keep.txt") extend DefaultExclude unless NoDefaultExclude.
	Exclude          []string
	NoDefaultExclude bool
	// User runs the container; "" means DefaultUser.
	User string
	// Entrypoint and Cmd replace the base image's. Take them from the
	// Deployment deploy renders (ProcessFrom) so that `docker run` and the
	// pod start the same server.
	Entrypoint, Cmd []string
	// Env adds environment variables (sorted by name in the config).
	Env map[string]string
	// Labels adds labels; the stamp's are added by Build.
	Labels map[string]string
	// Stamp's GitSHA, LockHash and Version become labels (an empty Version
	// means manifest.LibraryVersion()).
	Stamp manifest.Stamp
	// Created is the creation time of the image, its history and the
	// modification time of every file it adds; the zero value means
	// $SOURCE_DATE_EPOCH, else install.DefaultModTime.
	Created time.Time
}

// BuildOptions say how to build; Client is required.
type BuildOptions struct {
	// Client downloads the locked wheels (verified, through its cache).
	Client *simpleapi.Client
	// Remote is how the base image is pulled.
	Remote Remote
	// TempDir holds the environments and layers until Built.Close; ""
	// means the system's temporary directory.
	TempDir string
	// LockDir resolves lock entries given by relative path.
	LockDir string
}

// Built is an assembled image: Image for one target, Index (one image per
// platform) for several. Layers live in a temporary directory until Close.
type Built struct {
	Image v1.Image
	Index v1.ImageIndex
	// Digest is the manifest (or index) digest the registry will report.
	Digest v1.Hash
	// Platforms are the images built, one per target, in target order.
	Platforms []PlatformImage

	dir string
}

// PlatformImage is the image of one target.
type PlatformImage struct {
	Target   wheel.Target
	Platform v1.Platform
	Image    v1.Image
	Digest   v1.Hash
	// Packages are the installed packages.
	Packages []install.Package
}

// Close removes the temporary files behind the layers; the images cannot
// be read after it.
func (b *Built) Close() error { return os.RemoveAll(b.dir) }

// Build assembles the image of spec: for each target, the base image of
// its platform, one layer holding the environment Install writes at
// VenvDir, one holding the application source at WorkDir, and a config
// (user, working directory, PATH and VIRTUAL_ENV, entrypoint and command,
// labels carrying the stamp). Every byte derives from the inputs — file
// modes and times are fixed, tar headers carry no owner names, gzip no
// timestamps, the config's times are Created — so the same inputs give
// the same digest on any machine with the same library versions.
func Build(ctx context.Context, spec Spec, opts BuildOptions) (_ *Built, err error) {
	spec, targets, created, err := checkSpec(spec)
	if err != nil {
		return nil, err
	}
	if opts.Client == nil {
		return nil, errors.New("image: BuildOptions.Client is nil; it downloads the locked wheels")
	}
	dir, err := os.MkdirTemp(opts.TempDir, "pydeploy-image-")
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	b := &Built{dir: dir}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	base, err := opts.Remote.get(ctx, spec.Base)
	if err != nil {
		return nil, fmt.Errorf("image: base %s: %w", spec.Base, err)
	}
	var app v1.Layer
	for i, t := range targets {
		p, err := Platform(t)
		if err != nil {
			return nil, err
		}
		baseImg, err := platformImage(base, p)
		if err != nil {
			return nil, fmt.Errorf("image: base %s: %w", spec.Base, err)
		}
		mt := layerType(baseImg)
		if app == nil && spec.Source != "" {
			if app, err = b.appLayer(spec, created, mt); err != nil {
				return nil, err
			}
		}
		pi, err := b.buildTarget(ctx, spec, opts, i, t, p, baseImg, app, created)
		if err != nil {
			return nil, err
		}
		b.Platforms = append(b.Platforms, pi)
	}
	if len(b.Platforms) == 1 {
		b.Image, b.Digest = b.Platforms[0].Image, b.Platforms[0].Digest
		return b, nil
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pi := range b.Platforms {
		p := pi.Platform
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: pi.Image, Descriptor: v1.Descriptor{Platform: &p}})
	}
	b.Index = idx
	if b.Digest, err = idx.Digest(); err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return b, nil
}

// checkSpec fills defaults and refuses what cannot be reproduced.
func checkSpec(spec Spec) (Spec, []wheel.Target, time.Time, error) {
	img, err := manifest.ParseImage(spec.Base)
	if err != nil {
		return spec, nil, time.Time{}, fmt.Errorf("image: Spec.Base: %w", err)
	}
	if !img.Pinned() {
		return spec, nil, time.Time{}, fmt.Errorf("image: Spec.Base %q is not pinned by digest; pin it (manifest.PinImage) so the build is reproducible", spec.Base)
	}
	if spec.Lock == nil {
		return spec, nil, time.Time{}, errors.New("image: Spec.Lock is nil")
	}
	targets := spec.Targets
	if len(targets) == 0 {
		if targets, err = install.Targets(spec.Lock); err != nil {
			return spec, nil, time.Time{}, err
		}
		if len(targets) == 0 {
			return spec, nil, time.Time{}, fmt.Errorf("image: the lock records no target (created by %q); set Spec.Targets", spec.Lock.CreatedBy)
		}
	}
	for _, d := range []struct {
		field *string
		def   string
	}{{&spec.VenvDir, DefaultVenvDir}, {&spec.WorkDir, DefaultWorkDir}, {&spec.User, DefaultUser}} {
		if *d.field == "" {
			*d.field = d.def
		}
	}
	for _, p := range []string{spec.VenvDir, spec.WorkDir} {
		if !path.IsAbs(p) || path.Clean(p) == "/" {
			return spec, nil, time.Time{}, fmt.Errorf("image: %q must be an absolute directory below /", p)
		}
	}
	spec.VenvDir, spec.WorkDir = path.Clean(spec.VenvDir), path.Clean(spec.WorkDir)
	created, err := createdTime(spec.Created)
	return spec, targets, created, err
}

func createdTime(t time.Time) (time.Time, error) {
	if !t.IsZero() {
		return t.UTC().Truncate(time.Second), nil
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("image: SOURCE_DATE_EPOCH=%q is not a count of seconds", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	return install.DefaultModTime, nil
}

// platformImage picks the image of platform p from a base that is an
// index, or checks that a single image is for p.
func platformImage(base *remote.Descriptor, p v1.Platform) (v1.Image, error) {
	if base.MediaType.IsIndex() {
		idx, err := base.ImageIndex()
		if err != nil {
			return nil, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		var have []string
		for _, d := range im.Manifests {
			if d.Platform != nil && samePlatform(*d.Platform, p) && d.MediaType.IsImage() {
				return idx.Image(d.Digest)
			}
			if d.Platform != nil {
				have = append(have, d.Platform.String())
			}
		}
		return nil, fmt.Errorf("no image for %s (the index has %s)", p.String(), strings.Join(have, ", "))
	}
	img, err := base.Image()
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	got := v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	if !samePlatform(got, p) {
		return nil, fmt.Errorf("the image is for %s, the target needs %s", got.String(), p.String())
	}
	return img, nil
}

// layerType follows the base: Docker layers on a Docker manifest, OCI
// layers otherwise.
func layerType(img v1.Image) types.MediaType {
	if mt, err := img.MediaType(); err == nil && mt == types.DockerManifestSchema2 {
		return types.DockerLayer
	}
	return types.OCILayer
}

// appLayer builds the application layer once for every platform.
func (b *Built) appLayer(spec Spec, created time.Time, mt types.MediaType) (v1.Layer, error) {
	patterns := spec.Exclude
	if !spec.NoDefaultExclude {
		patterns = append(slices.Clone(DefaultExclude), spec.Exclude...)
	}
	m, err := newMatcher(patterns)
	if err != nil {
		return nil, err
	}
	entries, err := sourceEntries(spec.Source, spec.WorkDir, m)
	if err != nil {
		return nil, err
	}
	return b.layer("app", entries, created, mt)
}

// layer writes entries as a gzip-compressed tar in the build directory.
func (b *Built) layer(name string, entries []layerEntry, created time.Time, mt types.MediaType) (v1.Layer, error) {
	tarPath := filepath.Join(b.dir, name+".tar")
	if err := writeLayer(tarPath, entries, created); err != nil {
		return nil, fmt.Errorf("image: %s layer: %w", name, err)
	}
	gz := tarPath + ".gz"
	if err := compress(tarPath, gz); err != nil {
		return nil, fmt.Errorf("image: %s layer: %w", name, err)
	}
	if err := os.Remove(tarPath); err != nil {
		return nil, err
	}
	return fileLayer(gz, mt)
}

// compress gzips src with a header that carries no name or time.
func compress(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(out, gzip.BestSpeed)
	if err != nil {
		out.Close()
		return err
	}
	_, err = io.Copy(zw, in)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// buildTarget installs the environment for one target and assembles its
// image.
func (b *Built) buildTarget(ctx context.Context, spec Spec, opts BuildOptions, i int, t wheel.Target, p v1.Platform,
	base v1.Image, app v1.Layer, created time.Time) (PlatformImage, error) {
	envDir := filepath.Join(b.dir, fmt.Sprintf("env-%d", i))
	res, err := install.Install(ctx, spec.Lock, envDir, install.Options{Client: opts.Client, Target: t, Python: spec.Python,
		Prefix: spec.VenvDir, Extras: spec.Extras, DependencyGroups: spec.DependencyGroups, LockDir: opts.LockDir, ModTime: created})
	if err != nil {
		return PlatformImage{}, fmt.Errorf("image: target %s: %w", t, err)
	}
	entries, err := treeEntries(envDir, spec.VenvDir)
	if err != nil {
		return PlatformImage{}, fmt.Errorf("image: %w", err)
	}
	env, err := b.layer(fmt.Sprintf("env-%d", i), entries, created, layerType(base))
	if err != nil {
		return PlatformImage{}, err
	}
	if err := os.RemoveAll(envDir); err != nil {
		return PlatformImage{}, fmt.Errorf("image: %w", err)
	}
	at := v1.Time{Time: created}
	adds := []mutate.Addendum{{Layer: env, History: v1.History{Created: at,
		CreatedBy: fmt.Sprintf("pydeploy: install %d locked packages for %s into %s", len(res.Packages), t, spec.VenvDir)}}}
	if app != nil {
		adds = append(adds, mutate.Addendum{Layer: app, History: v1.History{Created: at, CreatedBy: "pydeploy: copy the application source to " + spec.WorkDir}})
	}
	img, err := mutate.Append(base, adds...)
	if err != nil {
		return PlatformImage{}, fmt.Errorf("image: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return PlatformImage{}, fmt.Errorf("image: %w", err)
	}
	baseDigest, err := base.Digest()
	if err != nil {
		return PlatformImage{}, fmt.Errorf("image: %w", err)
	}
	cfg = cfg.DeepCopy()
	configure(cfg, spec, t, baseDigest, created)
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return PlatformImage{}, fmt.Errorf("image: %w", err)
	}
	d, err := img.Digest()
	if err != nil {
		return PlatformImage{}, fmt.Errorf("image: %w", err)
	}
	return PlatformImage{Target: t, Platform: p, Image: img, Digest: d, Packages: res.Packages}, nil
}

// defaultPath is the PATH of the python images, used when the base sets
// none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// configure sets what Spec says on the base's config.
func configure(cfg *v1.ConfigFile, spec Spec, t wheel.Target, base v1.Hash, created time.Time) {
	cfg.Created = v1.Time{Time: created}
	c := &cfg.Config
	c.User, c.WorkingDir = spec.User, spec.WorkDir
	c.Entrypoint, c.Cmd = slices.Clone(spec.Entrypoint), slices.Clone(spec.Cmd)
	env := map[string]string{}
	var order []string
	for _, kv := range c.Env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := env[k]; !dup {
			order = append(order, k)
		}
		env[k] = v
	}
	bin := spec.VenvDir + "/bin"
	if p, ok := env["PATH"]; !ok || p == "" {
		env["PATH"] = bin + ":" + defaultPath
	} else if !strings.HasPrefix(p, bin+":") {
		env["PATH"] = bin + ":" + p
	}
	env["VIRTUAL_ENV"] = spec.VenvDir
	maps.Copy(env, spec.Env)
	seen := map[string]bool{}
	c.Env = nil
	for _, k := range order {
		seen[k] = true
		c.Env = append(c.Env, k+"="+env[k])
	}
	for _, kv := range sortedEnv(env) {
		if k, _, _ := strings.Cut(kv, "="); !seen[k] {
			c.Env = append(c.Env, kv)
		}
	}
	labels := map[string]string{}
	maps.Copy(labels, c.Labels)
	maps.Copy(labels, spec.Labels)
	version := spec.Stamp.Version
	if version == "" {
		version = manifest.LibraryVersion()
	}
	set := func(k, v string) {
		if v != "" {
			labels[k] = v
		}
	}
	set("org.opencontainers.image.created", created.Format(time.RFC3339))
	set("org.opencontainers.image.base.digest", base.String())
	set("org.opencontainers.image.revision", spec.Stamp.GitSHA)
	set(LabelGitSHA, spec.Stamp.GitSHA)
	set(LabelLockHash, spec.Stamp.LockHash)
	set(LabelVersion, version)
	set(LabelTarget, t.String())
	c.Labels = labels
}

// sortedEnv renders env as sorted "K=V" strings.
func sortedEnv(env map[string]string) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + env[k]
	}
	return out
}
