package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"gotest.tools/v3/assert"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/status"
)

var web = status.Object{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}, Namespace: "shop", Name: "web"}

func failed(reason status.Reason, pods ...status.PodFailure) *rollout.FailedError {
	return &rollout.FailedError{Object: web, Reason: reason, Message: string(reason), Pods: pods}
}

func TestClassOf(t *testing.T) {
	t.Parallel()
	crash := status.PodFailure{Pod: "web-1", Container: "app", Reason: status.PodCrashLooping}
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no"))
	tests := []struct {
		err  error
		want rollout.Class
	}{
		{nil, rollout.Succeeded},
		{&rollout.InputError{Problems: []string{"no objects to wait for"}}, rollout.InvalidInput},
		{&rollout.ForbiddenError{Err: forbidden}, rollout.Forbidden},
		{&rollout.WatchError{Err: errors.New("no matches for kind")}, rollout.APIError},
		{&manifest.ApplyError{Name: "web", Err: errors.New("conflict")}, rollout.ApplyFailed},
		{failed(status.PodCrashLooping, crash), rollout.PodFailure},
		{failed(status.ReplicaFailure), rollout.PodFailure},
		{failed(status.JobFailed), rollout.ObjectFailed},
		{failed(status.NamesNotAccepted), rollout.ObjectFailed},
		{failed("CustomReaderReason"), rollout.ObjectFailed},
		{failed("CustomReaderReason", crash), rollout.PodFailure},
		{&rollout.ProgressDeadlineError{FailedError: failed(status.ProgressDeadlineExceeded, crash)}, rollout.ProgressDeadline},
		{failed(status.ProgressDeadlineExceeded), rollout.ProgressDeadline},
		{&rollout.SupersededError{FailedError: failed(status.Superseded)}, rollout.Superseded},
		{&rollout.PausedError{FailedError: failed(status.Paused)}, rollout.Paused},
		{&rollout.DeletedError{Object: web, Message: "gone"}, rollout.Deleted},
		{&rollout.StalledError{Pending: rollout.Pending{Object: web}}, rollout.Stalled},
		{&rollout.TimeoutError{}, rollout.Timeout},
		{&rollout.CanceledError{}, rollout.Canceled},
		{context.Canceled, rollout.Canceled},
		{context.DeadlineExceeded, rollout.Timeout},
		{forbidden, rollout.Forbidden},
		{apierrors.NewInternalError(errors.New("etcd")), rollout.APIError},
		{errors.New("something else"), rollout.Other},
		// Wrapped and joined errors are looked through; the highest precedence wins.
		{fmt.Errorf("deploy payments-api: %w", failed(status.ImagePullFailed)), rollout.PodFailure},
		{errors.Join(&rollout.TimeoutError{}, failed(status.PodCrashLooping, crash), &rollout.CanceledError{}), rollout.PodFailure},
		{errors.Join(failed(status.PodCrashLooping, crash), &rollout.ForbiddenError{Err: forbidden}), rollout.Forbidden},
		{errors.Join(&rollout.SupersededError{FailedError: failed(status.Superseded)}, failed(status.ProgressDeadlineExceeded)), rollout.ProgressDeadline},
	}
	for _, tc := range tests {
		assert.Equal(t, rollout.ClassOf(tc.err), tc.want, "%v", tc.err)
	}
}

// Every class has a name, and Classes lists them in precedence order.
func TestClasses(t *testing.T) {
	t.Parallel()
	classes := rollout.Classes()
	assert.Equal(t, classes[0], rollout.Succeeded)
	assert.Equal(t, classes[len(classes)-1], rollout.Other)
	seen := map[string]bool{}
	for i, c := range classes {
		assert.Equal(t, int(c), i)
		assert.Assert(t, !seen[c.String()], c.String())
		seen[c.String()] = true
	}
	assert.Equal(t, rollout.PodFailure.String(), "PodFailure")
	assert.Equal(t, rollout.Class(99).String(), "Class(99)")
}

// Problems is plain data: pods are evidence of one problem, never problems
// of their own; a timeout yields one problem per unfinished object.
func TestProblems(t *testing.T) {
	t.Parallel()
	pods := []status.PodFailure{{Pod: "web-1", Reason: status.PodCrashLooping}, {Pod: "web-2", Reason: status.PodCrashLooping}}
	api := status.Object{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}, Namespace: "shop", Name: "api"}
	err := errors.Join(
		&rollout.TimeoutError{Pending: []rollout.Pending{{Object: api, Reason: status.LessAvailable, Message: "Waiting..."}}},
		failed(status.PodCrashLooping, pods...),
	)
	ps := rollout.Problems(err)
	assert.Equal(t, len(ps), 2)
	assert.Equal(t, ps[0].Class, rollout.PodFailure)
	assert.Equal(t, ps[0].Object, web)
	assert.Equal(t, len(ps[0].Pods), 2)
	assert.Equal(t, ps[1].Class, rollout.Timeout)
	assert.Equal(t, ps[1].Object, api)
	assert.Equal(t, ps[1].Reason, status.LessAvailable)
	assert.Assert(t, rollout.Problems(nil) == nil)
}
