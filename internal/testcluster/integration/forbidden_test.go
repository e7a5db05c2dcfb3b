package integration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/pydeploy/pydeploy/rollout"
	"github.com/pydeploy/pydeploy/rollout/status"
)

// asUser is the cluster's configuration impersonating user, whom the API
// server's RBAC authorizer holds to the Roles bound to it (plus what every
// authenticated user may do: discovery).
func asUser(c *rest.Config, user string) *rest.Config {
	cfg := rest.CopyConfig(c)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	return cfg
}

// grant binds user to a Role in ns that may read resources of the API
// groups given, and returns the RoleBinding's name.
func grant(t *testing.T, client kubernetes.Interface, ns, user string, rules ...rbacv1.PolicyRule) string {
	t.Helper()
	ctx := context.Background()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: user + "-reader", Namespace: ns}, Rules: rules}
	_, err := client.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{})
	assert.NilError(t, err)
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user + "-reader", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
	}
	_, err = client.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{})
	assert.NilError(t, err)
	assert.NilError(t, waitAllowed(client, ns, user, rules[0].APIGroups[0], rules[0].Resources[0], true))
	return rb.Name
}

// read is a rule to get, list and watch resources of the groups given.
func read(groups []string, resources ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: []string{"get", "list", "watch"}}
}

// waitAllowed waits until the API server's authorizer (fed by its own
// informers) answers as want whether user may watch group/resource in ns.
func waitAllowed(client kubernetes.Interface, ns, user, group, resource string, want bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := wait.PollUntilContextCancel(ctx, 20*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		sar, err := client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{
				User:               user,
				ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: "watch", Group: group, Resource: resource},
			},
		}, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		return sar.Status.Allowed == want, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for RBAC to answer allowed=%t to %s watching %s.%s in %s: %w", want, user, resource, group, ns, err)
	}
	return nil
}

// TestWaitForbiddenMidWait revokes the waiting user's RoleBinding in the
// middle of a wait (RBAC on the real API server) and cuts the open watches,
// as a rotated credential or an API server restart would: the informers
// watch again, the API server answers 403, and Wait returns a
// *ForbiddenError naming the resource within seconds, instead of waiting
// on frozen caches until its timeout.
func TestWaitForbiddenMidWait(t *testing.T) {
	c, ns := cluster(t)
	admin := c.Client()
	binding := grant(t, admin, ns, "ci",
		read([]string{"apps"}, "deployments", "replicasets", "controllerrevisions"),
		read([]string{""}, "pods", "events"),
		read([]string{"events.k8s.io"}, "events"))
	d := deployment(ns, "payments-api", "example.com/payments:1", 3)
	d.Spec.Paused = true
	objs := apply(t, c.Config(), d)

	var revoked time.Time
	var cut int
	var revokeErr error
	rec := newRecorder(isPaused, func() {
		// The wait has synced and reported the paused Deployment.
		if revokeErr = admin.RbacV1().RoleBindings(ns).Delete(context.Background(), binding, metav1.DeleteOptions{}); revokeErr != nil {
			return
		}
		if revokeErr = waitAllowed(admin, ns, "ci", "apps", "deployments", false); revokeErr != nil {
			return
		}
		revoked = time.Now()
		cut, revokeErr = c.ExpireWatches(context.Background())
	})
	start := time.Now()
	_, err := waiter(t, asUser(c.Config(), "ci"), rollout.Options{Timeout: 5 * time.Minute, Paused: status.PausedWait, Progress: rec.progress}).
		Wait(testCtx(t), objs)
	returned := time.Now()
	<-rec.done
	assert.NilError(t, revokeErr)
	assert.Assert(t, !revoked.IsZero(), "the wait ended before the RoleBinding was revoked: %v", err)
	t.Logf("Wait returned %s after the watches were cut (%d cut), %s after it started: %v",
		returned.Sub(revoked).Round(time.Millisecond), cut, returned.Sub(start).Round(time.Millisecond), err)

	assert.Equal(t, rollout.ClassOf(err), rollout.Forbidden, "%v", err)
	fe, ok := errors.AsType[*rollout.ForbiddenError](err)
	assert.Assert(t, ok, "%T: %v", err, err)
	assert.Equal(t, fe.Scope.Namespace, ns)
	assert.Check(t, is.Contains(err.Error(), `User "ci" cannot`))
	assert.Check(t, is.Contains(err.Error(), "rollout: not allowed to list and watch "))
	// client-go's reflectors watch again after a back-off of about a second.
	assert.Check(t, returned.Sub(revoked) < 10*time.Second, "Wait returned %s after the revocation", returned.Sub(revoked))
	noLeaks(t)
	recovers(t, c)
}

// TestWaitWithoutPodAccess waits as a user who may read Deployments and
// ReplicaSets but not Pods or Events (RBAC on the real API server): the
// wait goes on from the workload's own status, says so with a Warning event
// and Report.Warnings, and succeeds when the rollout does.
func TestWaitWithoutPodAccess(t *testing.T) {
	t.Parallel()
	c, ns := cluster(t)
	grant(t, c.Client(), ns, "deployer", read([]string{"apps"}, "deployments", "replicasets", "controllerrevisions"))
	objs := apply(t, c.Config(), deployment(ns, "payments-api", "example.com/payments:1", 3))
	rec := newRecorder(nil, nil)
	rep, err := waiter(t, asUser(c.Config(), "deployer"), rollout.Options{Timeout: deadline, Progress: rec.progress}).
		Wait(testCtx(t), objs)
	assert.NilError(t, err)
	assert.Equal(t, rep.Objects[0].State, status.Current)
	var warnings []string
	rec.mu.Lock()
	for _, e := range rec.events {
		if e.Type == rollout.Warning {
			warnings = append(warnings, e.Message)
		}
	}
	t.Log(strings.Join(warnings, "\n"))
	rec.mu.Unlock()
	assert.Check(t, len(rep.Warnings) >= 2, "%q", rep.Warnings)
	assert.DeepEqual(t, warnings, rep.Warnings)
	joined := strings.Join(rep.Warnings, "\n")
	assert.Check(t, is.Contains(joined, "/v1, Kind=Pod"))
	assert.Check(t, is.Contains(joined, "Event"))
	noLeaks(t)
}
