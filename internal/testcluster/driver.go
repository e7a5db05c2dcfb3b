package testcluster

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// unschedulableMessage is what kube-scheduler says when no node fits.
const unschedulableMessage = "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."

// driver plays the kubelet of one fake node (and the scheduler's binding):
// it binds new pods to the node and moves them through the steps of their
// scenario, writing pod status and events.
type driver struct {
	client kubernetes.Interface
	node   string
	hostIP string
	tm     timing
	pods   corelisters.PodLister
	queue  workqueue.TypedRateLimitingInterface[string]
	events *eventWriter

	mu     sync.Mutex
	recs   map[string]*podRecord // by namespace/name
	nextIP uint32
}

// podRecord is the driver's memory of one pod.
type podRecord struct {
	uid       types.UID
	scenarios map[string]Scenario
	bound     time.Time
	ip        string
	next      map[string]int // container → index of the next step to enter
	failed    bool           // FailedScheduling event written
}

func newDriver(client kubernetes.Interface, node, hostIP string, tm timing, informer coreinformers.PodInformer) (*driver, error) {
	d := &driver{
		client: client,
		node:   node,
		hostIP: hostIP,
		tm:     tm,
		pods:   informer.Lister(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](10*time.Millisecond, time.Second),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "testcluster-pod-driver"}),
		events: newEventWriter(client, node),
		recs:   map[string]*podRecord{},
	}
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			d.queue.Add(key)
		}
	}
	_, err := informer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	})
	if err != nil {
		return nil, fmt.Errorf("watch pods for the pod driver: %w", err)
	}
	return d, nil
}

// run processes pods with the given number of workers until ctx ends.
func (d *driver) run(ctx context.Context, workers int) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for d.processNext(ctx) {
			}
		})
	}
	<-ctx.Done()
	d.queue.ShutDown()
	wg.Wait()
}

func (d *driver) processNext(ctx context.Context) bool {
	key, quit := d.queue.Get()
	if quit {
		return false
	}
	defer d.queue.Done(key)
	next, err := d.sync(ctx, key)
	switch {
	case err != nil && ctx.Err() == nil:
		klog.FromContext(ctx).V(2).Info("pod driver retrying", "pod", key, "err", err)
		d.queue.AddRateLimited(key)
	case err == nil:
		d.queue.Forget(key)
		if next > 0 {
			d.queue.AddAfter(key, next)
		}
	}
	return true
}

// sync brings one pod one step further and returns when it is next due
// (0: not due again until the pod changes).
func (d *driver) sync(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	pod, err := d.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		d.forget(key)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if pod.Spec.NodeName != "" && pod.Spec.NodeName != d.node {
		return 0, nil
	}
	if pod.DeletionTimestamp != nil {
		return 0, d.kill(ctx, key, pod)
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return 0, nil
	}
	rec, err := d.record(ctx, key, pod)
	if rec == nil || err != nil {
		return 0, err
	}
	if pod.Spec.NodeName == "" {
		if unschedulable(rec.scenarios) {
			return 0, d.leavePending(ctx, rec, pod)
		}
		return 0, d.bind(ctx, rec, pod)
	}
	return d.advance(ctx, rec, pod)
}

