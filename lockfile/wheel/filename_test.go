package wheel

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/pydeploy/pydeploy/internal/shareddata"
)

func TestWheelFilename(t *testing.T) {
	t.Parallel()
	for _, row := range rows[[]json.RawMessage](t, "wheel_filename") {
		var (
			filename, name, version string
			build                   []json.RawMessage
			tags                    []string
		)
		for i, dst := range []any{&filename, &name, &version, &build, &tags} {
			assert.NilError(t, json.Unmarshal(row[i], dst))
		}
		{
			f, err := ParseFilename(filename)
			assert.NilError(t, err, filename)
			assert.Equal(t, f.Name, name)
			assert.Equal(t, f.Version.String(), version)
			if len(build) == 0 {
				assert.Assert(t, f.Build == nil, filename)
			} else {
				var want BuildTag
				assert.NilError(t, json.Unmarshal(build[0], &want.Number))
				assert.NilError(t, json.Unmarshal(build[1], &want.Suffix))
				assert.DeepEqual(t, *f.Build, want)
			}
			got := make([]string, len(f.Tags))
			for i, tag := range f.Tags {
				got[i] = tag.String()
			}
			assert.DeepEqual(t, got, tags)
			assert.Equal(t, f.String(), filename)
		}
	}
}

func TestWheelFilenameInvalid(t *testing.T) {
	t.Parallel()
	for _, filename := range rows[string](t, "wheel_filename_invalid") {
		_, err := ParseFilename(filename)
		var fe *FilenameError
		assert.Assert(t, errors.As(err, &fe), "%q: got %v", filename, err)
		assert.Equal(t, fe.Filename, filename)
	}
}

func TestWheelFilenameUnsortedTags(t *testing.T) {
	t.Parallel()
	for _, filename := range rows[string](t, "wheel_filename_unsorted_tags_valid") {
		_, err := ParseFilename(filename)
		assert.NilError(t, err, filename)
	}
	for _, filename := range rows[string](t, "wheel_filename_unsorted_tags_invalid_when_validating") {
		_, err := ParseFilenameStrict(filename)
		assert.ErrorContains(t, err, "are not sorted", filename)
	}
}

func TestSdistFilename(t *testing.T) {
	t.Parallel()
	for _, row := range rows[[3]string](t, "sdist_filename") {
		f, err := ParseSdistFilename(row[0])
		assert.NilError(t, err, row[0])
		assert.Equal(t, f.Name, row[1])
		assert.Equal(t, f.Version.String(), row[2])
	}
	for _, filename := range rows[string](t, "sdist_filename_invalid") {
		_, err := ParseSdistFilename(filename)
		var fe *FilenameError
		assert.Assert(t, errors.As(err, &fe), "%q: got %v", filename, err)
	}
	f, err := ParseSdistFilename("Zope.Interface-6.0.zip")
	assert.NilError(t, err)
	assert.DeepEqual(t, []string{f.Name, f.Version.String(), f.Ext}, []string{"zope-interface", "6.0", ".zip"})
}

func TestFilenameErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"foo-1.0.tar.gz", `invalid distribution file name "foo-1.0.tar.gz": expected the extension .whl`},
		{"foo-1.0-py3-none.whl", "expected 5 or 6 dash-separated parts"},
		{"foo__bar-1.0-py3-none-any.whl", `invalid project name "foo__bar": contains "__"`},
		{"foo-1.x-py3-none-any.whl", `invalid version "1.x"`},
		{"foo-1.0-abc-py3-none-any.whl", `invalid build tag "abc"`},
		{"foo-1.0-py3.-none-any.whl", `empty interpreter tag in "py3."`},
		{"foo-1.0-3-none-any.whl", `interpreter tag "3" must be letters, digits and '_', starting with a letter`},
		{"foo-1.0-99999999999999999999-py3-none-any.whl", "invalid build tag"},
	}
	for _, tc := range tests {
		_, err := ParseFilename(tc.in)
		assert.ErrorContains(t, err, tc.want, tc.in)
	}
}

// TestRealWheelFilenames parses every wheel file name of the PyPI snapshot.
func TestRealWheelFilenames(t *testing.T) {
	t.Parallel()
	dir := shareddata.Dir(t, "pypi/projects")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	assert.NilError(t, err)
	n := 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		assert.NilError(t, err)
		var p struct {
			Name     string `json:"name"`
			Versions []struct {
				Files []struct {
					Filename string `json:"filename"`
				} `json:"files"`
			} `json:"versions"`
		}
		assert.NilError(t, json.Unmarshal(data, &p))
		for _, v := range p.Versions {
			for _, f := range v.Files {
				if !strings.HasSuffix(f.Filename, ".whl") {
					continue
				}
				n++
				w, err := ParseFilename(f.Filename)
				assert.NilError(t, err, f.Filename)
				assert.Equal(t, w.Name, p.Name, f.Filename)
			}
		}
	}
	assert.Assert(t, n > 1000, "only %d wheel names in the snapshot", n)
	t.Logf("parsed %d wheel file names", n)
}
