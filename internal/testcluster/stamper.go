package testcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// stamper numbers the pods whose scenario selects pods (pod=K): it writes
// OrdinalAnnotation, the pod's rank among the pods of its controller in
// order of creation (the order of the watch's ADDED events). It is test
// scripting, not a Kubernetes component: kubelet never reads it, the
// node's container runtime does.
type stamper struct {
	client kubernetes.Interface

	mu   sync.Mutex
	next map[types.UID]int // controller → next ordinal
}

func startStamper(client kubernetes.Interface, pods coreinformers.PodInformer) error {
	s := &stamper{client: client, next: map[types.UID]int{}}
	_, err := pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: s.add})
	if err != nil {
		return fmt.Errorf("watch pods for the ordinal stamper: %w", err)
	}
	return nil
}

// add runs for each new pod, in the order the API server created them.
func (s *stamper) add(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || !needsOrdinal(pod) {
		return
	}
	owner := types.UID("")
	if ref := metav1.GetControllerOf(pod); ref != nil {
		owner = ref.UID
	}
	s.mu.Lock()
	if v, ok := pod.Annotations[OrdinalAnnotation]; ok {
		// Seen again after a relist: keep the count past it.
		if n, err := strconv.Atoi(v); err == nil && n >= s.next[owner] {
			s.next[owner] = n + 1
		}
		s.mu.Unlock()
		return
	}
	n := s.next[owner]
	s.next[owner]++
	s.mu.Unlock()
	s.stamp(pod, n)
}

func (s *stamper) stamp(pod *corev1.Pod, n int) {
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{OrdinalAnnotation: strconv.Itoa(n)},
		"uid":         pod.UID, // fails rather than stamp a new pod of the same name
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for attempt := 0; ; attempt++ {
		_, err := s.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		if err == nil || apierrors.IsNotFound(err) || apierrors.IsConflict(err) || attempt == 5 {
			if err != nil && !apierrors.IsNotFound(err) {
				klog.ErrorS(err, "testcluster: stamp the pod's ordinal", "pod", klog.KObj(pod))
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// needsOrdinal reports whether some container's scenario selects pods.
func needsOrdinal(pod *corev1.Pod) bool {
	found := false
	for k := range pod.Annotations {
		if strings.HasPrefix(k, ScenarioAnnotation) {
			found = true
		}
	}
	if !found {
		return false
	}
	scs, err := PodScenarios(pod)
	if err != nil {
		return false
	}
	for _, sc := range scs {
		if sc.selectsPods() {
			return true
		}
	}
	return false
}
