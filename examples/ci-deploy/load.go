package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/pydeploy/pydeploy/manifest"
)

// kustomizationNames are the file names that make a directory a
// kustomization, as kustomize looks for them.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// manifestError is a problem with the input manifests. File is the file the
// problem is in (for a kustomization, its directory); Err is usually one or
// more *manifest.ParseError joined.
type manifestError struct {
	File string
	Err  error
}

func (e *manifestError) Error() string {
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *manifestError) Unwrap() error { return e.Err }

// loadManifests reads the objects -f names: a kustomization directory is
// built, any other directory contributes its *.yaml, *.yml and *.json files
// in name order, and a file is parsed as it is. Parsing is strict. Every
// file is parsed before an error is returned, so all problems are reported
// at once, joined.
func loadManifests(ctx context.Context, path string) ([]runtime.Object, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	if !info.IsDir() {
		return parseFile(path)
	}
	for _, name := range kustomizationNames {
		if _, err := os.Stat(filepath.Join(path, name)); err == nil {
			return kustomize(ctx, path)
		}
	}
	files, err := manifestFiles(path)
	if err != nil {
		return nil, err
	}
	var objs []runtime.Object
	var errs []error
	for _, f := range files {
		o, err := parseFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, o...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%s: no objects in %s", path, strings.Join(files, ", "))
	}
	return objs, nil
}

// manifestFiles lists the manifest files directly in dir, sorted by name.
func manifestFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yaml", ".yml", ".json":
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no manifests found: expected *.yaml, *.yml or *.json files or a kustomization.yaml", dir)
	}
	return files, nil
}

func parseFile(path string) ([]runtime.Object, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	objs, err := manifest.Parse(bytes.NewReader(data), manifest.ParseOptions{})
	if err != nil {
		return nil, &manifestError{File: path, Err: err}
	}
	return objs, nil
}

func kustomize(ctx context.Context, dir string) ([]runtime.Object, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	objs, err := manifest.KustomizeObjects(ctx, filesys.MakeFsOnDisk(), abs, manifest.ParseOptions{})
	if err != nil {
		return nil, &manifestError{File: dir, Err: fmt.Errorf("kustomize build: %w", err)}
	}
	if len(objs) == 0 {
		return nil, &manifestError{File: dir, Err: errors.New("the kustomization produced no objects")}
	}
	return objs, nil
}
