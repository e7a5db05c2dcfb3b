package resolve

import (
	"context"
	"errors"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/lockfile/pep440"
	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

func targets(t *testing.T, ss ...string) []wheel.Target {
	t.Helper()
	var out []wheel.Target
	for _, s := range ss {
		tg, err := wheel.ParseTarget(s)
		assert.NilError(t, err)
		out = append(out, tg)
	}
	return out
}

// summary writes a universal resolution as "name==version ; marker [files]"
// lines and then, per target, its installation.
func summary(res *Resolution) string {
	var b strings.Builder
	for _, p := range res.Packages {
		b.WriteString(p.Name + "==" + p.Version.String())
		if p.Marker != "" {
			b.WriteString(" ; " + p.Marker)
		}
		var files []string
		for _, f := range p.Files {
			files = append(files, f.Filename)
		}
		b.WriteString(" [" + strings.Join(files, " ") + "]\n")
	}
	for _, ti := range res.Installs {
		var pins []string
		for _, p := range ti.Packages {
			pins = append(pins, p.Name+"=="+p.Version.String())
		}
		b.WriteString(ti.Target.String() + ": " + strings.Join(pins, " ") + "\n")
	}
	return b.String()
}

const (
	x86  = "cp311-cp311-manylinux_2_17_x86_64"
	arm  = "cp311-cp311-manylinux_2_17_aarch64"
	x312 = "cp312-cp312-manylinux_2_17_x86_64"
	a312 = "cp312-cp312-manylinux_2_17_aarch64"
)

func TestUniversalTargets(t *testing.T) {
	t.Parallel()
	four := []string{"cp311-manylinux_2_28_x86_64", "cp311-manylinux_2_28_aarch64", "cp312-manylinux_2_28_x86_64", "cp312-manylinux_2_28_aarch64"}
	tests := []struct {
		name    string
		src     *memSource
		roots   []string
		targets []string
		want    string
		wantErr string
	}{{
		name:  "same versions everywhere, one entry with every target's wheel",
		src:   newMemSource().add("fast", dist{version: "1.0", tags: []string{x86, arm, x312, a312}}),
		roots: []string{"fast"}, targets: four,
		want: `fast==1.0 [fast-1.0-cp311-cp311-manylinux_2_17_aarch64.whl fast-1.0-cp311-cp311-manylinux_2_17_x86_64.whl fast-1.0-cp312-cp312-manylinux_2_17_aarch64.whl fast-1.0-cp312-cp312-manylinux_2_17_x86_64.whl]
cp311-manylinux_2_28_x86_64: fast==1.0
cp311-manylinux_2_28_aarch64: fast==1.0
cp312-manylinux_2_28_x86_64: fast==1.0
cp312-manylinux_2_28_aarch64: fast==1.0
`,
	}, {
		name: "newest release lacks aarch64 wheels: aarch64 images get the previous one",
		src: newMemSource().add("fast",
			dist{version: "1.0", tags: []string{x86, arm, x312, a312}},
			dist{version: "2.0", tags: []string{x86, x312}}),
		roots: []string{"fast"}, targets: four,
		want: `fast==1.0 ; platform_machine == "aarch64" [fast-1.0-cp311-cp311-manylinux_2_17_aarch64.whl fast-1.0-cp312-cp312-manylinux_2_17_aarch64.whl]
fast==2.0 ; platform_machine == "x86_64" [fast-2.0-cp311-cp311-manylinux_2_17_x86_64.whl fast-2.0-cp312-cp312-manylinux_2_17_x86_64.whl]
cp311-manylinux_2_28_x86_64: fast==2.0
cp311-manylinux_2_28_aarch64: fast==1.0
cp312-manylinux_2_28_x86_64: fast==2.0
cp312-manylinux_2_28_aarch64: fast==1.0
`,
	}, {
		name: "Requires-Python raised: older Pythons keep the older release",
		src: newMemSource().add("lib",
			dist{version: "1.0", rp: ">=3.8"},
			dist{version: "2.0", rp: ">=3.12"}),
		roots: []string{"lib"}, targets: four,
		want: `lib==1.0 ; python_version < "3.12" [lib-1.0-py3-none-any.whl]
lib==2.0 ; python_version >= "3.12" [lib-2.0-py3-none-any.whl]
cp311-manylinux_2_28_x86_64: lib==1.0
cp311-manylinux_2_28_aarch64: lib==1.0
cp312-manylinux_2_28_x86_64: lib==2.0
cp312-manylinux_2_28_aarch64: lib==2.0
`,
	}, {
		name: "conflicting markers fork (uv), each fork keeps its requirement",
		src: newMemSource().add("app", dist{version: "1.0", requires: []string{"numpy<1.26; python_version < '3.12'", "numpy>=1.26; python_version >= '3.12'"}}).
			add("numpy", dist{version: "1.25"}, dist{version: "1.26"}),
		roots: []string{"app"}, targets: four,
		want: `app==1.0 [app-1.0-py3-none-any.whl]
numpy==1.25 ; python_version < "3.12" [numpy-1.25-py3-none-any.whl]
numpy==1.26 ; python_version >= "3.12" [numpy-1.26-py3-none-any.whl]
cp311-manylinux_2_28_x86_64: app==1.0 numpy==1.25
cp311-manylinux_2_28_aarch64: app==1.0 numpy==1.25
cp312-manylinux_2_28_x86_64: app==1.0 numpy==1.26
cp312-manylinux_2_28_aarch64: app==1.0 numpy==1.26
`,
	}, {
		name: "a package only one architecture needs has only that architecture's wheels",
		src: newMemSource().add("app", dist{version: "1.0", requires: []string{"intel-only; platform_machine == 'x86_64'"}}).
			add("intel-only", dist{version: "1.0", tags: []string{x86, x312}}),
		roots: []string{"app"}, targets: four,
		want: `app==1.0 [app-1.0-py3-none-any.whl]
intel-only==1.0 ; platform_machine == "x86_64" [intel_only-1.0-cp311-cp311-manylinux_2_17_x86_64.whl intel_only-1.0-cp312-cp312-manylinux_2_17_x86_64.whl]
cp311-manylinux_2_28_x86_64: app==1.0 intel-only==1.0
cp311-manylinux_2_28_aarch64: app==1.0
cp312-manylinux_2_28_x86_64: app==1.0 intel-only==1.0
cp312-manylinux_2_28_aarch64: app==1.0
`,
	}, {
		name: "glibc and musl images get the same versions: markers cannot tell them apart",
		src: newMemSource().add("fast",
			dist{version: "1.0", tags: []string{"cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-musllinux_1_1_x86_64"}},
			dist{version: "2.0", tags: []string{"cp312-cp312-manylinux_2_17_x86_64"}}),
		roots: []string{"fast"}, targets: []string{"cp312-manylinux_2_28_x86_64", "cp312-musllinux_1_2_x86_64"},
		want: `fast==1.0 [fast-1.0-cp312-cp312-manylinux_2_17_x86_64.whl fast-1.0-cp312-cp312-musllinux_1_1_x86_64.whl]
cp312-manylinux_2_28_x86_64: fast==1.0
cp312-musllinux_1_2_x86_64: fast==1.0
`,
	}, {
		name:  "no release has an aarch64 wheel: the explanation names the images",
		src:   newMemSource().add("fast", dist{version: "1.0", tags: []string{x86, x312}}),
		roots: []string{"fast"}, targets: four,
		wantErr: "On cp311-manylinux_2_28_aarch64, cp312-manylinux_2_28_aarch64:\nBecause fast has no wheel for cp311-manylinux_2_28_aarch64 and root depends on fast, version solving failed.",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := Request{Targets: targets(t, tc.targets...), Requirements: reqs(t, tc.roots...)}
			res, err := Resolve(context.Background(), req, Options{Source: tc.src})
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			assert.NilError(t, err)
			assert.Equal(t, summary(res), tc.want)
		})
	}
}

