package rollout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
)

// ProfileLabel is the pprof label key (value "wait") carried by every
// goroutine a cluster Session starts, including client-go's reflectors and
// the HTTP connections they open.
const ProfileLabel = "pydeploy.rollout"

// maxLogLine caps one log line in the evidence.
const maxLogLine = 2000

// NewSource returns a Source that reads a cluster through informers: one
// list and one watch per Scope (a kind in a namespace), kept by client-go's
// reflector, which relists when a watch expires (410 Gone) and reconnects
// after an API server restart. Warning events are watched with a field
// selector, and managed fields are dropped from cached objects. cs is used
// only to read container logs and may be nil (then no logs are fetched).
func NewSource(dyn dynamic.Interface, cs kubernetes.Interface, mapper meta.RESTMapper) Source {
	return &clusterSource{dyn: dyn, cs: cs, mapper: mapper}
}

// SourceForConfig is NewSource with clients and a discovery-backed
// RESTMapper built from cfg.
func SourceForConfig(cfg *rest.Config) (Source, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("rollout: dynamic client: %w", err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("rollout: clientset: %w", err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cs.Discovery()))
	return NewSource(dyn, cs, mapper), nil
}

type clusterSource struct {
	dyn    dynamic.Interface
	cs     kubernetes.Interface
	mapper meta.RESTMapper
}

type clusterSession struct {
	cs     kubernetes.Interface
	clk    clock.Clock
	cancel context.CancelFunc
	wg     sync.WaitGroup
	stores map[Scope]cache.Store

	mu      sync.Mutex
	pending []Key
	queued  map[Key]bool
	fatal   error
	signal  chan struct{}
}

func (s *clusterSource) Open(ctx context.Context, scopes []Scope, clk clock.Clock) (Session, error) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	sess := &clusterSession{cs: s.cs, clk: clk, cancel: cancel, stores: map[Scope]cache.Store{},
		queued: map[Key]bool{}, signal: make(chan struct{}, 1)}
	syncCtx, stopSync := context.WithCancelCause(ctx)
	defer stopSync(nil)
	var checkers []cache.DoneChecker
	var lastErr atomic.Pointer[error]
	for _, sc := range scopes {
		inf, err := s.informer(sc)
		if err != nil {
			sess.Close()
			return nil, err
		}
		synced := inf.HasSynced
		_ = inf.SetWatchErrorHandlerWithContext(func(ctx context.Context, r *cache.Reflector, err error) {
			if typed := watchFailure(sc, err); typed != nil {
				if !synced() {
					// Before the first complete list: no permission or no
					// such resource ends the wait; the reflector would
					// retry forever.
					stopSync(typed)
				} else {
					// After it: a re-list or re-watch refused (RBAC revoked
					// mid-wait, the CRD deleted) would leave the cache
					// frozen and the wait silent until its timeout.
					sess.fail(typed)
				}
			} else if !synced() {
				err = fmt.Errorf("cannot list and watch %s: %w", sc, err)
				lastErr.Store(&err)
			}
			cache.DefaultWatchErrorHandler(ctx, r, err)
		})
		reg, err := inf.AddEventHandler(sess.handler(sc))
		if err != nil {
			sess.Close()
			return nil, fmt.Errorf("watching %s: %w", sc, err)
		}
		sess.stores[sc] = inf.GetStore()
		checkers = append(checkers, reg.HasSyncedChecker())
		// Every goroutine of the informer inherits the label, so a profile
		// (or a leak check) can tell a Wait's goroutines from the rest.
		pprof.Do(runCtx, pprof.Labels(ProfileLabel, "wait"), func(context.Context) {
			sess.wg.Go(func() { inf.RunWithContext(runCtx) })
		})
	}
	if !cache.WaitFor(syncCtx, "", checkers...) {
		sess.Close()
		if cause := context.Cause(syncCtx); cause != nil && ctx.Err() == nil {
			return nil, cause
		}
		if last := lastErr.Load(); last != nil {
			return nil, fmt.Errorf("the watch caches did not fill: %w (%w)", ctx.Err(), *last)
		}
		return nil, ctx.Err()
	}
	return sess, nil
}

func (s *clusterSource) informer(sc Scope) (cache.SharedIndexInformer, error) {
	m, err := s.mapper.RESTMapping(sc.GVK.GroupKind(), sc.GVK.Version)
	if err != nil {
		if typed := watchFailure(sc, err); typed != nil {
			return nil, typed
		}
		return nil, &WatchError{Scope: sc, Err: err}
	}
	ns := sc.Namespace
	if m.Scope.Name() == meta.RESTScopeNameRoot {
		ns = metav1.NamespaceAll
	} else if ns == "" {
		return nil, &InputError{Problems: []string{fmt.Sprintf(
			"%s is namespaced and the object has no metadata.namespace; pass the objects Apply returned", sc.GVK.Kind)}}
	}
	inf := dynamicinformer.NewFilteredDynamicInformer(s.dyn, m.Resource, ns, 0, cache.Indexers{}, nil).Informer()
	events := sc.GVK == eventGVK
	_ = inf.SetTransform(func(obj any) (any, error) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return obj, nil
		}
		u.SetManagedFields(nil)
		if events && !evidence(u) {
			// Normal events are watched for the few an autoscaler writes
			// (field selectors cannot OR two reasons); the rest are cached
			// as stubs so a busy namespace costs little memory.
			return eventStub(u), nil
		}
		return u, nil
	})
	return inf, nil
}

