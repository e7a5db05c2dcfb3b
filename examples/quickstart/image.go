package main

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/internal/testregistry"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/manifest/image"
)

//go:embed payments-api
var paymentsSource embed.FS

// baseImage is where the stand-in base image is pushed: the embedded
// registry answers for ghcr.io, as the embedded index answers for
// index.payments.example. It is a stand-in, not python:3.12-slim: /etc/passwd,
// /etc/group and /tmp, no Python (there is no Docker engine or internet to
// pull a real one from), so the image is assembled, pushed, pinned and
// verified for real but cannot run outside the embedded cluster's scripted
// kubelet.
const baseImage = "ghcr.io/pydeploy/stand-in-base:3.12"

// images builds and pushes payments-api images: an embedded registry and
// package index, the stand-in base, and the lock.
type images struct {
	reg    *testregistry.Registry
	idx    *testindex.Server
	remote image.Remote
	client *simpleapi.Client
	base   string // pinned
	lock   *pylock.Lock
	hash   string
	tmp    string
}

// startImages starts the embedded registry and index and pushes the base.
func startImages(ctx context.Context, lock lockResult) (*images, error) {
	l, err := pylock.ReadFile(lock.path)
	if err != nil {
		return nil, err
	}
	im := &images{lock: l, hash: lock.hash}
	if im.tmp, err = os.MkdirTemp("", "payments-api-image-"); err != nil {
		return nil, err
	}
	if im.reg, err = testregistry.Start(testregistry.Options{}); err != nil {
		im.close()
		return nil, fmt.Errorf("start the embedded registry: %w", err)
	}
	if im.idx, err = testindex.Start(testindex.Payments(), testindex.Options{}); err != nil {
		im.close()
		return nil, fmt.Errorf("start the embedded package index: %w", err)
	}
	im.remote = image.Remote{Transport: dialOnly(im.reg.Host), Insecure: true}
	httpClient, err := loopbackClient(im.idx.URL)
	if err != nil {
		im.close()
		return nil, err
	}
	if im.client, err = simpleapi.New(simpleapi.Options{Indexes: []simpleapi.Index{{URL: indexURL}}, HTTPClient: httpClient,
		CacheDir: filepath.Join(im.tmp, "cache"), NoNetrc: true}); err != nil {
		im.close()
		return nil, err
	}
	idx, err := testregistry.StandInBase()
	if err != nil {
		im.close()
		return nil, err
	}
	pinned, err := pushIndex(ctx, im, idx, baseImage)
	if err != nil {
		im.close()
		return nil, err
	}
	im.base = pinned
	return im, nil
}

func (im *images) close() {
	if im.reg != nil {
		im.reg.Close()
	}
	if im.idx != nil {
		im.idx.Close()
	}
	os.RemoveAll(im.tmp)
}

// dialOnly sends every request to the embedded registry, whatever host the
// reference names.
func dialOnly(host string) http.RoundTripper {
	var d net.Dialer
	return &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, host)
	}}
}

// build builds the image of payments-api at commit gitSHA from the source
// (the embedded payments-api directory, changed by edit when not nil),
// pushes it as imageRepo:<short sha> and returns the reference pinned by
// digest.
func (im *images) build(ctx context.Context, tag, gitSHA string, proc image.Process, edit func(dir string) error) (string, *image.Built, error) {
	src, err := im.source(tag, edit)
	if err != nil {
		return "", nil, err
	}
	spec := image.Spec{Base: im.base, Lock: im.lock, Source: src, Stamp: manifest.Stamp{GitSHA: gitSHA, LockHash: im.hash}}
	proc.Apply(&spec)
	built, err := image.Build(ctx, spec, image.BuildOptions{Client: im.client, Remote: im.remote, TempDir: im.tmp})
	if err != nil {
		return "", nil, fmt.Errorf("build the image: %w", err)
	}
	pinned, err := built.Push(ctx, imageRepo+":"+tag, im.remote)
	if err != nil {
		built.Close()
		return "", nil, err
	}
	return pinned.String(), built, nil
}

// source writes the embedded payments-api directory for one build.
func (im *images) source(tag string, edit func(string) error) (string, error) {
	dir := filepath.Join(im.tmp, "src-"+tag)
	err := fs.WalkDir(paymentsSource, "payments-api", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dest := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(p, "payments-api")))
		if d.IsDir() {
			return os.MkdirAll(dest, 0o755)
		}
		data, err := paymentsSource.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dest, data, 0o644)
	})
	if err == nil && edit != nil {
		err = edit(dir)
	}
	return dir, err
}

// imageStep builds and pushes the good revision's image, checks it against
// the lock, and returns its pinned reference.
func imageStep(ctx context.Context, o options, im *images, s *story) (string, error) {
	tag, err := manifest.Expand(imageTemplate, manifest.MapLookup(map[string]string{"GIT_SHA": o.gitSHA}))
	if err != nil {
		return "", err
	}
	proc, err := serverProcess(o.namespace)
	if err != nil {
		return "", err
	}
	start := time.Now()
	pinned, built, err := im.build(ctx, strings.TrimPrefix(tag, imageRepo+":"), o.gitSHA, proc, nil)
	if err != nil {
		return "", err
	}
	defer built.Close()
	p := built.Platforms[0]
	s.step("built payments-api's image from the lock without Docker in %s: %d packages into /opt/venv for %s, the source into /app",
		time.Since(start).Round(10*time.Millisecond), len(p.Packages), p.Target)
	s.printf("base %s", im.base)
	s.printf("(a stand-in pushed to the embedded registry: /etc/passwd, /etc/group, /tmp, no Python)")
	s.printf("entrypoint %s, user %s", strings.Join(proc.Entrypoint, " "), proc.User)
	s.printf("pushed %s to the embedded registry standing in for ghcr.io", pinned)
	reports, err := image.Verify(ctx, pinned, im.lock, image.VerifyOptions{Remote: im.remote})
	if err != nil {
		return "", err
	}
	for _, r := range reports {
		if !r.Clean() {
			var b strings.Builder
			_ = r.WriteText(&b)
			return "", fmt.Errorf("the pushed image does not match its lock:\n%s", b.String())
		}
		s.printf("image-check: the pushed image holds exactly the %d locked packages, every RECORD hash matches", r.Installed)
	}
	return pinned, nil
}

// serverProcess is how payments-api's container starts, from the
// Deployment deploy renders, so that the image and the pod agree.
func serverProcess(namespace string) (image.Process, error) {
	b, err := paymentsAPI(namespace, imageRepo+":build").Build()
	if err != nil {
		return image.Process{}, fmt.Errorf("build payments-api: %w", err)
	}
	return image.ProcessFrom(b.Deployment, "")
}

// pushIndex pushes a multi-platform image to ref (through the embedded
// registry) and returns it pinned by digest.
func pushIndex(ctx context.Context, im *images, idx v1.ImageIndex, ref string) (string, error) {
	tag, err := name.NewTag(ref, name.Insecure)
	if err != nil {
		return "", err
	}
	if err := remote.WriteIndex(tag, idx, remote.WithContext(ctx), remote.WithTransport(im.remote.Transport)); err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		return "", err
	}
	return ref + "@" + d.String(), nil
}
