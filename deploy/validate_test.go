package deploy_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/pydeploy/pydeploy/deploy"
	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/probe"
)

func validateErr(t *testing.T, objs ...runtime.Object) *deploy.ValidationError {
	t.Helper()
	_, err := deploy.Validate(objs...)
	ve, ok := errors.AsType[*deploy.ValidationError](err)
	assert.Assert(t, ok, "Validate passed; want a *ValidationError")
	return ve
}

// TestValidate_EditAfterBuild: privileged: true set after Build is
// reported, as are edits that break relations.
func TestValidate_EditAfterBuild(t *testing.T) {
	t.Parallel()
	b := mustBuild(t, payments())
	_, err := deploy.Validate(b.Objects()...)
	assert.NilError(t, err, "the built bundle validates")

	b.Deployment.Spec.Template.Spec.Containers[0].SecurityContext.Privileged = new(true)
	ve := validateErr(t, b.Objects()...)
	assert.Equal(t, ve.Error(), `1 problem(s):
  Deployment/payments-api spec.template.spec.containers[0].securityContext.privileged: Forbidden: must not be true [security.privileged]`)
}

// TestValidate_ParsedYAML: the same checks on YAML (parsed typed, or as
// unstructured objects as kustomize hands them over), including the
// structural check for a misspelt field.
func TestValidate_ParsedYAML(t *testing.T) {
	t.Parallel()
	out, err := manifest.RenderBytes(mustBuild(t, payments()).Objects()...)
	assert.NilError(t, err)
	edited := bytes.Replace(out, []byte("privileged: false"), []byte("privileged: true"), 1)
	objs, err := manifest.Parse(bytes.NewReader(edited), manifest.ParseOptions{})
	assert.NilError(t, err)
	ve := validateErr(t, objs...)
	assert.DeepEqual(t, ve.Checks(), []deploy.CheckID{deploy.CheckPrivileged})

	var unstructuredObjs []runtime.Object
	for _, o := range objs {
		unstructuredObjs = append(unstructuredObjs, toUnstructured(t, o))
	}
	ve = validateErr(t, unstructuredObjs...)
	assert.DeepEqual(t, ve.Checks(), []deploy.CheckID{deploy.CheckPrivileged})

	typo := unstructuredObjs[len(unstructuredObjs)-1]
	dep := toUnstructured(t, objs[3])
	assert.Equal(t, dep.GetKind(), "Deployment")
	dep.Object["spec"].(map[string]any)["replica"] = int64(3)
	ve = validateErr(t, dep, typo)
	assert.Assert(t, ve.Has(deploy.CheckSchema), "%s", ve)
	assert.ErrorContains(t, ve, "Deployment/payments-api spec.replica: Invalid value: field not declared in schema [schema.structural]")
}

