package rollouttest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/pydeploy/pydeploy/rollout"
)

// Epoch is the fake clock's time when a script starts: step times are
// offsets from it, and timestamps in scripted objects (lastTransitionTime,
// startTime, ...) are best written relative to it.
var Epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// DefaultHorizon is how long after its last step a script lets the fake
// clock run before it reports that the waiter is still waiting.
const DefaultHorizon = time.Hour

// Script is a timeline of cluster states. Build it with At, Delete and Logs
// (not concurrently), then wait on it with Waiter or Source: every Wait
// replays it from the start on a fake clock that jumps from step to step,
// so a wait that would take minutes finishes at once and always emits the
// same events.
type Script struct {
	steps   []step
	logs    map[logKey][]string
	horizon time.Duration
	errs    []error
}

type step struct {
	at      time.Duration
	puts    []*unstructured.Unstructured
	deletes []rollout.Key
}

type logKey struct{ namespace, pod, container string }

// New returns an empty script.
func New() *Script {
	return &Script{logs: map[logKey][]string{}, horizon: DefaultHorizon}
}

// At makes objects exist, in the given state, from offset at onwards; each
// replaces any earlier state of the same object. An object is a YAML or
// JSON string (several documents allowed), a *unstructured.Unstructured,
// or a typed object client-go knows (*appsv1.Deployment, *corev1.Pod, ...).
func (s *Script) At(at time.Duration, objs ...any) *Script {
	st := step{at: at}
	for i, o := range objs {
		us, err := toUnstructured(o)
		if err != nil {
			s.errs = append(s.errs, fmt.Errorf("rollouttest: step at %s, object %d: %w", at, i, err))
			continue
		}
		st.puts = append(st.puts, us...)
	}
	s.add(st)
	return s
}

// Delete removes an object at offset at.
func (s *Script) Delete(at time.Duration, apiVersion, kind, namespace, name string) *Script {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		s.errs = append(s.errs, fmt.Errorf("rollouttest: delete at %s: apiVersion %q: %w", at, apiVersion, err))
		return s
	}
	s.add(step{at: at, deletes: []rollout.Key{{GVK: gv.WithKind(kind), Namespace: namespace, Name: name}}})
	return s
}

// Logs sets the log of a container; a waiter asking for the last n lines
// gets the last n of these.
func (s *Script) Logs(namespace, pod, container string, lines ...string) *Script {
	s.logs[logKey{namespace, pod, container}] = append([]string(nil), lines...)
	return s
}

// Horizon sets how long after the last step the clock may run before the
// script reports that the waiter is still waiting (DefaultHorizon).
func (s *Script) Horizon(d time.Duration) *Script {
	s.horizon = d
	return s
}

func (s *Script) add(st step) {
	// Keep steps sorted by time; steps at the same time apply in the order given.
	i := sort.Search(len(s.steps), func(i int) bool { return s.steps[i].at > st.at })
	s.steps = append(s.steps, step{})
	copy(s.steps[i+1:], s.steps[i:])
	s.steps[i] = st
}

// Waiter returns a rollout.Waiter on the script, with opts.Clock set to a
// new fake clock at Epoch.
func (s *Script) Waiter(opts rollout.Options) *rollout.Waiter {
	opts.Clock = clocktesting.NewFakeClock(Epoch)
	return rollout.NewWaiter(s.Source(), opts)
}

// Source returns the script as a rollout.Source. The Waiter's
// Options.Clock must be a *clocktesting.FakeClock (Waiter sets one up).
func (s *Script) Source() rollout.Source { return source{s} }

// Parse reads objects from YAML or JSON documents, e.g. the objects a test
// passes to Wait as if Apply had returned them.
func Parse(docs string) ([]*unstructured.Unstructured, error) {
	return parseYAML(docs)
}

type source struct{ s *Script }

