package testcluster

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// splitImage splits a reference into registry, repository and tag or
// digest, with Docker Hub's defaults ("python:3.12" is
// docker.io/library/python:3.12).
func splitImage(image string) (registry, repo, ref string) {
	name, digest, hasDigest := strings.Cut(image, "@")
	tag := "latest"
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	registry = "docker.io"
	if first, rest, ok := strings.Cut(name, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		registry, name = first, rest
	} else if !ok {
		name = "library/" + name
	}
	if hasDigest {
		return registry, name, "@" + digest
	}
	return registry, name, ":" + tag
}

// normalizeImage is the reference as kubelet passes it to the runtime:
// with the default tag if it has none.
func normalizeImage(image string) string {
	if strings.Contains(image, "@") {
		return image
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image
	}
	return image + ":latest"
}

// fakeDigest is a stable made-up digest for an image reference.
func fakeDigest(image string) string {
	sum := sha256.Sum256([]byte(image))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// imageDigestRef is the image as a container's status shows it once
// pulled: repository@digest.
func imageDigestRef(image string) string {
	if strings.Contains(image, "@") {
		return image
	}
	reg, repo, _ := splitImage(image)
	return reg + "/" + repo + "@" + fakeDigest(image)
}

// pullError is containerd's answer to a failed pull, as a gRPC status.
func pullError(kind, image string) error {
	reg, repo, ref := splitImage(image)
	full := reg + "/" + repo + ref
	switch kind {
	case "unauthorized":
		host := reg
		if reg == "docker.io" {
			host = "auth.docker.io"
		}
		return status.Errorf(codes.Unknown,
			"failed to pull and unpack image %q: failed to resolve reference %q: failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://%s/token?scope=repository%%3A%s%%3Apull&service=%s: 401 Unauthorized",
			full, full, host, strings.ReplaceAll(repo, "/", "%2F"), reg)
	case "429":
		host := reg
		if reg == "docker.io" {
			host = "registry-1.docker.io"
		}
		return status.Errorf(codes.Unknown,
			"failed to pull and unpack image %q: failed to copy: httpReadSeeker: failed open: unexpected status code https://%s/v2/%s/manifests/%s: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit",
			full, host, repo, fakeDigest(image))
	default:
		return status.Errorf(codes.NotFound,
			"failed to pull and unpack image %q: failed to resolve reference %q: %s: not found", full, full, full)
	}
}
