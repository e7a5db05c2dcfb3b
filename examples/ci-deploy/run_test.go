package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/status"
)

func deploymentObj(name string) status.Object {
	return status.Object{GroupKind: deploymentKind, Namespace: "shop", Name: name}
}

func TestExitCode(t *testing.T) {
	failed := &rollout.FailedError{Object: deploymentObj("a"), Reason: status.PodCrashLooping, Message: "crash"}
	deadline := &rollout.ProgressDeadlineError{FailedError: &rollout.FailedError{Object: deploymentObj("b"), Reason: status.ProgressDeadlineExceeded}}
	superseded := &rollout.SupersededError{FailedError: &rollout.FailedError{Object: deploymentObj("c"), Reason: status.Superseded}}
	paused := &rollout.PausedError{FailedError: &rollout.FailedError{Object: deploymentObj("d"), Reason: status.Paused}}
	deleted := &rollout.DeletedError{Object: deploymentObj("e"), Message: "deleted"}
	stalled := &rollout.StalledError{Pending: rollout.Pending{Object: deploymentObj("f")}, After: time.Minute}
	timeout := &rollout.TimeoutError{Timeout: time.Minute}
	canceled := &rollout.CanceledError{}
	applyErr := &manifest.ApplyError{GroupKind: schema.GroupKind{Kind: "Service"}, Name: "x", Err: errors.New("forbidden")}

	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitOK},
		{"pod failure", failed, exitPodFailure},
		{"progress deadline", deadline, exitProgressDeadline},
		{"superseded", superseded, exitSuperseded},
		{"paused", paused, exitPaused},
		{"deleted", deleted, exitDeleted},
		{"stalled", stalled, exitTimeout},
		{"timeout", timeout, exitTimeout},
		{"cancelled", canceled, exitCanceled},
		{"apply", applyErr, exitApply},
		{"context cancelled", fmt.Errorf("wait: %w", context.Canceled), exitCanceled},
		{"context deadline", context.DeadlineExceeded, exitTimeout},
		{"io", errors.New("connection refused"), exitError},
		{"forbidden", &rollout.ForbiddenError{Err: errors.New("pods is forbidden")}, exitForbidden},
		{"forbidden before a pod failure", errors.Join(failed, &rollout.ForbiddenError{Err: errors.New("no")}), exitForbidden},
		{"unknown kind", &rollout.WatchError{Err: errors.New("no matches for kind")}, exitError},
		{"wrapped", fmt.Errorf("deploy: %w", deadline), exitProgressDeadline},
		{"joined: pod failure first in precedence", errors.Join(deadline, failed), exitPodFailure},
		{"joined: deadline before timeout", errors.Join(timeout, deadline), exitProgressDeadline},
		{"joined: superseded before paused", errors.Join(paused, superseded), exitSuperseded},
		{"joined nested", errors.Join(deleted, errors.Join(stalled, paused)), exitPaused},
		{"bare status failure", &status.Failure{Object: deploymentObj("g"), Pods: []status.PodFailure{{Pod: "p"}}}, exitError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, exitCode(tc.err), tc.want)
		})
	}
}

func TestUndoCandidates(t *testing.T) {
	svc := status.Object{GroupKind: schema.GroupKind{Kind: "Service"}, Namespace: "shop", Name: "s"}
	err := errors.Join(
		&rollout.FailedError{Object: deploymentObj("web")},
		&rollout.ProgressDeadlineError{FailedError: &rollout.FailedError{Object: deploymentObj("api")}},
		&rollout.SupersededError{FailedError: &rollout.FailedError{Object: deploymentObj("theirs")}},
		&rollout.PausedError{FailedError: &rollout.FailedError{Object: deploymentObj("paused")}},
		&rollout.TimeoutError{Pending: []rollout.Pending{{Object: deploymentObj("slow")}, {Object: svc}, {Object: deploymentObj("web")}}},
	)
	got := undoCandidates(err)
	want := []status.Object{deploymentObj("api"), deploymentObj("slow"), deploymentObj("web")}
	assert.DeepEqual(t, got, want)
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no -f", nil, "-f is required"},
		{"bad format", []string{"-f", "x", "-format", "xml"}, `-format "xml": expected text, github or json`},
		{"zero timeout", []string{"-f", "x", "-timeout", "0s"}, "-timeout 0s: expected a positive duration"},
		{"negative log lines", []string{"-f", "x", "-log-lines", "-1"}, "-log-lines -1: expected zero or more"},
		{"embedded and kubeconfig", []string{"-f", "x", "-embedded", "-kubeconfig", "k"}, "-embedded and -kubeconfig exclude each other"},
		{"positional", []string{"-f", "x", "deploy/"}, `unexpected arguments ["deploy/"]`},
		{"unknown flag", []string{"-wait"}, "flag provided but not defined: -wait"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			assert.Equal(t, code, exitError)
			assert.Assert(t, strings.Contains(stderr.String(), tc.want), stderr.String())
			assert.Equal(t, stdout.String(), "")
		})
	}
}

