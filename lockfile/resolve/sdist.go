package resolve

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/pydeploy/pydeploy/lockfile/simpleapi"
)

// maxSdistSize bounds the sdists read for their PKG-INFO.
const maxSdistSize = 64 << 20

// fetchMetadata returns the core metadata of a release's metadata file. An
// sdist without a metadata file is read for its PKG-INFO when the source can
// download it; no build backend is ever run.
func (pr *provider) fetchMetadata(ctx context.Context, rel *release) (*simpleapi.Metadata, error) {
	metaFile := rel.choose(0).metaFile
	if metaFile == nil {
		return nil, simpleapi.ErrNoMetadata
	}
	md, err := pr.src.Metadata(ctx, metaFile)
	if !errors.Is(err, simpleapi.ErrNoMetadata) || strings.HasSuffix(metaFile.Filename, ".whl") {
		return md, err
	}
	dl, ok := pr.src.(Downloader)
	if !ok {
		return nil, err
	}
	var buf limitedBuffer
	if derr := dl.Download(ctx, metaFile, &buf); derr != nil {
		return nil, fmt.Errorf("download %s for its PKG-INFO: %w", metaFile.Filename, derr)
	}
	data, perr := pkgInfo(buf.Bytes(), metaFile.Filename)
	if perr != nil {
		return nil, perr
	}
	md, err = simpleapi.ParseMetadata(data)
	if err != nil {
		return nil, fmt.Errorf("PKG-INFO of %s: %w", metaFile.Filename, err)
	}
	if dynamic(md) {
		return nil, fmt.Errorf("PKG-INFO of %s declares Requires-Dist dynamic: %w", metaFile.Filename, simpleapi.ErrNoMetadata)
	}
	pr.warn(fmt.Sprintf("metadata of %s read from the PKG-INFO of its sdist %s without building it", md.Name+"=="+md.Version, metaFile.Filename))
	return md, nil
}

func dynamic(md *simpleapi.Metadata) bool {
	for _, d := range md.Fields["Dynamic"] {
		if strings.EqualFold(strings.TrimSpace(d), "Requires-Dist") || strings.EqualFold(strings.TrimSpace(d), "Requires-Python") {
			return true
		}
	}
	return false
}

// pkgInfo extracts <top>/PKG-INFO from a .tar.gz sdist.
func pkgInfo(data []byte, filename string) ([]byte, error) {
	if !strings.HasSuffix(filename, ".tar.gz") {
		return nil, fmt.Errorf("sdist %s: only .tar.gz sdists can be read for PKG-INFO: %w", filename, simpleapi.ErrNoMetadata)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("sdist %s: %w", filename, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("sdist %s has no top-level PKG-INFO: %w", filename, simpleapi.ErrNoMetadata)
		}
		if err != nil {
			return nil, fmt.Errorf("sdist %s: %w", filename, err)
		}
		clean := path.Clean(h.Name)
		if dir, file := path.Split(clean); file == "PKG-INFO" && dir != "" && !strings.Contains(strings.TrimSuffix(dir, "/"), "/") {
			return io.ReadAll(io.LimitReader(tr, 1<<20))
		}
	}
}

// limitedBuffer is a bytes.Buffer that refuses to grow past maxSdistSize.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > maxSdistSize {
		return 0, fmt.Errorf("sdist larger than %d bytes", maxSdistSize)
	}
	return b.Buffer.Write(p)
}
