package image

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pydeploy/pydeploy/lockfile/wheel"
)

// Platform returns the OCI platform of an install target: linux with the
// GOARCH-style architecture of the wheel platform's machine (x86_64 is
// amd64, aarch64 is arm64/v8, …). Only Linux targets run in containers.
func Platform(t wheel.Target) (v1.Platform, error) {
	if t.Platform.OS != wheel.Linux {
		return v1.Platform{}, fmt.Errorf("image: target %s is not a Linux target; container images run Linux", t)
	}
	p := v1.Platform{OS: "linux"}
	switch t.Platform.Arch {
	case "x86_64":
		p.Architecture = "amd64"
	case "aarch64":
		p.Architecture, p.Variant = "arm64", "v8"
	case "i686":
		p.Architecture = "386"
	case "armv7l":
		p.Architecture, p.Variant = "arm", "v7"
	case "ppc64le", "s390x", "riscv64":
		p.Architecture = t.Platform.Arch
	default:
		return v1.Platform{}, fmt.Errorf("image: target %s: no OCI architecture for machine %q", t, t.Platform.Arch)
	}
	return p, nil
}

// samePlatform compares OS and architecture, and the variant when both
// name one.
func samePlatform(a, b v1.Platform) bool {
	return a.OS == b.OS && a.Architecture == b.Architecture && (a.Variant == "" || b.Variant == "" || a.Variant == b.Variant)
}
