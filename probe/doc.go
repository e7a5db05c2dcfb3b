// Package probe builds Kubernetes container probes for Python web services
// and checks them against a live server exactly as kubelet would.
//
// # Building
//
// HTTPGet, TCP, GRPC and Exec start a Builder, and From starts one from an
// existing *corev1.Probe (one of the Set that Python returns, say); With*
// calls set the headers, scheme, gRPC service and timing, and Probe returns
// a *corev1.Probe with every timing field written out (the API defaults
// 0/10s/1s/1/3 unless set), so a rendered manifest says what kubelet will
// do. A Builder is a value, as every builder of package deploy is: a With*
// call returns a modified copy and leaves its receiver alone, so one base
// probe can be refined into several. A With* call that does not apply to
// the handler (a header on a TCP probe) or whose value the API server would
// refuse or silently replace (a period of 0, a negative delay) is recorded
// and reported by Err, Errs and Build as an *OptionError, never dropped. Startup turns a builder
// into a startup probe sized for a boot time. Python returns the readiness,
// liveness and startup trio for a gunicorn or uvicorn server, and Django the
// same with the Host header Django's ALLOWED_HOSTS needs.
//
// Validate checks a probe of a given Kind with the API server's rules and
// wording (Default first applies the API server's defaults), so the deploy
// package can report every problem before anything is sent; Equivalent is
// kube-score's pod-probes-identical test, so a liveness probe that merely
// repeats the readiness probe is caught at build time.
//
// # Checking
//
// Check runs one probe against a Target (an address and the container's
// named ports) and returns the Result kubelet's prober would: HTTP status
// 200–399 is a success, a redirect to another host is not followed and
// counts as a success with a warning, the User-Agent is kube-probe/1.37 and
// Accept is */* unless the probe's headers say otherwise, timeoutSeconds
// bounds each attempt, TCP succeeds when a connection is accepted, gRPC
// when grpc.health.v1 answers SERVING, and exec when the command exits 0.
// Result messages read like the kubelet's "Unhealthy" events.
//
// Until repeats Check with the probe's initialDelaySeconds, periodSeconds
// and success/failure thresholds, and returns when either threshold is
// reached. Its clock is injectable so tests need not sleep.
//
// # Place in the workflow
//
// deploy.Build uses the builders for a service's readiness, liveness and
// startup probes. In CI, after the image is built and started (in a
// container or a test cluster), a smoke check calls Until with the very
// probes that will ship: a Django service that answers 400 DisallowedHost to
// the probe's Host header, a liveness path that 404s, or a gRPC server that
// never reports SERVING fails in CI with the message kubelet would have put
// in a pod event, instead of in production.
package probe
