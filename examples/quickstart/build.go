package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/pydeploy/pydeploy/manifest"
)

// imageRepo is payments-api's image repository; imageTemplate the reference
// as the seed writes it: ${GIT_SHA} is expanded before the image is built,
// and an unset variable is an error, never "".
const (
	imageRepo     = "ghcr.io/acme/payments"
	imageTemplate = imageRepo + ":${GIT_SHA}"
)

// buildStep builds payments-api's objects for the pushed image (pinned by
// digest), stamps them and returns them in apply order.
func buildStep(o options, image, lockHash string, s *story) ([]runtime.Object, error) {
	return buildObjects(o.namespace, image, o.gitSHA, lockHash, s)
}

// buildObjects is the part of the build shared by the good and the broken
// revision: build (validating), then stamp.
func buildObjects(namespace, image, gitSHA, lockHash string, s *story) ([]runtime.Object, error) {
	bundle, err := paymentsAPI(namespace, image).
		WithVersion(short(gitSHA)).
		WithAnnotations(map[string]string{"kubernetes.io/change-cause": "release " + short(gitSHA) + " (" + image + ")"}).
		Build()
	if err != nil {
		return nil, fmt.Errorf("build payments-api: %w", err)
	}
	for _, w := range bundle.Warnings {
		s.printf("warning: %s", w)
	}
	objs := bundle.Objects()
	stamp := manifest.Stamp{GitSHA: gitSHA, Image: image, LockHash: lockHash}
	if img, err := manifest.ParseImage(image); err == nil {
		stamp.ImageDigest = img.Digest
	}
	if err := manifest.StampObjects(objs, stamp); err != nil {
		return nil, fmt.Errorf("stamp payments-api: %w", err)
	}
	return objs, nil
}

// renderStep prints the YAML, or writes one file per object to -o DIR.
func renderStep(o options, objs []runtime.Object, stdout io.Writer, s *story) error {
	if o.outDir != "" {
		if err := manifest.WriteDir(o.outDir, objs...); err != nil {
			return err
		}
		s.step("rendered %d objects to %s", len(objs), o.outDir)
		return nil
	}
	var buf bytes.Buffer
	if err := manifest.Render(&buf, objs...); err != nil {
		return err
	}
	_, err := stdout.Write(buf.Bytes())
	return err
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// story prints the numbered narrative of the run to stderr.
type story struct {
	w io.Writer
	n int
}

func newStory(w io.Writer) *story { return &story{w: w} }

func (s *story) step(format string, args ...any) {
	s.n++
	fmt.Fprintf(s.w, "\n==> %d. %s\n", s.n, fmt.Sprintf(format, args...))
}

func (s *story) printf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for line := range strings.SplitSeq(strings.TrimRight(msg, "\n"), "\n") {
		fmt.Fprintf(s.w, "    %s\n", line)
	}
}
