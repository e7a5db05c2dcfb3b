package rollout_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/rollouttest"
	"github.com/pydeploy/pydeploy/rollout/status"
)

func parse(t *testing.T, docs ...string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := rollouttest.Parse(strings.Join(docs, "\n---\n"))
	assert.NilError(t, err)
	return objs
}

// run waits on the script and returns the event lines and Wait's result.
func run(t *testing.T, s *rollouttest.Script, opts rollout.Options, objs ...string) ([]string, *rollout.Report, error) {
	t.Helper()
	var lines []string
	opts.Progress = func(e rollout.Event) { lines = append(lines, e.Type.String()+": "+e.String()) }
	rep, err := s.Waiter(opts).Wait(context.Background(), parse(t, objs...))
	return lines, rep, err
}

var (
	rolling = dep{gen: 2, observed: 2, rev: "2", spec: 3, replicas: 4, updated: 1, available: 3}
	rolled  = dep{gen: 2, observed: 2, rev: "2", spec: 3, replicas: 3, updated: 3, available: 3}
)

func TestWaitHappyPath(t *testing.T) {
	s := rollouttest.New().
		At(0, dep{gen: 2, observed: 1, rev: "1", spec: 3, replicas: 3, updated: 3, available: 3}.yaml()).
		At(time.Second, rolling.yaml()).
		At(3*time.Second, dep{gen: 2, observed: 2, rev: "2", spec: 3, replicas: 3, updated: 3, available: 2}.yaml()).
		At(75*time.Second, rolled.yaml())
	lines, rep, err := run(t, s, rollout.Options{Timeout: 5 * time.Minute}, applied("web", 2))
	assert.NilError(t, err)
	assert.DeepEqual(t, lines, []string{
		`Progress: Waiting for generation 2 of deployment "web" to be observed (observed generation 1) (0s)`,
		`Progress: deployment "web": 1 out of 3 new replicas have been updated (1s)`,
		`Progress: deployment "web": 2 of 3 updated replicas are available (3s)`,
		`Heartbeat: still waiting for 1 of 1 object; deployment "web": 2 of 3 updated replicas are available (33s)`,
		`Heartbeat: still waiting for 1 of 1 object; deployment "web": 2 of 3 updated replicas are available (1m3s)`,
		`Ready: deployment "web" successfully rolled out (1m15s)`,
		`Finished: all 1 object is ready (1m15s)`,
	})
	assert.Equal(t, rep.Elapsed, 75*time.Second)
	assert.DeepEqual(t, rep.Summary(), []string{`deployment "web": Current (Ready) after 1m15s`})
}

// The same script gives the same events, byte for byte.
func TestWaitDeterministic(t *testing.T) {
	s := rollouttest.New().
		At(0, rolling.yaml(), rs("aaa", "1", "web:1", 0), rs("bbb", "2", "web:2", 1)).
		At(2*time.Second, pod("web-bbb-1", "bbb", crashLooping(1))).
		At(4*time.Second, pod("web-bbb-1", "bbb", crashLooping(3)))
	first, _, err1 := run(t, s, rollout.Options{}, applied("web", 2))
	second, _, err2 := run(t, s, rollout.Options{}, applied("web", 2))
	assert.DeepEqual(t, first, second)
	assert.Equal(t, err1.Error(), err2.Error())
}

func TestWaitFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		script  *rollouttest.Script
		opts    rollout.Options
		reason  status.Reason
		elapsed time.Duration
		target  any
	}{
		{
			name: "crash loop on the new ReplicaSet",
			script: rollouttest.New().
				At(0, rolling.yaml(), rs("aaa", "1", "web:1", 0), rs("bbb", "2", "web:2", 1)).
				At(2*time.Second, pod("web-bbb-1", "bbb", crashLooping(1))).
				At(9*time.Second, pod("web-bbb-1", "bbb", crashLooping(3))),
			reason: status.PodCrashLooping, elapsed: 9 * time.Second, target: new(*rollout.FailedError),
		},
		{
			name: "restarts tolerated, then not",
			script: rollouttest.New().
				At(0, rolling.yaml(), rs("aaa", "1", "web:1", 0), rs("bbb", "2", "web:2", 1)).
				At(2*time.Second, pod("web-bbb-1", "bbb", crashLooping(3))).
				At(5*time.Second, pod("web-bbb-1", "bbb", crashLooping(6))),
			opts:   rollout.Options{Tolerance: status.Tolerance{Restarts: 5}},
			reason: status.PodCrashLooping, elapsed: 5 * time.Second, target: new(*rollout.FailedError),
		},
		{
			name: "unschedulable past the grace period",
			script: rollouttest.New().
				At(0, rolling.yaml(), rs("aaa", "1", "web:1", 0), rs("bbb", "2", "web:2", 1),
					pod("web-bbb-1", "bbb", unschedulable(0))),
			// The condition's time is in whole seconds: the grace counts from
			// the end of that second.
			reason: status.Unschedulable, elapsed: status.DefaultUnschedulableGrace + time.Second, target: new(*rollout.FailedError),
		},
		{
			name: "progress deadline",
			script: rollouttest.New().
				At(0, rolling.yaml()).
				At(10*time.Minute, dep{gen: 2, observed: 2, rev: "2", spec: 3, replicas: 4, updated: 1, available: 3,
					conditions: "  - {type: Progressing, status: \"False\", reason: ProgressDeadlineExceeded}\n"}.yaml()),
			reason: status.ProgressDeadlineExceeded, elapsed: 10 * time.Minute, target: new(*rollout.ProgressDeadlineError),
		},
		{
			name:   "paused",
			script: rollouttest.New().At(0, dep{gen: 2, observed: 2, rev: "1", spec: 3, replicas: 3, updated: 0, available: 3, paused: true}.yaml()),
			reason: status.Paused, target: new(*rollout.PausedError),
		},
		{
			name: "superseded by a newer revision",
			script: rollouttest.New().
				At(0, rolling.yaml(), rs("aaa", "1", "web:1", 0), rs("bbb", "2", "web:2", 1)).
				At(4*time.Second, dep{gen: 3, observed: 3, rev: "3", spec: 3, replicas: 4, updated: 1, available: 3}.yaml(),
					rs("ccc", "3", "web:3", 4)),
			reason: status.Superseded, elapsed: 4 * time.Second, target: new(*rollout.SupersededError),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rep, err := run(t, tc.script, tc.opts, applied("web", 2))
			assert.Assert(t, errors.As(err, tc.target), "got %v", err)
			var fe *rollout.FailedError
			assert.Assert(t, errors.As(err, &fe))
			assert.Equal(t, fe.Reason, tc.reason)
			assert.Equal(t, fe.Elapsed, tc.elapsed)
			assert.Equal(t, rep.Objects[0].State, status.Failed)
			assert.Check(t, is.Contains(err.Error(), `deployment "web"`))
			assert.Check(t, !strings.Contains(err.Error(), "\n"), "multi-line error: %q", err)
		})
	}
}

// An old ReplicaSet's crash loop does not fail the rollout of a new one.
func TestWaitIgnoresOldReplicaSet(t *testing.T) {
	s := rollouttest.New().
		At(0, rolling.yaml(), rs("aaa", "1", "web:1", 0), rs("bbb", "2", "web:2", 1),
			pod("web-aaa-1", "aaa", crashLooping(9)), pod("web-aaa-2", "aaa", crashLooping(9))).
		At(5*time.Second, rolled.yaml())
	_, _, err := run(t, s, rollout.Options{}, applied("web", 2))
	assert.NilError(t, err)
}

func TestWaitEvidence(t *testing.T) {
	s := rollouttest.New().
		At(0, rolling.yaml(), rs("aaa", "1", "web:1", 0), rs("bbb", "2", "web:2", 1),
			pod("web-bbb-1", "bbb", crashLooping(4)), pod("web-bbb-2", "bbb", crashLooping(4)), `
apiVersion: v1
kind: Event
metadata: {name: web-bbb-1.1, namespace: shop}
involvedObject: {kind: Pod, name: web-bbb-1, namespace: shop, fieldPath: "spec.containers{app}"}
type: Warning
reason: BackOff
message: Back-off restarting failed container app
count: 4
lastTimestamp: "2026-01-01T00:00:01Z"
`).
		Logs("shop", "web-bbb-1", "app", "one", "two", "three")
	_, _, err := run(t, s, rollout.Options{LogLines: 2}, applied("web", 2))
	assert.Equal(t, rollout.ClassOf(err), rollout.PodFailure)
	problems := rollout.Problems(err)
	assert.Equal(t, len(problems), 1)
	assert.Equal(t, len(problems[0].Pods), 2)
	pf := problems[0].Pods[0]
	assert.DeepEqual(t, pf.Logs, []string{"two", "three"})
	assert.Equal(t, len(pf.Events), 1)
	assert.Equal(t, pf.Events[0].Reason, "BackOff")
	assert.Equal(t, pf.RestartCount, int32(4))

	var fe *rollout.FailedError
	assert.Assert(t, errors.As(err, &fe))
	assert.Equal(t, len(fe.Pods), 2)
	// The second pod has no scripted log: the reason takes the lines' place.
	assert.Check(t, is.Contains(fe.Pods[1].Logs[0], `logs unavailable: no log scripted for container "app" of pod shop/web-bbb-2`))
	assert.Check(t, is.Contains(fe.Details(), "last 2 log lines:\n    two\n    three\n"))
}

