package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"

	"github.com/pydeploy/pydeploy/rollout/status"
)

// reasonDeleted is the Reason of an object deleted while waited for.
const reasonDeleted status.Reason = "Deleted"

// tracked is one waited object and what the engine knows about it.
type tracked struct {
	key    Key
	ref    status.Object
	minGen int64
	kids   kinds

	// rev identifies our rollout of a Deployment, learnt at the first read
	// that shows our write observed; revDone once both parts are known.
	rev     status.Revision
	revDone bool

	seen    bool
	judged  bool
	res     status.Result
	changed time.Time
	done    bool
	doneAt  time.Duration
	err     error
}

type ownerKey struct {
	namespace string
	owner
}

// engine is one Wait: it judges the tracked objects with package status
// whenever the Session reports a change to them or to their children, and
// turns the verdicts into events, a report and typed errors. All of its
// state belongs to the goroutine that runs it.
type engine struct {
	opts  Options
	clk   clock.Clock
	sess  Session
	start time.Time
	emit  func(Event)

	objs     []*tracked
	byKey    map[Key]*tracked
	byOwner  map[ownerKey][]*tracked
	byNS     map[string][]*tracked
	children map[string]*nsChildren
	dirty    map[*tracked]bool

	finished    int
	failures    []error
	degraded    map[string]kinds
	warnings    []string
	lastEmit    time.Time
	lastRecheck time.Time
}

// newEngine validates the objects and indexes them; it does no I/O.
func newEngine(objs []*unstructured.Unstructured, opts Options) (*engine, error) {
	e := &engine{
		opts:     opts,
		clk:      opts.clock(),
		byKey:    map[Key]*tracked{},
		byOwner:  map[ownerKey][]*tracked{},
		byNS:     map[string][]*tracked{},
		children: map[string]*nsChildren{},
		dirty:    map[*tracked]bool{},
		degraded: map[string]kinds{},
	}
	if len(objs) == 0 {
		return nil, &InputError{Problems: []string{"no objects to wait for"}}
	}
	var problems []string
	for i, u := range objs {
		t, problem := trackedOf(i, u)
		if problem != "" {
			problems = append(problems, problem)
			continue
		}
		if prev, ok := e.byKey[t.key]; ok {
			// The same object twice: wait once, for the newer write.
			prev.minGen = max(prev.minGen, t.minGen)
			continue
		}
		e.objs = append(e.objs, t)
		e.byKey[t.key] = t
		ok := ownerKey{t.key.Namespace, owner{Kind: t.key.GVK.Kind, Name: t.key.Name}}
		e.byOwner[ok] = append(e.byOwner[ok], t)
		e.byNS[t.key.Namespace] = append(e.byNS[t.key.Namespace], t)
		if t.kids != 0 && e.children[t.key.Namespace] == nil {
			e.children[t.key.Namespace] = newNSChildren()
		}
	}
	if len(problems) > 0 {
		return nil, &InputError{Problems: problems}
	}
	return e, nil
}

// trackedOf indexes one input object, or says what is wrong with it.
func trackedOf(i int, u *unstructured.Unstructured) (*tracked, string) {
	if u == nil {
		return nil, fmt.Sprintf("object %d is nil", i)
	}
	gvk := u.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return nil, fmt.Sprintf("object %d (%q) has no apiVersion or kind; expected an object as Apply returns it, found apiVersion %q kind %q",
			i, u.GetName(), u.GetAPIVersion(), u.GetKind())
	}
	if u.GetName() == "" {
		return nil, fmt.Sprintf("object %d (%s) has no metadata.name", i, gvk.Kind)
	}
	key := Key{GVK: gvk, Namespace: u.GetNamespace(), Name: u.GetName()}
	ref := status.Object{GroupKind: gvk.GroupKind(), Namespace: key.Namespace, Name: key.Name}
	return &tracked{key: key, ref: ref, minGen: generation(u), kids: childKinds(gvk.GroupKind())}, ""
}

// generation reads metadata.generation leniently: objects decoded with
// encoding/json carry it as a float64, which GetGeneration reads as 0 and
// would silently disable the gate on our own write.
func generation(u *unstructured.Unstructured) int64 {
	v, _, _ := unstructured.NestedFieldNoCopy(u.Object, "metadata", "generation")
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case int32:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}

// scopes lists every watch the wait needs: each object's kind and, per
// namespace, the children its kinds need; one of each, however many objects.
func (e *engine) scopes() []Scope {
	seen := map[Scope]bool{}
	var out []Scope
	add := func(s Scope) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, t := range e.objs {
		add(t.key.Scope())
		for _, s := range t.kids.scopes(t.key.Namespace) {
			add(s)
		}
	}
	return out
}

