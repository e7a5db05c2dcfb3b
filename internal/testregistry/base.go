package testregistry

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// BaseDescription is the description label of the stand-in base image,
// saying what it is.
const BaseDescription = "pydeploy stand-in base image: /etc/passwd, /etc/group, /tmp and an empty /usr/local/bin; " +
	"no Python interpreter (built in-process: no Docker engine or internet to pull python:*-slim from)"

// baseTime is the creation time of the stand-in base and its files.
var baseTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultPlatforms are the platforms StandInBase builds when given none.
var DefaultPlatforms = []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64", Variant: "v8"}}

// StandInBase returns the stand-in base image as an OCI index with one
// image per platform, all sharing one layer. The result is the same on
// every machine.
func StandInBase(platforms ...v1.Platform) (v1.ImageIndex, error) {
	if len(platforms) == 0 {
		platforms = DefaultPlatforms
	}
	data, err := baseLayer()
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range platforms {
		img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{
			Created: v1.Time{Time: baseTime}, CreatedBy: "pydeploy testregistry: stand-in base (passwd, group, tmp)"}})
		if err != nil {
			return nil, err
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cfg = cfg.DeepCopy()
		cfg.OS, cfg.Architecture, cfg.Variant = p.OS, p.Architecture, p.Variant
		cfg.Created = v1.Time{Time: baseTime}
		cfg.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
		cfg.Config.Labels = map[string]string{"org.opencontainers.image.description": BaseDescription}
		if img, err = mutate.ConfigFile(img, cfg); err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	return idx, nil
}

func baseLayer() ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct {
		name string
		mode int64
		data string
	}{
		{"etc/", 0o755, ""},
		{"etc/group", 0o644, "root:x:0:\napp:x:10001:\n"},
		{"etc/passwd", 0o644, "root:x:0:0:root:/root:/sbin/nologin\napp:x:10001:10001:app:/app:/sbin/nologin\n"},
		{"tmp/", 0o1777, ""},
		{"usr/", 0o755, ""},
		{"usr/local/", 0o755, ""},
		{"usr/local/bin/", 0o755, ""},
	}
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, ModTime: baseTime, Typeflag: tar.TypeReg, Size: int64(len(f.data)), Format: tar.FormatPAX}
		if f.name[len(f.name)-1] == '/' {
			h.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write([]byte(f.data)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// PushStandInBase pushes StandInBase to repository:tag and returns the
// reference pinned by digest ("127.0.0.1:port/repository@sha256:…"). opts
// are passed to remote (e.g. remote.WithAuth for an authenticated
// registry).
func (r *Registry) PushStandInBase(ctx context.Context, repository, tag string, opts ...remote.Option) (string, error) {
	idx, err := StandInBase()
	if err != nil {
		return "", err
	}
	ref, err := name.NewTag(r.Ref(repository, ":"+tag))
	if err != nil {
		return "", err
	}
	if err := remote.WriteIndex(ref, idx, append([]remote.Option{remote.WithContext(ctx)}, opts...)...); err != nil {
		return "", fmt.Errorf("testregistry: pushing the stand-in base: %w", err)
	}
	d, err := idx.Digest()
	if err != nil {
		return "", err
	}
	return r.Ref(repository, "@"+d.String()), nil
}
