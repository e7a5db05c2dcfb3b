package image

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/pydeploy/pydeploy/lockfile/pylock"
)

func FuzzExclude(f *testing.F) {
	f.Add("docs/\n!docs/keep/\n**/*.log", "docs/keep/a.log")
	f.Add("/build\n*.py[co]", "src/build/x.pyc")
	f.Add("[", "a")
	f.Fuzz(func(t *testing.T, patterns, p string) {
		m, err := newMatcher(strings.Split(patterns, "\n"))
		if err != nil {
			return
		}
		_ = m.excluded(p)
	})
}

// FuzzVerifyLayer feeds arbitrary bytes to Verify as an image layer: it
// must report or refuse, never panic.
func seedTar(files map[string]string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, data := range files {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte(data))
	}
	_ = tw.Close()
	return buf.Bytes()
}

func FuzzVerifyLayer(f *testing.F) {
	f.Add([]byte{})
	f.Add(seedTar(map[string]string{
		"opt/venv/lib/python3.12/site-packages/a-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: a\nVersion: 1.0\n",
		"opt/venv/lib/python3.12/site-packages/a-1.0.dist-info/RECORD":   "a/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n../../../bin/a,sha256=xx,1\n",
		"opt/venv/lib/python3.12/site-packages/a/__init__.py":            "",
		"opt/venv/lib/python3.12/site-packages/.wh.b":                    "",
	}))
	lock := &pylock.Lock{LockVersion: "1.0", CreatedBy: "fuzz", Tool: map[string]any{"pydeploy": map[string]any{"target": amd64Target}},
		Packages: []pylock.Package{{Name: "a", Version: "1.0", Wheels: []pylock.File{{URL: "https://x/a-1.0-py3-none-any.whl", Hashes: map[string]string{"sha256": strings.Repeat("0", 64)}}}}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		if err != nil {
			return
		}
		img, err := mutate.AppendLayers(empty.Image, layer)
		if err != nil {
			return
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return
		}
		cfg = cfg.DeepCopy()
		cfg.OS, cfg.Architecture = "linux", "amd64"
		if img, err = mutate.ConfigFile(img, cfg); err != nil {
			return
		}
		_, _ = VerifyImage(context.Background(), img, lock, VerifyOptions{})
	})
}
