package install

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/lockfile/pep508"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
)

// member of a hand-made wheel.
type zmember struct {
	name string
	data string
	mode fs.FileMode // 0 means 0644; fs.ModeSymlink|0777 for a link
	// noRecord leaves the member out of RECORD; badHash records a wrong
	// hash for it.
	noRecord, badHash bool
}

// craftWheel builds a wheel of name-version: the given members plus
// METADATA and WHEEL (unless given), and a RECORD listing them.
func craftWheel(t testing.TB, name, version string, members ...zmember) []byte {
	t.Helper()
	info := name + "-" + version + ".dist-info"
	have := map[string]bool{}
	for _, m := range members {
		have[m.name] = true
	}
	if !have[info+"/METADATA"] {
		members = append(members, zmember{name: info + "/METADATA", data: fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version)})
	}
	if !have[info+"/WHEEL"] {
		members = append(members, zmember{name: info + "/WHEEL", data: "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"})
	}
	var record strings.Builder
	for _, m := range members {
		if m.noRecord {
			continue
		}
		data := m.data
		if m.badHash {
			data += "tampered"
		}
		sum := sha256.Sum256([]byte(data))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", m.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(data))
	}
	if !have[info+"/RECORD"] {
		fmt.Fprintf(&record, "%s/RECORD,,\n", info)
		members = append(members, zmember{name: info + "/RECORD", data: record.String()})
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
		mode := m.mode
		if mode == 0 {
			mode = 0o644
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		assert.NilError(t, err)
		_, err = w.Write([]byte(m.data))
		assert.NilError(t, err)
	}
	assert.NilError(t, zw.Close())
	return buf.Bytes()
}

// craftedLock writes wheels into dir and returns a lock of them (given by
// path), for the host target.
func craftedLock(t testing.TB, dir string, wheels map[string][]byte) *pylock.Lock {
	t.Helper()
	l := &pylock.Lock{LockVersion: "1.0", CreatedBy: "test", Tool: map[string]any{"pydeploy": map[string]any{"target": hostTarget}}}
	for file, body := range wheels {
		assert.NilError(t, os.WriteFile(filepath.Join(dir, file), body, 0o644))
		parts := strings.Split(file, "-")
		sum := sha256.Sum256(body)
		size := int64(len(body))
		l.Packages = append(l.Packages, pylock.Package{Name: pep508.CanonicalName(parts[0]), Version: parts[1],
			Wheels: []pylock.File{{Path: file, Size: &size, Hashes: map[string]string{"sha256": hex.EncodeToString(sum[:])}}}})
	}
	return l
}