func TestFlagDefaults(t *testing.T) {
	o, err := parseFlags([]string{"-f", "deploy", "-embedded"}, &bytes.Buffer{})
	assert.NilError(t, err)
	assert.Equal(t, o.timeout, 5*time.Minute)
	assert.Equal(t, o.format, formatText)
	assert.Equal(t, o.logLines, rollout.DefaultLogLines)
	assert.Assert(t, len(o.skipWait) == 0, "every kind is waited for by default: %v", o.skipWait)

	o, err = parseFlags([]string{"-f", "deploy", "-embedded", "-skip-wait", "Job, CronJob"}, &bytes.Buffer{})
	assert.NilError(t, err)
	assert.DeepEqual(t, o.skipWait, []string{"Job", "CronJob"})
}

// A manifest error is found before any cluster is contacted (the kubeconfig
// here does not exist) and names the file, the document and the line, in
// every format.
func TestManifestErrors(t *testing.T) {
	dir := filepath.Join("testdata", "invalid")
	bad := filepath.Join(dir, "b-deployment.yaml")
	for _, tc := range []struct {
		format string
		want   []string
	}{
		{formatText, []string{
			"error: " + bad + ": document 2, line 11: ",
			"spec.replicass",
			"ci-deploy: failed (exit 1, error): cannot read the manifests in " + dir,
		}},
		{formatGitHub, []string{
			"::error file=" + bad + ",line=11,title=invalid manifest::" + bad + ": document 2, line 11: ",
		}},
		{formatJSON, []string{
			`"event":"failure","reason":"InvalidManifest","message":"` + bad + `: document 2, line 11: `,
			`"file":"` + bad + `","line":11}`,
			`"event":"summary","exit_code":1,"result":"error"`,
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"-f", dir, "-kubeconfig", "/nonexistent/kubeconfig", "-format", tc.format}, &stdout, &stderr)
			assert.Equal(t, code, exitError)
			for _, w := range tc.want {
				assert.Assert(t, strings.Contains(stdout.String(), w), "missing %q in\n%s", w, stdout.String())
			}
			assert.Assert(t, !strings.Contains(stdout.String(), "a-service.yaml"), "the valid file is not blamed")
		})
	}
}

func TestLoadManifests(t *testing.T) {
	objs, err := loadManifests(context.Background(), filepath.Join("testdata", "valid"))
	assert.NilError(t, err)
	var got []string
	for _, o := range objs {
		gvk := o.GetObjectKind().GroupVersionKind()
		got = append(got, gvk.Kind)
	}
	// Files in name order: a-config.json, b-deployment.yml, c-service.yaml;
	// notes.txt is not a manifest.
	assert.DeepEqual(t, got, []string{"ConfigMap", "Deployment", "Service"})

	_, err = loadManifests(context.Background(), t.TempDir())
	assert.ErrorContains(t, err, "no manifests found: expected *.yaml, *.yml or *.json files or a kustomization.yaml")
	_, err = loadManifests(context.Background(), filepath.Join("testdata", "missing"))
	assert.ErrorContains(t, err, "read manifests: stat testdata/missing: no such file or directory")
}

func TestEscape(t *testing.T) {
	assert.Equal(t, escapeData("100% done\nnext\r"), "100%25 done%0Anext%0D")
	assert.Equal(t, escapeProperty(`deployment "a": x,y`), `deployment "a"%3A x%2Cy`)
}

func TestSummaryDeterministic(t *testing.T) {
	at := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	render := func() string {
		var b bytes.Buffer
		rep := newReporter(&b, formatJSON, func() time.Time { return at })
		rep.failure(&rollout.FailedError{Object: deploymentObj("web"), Reason: status.PodCrashLooping, Message: "m",
			Pods: []status.PodFailure{{Pod: "web-1", Container: "app", Reason: status.PodCrashLooping, Waiting: "CrashLoopBackOff", RestartCount: 3,
				Events: []status.EventSummary{{Type: "Warning", Reason: "BackOff", Message: "back-off", Count: 2}}, Logs: []string{"boom"}}}})
		rep.summary(exitPodFailure, "m", []string{"deployment \"web\" to revision 1"})
		return b.String()
	}
	first := render()
	assert.Equal(t, render(), first)
	want := `{"time":"2026-08-01T12:00:00Z","elapsed_ms":0,"event":"failure","kind":"Deployment","namespace":"shop","name":"web","state":"Failed","reason":"PodCrashLooping","message":` +
		`"deployment \"web\" cannot become ready: pod web-1 container \"app\" is crash-looping (CrashLoopBackOff, 3 restarts)","pods":[{"pod":"web-1","container":"app","reason":"PodCrashLooping","waiting":"CrashLoopBackOff","restart_count":3,"events":["Warning BackOff (x2): back-off"],"logs":["boom"]}]}
{"time":"2026-08-01T12:00:00Z","elapsed_ms":0,"event":"summary","exit_code":4,"result":"pod-failure","message":"m","rolled_back":["deployment \"web\" to revision 1"]}
`
	assert.Equal(t, cmp.Diff(want, first), "")
}
