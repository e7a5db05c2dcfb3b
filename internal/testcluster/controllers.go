package testcluster

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/scale"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/controller-manager/pkg/informerfactory"
	"k8s.io/kubernetes/pkg/controller"
	"k8s.io/kubernetes/pkg/controller/daemon"
	"k8s.io/kubernetes/pkg/controller/deployment"
	"k8s.io/kubernetes/pkg/controller/disruption"
	"k8s.io/kubernetes/pkg/controller/endpointslice"
	"k8s.io/kubernetes/pkg/controller/garbagecollector"
	"k8s.io/kubernetes/pkg/controller/job"
	"k8s.io/kubernetes/pkg/controller/namespace"
	"k8s.io/kubernetes/pkg/controller/nodelifecycle"
	"k8s.io/kubernetes/pkg/controller/replicaset"
	"k8s.io/kubernetes/pkg/controller/resourcequota"
	"k8s.io/kubernetes/pkg/controller/statefulset"
	quotainstall "k8s.io/kubernetes/pkg/quota/v1/install"
)

// controllers is the in-process part of kube-controller-manager the
// harness runs (deployment, replicaset, statefulset, daemonset, job,
// endpointslice, disruption, namespace, resourcequota, node lifecycle and
// garbage-collector controllers), sharing one informer factory as kube-controller-manager
// does, plus the ordinal stamper of the scenarios.
type controllers struct {
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	factory  informers.SharedInformerFactory
	metadata metadatainformer.SharedInformerFactory
}

