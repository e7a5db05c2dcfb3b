package testcluster

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// The components whose events the harness writes.
const (
	kubeletComponent   = "kubelet"
	schedulerComponent = "default-scheduler"
)

// eventWriter writes events the way the kubelet's event recorder does: a
// repeat of the same (object, field, type, reason, message) bumps count and
// lastTimestamp of the existing event instead of creating a new one.
type eventWriter struct {
	client kubernetes.Interface
	node   string

	mu   sync.Mutex
	seen map[eventKey]*seenEvent
}

type eventKey struct {
	uid                         types.UID
	fieldPath, typ, reason, msg string
}

type seenEvent struct {
	name  string
	count int32
}

func newEventWriter(client kubernetes.Interface, node string) *eventWriter {
	return &eventWriter{client: client, node: node, seen: map[eventKey]*seenEvent{}}
}

// kubelet writes a kubelet event about pod, or about one of its containers
// when container is not empty.
func (w *eventWriter) kubelet(ctx context.Context, pod *corev1.Pod, container string, ev kubeletEvent) error {
	ref := corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID}
	if container != "" {
		ref.FieldPath = fmt.Sprintf("spec.containers{%s}", container)
	}
	key := eventKey{pod.UID, ref.FieldPath, ev.typ, ev.reason, ev.message}
	now := metav1.NewTime(time.Now())

	w.mu.Lock()
	prev := w.seen[key]
	w.mu.Unlock()
	if prev != nil {
		patch := fmt.Appendf(nil, `{"count":%d,"lastTimestamp":%q}`, prev.count+1, now.UTC().Format(time.RFC3339))
		_, err := w.client.CoreV1().Events(pod.Namespace).Patch(ctx, prev.name, types.MergePatchType, patch, metav1.PatchOptions{})
		if err == nil {
			w.mu.Lock()
			prev.count++
			w.mu.Unlock()
			return nil
		}
		// The event may have been deleted with its namespace, or expired:
		// write a fresh one as the recorder would.
	}
	e := &corev1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", pod.Name, time.Now().UnixNano()), Namespace: pod.Namespace},
		InvolvedObject:      ref,
		Reason:              ev.reason,
		Message:             ev.message,
		Source:              corev1.EventSource{Component: kubeletComponent, Host: w.node},
		FirstTimestamp:      now,
		LastTimestamp:       now,
		Count:               1,
		Type:                ev.typ,
		ReportingController: kubeletComponent,
		ReportingInstance:   w.node,
	}
	created, err := w.client.CoreV1().Events(pod.Namespace).Create(ctx, e, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("write %s event %s on pod %s/%s: %w", ev.typ, ev.reason, pod.Namespace, pod.Name, err)
	}
	w.mu.Lock()
	w.seen[key] = &seenEvent{name: created.Name, count: 1}
	w.mu.Unlock()
	return nil
}

// scheduler writes an event through the events.k8s.io API, as
// kube-scheduler does.
func (w *eventWriter) scheduler(ctx context.Context, pod *corev1.Pod, typ, reason, action, note string) error {
	e := &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", pod.Name, time.Now().UnixNano()), Namespace: pod.Namespace},
		EventTime:           metav1.NewMicroTime(time.Now()),
		ReportingController: schedulerComponent,
		ReportingInstance:   schedulerComponent + "-" + w.node,
		Action:              action,
		Reason:              reason,
		Regarding:           corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		Note:                note,
		Type:                typ,
	}
	if _, err := w.client.EventsV1().Events(pod.Namespace).Create(ctx, e, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("write %s event %s on pod %s/%s: %w", typ, reason, pod.Namespace, pod.Name, err)
	}
	return nil
}

// forget drops the aggregation state of a pod that is gone.
func (w *eventWriter) forget(uid types.UID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k := range w.seen {
		if k.uid == uid {
			delete(w.seen, k)
		}
	}
}
