package testcluster_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
)

// timeline records how a pod's status changes, in seconds from t0 (just
// before the test created it): the figures README.md reports.
type timeline struct {
	t0 time.Time

	mu      sync.Mutex
	entries []string
	last    string
}

// recordTimeline watches pod ns/name from now until the test ends, and
// logs what it saw then.
func recordTimeline(t *testing.T, client kubernetes.Interface, ns, name string) *timeline {
	t.Helper()
	tl := &timeline{t0: time.Now()}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := client.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
	if err != nil {
		cancel()
		t.Fatalf("watch pod %s/%s: %v", ns, name, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			if pod, ok := ev.Object.(*corev1.Pod); ok {
				tl.add(summarize(pod))
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		w.Stop()
		<-done
		t.Logf("timeline of pod %s (seconds from creation):\n%s", name, tl)
	})
	return tl
}

func (tl *timeline) add(s string) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if s == tl.last {
		return
	}
	tl.last = s
	tl.entries = append(tl.entries, fmt.Sprintf("%6.1f  %s", time.Since(tl.t0).Seconds(), s))
}

func (tl *timeline) String() string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return strings.Join(tl.entries, "\n")
}

// summarize is one line about a pod: phase, readiness and each container.
func summarize(p *corev1.Pod) string {
	parts := []string{string(p.Status.Phase)}
	if p.Spec.NodeName == "" {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				parts = append(parts, c.Reason)
			}
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			parts = append(parts, "Ready")
		}
	}
	for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		parts = append(parts, fmt.Sprintf("%s=%s", cs.Name, containerState(cs)))
	}
	return strings.Join(parts, " ")
}

func containerState(cs corev1.ContainerStatus) string {
	s := ""
	switch {
	case cs.State.Running != nil:
		s = "Running"
		if cs.Ready {
			s += "/ready"
		}
	case cs.State.Terminated != nil:
		s = fmt.Sprintf("Terminated(%s,%d)", cs.State.Terminated.Reason, cs.State.Terminated.ExitCode)
	case cs.State.Waiting != nil:
		s = "Waiting(" + cs.State.Waiting.Reason + ")"
	}
	if cs.RestartCount > 0 {
		s += fmt.Sprintf(",restarts=%d", cs.RestartCount)
	}
	return s
}