func startControllers(ctx context.Context, cfg *rest.Config) (*controllers, error) {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for the controllers: %w", err)
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("metadata client for the namespace controller: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &controllers{cancel: cancel, factory: informers.NewSharedInformerFactory(client, 0),
		metadata: metadatainformer.NewSharedInformerFactory(meta, 0)}
	f := c.factory

	dc, err := deployment.NewDeploymentController(runCtx, f.Apps().V1().Deployments(), f.Apps().V1().ReplicaSets(), f.Core().V1().Pods(), client)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("create the deployment controller: %w", err)
	}
	rsc := replicaset.NewReplicaSetController(runCtx, f.Apps().V1().ReplicaSets(), f.Core().V1().Pods(), client, replicaset.BurstReplicas)
	discover := client.Discovery().ServerPreferredNamespacedResources
	nsc := namespace.NewNamespaceController(runCtx, client, meta, discover, f.Core().V1().Namespaces(), 5*time.Minute, corev1.FinalizerKubernetes)

	quotaCfg, err := quotainstall.NewQuotaConfigurationForControllers(generic.ListerFuncForResourceFunc(f.ForResource), f)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("configure the resourcequota controller: %w", err)
	}
	informersStarted := make(chan struct{})
	rqc, err := resourcequota.NewController(runCtx, &resourcequota.ControllerOptions{
		QuotaClient:               client.CoreV1(),
		ResourceQuotaInformer:     f.Core().V1().ResourceQuotas(),
		ResyncPeriod:              controller.StaticResyncPeriodFunc(5 * time.Minute),
		InformerFactory:           f,
		ReplenishmentResyncPeriod: controller.StaticResyncPeriodFunc(12 * time.Hour),
		DiscoveryFunc:             discover,
		IgnoredResourcesFunc:      quotaCfg.IgnoredResources,
		InformersStarted:          informersStarted,
		Registry:                  generic.NewRegistry(quotaCfg.Evaluators()),
		UpdateFilter:              quotainstall.DefaultUpdateFilter(),
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("create the resourcequota controller: %w", err)
	}

	esc := endpointslice.NewController(runCtx, f.Core().V1().Pods(), f.Core().V1().Services(), f.Core().V1().Nodes(),
		f.Discovery().V1().EndpointSlices(), 100, client, 0)
	jc, err := job.NewController(runCtx, client, f.Core().V1().Pods(), f.Batch().V1().Jobs(), nil, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("create the job controller: %w", err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	scales, err := scale.NewForConfig(cfg, mapper, dynamic.LegacyAPIPathResolverFunc, scale.NewDiscoveryScaleKindResolver(client.Discovery()))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("scale client for the disruption controller: %w", err)
	}
	pdbc := disruption.NewDisruptionController(runCtx, f.Core().V1().Pods(), f.Policy().V1().PodDisruptionBudgets(),
		f.Core().V1().ReplicationControllers(), f.Apps().V1().ReplicaSets(), f.Apps().V1().Deployments(),
		f.Apps().V1().StatefulSets(), client, mapper, scales, client.Discovery())

	ssc := statefulset.NewStatefulSetController(runCtx, f.Core().V1().Pods(), f.Apps().V1().StatefulSets(),
		f.Core().V1().PersistentVolumeClaims(), f.Apps().V1().ControllerRevisions(), client)
	dsc, err := daemon.NewDaemonSetsController(runCtx, f.Apps().V1().DaemonSets(), f.Apps().V1().ControllerRevisions(),
		f.Core().V1().Pods(), f.Core().V1().Nodes(), client, flowcontrol.NewBackOff(time.Second, 15*time.Minute))
	if err != nil {
		cancel()
		return nil, fmt.Errorf("create the daemonset controller: %w", err)
	}
	gcMapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	gc, err := garbagecollector.NewGarbageCollector(runCtx, client, meta, gcMapper, garbagecollector.DefaultIgnoredResources(),
		informerfactory.NewInformerFactory(f, c.metadata), informersStarted)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("create the garbage collector: %w", err)
	}
	// kube-apiserver's TaintNodesByCondition admission taints new nodes
	// not-ready; this controller lifts the taint once kubelet says Ready.
	nlc, err := nodelifecycle.NewNodeLifecycleController(runCtx, f.Coordination().V1().Leases(), f.Core().V1().Pods(),
		f.Core().V1().Nodes(), f.Apps().V1().DaemonSets(), client,
		5*time.Second, time.Minute, 50*time.Second, 0.1, 0.01, 50, 0.55)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("create the node lifecycle controller: %w", err)
	}
	if err := startStamper(client, f.Core().V1().Pods()); err != nil {
		cancel()
		return nil, err
	}

	f.Start(runCtx.Done())
	c.metadata.Start(runCtx.Done())
	close(informersStarted)
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			c.stop()
			return nil, fmt.Errorf("informer cache for %v did not sync: %w", typ, context.Cause(ctx))
		}
	}
	if !cache.WaitForCacheSync(ctx.Done(), f.Core().V1().Pods().Informer().HasSynced) {
		c.stop()
		return nil, fmt.Errorf("pod informer did not sync: %w", context.Cause(ctx))
	}
	c.wg.Go(func() { dc.Run(runCtx, 5) })
	c.wg.Go(func() { rsc.Run(runCtx, 5) })
	c.wg.Go(func() { nsc.Run(runCtx, 2) })
	c.wg.Go(func() { esc.Run(runCtx, 2) })
	c.wg.Go(func() { jc.Run(runCtx, 2) })
	c.wg.Go(func() { pdbc.Run(runCtx, 2) })
	c.wg.Go(func() { rqc.Run(runCtx, 2) })
	c.wg.Go(func() { rqc.Sync(runCtx, discover, 30*time.Second) })
	c.wg.Go(func() { nlc.Run(runCtx) })
	c.wg.Go(func() { ssc.Run(runCtx, 5) })
	c.wg.Go(func() { dsc.Run(runCtx, 2) })
	c.wg.Go(func() { gc.Run(runCtx, 5, 30*time.Second) })
	c.wg.Go(func() { gc.Sync(runCtx, client.Discovery(), 30*time.Second) })
	return c, nil
}

// stop ends every controller and informer and waits for them.
func (c *controllers) stop() {
	c.cancel()
	c.wg.Wait()
	c.factory.Shutdown()
	c.metadata.Shutdown()
}
