package manifest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/pydeploy/pydeploy/internal/atomicfile"
)

// KustomizationFile is the name of the kustomization written by [Files],
// [WriteDir] and [WriteFS].
const KustomizationFile = "kustomization.yaml"

// File is one rendered manifest file: a name relative to its directory and
// its contents.
type File struct {
	Name string
	Data []byte
}

// Files renders objs as one YAML file per object, named
// "<kind>-<name>.yaml" in lower case (characters other than letters, digits,
// '.', '-' and '_' become '_'), followed by a kustomization.yaml that lists
// them in apply order, so the directory is a kustomize base. Each file holds
// exactly what [Render] would write for that object. Two objects that map to
// the same file name (same kind and name in different namespaces or groups)
// are an error, never a silent overwrite.
func Files(objs ...runtime.Object) ([]File, error) {
	docs, err := renderDocs(objs)
	if err != nil {
		return nil, err
	}
	files := make([]File, 0, len(docs)+1)
	owner := make(map[string]renderedDoc, len(docs))
	resources := make([]string, 0, len(docs))
	for _, d := range docs {
		name := fileName(d.gvk.Kind, d.name)
		if prev, clash := owner[name]; clash {
			return nil, fmt.Errorf("%s and %s would both be written to %q; write them to separate directories", prev, d, name)
		}
		owner[name] = d
		resources = append(resources, name)
		files = append(files, File{Name: name, Data: d.yaml})
	}
	k := struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Resources  []string `json:"resources"`
	}{"kustomize.config.k8s.io/v1beta1", "Kustomization", resources}
	data, err := yaml.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", KustomizationFile, err)
	}
	return append(files, File{Name: KustomizationFile, Data: data}), nil
}

func fileName(kind, name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(kind + "-" + name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String() + ".yaml"
}

// WriteDir writes [Files] of objs into dir on disk, creating dir if needed.
// Each file is written atomically (a temporary file in dir, synced, then
// renamed over the target, and the directory synced), and files whose contents are already identical
// are left untouched so their modification times stay stable. Other files in
// dir, including manifests of objects no longer present, are not removed;
// the kustomization.yaml no longer lists them.
func WriteDir(dir string, objs ...runtime.Object) error {
	files, err := Files(objs...)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create manifest directory: %w", err)
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(dir, f.Name), f.Data); err != nil {
			return err
		}
	}
	return nil
}

// WriteFS writes [Files] of objs into dir of a kustomize file system, such as
// filesys.MakeFsInMemory(), ready for [Kustomize]. Use [WriteDir] for disk:
// the FileSystem interface cannot rename, so writes here are not atomic.
func WriteFS(fsys filesys.FileSystem, dir string, objs ...runtime.Object) error {
	files, err := Files(objs...)
	if err != nil {
		return err
	}
	if err := fsys.MkdirAll(dir); err != nil {
		return fmt.Errorf("create manifest directory %q: %w", dir, err)
	}
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := fsys.WriteFile(p, f.Data); err != nil {
			return fmt.Errorf("write %q: %w", p, err)
		}
	}
	return nil
}

// writeFile writes data to path atomically, but leaves a file that already
// holds data untouched, so its modification time stays stable.
func writeFile(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return atomicfile.Write(path, data, 0o644)
}