// TestValidate_Noise: a 64-character name is one problem, not nine; a bad
// Service port is a port problem; an empty namespace says what to do;
// warnings come with errors.
func TestValidate_Noise(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 64)
	ve := buildErr(t, deploy.NewApp(long, "shop").WithImage("ghcr.io/acme/api:1.0.0").WithServer(deploy.Gunicorn("api.wsgi:application")))
	assert.Equal(t, ve.Error(), `app shop/`+long+`: 1 problem(s):
  App name: Invalid value: "`+long+`": must be no more than 63 characters (it names every object and is the app.kubernetes.io/name label) [name.format]`)

	ve = buildErr(t, web().WithServicePort(70000))
	assert.DeepEqual(t, ve.Checks(), []deploy.CheckID{deploy.CheckPorts})

	b, err := deploy.NewApp("api", "").WithImage("ghcr.io/acme/api:1.0.0").WithServer(deploy.Gunicorn("api.wsgi:application")).Build()
	assert.NilError(t, err, "an empty namespace (a kustomize base) is allowed")
	assert.Equal(t, len(b.Warnings), 1)
	assert.ErrorContains(t, b.Warnings[0].Err, "set namespace: in the overlay")
	// Validate reports the unset namespace once for the set, naming the
	// objects, not once per object.
	warnings, err := deploy.Validate(b.Objects()...)
	assert.NilError(t, err)
	assert.Equal(t, len(warnings), 1, "%v", warnings)
	assert.Equal(t, warnings[0].String(), "metadata.namespace: Required value: 5 objects set none "+
		"(ServiceAccount/api, NetworkPolicy/api, Service/api, Deployment/api, PodDisruptionBudget/api): "+
		"they land in whatever namespace they are applied to; set metadata.namespace on each, or in a kustomize base "+
		"leave it to the overlay's namespace: field (manifest.ApplyOptions.Namespace also fills it) [namespace.unset]")
	// One object without a namespace is reported on the object.
	b.Deployment.Namespace, b.PodDisruptionBudget.Namespace, b.ServiceAccount.Namespace, b.NetworkPolicy.Namespace = "shop", "shop", "shop", "shop"
	warnings, err = deploy.Validate(b.Objects()...)
	assert.NilError(t, err)
	assert.Equal(t, len(warnings), 1, "%v", warnings)
	assert.Equal(t, warnings[0].Kind+"/"+warnings[0].Name, "Service/api")
	assert.ErrorContains(t, warnings[0].Err, "overlay's namespace: field")

	// Warnings are returned with the errors, not after they are fixed.
	ve = buildErr(t, web().WithReplicas(1).WithImage("ghcr.io/acme/api:latest"))
	assert.DeepEqual(t, ve.Checks(), []deploy.CheckID{deploy.CheckImageLatest})
	assert.Equal(t, len(ve.Warnings), 1)
	assert.Equal(t, ve.Warnings[0].Check, deploy.CheckReplicas)

	// A selector that cannot select is reported once, not again on the
	// Service, PDB and NetworkPolicy that use it.
	bb := mustBuild(t, payments())
	bb.Deployment.Spec.Selector.MatchLabels[deploy.LabelName] = "-bad-"
	ve2 := validateErr(t, bb.Objects()...)
	assert.DeepEqual(t, ve2.Checks(), []deploy.CheckID{deploy.CheckLabels})

	// An invalid container port name is reported on the container, not
	// again on the probes and the Service target port that name it.
	bb = mustBuild(t, payments())
	c := &bb.Deployment.Spec.Template.Spec.Containers[0]
	c.Ports[0].Name = "HTTP"
	c.ReadinessProbe.HTTPGet.Port = intstr.FromString("HTTP")
	c.StartupProbe.HTTPGet.Port = intstr.FromString("HTTP")
	bb.Service.Spec.Ports[0].TargetPort = intstr.FromString("HTTP")
	ve2 = validateErr(t, bb.Objects()...)
	assert.Equal(t, ve2.Error(), `1 problem(s):
  Deployment/payments-api spec.template.spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-) and must contain at least one letter (a-z) [ports.format]`)
	// A Service naming an invalid port nothing declares is still reported.
	bb.Service.Spec.Ports[0].TargetPort = intstr.FromString("HTTP_X")
	ve2 = validateErr(t, bb.Objects()...)
	assert.Assert(t, strings.Contains(ve2.Error(), `Service/payments-api spec.ports[0].targetPort: Invalid value: "HTTP_X"`), "%s", ve2)
}

// TestValidate_PDBBudgets: maxUnavailable and minAvailable follow the API
// server's rules (non-negative integer or a percentage up to 100%, not both
// set), one problem per cause.
func TestValidate_PDBBudgets(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		max, min *intstr.IntOrString
		want     string
	}{
		{"negative maxUnavailable", new(intstr.FromInt32(-1)), nil, "PodDisruptionBudget/payments-api spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0 [pdb.policy]"},
		{"unparsable maxUnavailable", new(intstr.FromString("1.5%")), nil,
			`PodDisruptionBudget/payments-api spec.maxUnavailable: Invalid value: "1.5%": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%') [pdb.policy]`},
		{"maxUnavailable over 100%", new(intstr.FromString("101%")), nil, `PodDisruptionBudget/payments-api spec.maxUnavailable: Invalid value: "101%": must not be greater than 100% [pdb.policy]`},
		{"negative minAvailable", nil, new(intstr.FromInt32(-2)), "PodDisruptionBudget/payments-api spec.minAvailable: Invalid value: -2: must be greater than or equal to 0 [pdb.policy]"},
		{"unparsable minAvailable", nil, new(intstr.FromString("most")),
			`PodDisruptionBudget/payments-api spec.minAvailable: Invalid value: "most": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%') [pdb.policy]`},
		{"both set", new(intstr.FromInt32(1)), new(intstr.FromInt32(1)), "PodDisruptionBudget/payments-api spec: Invalid value: minAvailable and maxUnavailable cannot be both set [pdb.policy]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := mustBuild(t, payments())
			b.PodDisruptionBudget.Spec.MaxUnavailable, b.PodDisruptionBudget.Spec.MinAvailable = tc.max, tc.min
			ve := validateErr(t, b.Objects()...)
			assert.Equal(t, len(ve.Problems), 1, "%s", ve)
			assert.Equal(t, ve.Problems[0].String(), tc.want)
		})
	}
}