// eventStub keeps only what identifies an event and says it is of no interest.
func eventStub(u *unstructured.Unstructured) *unstructured.Unstructured {
	stub := &unstructured.Unstructured{Object: map[string]any{"type": u.Object["type"], "reason": u.Object["reason"]}}
	stub.SetAPIVersion(u.GetAPIVersion())
	stub.SetKind(u.GetKind())
	stub.SetName(u.GetName())
	stub.SetNamespace(u.GetNamespace())
	stub.SetUID(u.GetUID())
	stub.SetResourceVersion(u.GetResourceVersion())
	return stub
}

func (s *clusterSession) handler(sc Scope) cache.ResourceEventHandler {
	push := func(obj any) {
		key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
		if err != nil {
			return
		}
		_, name, err := cache.SplitMetaNamespaceKey(key)
		if err != nil {
			return
		}
		s.push(Key{GVK: sc.GVK, Namespace: sc.Namespace, Name: name})
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    push,
		UpdateFunc: func(_, obj any) { push(obj) },
		DeleteFunc: push,
	}
}

// watchFailure types an error a list or watch will not recover from by
// retrying: 401/403 as *ForbiddenError, 404 (the resource is not served)
// as *WatchError; nil for anything the reflector should keep retrying.
func watchFailure(sc Scope, err error) error {
	switch {
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return &ForbiddenError{Scope: sc, Err: err}
	case apierrors.IsNotFound(err), meta.IsNoMatchError(err):
		return &WatchError{Scope: sc, Err: err}
	}
	return nil
}

// fail makes the next Next return err, at once.
func (s *clusterSession) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fatal == nil {
		s.fatal = err
	}
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

func (s *clusterSession) push(k Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.queued[k] {
		s.queued[k] = true
		s.pending = append(s.pending, k)
	}
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

func (s *clusterSession) Get(k Key) (*unstructured.Unstructured, bool) {
	st, ok := s.stores[k.Scope()]
	if !ok {
		return nil, false
	}
	key := k.Name
	if k.Namespace != "" {
		key = k.Namespace + "/" + k.Name
	}
	obj, ok, err := st.GetByKey(key)
	if err != nil || !ok {
		return nil, false
	}
	u, ok := obj.(*unstructured.Unstructured)
	return u, ok
}

func (s *clusterSession) List(sc Scope) []*unstructured.Unstructured {
	st, ok := s.stores[sc]
	if !ok {
		return nil
	}
	var out []*unstructured.Unstructured
	for _, obj := range st.List() {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			out = append(out, u)
		}
	}
	return out
}

func (s *clusterSession) take() []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := s.pending
	s.pending = nil
	clear(s.queued)
	return keys
}

func (s *clusterSession) Next(ctx context.Context, wake time.Time) ([]Key, error) {
	var timeout <-chan time.Time
	if !wake.IsZero() {
		d := wake.Sub(s.clk.Now())
		if d <= 0 {
			return s.take(), nil
		}
		t := s.clk.NewTimer(d)
		defer t.Stop()
		timeout = t.C()
	}
	for {
		s.mu.Lock()
		fatal := s.fatal
		s.mu.Unlock()
		if fatal != nil {
			return nil, fatal
		}
		if keys := s.take(); len(keys) > 0 {
			return keys, nil
		}
		select {
		case <-s.signal:
		case <-timeout:
			return s.take(), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (s *clusterSession) Logs(ctx context.Context, req LogRequest) ([]string, error) {
	if s.cs == nil {
		return nil, errors.New("no clientset to read logs with")
	}
	tail := int64(req.Lines)
	raw, err := s.cs.CoreV1().Pods(req.Namespace).GetLogs(req.Pod, &corev1.PodLogOptions{
		Container: req.Container, Previous: req.Previous, TailLines: &tail,
	}).DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	return splitLog(raw, req.Lines), nil
}

// splitLog turns a log tail into at most n lines, each capped at maxLogLine.
func splitLog(raw []byte, n int) []string {
	raw = bytes.TrimRight(raw, "\n")
	if len(raw) == 0 {
		return nil
	}
	lines := strings.Split(string(raw), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		if len(l) > maxLogLine {
			l = l[:maxLogLine] + "…"
		}
		lines[i] = l
	}
	return lines
}

func (s *clusterSession) Close() {
	s.cancel()
	s.wg.Wait()
}
