package manifest

import (
	"bytes"
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"
)

// kustomizeSlot serialises kustomize builds. kustomize keeps its OpenAPI
// schema in process-global variables that builds read and write
// (kubernetes-sigs/kustomize#4824, #3659), and a custom `openapi:` field in
// one kustomization would leak into the next (fluxcd/pkg#1237). It is a
// channel rather than a mutex so that a waiting caller can give up when its
// context ends. It guards state; it changes no behaviour.
var kustomizeSlot = make(chan struct{}, 1)

// Kustomize builds the kustomization in dir of fsys, like `kustomize build`,
// and returns the YAML. Use filesys.MakeFsInMemory() for hermetic builds or
// filesys.MakeFsOnDisk() for a checkout. The options are kustomize's safe
// defaults, fixed: files may be loaded only from within each
// kustomization's root (bases referenced under resources are their own
// roots), plugins are disabled, and resources keep their input order.
//
// Builds run one at a time, with kustomize's OpenAPI state reset before and
// after each, so Kustomize is safe to call from many goroutines; ctx bounds
// the wait for a turn, not a build in progress. A panic inside kustomize is
// returned as an error.
//
// A stamp stays truthful through an overlay: when an images: entry
// replaces the image a pod template's stamp names, the stamp (pydeploy.io/image
// and image-digest) follows the image the template now runs, and so does
// app.kubernetes.io/version when it was the old image's tag.
func Kustomize(ctx context.Context, fsys filesys.FileSystem, dir string) ([]byte, error) {
	select {
	case kustomizeSlot <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("kustomize build %q: %w", dir, ctx.Err())
	}
	defer func() { <-kustomizeSlot }()
	return buildLocked(fsys, dir)
}

func buildLocked(fsys filesys.FileSystem, dir string) (out []byte, err error) {
	openapi.ResetOpenAPI()
	defer openapi.ResetOpenAPI()
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("kustomize build %q panicked: %v", dir, r)
		}
	}()
	k := krusty.MakeKustomizer(&krusty.Options{
		Reorder:           krusty.ReorderOptionNone,
		AddManagedbyLabel: false,
		LoadRestrictions:  types.LoadRestrictionsRootOnly,
		PluginConfig:      types.DisabledPluginConfig(),
	})
	m, err := k.Run(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %q: %w", dir, err)
	}
	if err := followImages(m); err != nil {
		return nil, fmt.Errorf("kustomize build %q: %w", dir, err)
	}
	y, err := m.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize build %q: encode YAML: %w", dir, err)
	}
	return y, nil
}

// KustomizeObjects is [Kustomize] followed by [Parse] of its output.
func KustomizeObjects(ctx context.Context, fsys filesys.FileSystem, dir string, opts ParseOptions) ([]runtime.Object, error) {
	y, err := Kustomize(ctx, fsys, dir)
	if err != nil {
		return nil, err
	}
	objs, err := Parse(bytes.NewReader(y), opts)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %q output: %w", dir, err)
	}
	return objs, nil
}
