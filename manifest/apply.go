package manifest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"
)

// DefaultFieldManager is the field manager Apply uses when
// ApplyOptions.FieldManager is empty. Keep it stable: server-side apply
// removes fields a manager stops sending only when the manager is the same.
const DefaultFieldManager = "pydeploy"

// ApplyOptions controls Apply. The zero value applies for real, without
// forcing conflicts and without diffs, as field manager "pydeploy".
type ApplyOptions struct {
	// FieldManager owns the applied fields; empty means DefaultFieldManager.
	FieldManager string
	// Force takes ownership of fields another manager owns instead of
	// failing with a conflict. The other manager loses those fields.
	Force bool
	// DryRun asks the API server to validate, default and admit the objects
	// without persisting them (server-side dry run, DryRun=All).
	DryRun bool
	// Namespace is given to namespaced objects that have none; empty means
	// "default". Objects that name a namespace keep theirs.
	Namespace string
	// Diff fills Applied.Diff with what changed (or, with DryRun, what
	// would change).
	Diff bool
}

// Action says what applying an object did to it.
type Action string

// Actions reported in Applied.Action.
const (
	// ActionCreated: the object did not exist before.
	ActionCreated Action = "created"
	// ActionConfigured: the object existed and the server changed it.
	ActionConfigured Action = "configured"
	// ActionUnchanged: the object already matched; nothing was written.
	ActionUnchanged Action = "unchanged"
)

// Applied is the outcome for one object.
type Applied struct {
	// Object is the object as the API server returned it, with
	// metadata.generation, resourceVersion and uid (for a dry run, what
	// would have been stored).
	Object *unstructured.Unstructured
	// Action is what the apply did, judged by content: "unchanged" means
	// the object, without status and server-populated metadata, is the same
	// as before. A change of field ownership alone counts as unchanged.
	Action Action
	// Diff is a unified diff from the live object to Object, empty when
	// nothing changed or ApplyOptions.Diff is false.
	Diff string
}

// String is kubectl's one-line summary: "deployment.apps/payments-api configured".
func (a Applied) String() string {
	return objectRef(a.Object.GroupVersionKind().GroupKind(), a.Object.GetName()) + " " + string(a.Action)
}

// ApplyResult lists the applied objects in the order they were applied.
type ApplyResult struct {
	// Objects holds one entry per applied object.
	Objects []Applied
	// DryRun records that nothing was persisted.
	DryRun bool
}

// String has one line per object as kubectl prints them, with
// " (server dry run)" appended for a dry run.
func (r *ApplyResult) String() string {
	var b strings.Builder
	for _, a := range r.Objects {
		b.WriteString(a.String())
		if r.DryRun {
			b.WriteString(" (server dry run)")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Diff concatenates the diffs of all objects, in apply order.
func (r *ApplyResult) Diff() string {
	var b strings.Builder
	for _, a := range r.Objects {
		b.WriteString(a.Diff)
	}
	return b.String()
}

// RuntimeObjects returns the applied objects as runtime.Objects, the form
// this package's own functions take (StampObjects, ReadStamp, Render, a
// second Apply). rollout.Wait takes Unstructured.
func (r *ApplyResult) RuntimeObjects() []runtime.Object {
	out := make([]runtime.Object, len(r.Objects))
	for i, a := range r.Objects {
		out[i] = a.Object
	}
	return out
}

// Unstructured returns the applied objects as the API server returned them,
// with their metadata.generation: the input rollout.Wait takes, so that the
// wait starts from this write.
func (r *ApplyResult) Unstructured() []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(r.Objects))
	for i, a := range r.Objects {
		out[i] = a.Object
	}
	return out
}

// Applier applies objects through a dynamic client, resolving kinds to
// resources with a RESTMapper. NewApplier builds one from a rest.Config;
// tests can assemble one from fakes.
type Applier struct {
	// Client sends the requests.
	Client dynamic.Interface
	// Mapper maps kinds to resources and tells namespaced from
	// cluster-scoped kinds. A mapper implementing meta.ResettableRESTMapper
	// is reset once when a kind is unknown, so custom resources whose
	// CustomResourceDefinition was applied earlier in the same call resolve.
	Mapper meta.RESTMapper
}

// NewApplier returns an Applier talking to the cluster cfg describes, with a
// RESTMapper backed by cached discovery.
func NewApplier(cfg *rest.Config) (*Applier, error) {
	if cfg == nil {
		return nil, errors.New("rest config is nil")
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("build HTTP client for %s: %w", cfg.Host, err)
	}
	dc, err := dynamic.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("build dynamic client for %s: %w", cfg.Host, err)
	}
	disco, err := discovery.NewDiscoveryClientForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("build discovery client for %s: %w", cfg.Host, err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco))
	return &Applier{Client: dc, Mapper: mapper}, nil
}

