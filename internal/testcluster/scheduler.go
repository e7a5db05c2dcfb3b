package testcluster

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	"k8s.io/kubernetes/pkg/scheduler"
	"k8s.io/kubernetes/pkg/scheduler/profile"
)

// kubeScheduler is kube-scheduler in-process, with its default profile, as
// kube-scheduler's integration tests start it.
type kubeScheduler struct {
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	factory     informers.SharedInformerFactory
	broadcaster events.EventBroadcaster
}

func startScheduler(ctx context.Context, cfg *rest.Config) (*kubeScheduler, error) {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for kube-scheduler: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &kubeScheduler{
		cancel:      cancel,
		factory:     scheduler.NewInformerFactory(client, 0, nil),
		broadcaster: events.NewBroadcaster(&events.EventSinkImpl{Interface: client.EventsV1()}),
	}
	s.broadcaster.StartRecordingToSink(runCtx.Done())
	sched, err := scheduler.New(runCtx, client, s.factory, nil, profile.NewRecorderFactory(s.broadcaster),
		scheduler.WithKubeConfig(cfg))
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("create kube-scheduler: %w", err)
	}
	s.factory.Start(runCtx.Done())
	for typ, ok := range s.factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			s.stop()
			return nil, fmt.Errorf("kube-scheduler's informer for %v did not sync: %w", typ, context.Cause(ctx))
		}
	}
	if err := sched.WaitForHandlersSync(ctx); err != nil {
		s.stop()
		return nil, fmt.Errorf("kube-scheduler's handlers did not sync: %w", err)
	}
	s.wg.Go(func() { sched.Run(runCtx) })
	return s, nil
}

// stop ends the scheduler, its informers and its event broadcaster.
func (s *kubeScheduler) stop() {
	s.cancel()
	s.wg.Wait()
	s.factory.Shutdown()
	s.broadcaster.Shutdown()
}
