package rollout

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/clock"
)

// Scope is one watch: a kind in one namespace (empty for cluster-scoped
// kinds). A Waiter opens one Scope per kind and namespace, however many
// objects of that kind it waits for.
type Scope struct {
	GVK       schema.GroupVersionKind
	Namespace string
}

// String renders the scope as `apps/v1, Kind=Deployment in "shop"`.
func (s Scope) String() string {
	if s.Namespace == "" {
		return s.GVK.String()
	}
	return fmt.Sprintf("%s in %q", s.GVK, s.Namespace)
}

// Key names one object of a Scope.
type Key struct {
	GVK       schema.GroupVersionKind
	Namespace string
	Name      string
}

// Scope returns the scope the object belongs to.
func (k Key) Scope() Scope { return Scope{GVK: k.GVK, Namespace: k.Namespace} }

// LogRequest asks for the last lines of one container's log.
type LogRequest struct {
	Namespace string
	Pod       string
	Container string
	// Previous asks for the log of the container's previous instance, the
	// one that crashed.
	Previous bool
	// Lines is how many lines to return from the end of the log.
	Lines int
}

// Source is where a Waiter reads the cluster from. NewSource reads a real
// cluster through informers; package rollouttest scripts one with a fake
// clock. A Source may serve several Waits at once: each Open starts an
// independent Session.
type Source interface {
	// Open starts watching the scopes and returns once every scope's cache
	// holds a complete list, or with an error naming the scope that could
	// not be watched. clk is the clock the Session waits on.
	Open(ctx context.Context, scopes []Scope, clk clock.Clock) (Session, error)
}

// Session is one Wait's view of the cluster. Get and List read the local
// cache and never block; Next blocks until something changes.
type Session interface {
	// Get returns the cached object, or false when the cache holds none.
	Get(k Key) (*unstructured.Unstructured, bool)
	// List returns every cached object of the scope, in any order.
	List(s Scope) []*unstructured.Unstructured
	// Next blocks until at least one object changed, and returns the keys
	// of every object that changed since the previous call (each at most
	// once), or nil when the clock reached wake first (a zero wake means no
	// wake-up), or an error when ctx ends or the source fails.
	Next(ctx context.Context, wake time.Time) ([]Key, error)
	// Logs returns the last lines of a container's log.
	Logs(ctx context.Context, req LogRequest) ([]string, error)
	// Close stops every watch and goroutine the Session started and waits
	// for them to end.
	Close()
}
