// Command overlays shows kustomize overlays over the base pydeploy renders:
// payments-api is built with deploy's production defaults and written as a
// kustomize base (manifest.WriteDir: one file per object plus a
// kustomization.yaml), then a staging and a production overlay are laid over
// it and built with manifest.Kustomize — kustomize's own library, with loads
// restricted to each kustomization's root and plugins disabled.
//
//   - staging: namespace shop-staging, 2 replicas, the release candidate's tag;
//   - production: 5 replicas, the image pinned by digest (tag and digest set
//     together, so neither an old tag nor an old digest survives), and a
//     higher memory limit through a strategic-merge patch.
//
// The base stays what Git reviews; the overlays say only what differs per
// environment. Run it from the repository root:
//
//	go -C examples run ./overlays              # prints both overlays
//	go -C examples run ./overlays -env production
//	go -C examples run ./overlays -o DIR       # also keeps base/ and overlays/ in DIR
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/pydeploy/pydeploy/deploy"
	"github.com/pydeploy/pydeploy/manifest"
)

const (
	repository = "ghcr.io/acme/payments"
	releaseSHA = "3f2c1d07a9b8e6f5d4c3b2a1908f7e6d5c4b3a29"
	// productionDigest is the digest production pins; a real pipeline gets
	// it from manifest.PinImage against the registry.
	productionDigest = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"
)

func main() {
	env := flag.String("env", "all", "overlay to build: staging, production or all")
	out := flag.String("o", "", "keep the base and the overlays in `DIR` (default: a temporary directory)")
	flag.Parse()
	if err := run(context.Background(), *env, *out, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "overlays:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, env, dir string, w io.Writer) error {
	envs := []string{"staging", "production"}
	switch env {
	case "all":
	case "staging", "production":
		envs = []string{env}
	default:
		return fmt.Errorf("-env %q: want staging, production or all", env)
	}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "overlays-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if err := writeBase(filepath.Join(dir, "base")); err != nil {
		return err
	}
	if err := writeOverlays(filepath.Join(dir, "overlays")); err != nil {
		return err
	}
	fs := filesys.MakeFsOnDisk()
	for _, e := range envs {
		out, err := manifest.Kustomize(ctx, fs, filepath.Join(dir, "overlays", e))
		if err != nil {
			return fmt.Errorf("build the %s overlay: %w", e, err)
		}
		fmt.Fprintf(w, "# overlays/%s\n%s", e, out)
	}
	return nil
}

// writeBase renders payments-api into dir as a kustomize base.
func writeBase(dir string) error {
	bundle, err := deploy.NewApp("payments-api", "shop").
		WithImage(repository+":"+releaseSHA).
		WithPort(8000, "http").
		WithReplicas(3).
		WithReadinessPath("/health/ready").
		WithServer(deploy.Gunicorn("payments.main:app")).
		WithCPU("250m").
		WithMemory("256Mi", "512Mi").
		Build()
	if err != nil {
		return err
	}
	return manifest.WriteDir(dir, bundle.Objects()...)
}

// writeOverlays writes the staging and production kustomizations.
func writeOverlays(dir string) error {
	prodImage, err := manifest.ParseImage(repository + ":" + releaseSHA + "@" + productionDigest)
	if err != nil {
		return err
	}
	pin := prodImage.KustomizeImage(repository)
	files := map[string]string{
		"staging/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../base
namespace: shop-staging
replicas:
- name: payments-api
  count: 2
images:
- name: ` + repository + `
  newTag: rc-` + releaseSHA[:12] + `
`,
		"production/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../base
replicas:
- name: payments-api
  count: 5
images:
- name: ` + pin.Name + `
  newTag: ` + pin.NewTag + `
  digest: ` + pin.Digest + `
patches:
- path: memory.yaml
`,
		"production/memory.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments-api
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: app
        resources:
          limits:
            memory: 1Gi
`,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}
