package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pydeploy/pydeploy/internal/testcluster"
	"github.com/pydeploy/pydeploy/manifest"
)

// cluster is where the run applies and waits.
type cluster struct {
	cfg       *rest.Config
	namespace string
	// where describes the cluster for the report.
	where string
	stop  func() error
}

// connect returns the kubeconfig's cluster, or starts the embedded control
// plane. The namespace is -namespace, else the kubeconfig context's, else
// "default".
func connect(ctx context.Context, o *options) (*cluster, error) {
	if o.embedded {
		return startEmbedded(ctx, o)
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	where := "the current context of ~/.kube/config"
	if env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); env != "" {
		where = "the current context of $KUBECONFIG=" + env
	}
	if o.kubeconfig != "" {
		rules.ExplicitPath = o.kubeconfig
		where = "the current context of " + o.kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig (%s): %w", where, err)
	}
	ns := o.namespace
	if ns == "" {
		if ns, _, err = cc.Namespace(); err != nil {
			return nil, fmt.Errorf("load kubeconfig (%s): %w", where, err)
		}
	}
	return &cluster{cfg: cfg, namespace: ns, where: fmt.Sprintf("%s (%s)", where, cfg.Host), stop: func() error { return nil }}, nil
}

func startEmbedded(ctx context.Context, o *options) (*cluster, error) {
	start := time.Now()
	c, err := testcluster.Start(ctx, testcluster.Options{})
	if err != nil {
		return nil, fmt.Errorf("start the embedded control plane: %w", err)
	}
	ns := o.namespace
	if ns == "" {
		ns = "default"
	}
	cl := &cluster{
		cfg:       c.Config(),
		namespace: ns,
		where:     fmt.Sprintf("an embedded control plane (started in %s)", time.Since(start).Round(100*time.Millisecond)),
		stop:      c.Stop,
	}
	// The control plane is new: nobody else can have created the namespace.
	nsObj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns},
	}}
	if _, err := manifest.Apply(ctx, cl.cfg, []runtime.Object{nsObj}, manifest.ApplyOptions{}); err != nil {
		_ = c.Stop()
		return nil, fmt.Errorf("create namespace %q on the embedded control plane: %w", ns, err)
	}
	return cl, nil
}