// run waits until every object is finished, one failed, the deadline
// passed, an object stalled or ctx ended.
func (e *engine) run(ctx context.Context, src Source) (*Report, error) {
	e.start = e.clk.Now()
	e.lastEmit, e.lastRecheck = e.start, e.start
	openCtx, cancelOpen := ctx, context.CancelFunc(func() {})
	if e.opts.Timeout > 0 {
		// Filling the caches counts against the deadline too.
		openCtx, cancelOpen = context.WithTimeout(ctx, e.opts.Timeout)
	}
	sess, err := e.open(openCtx, src)
	cancelOpen()
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return e.finish(e.contextError(ctx))
		case errors.Is(openCtx.Err(), context.DeadlineExceeded):
			return e.finish(&TimeoutError{Timeout: e.opts.Timeout, Elapsed: e.clk.Since(e.start), Pending: e.pending(), cause: err})
		}
		return e.finish(typedSourceError(err))
	}
	e.sess = sess
	defer sess.Close()
	e.loadChildren()
	for _, t := range e.objs {
		e.dirty[t] = true
	}
	var deadline time.Time
	if e.opts.Timeout > 0 {
		deadline = e.start.Add(e.opts.Timeout)
	}
	for {
		now := e.clk.Now()
		e.judgeDirty(ctx, now)
		if len(e.failures) > 0 && (!e.opts.KeepGoing || e.finished == len(e.objs)) {
			return e.finish(errors.Join(e.failures...))
		}
		if e.finished == len(e.objs) {
			return e.finish(nil)
		}
		if !deadline.IsZero() && !now.Before(deadline) {
			return e.finish(&TimeoutError{Timeout: e.opts.Timeout, Elapsed: now.Sub(e.start), Pending: e.pending()})
		}
		if err := e.stalled(now); err != nil {
			return e.finish(err)
		}
		e.heartbeat(now)
		keys, err := sess.Next(ctx, e.wake(deadline))
		if err != nil {
			if ctx.Err() != nil {
				return e.finish(e.contextError(ctx))
			}
			return e.finish(typedSourceError(err))
		}
		for _, k := range keys {
			e.changed(k)
		}
		if now := e.clk.Now(); now.Sub(e.lastRecheck) >= recheck {
			// Grace periods run out without any change; re-judge from cache.
			e.lastRecheck = now
			for _, t := range e.objs {
				if !t.done {
					e.dirty[t] = true
				}
			}
		}
	}
}

// open opens the session. A child kind the credentials may not list (Pods,
// Events, ReplicaSets, ...) does not end the wait: the wait goes on
// without it, judging the objects that need it from their own status (as
// kubectl does), and says so with a Warning event. The kinds waited for
// themselves are required.
func (e *engine) open(ctx context.Context, src Source) (Session, error) {
	scopes := e.scopes()
	for {
		sess, err := src.Open(ctx, scopes, e.clk)
		var fe *ForbiddenError
		if err == nil || !errors.As(err, &fe) || !e.optional(fe.Scope) {
			return sess, err
		}
		e.degrade(fe)
		scopes = slices.DeleteFunc(scopes, func(s Scope) bool { return s == fe.Scope })
	}
}

// optional reports whether a scope only feeds evidence: a child kind that
// no waited object is of.
func (e *engine) optional(sc Scope) bool {
	if kindOf(sc.GVK) == 0 {
		return false
	}
	for _, t := range e.objs {
		if t.key.Scope() == sc {
			return false
		}
	}
	return true
}

// degrade records a child kind the wait goes on without.
func (e *engine) degrade(fe *ForbiddenError) {
	kid := kindOf(fe.Scope.GVK)
	e.degraded[fe.Scope.Namespace] |= kid
	what := "judging the objects that need them from their own status, as kubectl does"
	if kid == kidEvents {
		what = "pod failures are still detected, but without events as evidence, and failing readiness probes are not"
	}
	msg := fmt.Sprintf("not allowed to list and watch %s; going on without them: %s", fe.Scope, what)
	e.warnings = append(e.warnings, msg)
	e.send(Event{Type: Warning, Time: e.clk.Now(), Message: msg, Err: fe})
}