func TestWaitTimeout(t *testing.T) {
	s := rollouttest.New().At(0, rolling.yaml(), dep{name: "api", gen: 1, observed: 1, rev: "1", spec: 1, replicas: 1, updated: 1, available: 1}.yaml())
	_, rep, err := run(t, s, rollout.Options{Timeout: 90 * time.Second, Heartbeat: -1}, applied("web", 2), applied("api", 1))
	var te *rollout.TimeoutError
	assert.Assert(t, errors.As(err, &te), "got %v", err)
	assert.Equal(t, err.Error(), `timed out after 1m30s (timeout 1m30s) waiting for 1 object: deployment "web": `+
		`Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated (LessUpdated)`)
	assert.Equal(t, rep.Objects[1].State, status.Current)
	assert.Equal(t, rep.Objects[1].Elapsed, time.Duration(0))
}

func TestWaitStalled(t *testing.T) {
	s := rollouttest.New().
		At(0, rolling.yaml()).
		At(30*time.Second, dep{gen: 2, observed: 2, rev: "2", spec: 3, replicas: 4, updated: 2, available: 3}.yaml())
	_, _, err := run(t, s, rollout.Options{StallTimeout: time.Minute}, applied("web", 2))
	var se *rollout.StalledError
	assert.Assert(t, errors.As(err, &se), "got %v", err)
	assert.Equal(t, err.Error(), `deployment "web" made no progress for 1m0s: Waiting for deployment "web" rollout to finish: 2 out of 3 new replicas have been updated (LessUpdated)`)
}

func TestWaitDeleted(t *testing.T) {
	s := rollouttest.New().
		At(0, rolling.yaml()).
		Delete(3*time.Second, "apps/v1", "Deployment", "shop", "web")
	_, _, err := run(t, s, rollout.Options{}, applied("web", 2))
	var de *rollout.DeletedError
	assert.Assert(t, errors.As(err, &de), "got %v", err)
	assert.Equal(t, err.Error(), `deployment "web" was deleted while waiting for it`)
}

// A stale first read (the cache has not seen our write) is not success.
func TestWaitStaleRead(t *testing.T) {
	s := rollouttest.New().
		At(0, dep{gen: 1, observed: 1, rev: "1", spec: 3, replicas: 3, updated: 3, available: 3}.yaml()).
		At(2*time.Second, rolling.yaml()).
		At(4*time.Second, rolled.yaml())
	lines, rep, err := run(t, s, rollout.Options{}, applied("web", 2))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(lines[0], "Waiting for a read of deployment \"web\" at generation 2 or later (got generation 1)"))
	assert.Equal(t, rep.Objects[0].Elapsed, 4*time.Second)
}

func TestWaitPausedPolicies(t *testing.T) {
	paused := dep{gen: 2, observed: 2, rev: "1", spec: 3, replicas: 3, updated: 0, available: 3, paused: true}.yaml()
	_, rep, err := run(t, rollouttest.New().At(0, paused), rollout.Options{Paused: status.PausedReady}, applied("web", 2))
	assert.NilError(t, err)
	assert.Equal(t, rep.Objects[0].Reason, status.Paused)

	s := rollouttest.New().At(0, paused).At(time.Minute, rolled.yaml())
	lines, _, err := run(t, s, rollout.Options{Paused: status.PausedWait, Heartbeat: -1}, applied("web", 2))
	assert.NilError(t, err)
	assert.Check(t, is.Contains(lines[0], "is paused, waiting for it to be resumed"))
}

func TestWaitKeepGoing(t *testing.T) {
	s := rollouttest.New().
		At(0, dep{name: "a", gen: 1, observed: 1, rev: "1", spec: 1, replicas: 1, paused: true}.yaml()).
		At(0, dep{name: "b", gen: 1, observed: 1, rev: "1", spec: 1, replicas: 1}.yaml()).
		At(5*time.Second, dep{name: "b", gen: 1, observed: 1, rev: "1", spec: 1, replicas: 1,
			conditions: "  - {type: Progressing, status: \"False\", reason: ProgressDeadlineExceeded}\n"}.yaml())
	_, _, err := run(t, s, rollout.Options{KeepGoing: true}, applied("a", 1), applied("b", 1))
	var pe *rollout.PausedError
	var pd *rollout.ProgressDeadlineError
	assert.Check(t, errors.As(err, &pe), "got %v", err)
	assert.Check(t, errors.As(err, &pd), "got %v", err)

	// Without KeepGoing the first failure ends the wait.
	_, _, err = run(t, s, rollout.Options{}, applied("a", 1), applied("b", 1))
	assert.Check(t, errors.As(err, &pe))
	assert.Check(t, !errors.As(err, &pd))
}

