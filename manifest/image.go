package manifest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"sigs.k8s.io/kustomize/api/types"
)

// Reasons [ParseImage] refuses a reference; test with errors.Is.
var (
	// ErrLatestTag: the tag "latest" names whatever was pushed last.
	ErrLatestTag = errors.New(`tag "latest" is mutable; use a version tag or a digest`)
	// ErrNoTag: neither a tag nor a digest, which means latest.
	ErrNoTag = errors.New("no tag or digest; add a version tag (:1.2.3) or a digest (@sha256:...)")
	// ErrUnexpandedVariable: a ${VAR} placeholder survived.
	ErrUnexpandedVariable = errors.New("contains an unexpanded variable; expand variables first")
)

// Image is a parsed container image reference, normalised as Docker and
// containerd do: "nginx:1.27" is Registry "docker.io", Repository
// "library/nginx", Tag "1.27".
type Image struct {
	// Registry is the host (and port), such as "ghcr.io" or "localhost:5000".
	Registry string
	// Repository is the path within the registry, such as "acme/payments".
	Repository string
	// Tag is the tag, if any, such as "1.4.2".
	Tag string
	// Digest is the content digest, if any, such as "sha256:…".
	Digest string
}

// ParseImage parses ref with the reference grammar of
// github.com/distribution/reference and refuses references that cannot be
// reproduced later: an unexpanded ${VAR} ([ErrUnexpandedVariable]), the tag
// latest ([ErrLatestTag], even alongside a digest, because the tag would
// mislead readers of the manifest), and neither tag nor digest ([ErrNoTag]).
// A digest-only reference is accepted. Syntax errors, upper-case names and
// malformed digests are errors from the reference package, wrapped.
func ParseImage(ref string) (Image, error) {
	if strings.TrimSpace(ref) == "" {
		return Image{}, errors.New("image reference is empty")
	}
	if i := strings.Index(ref, "${"); i >= 0 {
		end := strings.IndexByte(ref[i:], '}')
		v := ref[i:]
		if end >= 0 {
			v = ref[i : i+end+1]
		}
		return Image{}, fmt.Errorf("image %q: %w (found %s)", ref, ErrUnexpandedVariable, v)
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return Image{}, fmt.Errorf("image %q: %w", ref, err)
	}
	img := Image{Registry: reference.Domain(named), Repository: reference.Path(named)}
	if t, ok := named.(reference.Tagged); ok {
		img.Tag = t.Tag()
	}
	if d, ok := named.(reference.Digested); ok {
		img.Digest = d.Digest().String()
	}
	switch {
	case img.Tag == "latest":
		return Image{}, fmt.Errorf("image %q: %w", ref, ErrLatestTag)
	case img.Tag == "" && img.Digest == "":
		return Image{}, fmt.Errorf("image %q: %w", ref, ErrNoTag)
	}
	return img, nil
}

// Name is the repository with its registry: "ghcr.io/acme/payments".
func (i Image) Name() string {
	return i.Registry + "/" + i.Repository
}

// String is the canonical reference: "registry/repository[:tag][@digest]".
func (i Image) String() string {
	s := i.Name()
	if i.Tag != "" {
		s += ":" + i.Tag
	}
	if i.Digest != "" {
		s += "@" + i.Digest
	}
	return s
}

// Familiar is the short form people type and `docker images` shows:
// "nginx:1.27" rather than "docker.io/library/nginx:1.27".
func (i Image) Familiar() string {
	named, err := reference.ParseNormalizedNamed(i.String())
	if err != nil {
		return i.String()
	}
	return reference.FamiliarString(named)
}

// Pinned reports whether the image is identified by a digest.
func (i Image) Pinned() bool { return i.Digest != "" }

// WithDigest returns a copy of i with the digest set, after checking that
// digest is well formed ("sha256:" and 64 lower-case hex digits, or another
// registered algorithm).
func (i Image) WithDigest(digest string) (Image, error) {
	ref := i.Name() + "@" + digest
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return Image{}, fmt.Errorf("image %q: digest %q: %w", i.Name(), digest, err)
	}
	i.Digest = digest
	return i, nil
}

// KustomizeImage returns the kustomize `images:` entry that rewrites every
// container image named name (as written in the base, e.g.
// "ghcr.io/acme/payments") to i. Tag and digest are set together, so the
// result is "name:tag@digest" and neither an old tag nor an old digest
// survives the rewrite.
func (i Image) KustomizeImage(name string) types.Image {
	return types.Image{Name: name, NewName: i.Name(), NewTag: i.Tag, Digest: i.Digest}
}
