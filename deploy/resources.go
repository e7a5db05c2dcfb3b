package deploy

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Resource sizing of a Python server from its processes, used when WithCPU
// and WithMemory are not called (see the package doc):
//
//	memory request = 64Mi + workers × (128Mi + (threads − 1) × 16Mi)
//	memory limit   = 2 × memory request
//	CPU request    = workers × 100m
//
// 128Mi is a typical resident size of one Django or FastAPI worker process
// after imports, 16Mi the stack and per-request buffers of an extra thread,
// 64Mi the arbiter (gunicorn master, Celery main process). The limit leaves
// room for request spikes; a leak is still contained.
const (
	sizingBaseMiB   = 64
	sizingWorkerMiB = 128
	sizingThreadMiB = 16
	sizingWorkerCPU = 100 // millicores
)

// sizing returns the derived requests and limit for the server, or ok false
// when the server's process count is unknown (Command, Args).
func (s Server) sizing() (cpu, memRequest, memLimit string, ok bool) {
	w, t, ok := s.processes()
	if !ok || w < 1 || t < 1 {
		return "", "", "", false
	}
	mib := s.memoryEstimateMiB()
	return fmt.Sprintf("%dm", int64(w)*sizingWorkerCPU), fmt.Sprintf("%dMi", mib), fmt.Sprintf("%dMi", 2*mib), true
}

func (s Server) memoryEstimateMiB() int64 {
	w, t, _ := s.processes()
	return sizingBaseMiB + int64(w)*(sizingWorkerMiB+int64(t-1)*sizingThreadMiB)
}

// validateSizing warns when an explicit memory limit is below the estimate
// for the server's processes (a 4-worker, 4-thread Django app does not fit
// in 512Mi) or an explicit CPU limit below 100m per worker.
func (b *builder) validateSizing() {
	a := b.app
	w, t, ok := a.server.processes()
	if !ok || w < 1 || t < 1 {
		return
	}
	cfld := b.podPath().Child("containers").Index(0).Child("resources", "limits")
	est := a.server.memoryEstimateMiB()
	if a.memLimSet && a.memLimit != "" {
		if q, err := resource.ParseQuantity(a.memLimit); err == nil && q.Cmp(resource.MustParse(fmt.Sprintf("%dMi", est))) < 0 {
			b.add(CheckResourceSizing, b.workloadKind(), field.Invalid(cfld.Key("memory"), a.memLimit,
				fmt.Sprintf("looks too small for %d worker(s) × %d thread(s): about %dMi (64Mi + %d × (128Mi + %d × 16Mi)) is typical before any request is served; raise WithMemory or waive %s",
					w, t, est, w, t-1, CheckResourceSizing)))
		}
	}
	if a.cpuLimit != "" {
		want := resource.MustParse(fmt.Sprintf("%dm", int64(w)*sizingWorkerCPU))
		if q, err := resource.ParseQuantity(a.cpuLimit); err == nil && q.Cmp(want) < 0 {
			b.add(CheckResourceSizing, b.workloadKind(), field.Invalid(cfld.Key("cpu"), a.cpuLimit,
				fmt.Sprintf("looks too small for %d worker process(es): below %s the CFS quota throttles them under load", w, want.String())))
		}
	}
}