// TestValidate_Waivers: waivers recorded as annotations are honoured, and
// a waiver of an unknown check is reported.
func TestValidate_Waivers(t *testing.T) {
	t.Parallel()
	b := mustBuild(t, payments().WithImage("ghcr.io/acme/payments:latest").Waive(deploy.CheckImageLatest, "dev cluster"))
	_, err := deploy.Validate(b.Objects()...)
	assert.NilError(t, err)
	b.Deployment.Annotations["ignore-check.pydeploy.io/no.such"] = "x"
	ve := validateErr(t, b.Objects()...)
	assert.DeepEqual(t, ve.Checks(), []deploy.CheckID{deploy.CheckWaiver})
}

// TestValidate_Relations covers the cross-object checks on hand-made sets.
func TestValidate_Relations(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(*deploy.Bundle) []runtime.Object
		check  deploy.CheckID
	}{
		{"ingress to a missing port", func(b *deploy.Bundle) []runtime.Object {
			b.Ingresses[0].Spec.Rules[0].HTTP.Paths[0].Backend.Service.Port.Name = "admin"
			return b.Objects()
		}, deploy.CheckIngress},
		{"ingress without pathType", func(b *deploy.Bundle) []runtime.Object {
			b.Ingresses[0].Spec.Rules[0].HTTP.Paths[0].PathType = nil
			return b.Objects()
		}, deploy.CheckIngress},
		{"env from a ConfigMap key that does not exist", func(b *deploy.Bundle) []runtime.Object {
			b.Deployment.Spec.Template.Spec.Containers[0].Env[1].ValueFrom.ConfigMapKeyRef.Key = "LOG_LVL"
			return b.Objects()
		}, deploy.CheckConfigReference},
		{"volume naming the base name of a generated ConfigMap", func(b *deploy.Bundle) []runtime.Object {
			vols := b.Deployment.Spec.Template.Spec.Volumes
			vols[len(vols)-1].ConfigMap.Name = "catalog-config"
			return b.Objects()
		}, deploy.CheckConfigReference},
		{"binaryData key the API server rejects", func(b *deploy.Bundle) []runtime.Object {
			b.ConfigMaps[0].BinaryData = map[string][]byte{"logo bin": {0xff}}
			return b.Objects()
		}, deploy.CheckConfigReference},
		{"mount of an undeclared volume", func(b *deploy.Bundle) []runtime.Object {
			c := &b.Deployment.Spec.Template.Spec.Containers[0]
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "cache", MountPath: "/cache"})
			return b.Objects()
		}, deploy.CheckVolumes},
		{"two containers named app", func(b *deploy.Bundle) []runtime.Object {
			ps := &b.Deployment.Spec.Template.Spec
			ps.Containers = append(ps.Containers, *ps.Containers[0].DeepCopy())
			return b.Objects()
		}, deploy.CheckContainers},
		{"probe on an init container", func(b *deploy.Bundle) []runtime.Object {
			ps := &b.Deployment.Spec.Template.Spec
			init := *ps.Containers[0].DeepCopy()
			init.Name = "wait"
			ps.InitContainers = append(ps.InitContainers, init)
			return b.Objects()
		}, deploy.CheckContainers},
		{"no NetworkPolicy", func(b *deploy.Bundle) []runtime.Object {
			b.NetworkPolicy = nil
			return b.Objects()
		}, deploy.CheckNetworkPolicy},
		{"Job restartPolicy Always", func(b *deploy.Bundle) []runtime.Object {
			return []runtime.Object{jobWith(t, func(ps *corev1.PodSpec) { ps.RestartPolicy = corev1.RestartPolicyAlways })}
		}, deploy.CheckRestartPolicy},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := mustBuild(t, catalogWithConfig(t))
			objs := tc.mutate(b)
			warnings, err := deploy.Validate(objs...)
			var ve *deploy.ValidationError
			has := errors.As(err, &ve) && ve.Has(tc.check)
			for _, w := range warnings {
				has = has || w.Check == tc.check
			}
			assert.Assert(t, has, "want %s; got %v (warnings %v)", tc.check, err, warnings)
		})
	}
}