// typedSourceError gives an error of the Source its class: the cluster
// source already returns *ForbiddenError and *WatchError; anything else
// (a scripted Source's error) is a *WatchError.
func typedSourceError(err error) error {
	var c classed
	if errors.As(err, &c) {
		return err
	}
	return &WatchError{Err: err}
}

// loadChildren fills the children caches from the session's initial lists.
func (e *engine) loadChildren() {
	for ns, c := range e.children {
		for _, sc := range (kidReplicaSets | kidPods | kidEvents | kidSlices | kidRevisions).scopes(ns) {
			kid := kindOf(sc.GVK)
			for _, u := range e.sess.List(sc) {
				c.update(kid, u.GetName(), u)
			}
		}
	}
}

// wake is the earliest time the loop has something to do without a change.
func (e *engine) wake(deadline time.Time) time.Time {
	w := e.lastRecheck.Add(recheck)
	earlier := func(t time.Time) {
		if !t.IsZero() && t.Before(w) {
			w = t
		}
	}
	earlier(deadline)
	if hb := e.opts.heartbeat(); hb > 0 {
		earlier(e.lastEmit.Add(hb))
	}
	if e.opts.StallTimeout > 0 {
		for _, t := range e.objs {
			if !t.done {
				earlier(t.changed.Add(e.opts.StallTimeout))
			}
		}
	}
	return w
}

// changed marks the objects a change may affect.
func (e *engine) changed(k Key) {
	if t, ok := e.byKey[k]; ok && !t.done {
		e.dirty[t] = true
	}
	kid := kindOf(k.GVK)
	c := e.children[k.Namespace]
	if kid == 0 || c == nil {
		return
	}
	u, _ := e.sess.Get(k)
	for _, o := range c.update(kid, k.Name, u) {
		if o.Kind == "" {
			for _, t := range e.byNS[k.Namespace] {
				if !t.done && t.kids&kid != 0 {
					e.dirty[t] = true
				}
			}
			continue
		}
		for _, t := range e.byOwner[ownerKey{k.Namespace, o}] {
			if !t.done && t.kids&kid != 0 {
				e.dirty[t] = true
			}
		}
	}
}

// judgeDirty re-judges the marked objects in input order and emits an
// event for each whose status changed.
func (e *engine) judgeDirty(ctx context.Context, now time.Time) {
	for _, t := range e.objs {
		if !e.dirty[t] {
			continue
		}
		delete(e.dirty, t)
		if t.done {
			continue
		}
		r := e.judge(t, now)
		if t.judged && r.State == t.res.State && r.Reason == t.res.Reason && r.Message == t.res.Message {
			t.res = r
			continue
		}
		t.judged, t.res, t.changed = true, r, now
		e.settle(ctx, t, now)
	}
}

// settle emits the event for a changed status and records the object's end.
func (e *engine) settle(ctx context.Context, t *tracked, now time.Time) {
	r := t.res
	typ := Progress
	switch {
	case r.State == status.Current:
		typ = Ready
	case r.State == status.Failed:
		typ = Failed
		if e.opts.LogLines > 0 {
			r.Pods = e.logs(ctx, r.Pods)
			t.res.Pods = r.Pods
		}
		t.err = failedError(r, now.Sub(e.start))
	case r.State == status.Terminating || r.Reason == reasonDeleted:
		typ = Failed
		t.err = &DeletedError{Object: t.ref, Message: r.Message}
	}
	if typ != Progress {
		t.done, t.doneAt = true, now.Sub(e.start)
		e.finished++
		if t.err != nil {
			e.failures = append(e.failures, t.err)
		}
	}
	e.send(Event{Type: typ, Time: now, Object: t.ref, State: r.State, Reason: r.Reason, Message: r.Message, Err: t.err})
}

func (e *engine) send(ev Event) {
	ev.Elapsed = ev.Time.Sub(e.start)
	ev.Done, ev.Total = e.finished, len(e.objs)
	e.lastEmit = ev.Time
	if e.emit != nil {
		e.emit(ev)
	}
}

