package deploy

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/api/hasher"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// ConfigMap describes a ConfigMap generated with the app (App.WithConfigMap)
// from literals and file contents, as kustomize's configMapGenerator does:
// UTF-8 content goes to data, anything else to binaryData, and the rendered
// name is "<name>-<hash>" with kustomize's own content hash
// (sigs.k8s.io/kustomize/api/hasher), so any change of content renames the
// ConfigMap, changes the pod template that refers to it and rolls the pods;
// the old ConfigMap stays for the old ReplicaSet until you prune it.
//
// ConfigMap is a value; With* methods return a modified copy. Reading a
// file happens in WithFile, from the fs.FS given (os.DirFS in production,
// fstest.MapFS in tests), so Build does no I/O; a failed read is reported
// by Build.
type ConfigMap struct {
	name   string
	data   map[string]string
	binary map[string][]byte
	noHash bool
	errs   []optionFail
}

// NewConfigMap starts a generated ConfigMap with base name name.
func NewConfigMap(name string) ConfigMap { return ConfigMap{name: name} }

// Name returns the base name, by which env and volume options refer to it.
func (c ConfigMap) Name() string { return c.name }

// WithLiteral adds key with a literal value.
func (c ConfigMap) WithLiteral(key, value string) ConfigMap {
	return c.put(key, []byte(value))
}

// WithData adds key with content, as if read from a file.
func (c ConfigMap) WithData(key string, content []byte) ConfigMap {
	return c.put(key, content)
}

// WithFile adds the file at name in fsys under its base name as the key
// (kustomize's "files: [settings.toml]").
func (c ConfigMap) WithFile(fsys fs.FS, name string) ConfigMap {
	return c.WithFileAs(path.Base(name), fsys, name)
}

// WithFileAs adds the file at name in fsys under key (kustomize's
// "files: [key=settings.toml]").
func (c ConfigMap) WithFileAs(key string, fsys fs.FS, name string) ConfigMap {
	content, err := fs.ReadFile(fsys, name)
	if err != nil {
		c.errs = appendClip(c.errs, optionFail{check: CheckConfigReference, option: "WithFile", value: name,
			detail: fmt.Sprintf("ConfigMap %q: read file: %v", c.name, err)})
		return c
	}
	return c.put(key, content)
}

// WithoutHashSuffix keeps the ConfigMap's name as given. Changing its
// content then no longer rolls the pods: they read the new content only
// when restarted (volume contents are refreshed in place, env is not).
func (c ConfigMap) WithoutHashSuffix() ConfigMap { c.noHash = true; return c }

// put sets key: UTF-8 content in data, anything else in binaryData. A
// second value of the same kind replaces the first; a key given once as
// text and once as binary ends up in both maps, which Validate reports.
func (c ConfigMap) put(key string, content []byte) ConfigMap {
	if utf8.Valid(content) {
		c.data = maps.Clone(c.data)
		if c.data == nil {
			c.data = map[string]string{}
		}
		c.data[key] = string(content)
		return c
	}
	c.binary = maps.Clone(c.binary)
	if c.binary == nil {
		c.binary = map[string][]byte{}
	}
	c.binary[key] = append([]byte(nil), content...)
	return c
}

// object returns the ConfigMap with its final name, and the hash it used.
func (c ConfigMap) object(meta metav1.ObjectMeta) (*corev1.ConfigMap, error) {
	meta.Name = c.name
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta,
		Data:       maps.Clone(c.data),
		BinaryData: maps.Clone(c.binary),
	}
	if c.noHash {
		return cm, nil
	}
	h, err := contentHash(cm)
	if err != nil {
		return nil, err
	}
	cm.Name = c.name + "-" + h
	return cm, nil
}

// contentHash is kustomize's name suffix for cm: a hash of its kind, base
// name, data and binaryData, computed by kustomize's own hasher so that the
// same generator input gives the same name in kustomize and here.
func contentHash(cm *corev1.ConfigMap) (string, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(cm)
	if err != nil {
		return "", fmt.Errorf("ConfigMap %q: %w", cm.Name, err)
	}
	node, err := kyaml.FromMap(m)
	if err != nil {
		return "", fmt.Errorf("ConfigMap %q: %w", cm.Name, err)
	}
	h, err := (&hasher.Hasher{}).Hash(node)
	if err != nil {
		return "", fmt.Errorf("ConfigMap %q: hash: %w", cm.Name, err)
	}
	return h, nil
}