func TestUniversalRequestErrors(t *testing.T) {
	t.Parallel()
	src := newMemSource()
	_, err := Resolve(context.Background(), Request{Targets: targets(t, "cp311-manylinux_2_17_x86_64", "cp311-manylinux_2_17_x86_64")}, Options{Source: src})
	assert.ErrorContains(t, err, "target cp311-manylinux_2_17_x86_64 is listed twice")
	_, err = Resolve(context.Background(), Request{Universal: true}, Options{Source: src})
	assert.ErrorContains(t, err, "needs request.RequiresPython")
	_, err = Resolve(context.Background(), Request{Universal: true, RequiresPython: pep440.MustParseSpecifiers(">=4.1")}, Options{Source: src})
	assert.ErrorContains(t, err, "leave no environment to resolve for")
}

// TestHostileMetadata: a release whose metadata nests 3 MB of parentheses
// in a Requires-Dist marker is unavailable with a short reason (no stack
// overflow, no 3 MB message), and metadata larger than the client accepts
// fails naming the project and the URL.
func TestHostileMetadata(t *testing.T) {
	t.Parallel()
	deep := "evil; " + strings.Repeat("(", 3<<20) + "os_name == 'nt'" + strings.Repeat(")", 3<<20)
	src := newMemSource().add("app", dist{version: "1.0"}, dist{version: "2.0", requires: []string{deep}})
	res, err := Resolve(context.Background(), Request{Target: testTarget(t), Requirements: reqs(t, "app")}, Options{Source: src})
	assert.NilError(t, err)
	assert.Equal(t, res.Packages[0].Version.String(), "1.0")

	_, err = Resolve(context.Background(), Request{Target: testTarget(t), Requirements: reqs(t, "app==2.0")}, Options{Source: src})
	var nse *NoSolutionError
	assert.Assert(t, errors.As(err, &nse), "%v", err)
	assert.Assert(t, len(nse.Explanation) < 500, "%d bytes", len(nse.Explanation))
	assert.ErrorContains(t, err, "app>=2.0 has an invalid Requires-Dist")
	assert.ErrorContains(t, err, "bytes)")
}