// judge computes one object's status from the cache.
func (e *engine) judge(t *tracked, now time.Time) status.Result {
	u, ok := e.sess.Get(t.key)
	if !ok {
		if t.seen {
			return status.Result{Object: t.ref, State: status.NotFound, Reason: reasonDeleted,
				Message: fmt.Sprintf("%s was deleted while waiting for it", t.ref)}
		}
		return status.Result{Object: t.ref, State: status.NotFound, Reason: status.WriteNotObserved,
			Message: fmt.Sprintf("Waiting for %s to appear in the watch cache...", t.ref)}
	}
	t.seen = true
	opts := e.opts.statusOptions(now)
	opts.MinGeneration = t.minGen
	opts.Revision = t.rev
	var kids *status.Children
	if t.kids != 0 && e.degraded[t.key.Namespace]&t.kids&^kidEvents == 0 {
		// Without a child kind it needs (other than events) the object is
		// judged alone: an empty list would read as "listed, none found".
		kids = e.children[t.key.Namespace].snapshot()
	}
	r := status.Evaluate(status.Observation{Object: u, Children: kids}, opts)
	if r.Object.Name == "" {
		r.Object = t.ref
	}
	e.learnRevision(t, u, kids, r)
	return r
}

// learnRevision records which revision our write started, at the first
// read of a Deployment that shows the controller observed our generation
// and created the ReplicaSet of our template: its revision annotation and
// pod-template-hash identify our rollout. Later reads that show a newer
// revision are reported as superseded (helm#12861).
func (e *engine) learnRevision(t *tracked, u *unstructured.Unstructured, kids *status.Children, r status.Result) {
	if t.revDone || t.minGen <= 0 || childKinds(t.ref.GroupKind)&kidReplicaSets == 0 {
		return
	}
	switch r.Reason {
	case status.WriteNotObserved, status.GenerationNotObserved, status.Deleting, status.InvalidObject:
		return
	}
	var d appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.UnstructuredContent(), &d); err != nil || kids == nil {
		return
	}
	if d.Status.ObservedGeneration < t.minGen || d.Generation > d.Status.ObservedGeneration {
		return
	}
	// Only a ReplicaSet with our pod template carries our revision: a paused
	// Deployment, or one whose controller has not yet created it, still
	// shows an older revision that a resumed rollout would rightly pass.
	rs := status.FindNewReplicaSet(&d, kids.ReplicaSets)
	if rs == nil || !status.EqualIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
		return
	}
	n, found, err := status.RevisionOf(rs)
	if !found || err != nil {
		return
	}
	t.rev = status.Revision{Number: n, TemplateHash: rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey]}
	t.revDone = true
}

// heartbeat repeats the first unfinished object's status when nothing was
// emitted for Options.Heartbeat.
func (e *engine) heartbeat(now time.Time) {
	hb := e.opts.heartbeat()
	if hb <= 0 || now.Sub(e.lastEmit) < hb {
		return
	}
	for _, t := range e.objs {
		if !t.done {
			r := t.res
			e.send(Event{Type: Heartbeat, Time: now, Object: t.ref, State: r.State, Reason: r.Reason, Message: r.Message})
			return
		}
	}
}

// stalled returns a *StalledError for the first unfinished object whose
// status has not changed for Options.StallTimeout.
func (e *engine) stalled(now time.Time) error {
	if e.opts.StallTimeout <= 0 {
		return nil
	}
	for _, t := range e.objs {
		if !t.done && now.Sub(t.changed) >= e.opts.StallTimeout {
			return &StalledError{Pending: pendingOf(t), After: e.opts.StallTimeout}
		}
	}
	return nil
}

func (e *engine) pending() []Pending {
	var out []Pending
	for _, t := range e.objs {
		if !t.done {
			out = append(out, pendingOf(t))
		}
	}
	return out
}

func pendingOf(t *tracked) Pending {
	r := t.res
	if !t.judged {
		r = status.Result{State: status.Unknown, Reason: status.WriteNotObserved, Message: "not yet read"}
	}
	return Pending{Object: t.ref, State: r.State, Reason: r.Reason, Message: r.Message, Pods: r.Pods}
}

func (e *engine) contextError(ctx context.Context) error {
	elapsed := e.clk.Since(e.start)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &TimeoutError{Elapsed: elapsed, Pending: e.pending(), cause: ctx.Err()}
	}
	return &CanceledError{Elapsed: elapsed, Pending: e.pending(), cause: ctx.Err()}
}

// finish builds the report and emits the last event.
func (e *engine) finish(err error) (*Report, error) {
	now := e.clk.Now()
	rep := &Report{Elapsed: now.Sub(e.start), Warnings: e.warnings}
	for _, t := range e.objs {
		o := ObjectReport{Result: t.res, Err: t.err}
		if !t.judged {
			o.Result = status.Result{Object: t.ref, State: status.Unknown}
		}
		if t.done {
			o.Elapsed = t.doneAt
		}
		rep.Objects = append(rep.Objects, o)
	}
	e.send(Event{Type: Finished, Time: now, Err: err, Report: rep})
	return rep, err
}
