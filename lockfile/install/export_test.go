package install

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"

	"github.com/pydeploy/pydeploy/internal/testindex"
	"github.com/pydeploy/pydeploy/lockfile/pylock"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

func TestExportGolden(t *testing.T) {
	t.Parallel()
	srv := testindex.StartT(t, testindex.Payments(), testindex.Options{})
	l := lockFor(t, srv, "cp312-manylinux_2_36_x86_64", "fastapi>=0.110", "uvicorn[standard]>=0.30", "pydantic-core")
	var buf bytes.Buffer
	assert.NilError(t, Export(&buf, l, ExportOptions{IndexURL: "https://ci:secret@mirror.example/simple/"}))
	assert.Assert(t, !strings.Contains(buf.String(), "secret"), "credentials are never written")
	golden.Assert(t, buf.String(), "payments.requirements.golden")

	// The lock's own index, and a target the lock was not made for.
	buf.Reset()
	assert.NilError(t, Export(&buf, l, ExportOptions{}))
	assert.Assert(t, strings.Contains(buf.String(), "--index-url "+srv.SimpleURL()+"\n"), buf.String())
	arm, err := wheel.ParseTarget("cp312-manylinux_2_36_aarch64")
	assert.NilError(t, err)
	err = Export(&buf, l, ExportOptions{Target: arm})
	assert.Assert(t, errors.Is(err, pylock.ErrNoEnvironment), "%v", err)
}

func TestExportDirectReferences(t *testing.T) {
	t.Parallel()
	size := int64(3)
	l := &pylock.Lock{LockVersion: "1.0", CreatedBy: "test", Packages: []pylock.Package{
		{Name: "direct", Version: "1.0", Wheels: []pylock.File{{URL: "https://u:p@files.example/direct-1.0-py3-none-any.whl", Size: &size,
			Hashes: map[string]string{"sha256": strings.Repeat("a", 64), "sha512": strings.Repeat("b", 128), "md5": strings.Repeat("c", 32)}}}},
		{Name: "local", Version: "2.0", Wheels: []pylock.File{{Path: "wheels/local-2.0-py3-none-any.whl", Hashes: map[string]string{"sha256": strings.Repeat("d", 64)}}}},
	}}
	target, err := wheel.ParseTarget(hostTarget)
	assert.NilError(t, err)
	var buf bytes.Buffer
	assert.NilError(t, Export(&buf, l, ExportOptions{Target: target, LockDir: "/srv/app"}))
	assert.Equal(t, buf.String(), `# Exported by pydeploy from a pylock.toml for cp311-manylinux_2_36_x86_64.
# Install with: pip install --no-deps --require-hashes -r <this file>
direct @ https://files.example/direct-1.0-py3-none-any.whl \
    --hash=sha256:`+strings.Repeat("a", 64)+` \
    --hash=sha512:`+strings.Repeat("b", 128)+`
local @ file:///srv/app/wheels/local-2.0-py3-none-any.whl \
    --hash=sha256:`+strings.Repeat("d", 64)+`
`)

	l.Packages = append(l.Packages, pylock.Package{Name: "repo", VCS: &pylock.VCS{Type: "git", URL: "https://git.example/r.git", CommitID: "abc"}},
		pylock.Package{Name: "weak", Version: "1.0", Wheels: []pylock.File{{URL: "https://files.example/weak-1.0-py3-none-any.whl", Hashes: map[string]string{"md5": strings.Repeat("c", 32)}}}})
	buf.Reset()
	err = Export(&buf, l, ExportOptions{Target: target})
	assert.Assert(t, errors.Is(err, ErrUnsupportedSource), "%v", err)
	assert.ErrorContains(t, err, `export: package "weak": file weak-1.0-py3-none-any.whl has no sha256, sha384 or sha512 hash`)
	assert.Equal(t, buf.Len(), 0, "nothing is written on error")
}
