package rollout

import (
	"context"
	"fmt"
	"time"

	"github.com/pydeploy/pydeploy/rollout/status"
)

// logTimeout bounds the log fetch of one container, so that an unreachable
// kubelet delays a failure report only a little.
const logTimeout = 10 * time.Second

// logs returns a copy of the evidence with the last log lines of the
// failing containers of the first logPods pods. A crashed container's log
// is read from its previous instance, the one that failed. Containers that
// never ran are not asked. When a log cannot be read, the reason takes the
// place of the lines.
func (e *engine) logs(ctx context.Context, pods []status.PodFailure) []status.PodFailure {
	out := append([]status.PodFailure(nil), pods...)
	asked := map[string]bool{}
	for i := range out {
		p := &out[i]
		if p.Container == "" || (len(asked) >= logPods && !asked[p.Pod]) {
			continue
		}
		if neverRan(*p) {
			// The container never started: it has no log (the API server
			// would only answer "waiting to start"), and the kubelet's
			// reason and message are already the evidence.
			continue
		}
		asked[p.Pod] = true
		req := LogRequest{Namespace: p.Namespace, Pod: p.Pod, Container: p.Container, Lines: e.opts.LogLines,
			Previous: p.RestartCount > 0 && p.LastTermination != nil}
		lines, err := e.fetchLogs(ctx, req)
		if err != nil && req.Previous {
			req.Previous = false
			lines, err = e.fetchLogs(ctx, req)
		}
		if err != nil {
			lines = []string{fmt.Sprintf("(logs unavailable: %v)", err)}
		}
		p.Logs = lines
	}
	return out
}

// neverRan reports whether the failing container has not started once.
func neverRan(p status.PodFailure) bool {
	if p.RestartCount > 0 || p.LastTermination != nil {
		return false
	}
	switch p.Reason {
	case status.ImagePullFailed, status.InvalidImageName, status.CreateContainerConfigError:
		return true
	}
	return false
}

func (e *engine) fetchLogs(ctx context.Context, req LogRequest) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, logTimeout)
	defer cancel()
	return e.sess.Logs(ctx, req)
}
