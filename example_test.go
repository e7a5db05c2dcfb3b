package pydeploy_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/pydeploy/pydeploy/deploy"
	"github.com/pydeploy/pydeploy/manifest"
)

// Example walks the offline half of the workflow for payments-api: expand
// the image reference, build the objects with production defaults, stamp
// them with what they were built from, and render byte-stable YAML. The
// online half (manifest.Apply, rollout.Wait, rollout.Undo) is in
// examples/quickstart.
func Example() {
	image, err := manifest.Expand("ghcr.io/acme/payments:${GIT_SHA}",
		manifest.MapLookup(map[string]string{"GIT_SHA": "3f2c1d07a9b8"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	bundle, err := deploy.NewApp("payments-api", "shop").
		WithImage(image).
		WithPort(8000, "http").
		WithReplicas(3).
		WithReadinessPath("/health/ready").
		WithServer(deploy.Gunicorn("payments.main:app")).
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	objs := bundle.Objects()
	stamp := manifest.Stamp{GitSHA: "3f2c1d07a9b8", Image: image, LockHash: "sha256:deb94343a27e", Version: "v1.0.0"}
	if err := manifest.StampObjects(objs, stamp); err != nil {
		fmt.Println(err)
		return
	}
	var out bytes.Buffer
	if err := manifest.Render(&out, objs...); err != nil {
		fmt.Println(err)
		return
	}
	for line := range strings.SplitSeq(out.String(), "\n") {
		if strings.HasPrefix(line, "kind: ") {
			fmt.Println(line)
		}
	}
	st, _ := manifest.ReadStamp(bundle.Deployment)
	fmt.Println("stamp:", st.GitSHA, st.Image, st.LockHash)
	// Output:
	// kind: ServiceAccount
	// kind: NetworkPolicy
	// kind: Service
	// kind: Deployment
	// kind: PodDisruptionBudget
	// stamp: 3f2c1d07a9b8 ghcr.io/acme/payments:3f2c1d07a9b8 sha256:deb94343a27e
}
