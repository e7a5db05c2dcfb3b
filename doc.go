// Package pydeploy is a Go library for shipping Python web services to
// Kubernetes reproducibly. It has no binary of its own: CI helpers, internal
// tooling and CLIs import its packages. This package holds only the
// overview; the work is done in the packages below.
//
// # The workflow
//
// A team declares its intent in code under Git — the service's direct Python
// dependencies and its shape — and pydeploy carries it to a verified rollout:
//
//	pyproject.toml / requirements.in ──lockfile──▶ pylock.toml (pinned, hashed)
//	                                                     │ lock hash
//	service spec (deploy.App) ──deploy──▶ typed objects ◀┘ stamped as annotations
//	typed objects ──manifest.Render──▶ YAML (byte-stable) ──manifest.Kustomize──▶ overlays
//	typed objects ──manifest.Apply (server-side apply)──▶ cluster
//	cluster ──rollout.Wait──▶ ready | failed (reason, evidence) ──rollout.Undo──▶ previous revision
//	probe specs ──probe.Check──▶ the verdict kubelet would give, in CI smoke tests
//
// The running example throughout the documentation is payments-api: a
// gunicorn service listening on port 8000, three replicas, image
// ghcr.io/acme/payments:${GIT_SHA}, readiness on /health/ready. Its
// dependencies are locked into pylock.toml; its objects are built by
// [github.com/pydeploy/pydeploy/deploy], validated (every problem at once,
// with field paths and check IDs), stamped with the git SHA, image digest
// and lock hash by [github.com/pydeploy/pydeploy/manifest], rendered to
// byte-identical YAML for review in Git, applied with server-side apply and
// waited on by [github.com/pydeploy/pydeploy/rollout], which stops within
// seconds when the new pods cannot become ready and says why. Rolling back
// restores the exact earlier environment: the pod template and the stamp.
//
// # Packages
//
//   - deploy: typed builders for a Python web service, background worker,
//     Job or CronJob (and a web service's pre-deploy migration Job), with
//     its Service, Ingress or HTTPRoute, ConfigMaps, PodDisruptionBudget,
//     NetworkPolicy, HorizontalPodAutoscaler and ServiceAccount, production
//     defaults (each removable), and validation that lists every problem
//     with its field path, for built objects and (Validate) for any edited
//     or parsed ones.
//   - probe: typed readiness, liveness and startup probes, and a checker
//     that runs a probe against a live endpoint with kubelet's semantics.
//   - manifest: deterministic YAML, parsing, variable expansion, image
//     references and pinning, version stamps, kustomize overlays and
//     server-side apply.
//   - rollout: per-kind status, a watch-based waiter that fails fast with
//     evidence, progress events, history and undo.
//   - lockfile: PEP 440 and PEP 508, a Simple-API index client, a PubGrub
//     resolver with readable conflict explanations, PEP 751 pylock.toml and
//     freshness checks.
//
// The examples module (examples/quickstart, examples/ci-deploy,
// examples/lock-check) shows the packages used together as a user would.
package pydeploy
