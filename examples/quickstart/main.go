// Command quickstart is pydeploy's first command: it takes the seed service,
// payments-api, through the whole workflow on a clean clone, with nothing to
// install — an embedded package index and an embedded Kubernetes control plane
// stand in for PyPI and a cluster.
//
//  1. lock: resolve payments-api's Python dependencies against the embedded
//     index into pylock.payments-api.toml (deterministic; exclude-newer pinned);
//  2. image: build payments-api's image from the lock without Docker (the
//     environment lockfile/install writes, the source, the server preset's
//     command) onto a stand-in base in an embedded registry answering for
//     ghcr.io, push it, and check the pushed image against the lock;
//  3. build: describe the service with deploy (production defaults), pin the
//     image by the pushed digest, stamp git SHA, image, digest and lock hash
//     onto every object, validate, and render byte-stable YAML (stdout, or
//     files with -o);
//  4. apply the objects with server-side apply and wait for the rollout,
//     printing progress;
//  5. roll out a broken revision (an image built from a broken commit, whose
//     containers crash-loop) and show the waiter stopping within seconds
//     with its evidence;
//  6. undo to the previous revision and show its digest and stamp restored.
//
// -render-only stops after step 3. YAML goes to stdout (or -o DIR); the story
// goes to stderr, so `quickstart -render-only > payments-api.yaml` is clean.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

type options struct {
	outDir     string
	renderOnly bool
	namespace  string
	gitSHA     string
	kubeconfig string
	timeout    time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.outDir, "o", "", "write the manifests (and the lock file) to files in `DIR` instead of printing them")
	flag.BoolVar(&o.renderOnly, "render-only", false, "stop after rendering: no apply, no wait")
	flag.StringVar(&o.namespace, "namespace", "shop", "namespace of payments-api")
	flag.StringVar(&o.gitSHA, "git-sha", "", "commit to stamp and to tag the image with (default $GIT_SHA, else a fixed demo SHA)")
	flag.StringVar(&o.kubeconfig, "kubeconfig", "", "apply to the cluster of this kubeconfig instead of the embedded control plane")
	flag.DurationVar(&o.timeout, "timeout", 3*time.Minute, "deadline for each rollout wait")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// demoSHA is the commit stamped when neither -git-sha nor $GIT_SHA is set, so
// that two runs print the same bytes.
const demoSHA = "3f2c1d07a9b8e6f5d4c3b2a1908f7e6d5c4b3a29"

func run(ctx context.Context, o options, stdout, stderr io.Writer) error {
	if o.gitSHA == "" {
		o.gitSHA = os.Getenv("GIT_SHA")
	}
	if o.gitSHA == "" {
		o.gitSHA = demoSHA
		fmt.Fprintf(stderr, "note: GIT_SHA is not set; stamping the demo commit %s\n", demoSHA[:12])
	}
	story := newStory(stderr)

	lock, err := lockStep(ctx, o, story)
	if err != nil {
		return err
	}
	defer lock.cleanup()
	ims, err := startImages(ctx, lock)
	if err != nil {
		return err
	}
	defer ims.close()
	pinned, err := imageStep(ctx, o, ims, story)
	if err != nil {
		return err
	}
	objs, err := buildStep(o, pinned, lock.hash, story)
	if err != nil {
		return err
	}
	if err := renderStep(o, objs, stdout, story); err != nil {
		return err
	}
	if o.renderOnly {
		return nil
	}
	return clusterSteps(ctx, o, objs, ims, story)
}
