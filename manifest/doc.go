// Package manifest turns typed Kubernetes objects into reviewable,
// byte-stable YAML and back, and carries the data that makes a rollout
// reproducible: pinned image digests and a version stamp.
//
// It sits between deploy (which builds the typed objects of a service) and
// the cluster:
//
//	deploy.Build ─▶ []runtime.Object ─▶ PinObjects ─▶ StampObjects ─▶ Render / WriteDir ─▶ Git
//	Git ─▶ Kustomize (overlays) ─▶ Parse ─▶ objects ─▶ server-side apply ─▶ rollout.Wait
//
// # Rendering
//
// [Render] writes objects as multi-document YAML in apply order: Helm's
// install order, adapted ([KindOrder] lists it): Namespace,
// CustomResourceDefinition, cluster-wide classes, ServiceAccount, RBAC,
// ResourceQuota/LimitRange, NetworkPolicy, ConfigMap/Secret, PVCs, Service,
// Jobs marked pre-workload ([PhaseAnnotation], a migration), the workloads,
// PodDisruptionBudget/HorizontalPodAutoscaler, Ingress and routes, other
// kinds, and admission webhooks and policies last; within a kind by
// namespace and name. [SplitPreWorkload] cuts a bundle after the
// pre-workload Jobs, for a release that waits for its migration before
// applying the workload. Keys are sorted alphabetically, fields
// populated by the API server (status, creationTimestamp, managedFields,
// resourceVersion, uid, generation, selfLink, deletion markers and the
// last-applied and revision annotations) are dropped, so the same objects
// always give the same bytes and a live object renders like the one in Git.
// [WriteDir] writes the same objects one file each plus a kustomization.yaml,
// making the directory a kustomize base.
//
// # Parsing
//
// [Parse] reads YAML or JSON streams with any number of documents into typed
// objects for the kinds client-go knows and [unstructured.Unstructured] for
// the rest. Unknown and duplicate fields are errors unless
// [ParseOptions.AllowUnknownFields] is set; every error names the document
// and the line ([*ParseError]).
//
// # Variables
//
// [Expand] substitutes ${NAME} references. A variable that is unset, or set
// to the empty string, is an error ([*MissingVarsError]) listing every
// missing name; it never becomes an empty string silently. Write $$ for a
// literal dollar sign; a $ not followed by { or $ is left alone, so shell
// snippets such as "echo $HOME" pass through. [ExpandObjects] substitutes in
// string values after parsing, so a value can never inject YAML structure.
//
// # Images
//
// [ParseImage] parses an image reference with the grammar Docker and
// containerd use (github.com/distribution/reference) and refuses references
// that cannot be reproduced: the tag latest, no tag and no digest, or an
// unexpanded ${VAR}. [PinImage] and [PinObjects] resolve tags to digests
// through a [Resolver]; [RegistryResolver] asks an OCI distribution registry
// through go-containerregistry (docker config.json and credential helpers,
// the bearer-token flow, retries). Building, pushing and verifying the
// service image itself is the subpackage manifest/image.
//
// # Stamping
//
// [StampObjects] records the git SHA, image, image digest, lock-file hash and
// pydeploy version as pydeploy.io/* annotations on every object and pod
// template, and exposes them to every container as PYDEPLOY_* environment
// variables through the downward API, so the service can log what it is.
// [ReadStamp] reads the stamp back for drift checks and rollbacks.
//
// # Kustomize
//
// [Kustomize] builds an overlay with sigs.k8s.io/kustomize/api on an
// in-memory or on-disk file system, with loads restricted to the
// kustomization root and plugins disabled. Builds are serialised and the
// process-global OpenAPI schema is reset around each one, so it is safe to
// call from many goroutines.
//
// # Applying
//
// Apply sends objects to a cluster with server-side apply under a stable
// field manager ("pydeploy" unless ApplyOptions.FieldManager says
// otherwise), in the order Render writes them, so Namespaces,
// CustomResourceDefinitions, RBAC, quotas and claims exist before what uses
// them, and admission webhooks come last. Each object is
// sent as exactly the content Render would write: no status, no
// server-populated metadata, and none of the empty objects ("strategy: {}")
// that zero-valued struct fields of typed Go objects would otherwise make the
// field manager own. Namespaced objects without a namespace
// get ApplyOptions.Namespace ("default" when empty); cluster-scoped objects,
// as the cluster's RESTMapper tells them apart, must not carry one.
//
// ApplyOptions.DryRun asks the API server to run admission and defaulting
// without persisting anything; ApplyOptions.Diff adds, per object, a unified
// diff of the live object against what the server returned, with
// server-populated noise stripped. Every object comes back in ApplyResult
// with its action (created, configured, unchanged) and the generation the
// server assigned, ready for rollout.Wait. Failures are *ApplyError values
// that name the object; a field-ownership conflict lists the conflicting
// managers and fields.
package manifest