// Apply applies objs to the cluster cfg describes; see [Applier.Apply].
func Apply(ctx context.Context, cfg *rest.Config, objs []runtime.Object, opts ApplyOptions) (*ApplyResult, error) {
	a, err := NewApplier(cfg)
	if err != nil {
		return nil, err
	}
	return a.Apply(ctx, objs, opts)
}

// Apply applies objs with server-side apply, one at a time in Render's
// order (see KindOrder: Namespace and CustomResourceDefinition first,
// pre-workload Jobs before the workloads, admission webhooks last). Objects must carry
// apiVersion, kind and a name (see [SetTypeMeta]); they are not modified.
//
// Apply stops at the first object that fails and returns the objects applied
// before it (possibly none; the result is never nil) together with an
// *ApplyError naming the failed one. Invalid input (no kind, no name,
// duplicates) is reported before anything is sent. With
// ApplyOptions.DryRun, objects in a Namespace that the same call would create
// fail, because the dry run did not create the Namespace.
func (a *Applier) Apply(ctx context.Context, objs []runtime.Object, opts ApplyOptions) (*ApplyResult, error) {
	if a == nil || a.Client == nil || a.Mapper == nil {
		return nil, errors.New("applier needs a dynamic client and a RESTMapper")
	}
	res := &ApplyResult{DryRun: opts.DryRun}
	// Validate and order exactly as Render does, then render the content
	// to send without the zero structs of typed objects.
	if _, err := renderDocs(objs); err != nil {
		return res, err
	}
	pruned := make([]runtime.Object, len(objs))
	for i, obj := range objs {
		p, err := withoutZeroStructs(obj)
		if err != nil {
			return res, fmt.Errorf("object %d: %w", i+1, err)
		}
		pruned[i] = p
	}
	docs, err := renderDocs(pruned)
	if err != nil {
		return res, err
	}
	for _, d := range docs {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		applied, err := a.applyOne(ctx, d, opts)
		if err != nil {
			return res, err
		}
		res.Objects = append(res.Objects, applied)
	}
	return res, nil
}

// applyOne applies one rendered object.
func (a *Applier) applyOne(ctx context.Context, d renderedDoc, opts ApplyOptions) (Applied, error) {
	u, err := docObject(d)
	if err != nil {
		return Applied{}, err
	}
	gk := d.gvk.GroupKind()
	fail := func(ns string, err error) error {
		return newApplyError(gk, ns, d.name, err)
	}
	mapping, err := a.mapping(d.gvk)
	if err != nil {
		return Applied{}, fail(d.namespace, err)
	}
	ri, ns, err := a.resource(mapping, u, opts.Namespace)
	if err != nil {
		return Applied{}, fail(ns, err)
	}
	live, err := ri.Get(ctx, d.name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		live = nil
	case err != nil:
		return Applied{}, fail(ns, fmt.Errorf("read live object: %w", err))
	}
	body, err := json.Marshal(u)
	if err != nil {
		return Applied{}, fail(ns, fmt.Errorf("encode: %w", err))
	}
	fieldManager := opts.FieldManager
	if fieldManager == "" {
		fieldManager = DefaultFieldManager
	}
	po := metav1.PatchOptions{FieldManager: fieldManager, Force: &opts.Force}
	if opts.DryRun {
		po.DryRun = []string{metav1.DryRunAll}
	}
	out, err := ri.Patch(ctx, d.name, types.ApplyPatchType, body, po)
	if err != nil {
		return Applied{}, fail(ns, err)
	}
	return describeApply(gk, d.name, live, out, opts)
}

// describeApply decides the action and, if asked, the diff. The action is
// judged by content with server-populated fields stripped, not by
// resourceVersion: controllers write status between the read and the apply,
// and that is not a change the apply made.
func describeApply(gk schema.GroupKind, name string, live, out *unstructured.Unstructured, opts ApplyOptions) (Applied, error) {
	applied := Applied{Object: out, Action: ActionCreated}
	var from, to string
	if live != nil || opts.Diff {
		var err error
		if live != nil {
			if from, err = diffText(live); err != nil {
				return Applied{}, newApplyError(gk, out.GetNamespace(), name, fmt.Errorf("render live object: %w", err))
			}
		}
		if to, err = diffText(out); err != nil {
			return Applied{}, newApplyError(gk, out.GetNamespace(), name, fmt.Errorf("render applied object: %w", err))
		}
	}
	switch {
	case live == nil:
	case from == to:
		applied.Action = ActionUnchanged
	default:
		applied.Action = ActionConfigured
	}
	if opts.Diff {
		ref := strings.ToLower(gk.Kind) + "/" + name
		applied.Diff = unifiedDiff("live "+ref, "applied", from, to)
	}
	return applied, nil
}

// diffText renders obj for a diff: Render's cleaning (no status, no
// managedFields, resourceVersion, generation, uid, creationTimestamp), keys
// sorted.
func diffText(obj *unstructured.Unstructured) (string, error) {
	m, err := cleanedMap(obj)
	if err != nil {
		return "", err
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode YAML: %w", err)
	}
	return string(out), nil
}