func (src source) Open(ctx context.Context, scopes []rollout.Scope, clk clock.Clock) (rollout.Session, error) {
	if err := errors.Join(src.s.errs...); err != nil {
		return nil, err
	}
	fake, ok := clk.(*clocktesting.FakeClock)
	if !ok {
		return nil, fmt.Errorf("rollouttest: the waiter's clock is %T, expected the *clocktesting.FakeClock a script drives; build the waiter with Script.Waiter", clk)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sess := &session{s: src.s, clk: fake, objs: map[rollout.Key]*unstructured.Unstructured{}, watched: map[rollout.Scope]bool{}}
	for _, sc := range scopes {
		sess.watched[sc] = true
	}
	for sess.next < len(sess.s.steps) && !Epoch.Add(sess.s.steps[sess.next].at).After(fake.Now()) {
		sess.apply()
	}
	return sess, nil
}

type session struct {
	s       *Script
	clk     *clocktesting.FakeClock
	next    int
	objs    map[rollout.Key]*unstructured.Unstructured
	watched map[rollout.Scope]bool
}

// apply plays the next step and returns the keys it touched that the
// waiter watches.
func (s *session) apply() []rollout.Key {
	st := s.s.steps[s.next]
	s.next++
	var keys []rollout.Key
	touch := func(k rollout.Key) {
		if s.watched[k.Scope()] || s.watched[rollout.Scope{GVK: k.GVK}] {
			keys = append(keys, k)
		}
	}
	for _, u := range st.puts {
		k := keyOf(u)
		s.objs[k] = u
		touch(k)
	}
	for _, k := range st.deletes {
		delete(s.objs, k)
		touch(k)
	}
	return keys
}

func (s *session) Get(k rollout.Key) (*unstructured.Unstructured, bool) {
	u, ok := s.objs[k]
	if !ok || !s.watched[k.Scope()] && !s.watched[rollout.Scope{GVK: k.GVK}] {
		return nil, false
	}
	return u, true
}

func (s *session) List(sc rollout.Scope) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for k, u := range s.objs {
		if k.Scope() == sc {
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}

// Next jumps the fake clock to the next step or to wake, whichever comes
// first, so that waiting costs no real time.
func (s *session) Next(ctx context.Context, wake time.Time) ([]rollout.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := s.clk.Now()
	if s.next < len(s.s.steps) {
		at := Epoch.Add(s.s.steps[s.next].at)
		if wake.IsZero() || !at.After(wake) {
			if at.After(now) {
				s.clk.SetTime(at)
			}
			return s.apply(), nil
		}
	}
	var last time.Duration
	if n := len(s.s.steps); n > 0 {
		last = s.s.steps[n-1].at
	}
	end := Epoch.Add(last + s.s.horizon)
	if s.next >= len(s.s.steps) && (wake.IsZero() || wake.After(end)) {
		return nil, fmt.Errorf("rollouttest: the script ended at %s and nothing happened until %s; the waiter is still waiting (add steps or set Options.Timeout)",
			last, last+s.s.horizon)
	}
	if wake.After(now) {
		s.clk.SetTime(wake)
	}
	return nil, nil
}

func (s *session) Logs(_ context.Context, req rollout.LogRequest) ([]string, error) {
	lines, ok := s.s.logs[logKey{req.Namespace, req.Pod, req.Container}]
	if !ok {
		return nil, fmt.Errorf("no log scripted for container %q of pod %s/%s", req.Container, req.Namespace, req.Pod)
	}
	if len(lines) > req.Lines {
		lines = lines[len(lines)-req.Lines:]
	}
	return append([]string(nil), lines...), nil
}

func (s *session) Close() {}

func keyOf(u *unstructured.Unstructured) rollout.Key {
	return rollout.Key{GVK: u.GroupVersionKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
}

func toUnstructured(o any) ([]*unstructured.Unstructured, error) {
	switch v := o.(type) {
	case string:
		return parseYAML(v)
	case []byte:
		return parseYAML(string(v))
	case *unstructured.Unstructured:
		if v == nil {
			return nil, errors.New("nil object")
		}
		if err := checkIdentity(v); err != nil {
			return nil, err
		}
		return []*unstructured.Unstructured{v.DeepCopy()}, nil
	case runtime.Object:
		gvks, _, err := scheme.Scheme.ObjectKinds(v)
		if err != nil {
			return nil, fmt.Errorf("typed object %T: %w", v, err)
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(v)
		if err != nil {
			return nil, fmt.Errorf("typed object %T: %w", v, err)
		}
		u := &unstructured.Unstructured{Object: m}
		u.SetGroupVersionKind(gvks[0])
		if err := checkIdentity(u); err != nil {
			return nil, err
		}
		return []*unstructured.Unstructured{u}, nil
	}
	return nil, fmt.Errorf("cannot script a %T; expected a YAML string, *unstructured.Unstructured or a typed object", o)
}

func parseYAML(docs string) ([]*unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(docs)))
	var out []*unstructured.Unstructured
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		data, err := utilyaml.ToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if s := strings.TrimSpace(string(data)); s == "" || s == "null" || s == "{}" {
			continue
		}
		var id struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(data, &id); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if err := checkIdentity(&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": id.APIVersion, "kind": id.Kind, "metadata": map[string]any{"name": id.Metadata.Name},
		}}); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		// Unstructured's own JSON decoding keeps integers as int64, as the
		// API machinery does (encoding/json would make them float64).
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		out = append(out, u)
	}
}

func checkIdentity(u *unstructured.Unstructured) error {
	if u.GetAPIVersion() == "" || u.GetKind() == "" {
		return fmt.Errorf("object %q has no apiVersion or kind", u.GetName())
	}
	if u.GetName() == "" {
		return fmt.Errorf("%s has no metadata.name", u.GetKind())
	}
	return nil
}