func jobWith(t *testing.T, edit func(*corev1.PodSpec)) *batchv1.Job {
	t.Helper()
	b := mustBuild(t, oneOff())
	edit(&b.Job.Spec.Template.Spec)
	return b.Job
}

// TestValidate_KubernetesVersion: Build avoids what the target version
// lacks and refuses what was asked for; Validate reports fields newer than
// the target.
func TestValidate_KubernetesVersion(t *testing.T) {
	t.Parallel()
	old := mustBuild(t, payments().WithKubernetesVersion("1.26"))
	c := old.Deployment.Spec.Template.Spec.Containers[0]
	assert.DeepEqual(t, c.Lifecycle.PreStop.Exec.Command, []string{"sleep", "5"})
	assert.Assert(t, c.Lifecycle.PreStop.Sleep == nil)
	assert.Assert(t, old.PodDisruptionBudget.Spec.UnhealthyPodEvictionPolicy == nil)
	for _, tsc := range old.Deployment.Spec.Template.Spec.TopologySpreadConstraints {
		assert.Equal(t, len(tsc.MatchLabelKeys), 0)
	}
	_, err := deploy.ValidateWith(deploy.ValidateOptions{KubernetesVersion: "1.26"}, old.Objects()...)
	assert.NilError(t, err)

	cur := mustBuild(t, payments())
	_, err = deploy.ValidateWith(deploy.ValidateOptions{KubernetesVersion: "v1.26.3"}, cur.Objects()...)
	var ve *deploy.ValidationError
	assert.Assert(t, errors.As(err, &ve))
	assert.DeepEqual(t, ve.Checks(), []deploy.CheckID{deploy.CheckKubernetesVersion, deploy.CheckKubernetesVersion, deploy.CheckKubernetesVersion, deploy.CheckKubernetesVersion})
	assert.ErrorContains(t, ve, "lifecycle.preStop.sleep: Forbidden: lifecycle preStop/postStart sleep needs Kubernetes 1.30 or newer")
	assert.ErrorContains(t, ve, "unhealthyPodEvictionPolicy: Forbidden")

	ve = buildErr(t, fastAPIWithSidecar().WithKubernetesVersion("1.28"))
	assert.DeepEqual(t, ve.Checks(), []deploy.CheckID{deploy.CheckKubernetesVersion})
	assert.ErrorContains(t, ve, "native sidecars (init containers with restartPolicy Always) needs Kubernetes 1.29 or newer")
	ve = buildErr(t, web().WithKubernetesVersion("1.23").WithLiveness(probe.GRPC(8000)))
	assert.ErrorContains(t, ve, "livenessProbe.grpc: Forbidden: gRPC probes needs Kubernetes 1.24 or newer")
	ve = buildErr(t, nightlyReport().WithKubernetesVersion("1.25"))
	assert.ErrorContains(t, ve, "CronJob timeZone needs Kubernetes 1.27 or newer")

	_, err = deploy.ValidateWith(deploy.ValidateOptions{KubernetesVersion: "banana"})
	assert.ErrorContains(t, err, `validate: KubernetesVersion "banana" is not a Kubernetes version`)
	assert.Equal(t, deploy.DefaultKubernetesVersion, "1.35")
}

func toUnstructured(t *testing.T, obj runtime.Object) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	assert.NilError(t, err)
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(obj.GetObjectKind().GroupVersionKind())
	return u
}
