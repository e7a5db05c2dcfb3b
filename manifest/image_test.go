package manifest

import (
	"errors"
	"strings"
	"testing"

	"github.com/distribution/reference"
	"gotest.tools/v3/assert"
	"sigs.k8s.io/kustomize/api/types"
)

const testDigest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func TestParseImage(t *testing.T) {
	tests := []struct {
		in       string
		want     Image
		str, fam string
	}{
		{"nginx:1.27", Image{"docker.io", "library/nginx", "1.27", ""}, "docker.io/library/nginx:1.27", "nginx:1.27"},
		{"ghcr.io/acme/payments:1.4.2", Image{"ghcr.io", "acme/payments", "1.4.2", ""}, "ghcr.io/acme/payments:1.4.2", "ghcr.io/acme/payments:1.4.2"},
		{"localhost:5000/app:v1", Image{"localhost:5000", "app", "v1", ""}, "localhost:5000/app:v1", "localhost:5000/app:v1"},
		{"ghcr.io/acme/app@" + testDigest, Image{"ghcr.io", "acme/app", "", testDigest}, "ghcr.io/acme/app@" + testDigest, "ghcr.io/acme/app@" + testDigest},
		{"acme/app:2@" + testDigest, Image{"docker.io", "acme/app", "2", testDigest}, "docker.io/acme/app:2@" + testDigest, "acme/app:2@" + testDigest},
	}
	for _, tt := range tests {
		got, err := ParseImage(tt.in)
		assert.NilError(t, err, tt.in)
		assert.DeepEqual(t, got, tt.want)
		assert.Equal(t, got.String(), tt.str)
		assert.Equal(t, got.Familiar(), tt.fam)
		assert.Equal(t, got.Pinned(), tt.want.Digest != "")
		again, err := ParseImage(got.String())
		assert.NilError(t, err)
		assert.DeepEqual(t, again, got)
	}
}

func TestParseImageRefuses(t *testing.T) {
	tests := []struct {
		in       string
		sentinel error
		msg      string
	}{
		{"nginx", ErrNoTag, ""},
		{"ghcr.io/acme/app", ErrNoTag, ""},
		{"nginx:latest", ErrLatestTag, ""},
		{"nginx:latest@" + testDigest, ErrLatestTag, ""},
		{"ghcr.io/acme/app:${GIT_SHA}", ErrUnexpandedVariable, `image "ghcr.io/acme/app:${GIT_SHA}": contains an unexpanded variable; expand variables first (found ${GIT_SHA})`},
		{"${REGISTRY}/app:1", ErrUnexpandedVariable, ""},
		{"ghcr.io/acme/app@sha256:abc", reference.ErrReferenceInvalidFormat, ""},
		{"ghcr.io/acme/app@sha256:" + strings.Repeat("a", 40), nil, "invalid checksum digest length"},
		{"ghcr.io/acme/app:1@md5:" + strings.Repeat("a", 32), nil, "unsupported digest algorithm"},
		{"ghcr.io/Acme/App:1", nil, "must be lowercase"},
		{"ghcr.io/acme/app:bad tag", reference.ErrReferenceInvalidFormat, ""},
		{"", nil, "image reference is empty"},
	}
	for _, tt := range tests {
		_, err := ParseImage(tt.in)
		assert.Assert(t, err != nil, tt.in)
		if tt.sentinel != nil {
			assert.Assert(t, errors.Is(err, tt.sentinel), "%q: %v", tt.in, err)
		}
		if tt.msg != "" {
			assert.ErrorContains(t, err, tt.msg, tt.in)
		}
		assert.Assert(t, strings.HasPrefix(err.Error(), "image "), err.Error())
	}
}

func TestImageWithDigestAndKustomize(t *testing.T) {
	img, err := ParseImage("ghcr.io/acme/app:1.2")
	assert.NilError(t, err)
	_, err = img.WithDigest("sha256:123")
	assert.ErrorContains(t, err, "invalid")
	pinned, err := img.WithDigest(testDigest)
	assert.NilError(t, err)
	assert.Equal(t, pinned.String(), "ghcr.io/acme/app:1.2@"+testDigest)
	assert.DeepEqual(t, pinned.KustomizeImage("app"), types.Image{
		Name: "app", NewName: "ghcr.io/acme/app", NewTag: "1.2", Digest: testDigest})
}