// record returns the driver's record of pod, creating it on first sight. A
// pod whose scenario annotation is invalid gets a Warning event and no
// record: it stays Pending.
func (d *driver) record(ctx context.Context, key string, pod *corev1.Pod) (*podRecord, error) {
	d.mu.Lock()
	rec := d.recs[key]
	d.mu.Unlock()
	if rec != nil && rec.uid == pod.UID {
		if rec.scenarios == nil {
			return nil, nil // invalid scenario, already reported
		}
		return rec, nil
	}
	scs, err := PodScenarios(pod)
	if err != nil {
		if err := d.events.kubelet(ctx, pod, "", kubeletEvent{corev1.EventTypeWarning, "InvalidScenario", "testcluster: " + err.Error()}); err != nil {
			return nil, err
		}
		d.mu.Lock()
		d.recs[key] = &podRecord{uid: pod.UID}
		d.mu.Unlock()
		return nil, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextIP++
	rec = &podRecord{
		uid:       pod.UID,
		scenarios: scs,
		ip:        fmt.Sprintf("10.244.%d.%d", (d.nextIP>>8)&0xff, d.nextIP&0xff),
		next:      map[string]int{},
	}
	if pod.Spec.NodeName != "" {
		// Bound before the driver saw it (by its author, or before a
		// restart of the driver): its clock starts now.
		rec.bound = time.Now()
	}
	d.recs[key] = rec
	return rec, nil
}

func (d *driver) forget(key string) {
	d.mu.Lock()
	rec := d.recs[key]
	delete(d.recs, key)
	d.mu.Unlock()
	if rec != nil {
		d.events.forget(rec.uid)
	}
}

func (d *driver) bind(ctx context.Context, rec *podRecord, pod *corev1.Pod) error {
	b := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: d.node},
	}
	if err := d.client.CoreV1().Pods(pod.Namespace).Bind(ctx, b, metav1.CreateOptions{}); err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return nil // already bound, or gone: the informer will tell
		}
		return fmt.Errorf("bind pod %s/%s to node %s: %w", pod.Namespace, pod.Name, d.node, err)
	}
	d.mu.Lock()
	rec.bound = time.Now()
	d.mu.Unlock()
	return d.events.scheduler(ctx, pod, corev1.EventTypeNormal, "Scheduled", "Binding",
		fmt.Sprintf("Successfully assigned %s/%s to %s", pod.Namespace, pod.Name, d.node))
}

func (d *driver) leavePending(ctx context.Context, rec *podRecord, pod *corev1.Pod) error {
	want := corev1.PodCondition{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
		Reason: corev1.PodReasonUnschedulable, Message: unschedulableMessage,
	}
	st := pod.Status.DeepCopy()
	st.Phase = corev1.PodPending
	setCondition(st, want, time.Now())
	if !apiequality.Semantic.DeepEqual(st, &pod.Status) {
		p := pod.DeepCopy()
		p.Status = *st
		if _, err := d.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			return ignoreGone(err)
		}
	}
	d.mu.Lock()
	done := rec.failed
	rec.failed = true
	d.mu.Unlock()
	if done {
		return nil
	}
	return d.events.scheduler(ctx, pod, corev1.EventTypeWarning, "FailedScheduling", "Scheduling", unschedulableMessage)
}

// advance enters every step that is due, writes the pod status and the
// events of those steps, and returns when the next step is due.
func (d *driver) advance(ctx context.Context, rec *podRecord, pod *corev1.Pod) (time.Duration, error) {
	d.mu.Lock()
	if rec.bound.IsZero() {
		rec.bound = time.Now()
	}
	bound := rec.bound
	d.mu.Unlock()
	elapsed := time.Since(bound)

	type entered struct {
		container string
		events    []kubeletEvent
	}
	var (
		statuses = make([]corev1.ContainerStatus, 0, len(pod.Spec.Containers))
		evs      []entered
		next     = map[string]int{}
		due      time.Duration
	)
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		tl := timeline{pod: pod, c: c, sc: rec.scenarios[c.Name], tm: d.tm, bound: bound}
		d.mu.Lock()
		n := rec.next[c.Name]
		d.mu.Unlock()
		cur, _ := tl.step(max(n-1, 0))
		for {
			s, ok := tl.step(n)
			if !ok {
				break
			}
			if s.at > elapsed {
				if due == 0 || s.at-elapsed < due {
					due = s.at - elapsed
				}
				break
			}
			cur = s
			evs = append(evs, entered{c.Name, s.events})
			n++
		}
		next[c.Name] = n
		statuses = append(statuses, cur.status)
	}

	st := d.podStatus(pod, rec, bound, statuses)
	if !apiequality.Semantic.DeepEqual(st, &pod.Status) {
		p := pod.DeepCopy()
		p.Status = *st
		if _, err := d.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			return 0, ignoreGone(err)
		}
	}
	d.mu.Lock()
	for c, n := range next {
		rec.next[c] = n
	}
	d.mu.Unlock()
	for _, e := range evs {
		for _, ev := range e.events {
			if err := d.events.kubelet(ctx, pod, e.container, ev); err != nil {
				return 0, ignoreGone(err)
			}
		}
	}
	if due > 0 && due < time.Millisecond {
		due = time.Millisecond
	}
	return due, nil
}