func TestWaitOtherKinds(t *testing.T) {
	job := func(cond string) string {
		return `
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop, uid: uid-job, generation: 1}
spec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: m}]}}}
status:
  active: 1
` + cond
	}
	complete := "  conditions: [{type: Complete, status: \"True\"}]\n"
	failed := "  conditions: [{type: Failed, status: \"True\", reason: BackoffLimitExceeded, message: Job has reached the specified backoff limit}]\n"
	svc := `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}], clusterIP: 10.0.0.1}
`
	slice := `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-x1, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints: [{addresses: [10.1.0.1], conditions: {ready: true}}]
`
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\n"

	s := rollouttest.New().At(0, job(""), svc, cm).At(3*time.Second, job(complete)).At(4*time.Second, slice)
	lines, rep, err := run(t, s, rollout.Options{Heartbeat: -1}, job(""), svc, cm)
	assert.NilError(t, err)
	assert.Equal(t, rep.Elapsed, 4*time.Second)
	assert.DeepEqual(t, lines, []string{
		`Progress: Waiting for job "migrate" to complete: 0 of 1 completions succeeded, 1 active, 0 failed (0s)`,
		`Progress: Waiting for service "web" to have a ready endpoint: 0 of 0 endpoints are ready (0s)`,
		`Ready: configmap "settings" exists (0s)`,
		`Ready: job "migrate" completed (3s)`,
		`Ready: service "web" has 1 of 1 endpoints ready (4s)`,
		`Finished: all 3 objects are ready (4s)`,
	})

	s = rollouttest.New().At(0, job("")).At(3*time.Second, job(failed))
	_, _, err = run(t, s, rollout.Options{}, job(""))
	var fe *rollout.FailedError
	assert.Assert(t, errors.As(err, &fe))
	assert.Equal(t, fe.Reason, status.JobFailed)
}

func TestWaitInvalidInput(t *testing.T) {
	w := rollouttest.New().Waiter(rollout.Options{})
	_, err := w.Wait(context.Background(), nil)
	assert.Error(t, err, "rollout: no objects to wait for")
	_, err = w.Wait(context.Background(), []*unstructured.Unstructured{nil, {Object: map[string]any{"kind": "Deployment", "apiVersion": "apps/v1"}}})
	assert.Error(t, err, "rollout: 2 problems with the objects to wait for: object 0 is nil; object 1 (Deployment) has no metadata.name")
	assert.Equal(t, rollout.ClassOf(err), rollout.InvalidInput)

	_, err = rollouttest.New().At(0, "kind: [").Waiter(rollout.Options{}).Wait(context.Background(), parse(t, applied("web", 1)))
	assert.ErrorContains(t, err, "rollouttest: step at 0s, object 0: document 0:")
}

func TestWaitScriptExhausted(t *testing.T) {
	s := rollouttest.New().At(0, rolling.yaml()).Horizon(time.Minute)
	_, _, err := run(t, s, rollout.Options{}, applied("web", 2))
	assert.ErrorContains(t, err, "rollouttest: the script ended at 0s and nothing happened until 1m0s")
}

func TestWaitCancelled(t *testing.T) {
	s := rollouttest.New().At(0, rolling.yaml())
	ctx, cancel := context.WithCancel(context.Background())
	opts := rollout.Options{Progress: func(rollout.Event) { cancel() }}
	_, err := s.Waiter(opts).Wait(ctx, parse(t, applied("web", 2)))
	var ce *rollout.CanceledError
	assert.Assert(t, errors.As(err, &ce), "got %v", err)
	assert.Check(t, errors.Is(err, context.Canceled))
	assert.Check(t, is.Contains(err.Error(), `1 object unfinished: deployment "web"`))
}

func TestWatch(t *testing.T) {
	s := rollouttest.New().At(0, rolling.yaml()).At(2*time.Second, rolled.yaml())
	var got []string
	for e := range s.Waiter(rollout.Options{}).Watch(context.Background(), parse(t, applied("web", 2))) {
		got = append(got, e.Type.String())
		if e.Type == rollout.Finished {
			assert.NilError(t, e.Err)
			assert.Equal(t, e.Report.Objects[0].State, status.Current)
		}
	}
	assert.DeepEqual(t, got, []string{"Progress", "Ready", "Finished"})

	var last rollout.Event
	for e := range s.Waiter(rollout.Options{}).Watch(context.Background(), nil) {
		last = e
	}
	assert.Equal(t, last.Type, rollout.Finished)
	assert.Error(t, last.Err, "rollout: no objects to wait for")
}
