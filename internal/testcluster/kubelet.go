package testcluster

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// kubeletServer is the fake node's kubelet API on 127.0.0.1: the API server
// proxies pods/log to its /containerLogs/{namespace}/{pod}/{container}, so
// clients read logs through the real API server.
type kubeletServer struct {
	cert *selfSigned
	ln   net.Listener
	srv  *http.Server
	pods corelisters.PodLister
	done chan struct{}
}

func startKubelet(cert *selfSigned, pods corelisters.PodLister) (*kubeletServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the fake kubelet: %w", err)
	}
	k := &kubeletServer{cert: cert, ln: ln, pods: pods, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", k.containerLogs)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	k.srv = &http.Server{Handler: mux, TLSConfig: cert.serverConfig(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog()}
	go func() {
		defer close(k.done)
		_ = k.srv.ServeTLS(ln, "", "")
	}()
	return k, nil
}

func (k *kubeletServer) port() int { return k.ln.Addr().(*net.TCPAddr).Port }

func (k *kubeletServer) stop() {
	_ = k.srv.Close()
	<-k.done
}

// containerLogs answers like the kubelet: the scripted lines of the current
// container instance, or of the last terminated one when the current one is
// waiting after a crash, or for previous=true; an error naming the reason
// when there is no container to read from.
func (k *kubeletServer) containerLogs(w http.ResponseWriter, r *http.Request) {
	ns, name, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	pod, err := k.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		http.Error(w, fmt.Sprintf("pod %q does not exist", name), http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	q := r.URL.Query()
	previous := q.Get("previous") == "true"
	running, err := logSource(pod, container, previous)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	lines := logLines(pod, container)
	if n, err := strconv.Atoi(q.Get("tailLines")); err == nil && n >= 0 && n < len(lines) {
		lines = lines[len(lines)-n:]
	}
	var b strings.Builder
	stamp := q.Get("timestamps") == "true"
	start := time.Now().UTC()
	if pod.Status.StartTime != nil {
		start = pod.Status.StartTime.UTC()
	}
	for i, l := range lines {
		if stamp {
			b.WriteString(start.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano))
			b.WriteByte(' ')
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	out := b.String()
	if n, err := strconv.Atoi(q.Get("limitBytes")); err == nil && n >= 0 && n < len(out) {
		out = out[:n]
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(out))
	if q.Get("follow") == "true" && running && !previous {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		<-r.Context().Done() // a running container may log more: keep the stream open
	}
}

// logSource applies the kubelet's rules for which container instance logs
// come from; it reports whether that instance is running.
func logSource(pod *corev1.Pod, container string, previous bool) (running bool, err error) {
	var cs *corev1.ContainerStatus
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == container {
			cs = &pod.Status.ContainerStatuses[i]
		}
	}
	if cs == nil {
		return false, fmt.Errorf("container %q in pod %q is waiting to start - no logs yet", container, pod.Name)
	}
	last := cs.LastTerminationState.Terminated
	switch {
	case previous:
		if last == nil || last.ContainerID == "" {
			return false, fmt.Errorf("previous terminated container %q in pod %q not found", container, pod.Name)
		}
		return false, nil
	case cs.State.Running != nil:
		return true, nil
	case cs.State.Terminated != nil, last != nil:
		return false, nil
	case cs.State.Waiting != nil:
		switch reason := cs.State.Waiting.Reason; reason {
		case "ErrImagePull":
			return false, fmt.Errorf("container %q in pod %q is waiting to start: image can't be pulled", container, pod.Name)
		case "ImagePullBackOff":
			return false, fmt.Errorf("container %q in pod %q is waiting to start: trying and failing to pull image", container, pod.Name)
		default:
			return false, fmt.Errorf("container %q in pod %q is waiting to start: %v", container, pod.Name, reason)
		}
	}
	return false, fmt.Errorf("container %q in pod %q is waiting to start - no logs yet", container, pod.Name)
}

// logLines is the script a container prints: the pod's LogAnnotation if
// set, else the lines of its scenario.
func logLines(pod *corev1.Pod, container string) []string {
	if v, ok := pod.Annotations[LogAnnotation]; ok {
		return strings.Split(strings.TrimSuffix(v, "\n"), "\n")
	}
	scs, err := PodScenarios(pod)
	if err != nil {
		return nil
	}
	return scenarioLogs(scs[container])
}

// scenarioLogs is what a Python web service in that scenario prints.
func scenarioLogs(sc Scenario) []string {
	boot := []string{
		"[INFO] Starting gunicorn 23.0.0",
		"[INFO] Listening at: http://0.0.0.0:8000 (1)",
		"[INFO] Using worker: sync",
		"[INFO] Booting worker with pid: 7",
	}
	switch sc {
	case CrashLoop:
		return []string{
			"[INFO] Starting gunicorn 23.0.0",
			"Traceback (most recent call last):",
			`  File "/app/app/main.py", line 4, in <module>`,
			"    from app.settings import DATABASE_URL",
			`  File "/app/app/settings.py", line 7, in <module>`,
			`    DATABASE_URL = os.environ["DATABASE_URL"]`,
			"                   ~~~~~~~~~~^^^^^^^^^^^^^^^^",
			`  File "<frozen os>", line 714, in __getitem__`,
			"KeyError: 'DATABASE_URL'",
		}
	case OOMKilled:
		return append(boot, "[INFO] loading model weights into memory", "[INFO] allocating 4096 MiB buffer")
	case ReadinessFail:
		return append(boot, `"GET /healthz HTTP/1.1" 503 0`, `"GET /healthz HTTP/1.1" 503 0`)
	default:
		return boot
	}
}