// podStatus is the pod status a kubelet would write for these container
// statuses.
func (d *driver) podStatus(pod *corev1.Pod, rec *podRecord, bound time.Time, cs []corev1.ContainerStatus) *corev1.PodStatus {
	st := pod.Status.DeepCopy()
	now := time.Now()
	st.HostIP = d.hostIP
	st.HostIPs = []corev1.HostIP{{IP: d.hostIP}}
	st.PodIP = rec.ip
	st.PodIPs = []corev1.PodIP{{IP: rec.ip}}
	st.StartTime = ptr.To(mtime(bound))
	st.ContainerStatuses = cs
	st.InitContainerStatuses = nil
	for _, c := range pod.Spec.InitContainers {
		tl := timeline{pod: pod, c: &c, tm: d.tm, bound: bound}
		ic := tl.status(0, false)
		ic.ImageID = tl.imageID()
		ic.ContainerID = tl.containerID(0)
		ic.State.Terminated = &corev1.ContainerStateTerminated{Reason: "Completed", StartedAt: mtime(bound), FinishedAt: mtime(bound), ContainerID: ic.ContainerID}
		st.InitContainerStatuses = append(st.InitContainerStatuses, ic)
	}

	st.Phase = corev1.PodRunning
	var unready []string
	ended, failed := len(cs) > 0, false
	for _, c := range cs {
		if t := c.State.Terminated; t != nil {
			failed = failed || t.ExitCode != 0
		} else {
			ended = false
		}
		if c.State.Running == nil && c.State.Terminated == nil && c.LastTerminationState.Terminated == nil {
			st.Phase = corev1.PodPending
		}
		if !c.Ready {
			unready = append(unready, c.Name)
		}
	}
	sort.Strings(unready)
	ready := corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue}
	if ended && pod.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		// Every container has exited and none will be restarted: the
		// kubelet ends the pod, as for a Job's pod.
		st.Phase = corev1.PodSucceeded
		if failed {
			st.Phase = corev1.PodFailed
		}
		ready = corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "PodCompleted"}
		containersReady := ready
		containersReady.Type = corev1.ContainersReady
		setCondition(st, corev1.PodCondition{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionFalse}, now)
		setCondition(st, corev1.PodCondition{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, Reason: "PodCompleted"}, now)
		setCondition(st, ready, now)
		setCondition(st, containersReady, now)
		setCondition(st, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}, now)
		return st
	}
	if len(unready) > 0 {
		ready = corev1.PodCondition{
			Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady",
			Message: fmt.Sprintf("containers with unready status: [%s]", strings.Join(unready, " ")),
		}
	}
	containersReady := ready
	containersReady.Type = corev1.ContainersReady
	setCondition(st, corev1.PodCondition{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue}, now)
	setCondition(st, corev1.PodCondition{Type: corev1.PodInitialized, Status: corev1.ConditionTrue}, now)
	setCondition(st, ready, now)
	setCondition(st, containersReady, now)
	setCondition(st, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}, now)
	return st
}

// setCondition sets c in st, keeping the transition time when the status
// does not change.
func setCondition(st *corev1.PodStatus, c corev1.PodCondition, now time.Time) {
	c.LastTransitionTime = mtime(now)
	for i := range st.Conditions {
		old := &st.Conditions[i]
		if old.Type != c.Type {
			continue
		}
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		c.LastProbeTime = old.LastProbeTime
		c.ObservedGeneration = old.ObservedGeneration
		*old = c
		return
	}
	st.Conditions = append(st.Conditions, c)
}

// kill finishes a graceful deletion the way the kubelet does once the
// containers are stopped: a Killing event per running container, then a
// delete with grace period 0.
func (d *driver) kill(ctx context.Context, key string, pod *corev1.Pod) error {
	if pod.Spec.NodeName == "" {
		return nil // the API server deletes unbound pods at once
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.State.Running != nil {
			if err := d.events.kubelet(ctx, pod, cs.Name, kubeletEvent{corev1.EventTypeNormal, "Killing", "Stopping container " + cs.Name}); err != nil {
				return ignoreGone(err)
			}
		}
	}
	err := d.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		Preconditions:      &metav1.Preconditions{UID: &pod.UID},
	})
	if err := ignoreGone(err); err != nil {
		return fmt.Errorf("delete pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	d.forget(key)
	return nil
}

// ignoreGone treats "not found" and "namespace terminating" as done: the
// pod is going away and the informer will say so.
func ignoreGone(err error) error {
	if err == nil || apierrors.IsNotFound(err) || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		return nil
	}
	return err
}