// docObject turns the rendered YAML back into an object, so what is sent
// is exactly what Render writes.
func docObject(d renderedDoc) (*unstructured.Unstructured, error) {
	js, err := yaml.YAMLToJSON(d.yaml)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	return u, nil
}

// mapping resolves gvk, resetting a resettable mapper once when the kind is
// unknown (a CustomResourceDefinition applied moments ago).
func (a *Applier) mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m, err := a.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		if r, ok := a.Mapper.(meta.ResettableRESTMapper); ok {
			r.Reset()
			m, err = a.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		}
	}
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil, fmt.Errorf("the cluster does not serve apiVersion %q kind %q (is its CustomResourceDefinition installed?): %w",
				gvk.GroupVersion().String(), gvk.Kind, err)
		}
		return nil, fmt.Errorf("map kind to resource: %w", err)
	}
	return m, nil
}

// resource returns the client for u's resource and the namespace used,
// defaulting the namespace of namespaced objects in u.
func (a *Applier) resource(m *meta.RESTMapping, u *unstructured.Unstructured, defaultNS string) (dynamic.ResourceInterface, string, error) {
	ns := u.GetNamespace()
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		if ns != "" {
			return nil, "", fmt.Errorf("%s is cluster-scoped but metadata.namespace is %q; remove the namespace",
				m.GroupVersionKind.Kind, ns)
		}
		return a.Client.Resource(m.Resource), "", nil
	}
	if ns == "" {
		ns = defaultNS
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		u.SetNamespace(ns)
	}
	return a.Client.Resource(m.Resource).Namespace(ns), ns, nil
}

// objectRef is kubectl's way of naming an object: "deployment.apps/web".
func objectRef(gk schema.GroupKind, name string) string {
	kind := strings.ToLower(gk.Kind)
	if gk.Group != "" {
		kind += "." + gk.Group
	}
	return kind + "/" + name
}

// ApplyError is a failure to apply one object. Callers can tell a
// field-ownership conflict apart by a non-empty Conflicts.
type ApplyError struct {
	// GroupKind, Namespace and Name identify the object; Namespace is empty
	// for cluster-scoped objects.
	GroupKind schema.GroupKind
	Namespace string
	Name      string
	// Conflicts lists the fields other field managers own, when the server
	// refused the apply with a conflict (HTTP 409).
	Conflicts []FieldConflict
	// Err is the underlying error, usually an API status error.
	Err error
}

// FieldConflict is one field another field manager owns.
type FieldConflict struct {
	// Field is the field path, such as ".spec.replicas".
	Field string
	// Manager is the owning field manager, such as "kubectl-edit".
	Manager string
	// Message is the server's description, such as
	// `conflict with "kubectl-edit" using apps/v1`.
	Message string
}

func newApplyError(gk schema.GroupKind, ns, name string, err error) *ApplyError {
	e := &ApplyError{GroupKind: gk, Namespace: ns, Name: name, Err: err}
	var status apierrors.APIStatus
	if apierrors.IsConflict(err) && errors.As(err, &status) && status.Status().Details != nil {
		for _, c := range status.Status().Details.Causes {
			if c.Type == metav1.CauseTypeFieldManagerConflict {
				e.Conflicts = append(e.Conflicts, FieldConflict{Field: c.Field, Manager: conflictManager(c.Message), Message: c.Message})
			}
		}
	}
	return e
}

// conflictManager extracts the manager from the server's message
// `conflict with "name" ...`.
func conflictManager(msg string) string {
	_, rest, ok := strings.Cut(msg, `conflict with "`)
	if !ok {
		return ""
	}
	name, _, ok := strings.Cut(rest, `"`)
	if !ok {
		return ""
	}
	return name
}

// Error reads `apply deployment "payments-api" in namespace "shop": <reason>`.
func (e *ApplyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apply %s %q", strings.ToLower(e.GroupKind.Kind), e.Name)
	if e.Namespace != "" {
		fmt.Fprintf(&b, " in namespace %q", e.Namespace)
	}
	b.WriteString(": ")
	if len(e.Conflicts) == 0 {
		b.WriteString(e.Err.Error())
		return b.String()
	}
	noun := "fields are"
	if len(e.Conflicts) == 1 {
		noun = "field is"
	}
	fmt.Fprintf(&b, "conflict: %d %s owned by other field managers: ", len(e.Conflicts), noun)
	for i, c := range e.Conflicts {
		if i > 0 {
			b.WriteString(", ")
		}
		if c.Manager != "" {
			fmt.Fprintf(&b, "%s (manager %q)", c.Field, c.Manager)
		} else {
			fmt.Fprintf(&b, "%s (%s)", c.Field, c.Message)
		}
	}
	b.WriteString("; set ApplyOptions.Force to take them over (the other managers lose them), " +
		"or remove them from the manifest to leave them where they are")
	return b.String()
}

// Unwrap returns the underlying error, so apierrors.IsConflict and friends
// work on an *ApplyError.
func (e *ApplyError) Unwrap() error { return e.Err }
