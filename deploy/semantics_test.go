package deploy_test

import (
	"bytes"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"gotest.tools/v3/assert"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/pydeploy/pydeploy/deploy"
	"github.com/pydeploy/pydeploy/manifest"
	"github.com/pydeploy/pydeploy/probe"
)

// TestSemantics_DerivedPresetLeavesBaseUnchanged: the trap,
// prod := base.WithReplicas(5); staging := base.WithReplicas(1), and the
// same for every kind of field (slices with spare capacity, maps,
// pointers, nested builders), for App, Server, Container, probe.Builder,
// ConfigMap, Ingress and Migration.
func TestSemantics_DerivedPresetLeavesBaseUnchanged(t *testing.T) {
	t.Parallel()
	base := payments().
		WithEnv("A", "1").WithEnv("B", "2"). // a slice that may have spare capacity
		WithLabels(map[string]string{"team": "payments"}).
		WithTolerations(corev1.Toleration{Key: "pool", Operator: corev1.TolerationOpEqual, Value: "web", Effect: corev1.TaintEffectNoSchedule})
	before := render(t, mustBuild(t, base).Objects())

	prod := base.WithReplicas(5).WithEnv("C", "prod").WithLabels(map[string]string{"tier": "prod"}).
		WithTolerations(corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpExists}).
		WithSidecar(deploy.NewContainer("proxy", "ghcr.io/acme/proxy:1.0.0"))
	staging := base.WithReplicas(1).WithEnv("C", "staging")

	assert.Equal(t, string(render(t, mustBuild(t, base).Objects())), string(before), "deriving presets changed the base")
	p, s := mustBuild(t, prod), mustBuild(t, staging)
	assert.Equal(t, *p.Deployment.Spec.Replicas, int32(5))
	assert.Equal(t, *s.Deployment.Spec.Replicas, int32(1))
	env := func(b *deploy.Bundle) string {
		e := b.Deployment.Spec.Template.Spec.Containers[0].Env
		return e[len(e)-1].Value
	}
	assert.Equal(t, env(p), "prod")
	assert.Equal(t, env(s), "staging", "the two presets share the base's env storage")
	assert.Equal(t, s.Deployment.Labels["tier"], "", "prod's label leaked into staging")
	assert.Equal(t, len(s.Deployment.Spec.Template.Spec.Tolerations), 1)
	assert.Equal(t, len(s.Deployment.Spec.Template.Spec.InitContainers), 0)

	srv := deploy.Gunicorn("a.wsgi:app").WithArgs("--log-level", "info")
	s1, s2 := srv.WithArgs("--x"), srv.WithArgs("--y")
	a1 := mustBuild(t, web().WithServer(s1)).Deployment.Spec.Template.Spec.Containers[0].Command
	a2 := mustBuild(t, web().WithServer(s2)).Deployment.Spec.Template.Spec.Containers[0].Command
	assert.Equal(t, a1[len(a1)-2], "--x")
	assert.Equal(t, a2[len(a2)-2], "--y")

	pb := probe.HTTPGet("/ready", intstr.FromString("http")).WithHeader("X-A", "1")
	p1, p2 := pb.WithHeader("X-B", "2"), pb.WithHostHeader("h.example").WithPeriod(3*time.Second)
	assert.Equal(t, len(pb.Probe().HTTPGet.HTTPHeaders), 1, "a derived probe changed its base")
	assert.Equal(t, pb.Probe().PeriodSeconds, int32(10))
	assert.Equal(t, len(p1.Probe().HTTPGet.HTTPHeaders), 2)
	assert.Equal(t, p2.Probe().HTTPGet.HTTPHeaders[1].Value, "h.example")

	c := deploy.NewContainer("x", "ghcr.io/acme/x:1.0.0").WithEnv("A", "1")
	c1, c2 := c.WithEnv("B", "1"), c.WithEnv("B", "2")
	b1 := mustBuild(t, web().WithContainer(c1)).Deployment.Spec.Template.Spec.Containers[1].Env
	b2 := mustBuild(t, web().WithContainer(c2)).Deployment.Spec.Template.Spec.Containers[1].Env
	assert.Equal(t, b1[1].Value, "1")
	assert.Equal(t, b2[1].Value, "2")

	cm := deploy.NewConfigMap("cfg").WithLiteral("a", "1")
	_ = cm.WithLiteral("a", "2")
	got := mustBuild(t, web().WithConfigMap(cm)).ConfigMaps[0]
	assert.Equal(t, got.Data["a"], "1", "a derived ConfigMap changed its base")
}

// TestSemantics_ConfigMapHashMatchesKustomize: the generated name is the
// one kustomize's configMapGenerator gives the same files and literals.
func TestSemantics_ConfigMapHashMatchesKustomize(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{
		"settings.toml": {Data: []byte("[search]\npage_size = 50\n")},
		"logo.bin":      {Data: []byte{0xff, 0x00, 0xfe}},
	}
	cm := deploy.NewConfigMap("catalog-config").WithFile(files, "settings.toml").WithFile(files, "logo.bin").WithLiteral("LOG_LEVEL", "info")
	ours := mustBuild(t, web().WithConfigMap(cm)).ConfigMaps[0]

	fs := filesys.MakeFsInMemory()
	assert.NilError(t, fs.WriteFile("/app/settings.toml", files["settings.toml"].Data))
	assert.NilError(t, fs.WriteFile("/app/logo.bin", files["logo.bin"].Data))
	assert.NilError(t, fs.WriteFile("/app/kustomization.yaml", []byte(`configMapGenerator:
- name: catalog-config
  files: [settings.toml, logo.bin]
  literals: [LOG_LEVEL=info]
`)))
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/app")
	assert.NilError(t, err)
	assert.Equal(t, len(res.Resources()), 1)
	theirs := res.Resources()[0]
	assert.Equal(t, ours.Name, theirs.GetName())
	assert.Equal(t, ours.Data["settings.toml"], "[search]\npage_size = 50\n")
	assert.DeepEqual(t, ours.BinaryData["logo.bin"], []byte{0xff, 0x00, 0xfe})

	changed := mustBuild(t, web().WithConfigMap(cm.WithLiteral("LOG_LEVEL", "debug"))).ConfigMaps[0]
	assert.Assert(t, changed.Name != ours.Name, "a content change must rename the ConfigMap")
	fixed := mustBuild(t, web().WithConfigMap(cm.WithoutHashSuffix())).ConfigMaps[0]
	assert.Equal(t, fixed.Name, "catalog-config")

	ve := buildErr(t, web().WithConfigMap(deploy.NewConfigMap("c").WithFile(files, "missing.toml")))
	assert.ErrorContains(t, ve, `ConfigMap "c": read file: open missing.toml: file does not exist`)
}

func TestSemantics_ExposureAndAutoscaling(t *testing.T) {
	t.Parallel()
	b := mustBuild(t, web().WithServiceType(corev1.ServiceTypeLoadBalancer).WithServicePort(80).
		WithHTTPRoute(deploy.NewHTTPRoute("public").WithGatewayNamespace("gateways").WithHostnames("api.example.com").WithPathPrefix("/v1")).
		WithHPA(deploy.Autoscaling{MinReplicas: 2, MaxReplicas: 8, CPUUtilizationRatio: 70, MemoryUtilizationRatio: 80,
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{
				StabilizationWindowSeconds: new(int32(600)),
				Policies:                   []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: 1, PeriodSeconds: 60}},
			}}}))
	assert.Equal(t, b.Service.Spec.Type, corev1.ServiceTypeLoadBalancer)
	r := b.HTTPRoutes[0]
	assert.Equal(t, string(*r.Spec.ParentRefs[0].Namespace), "gateways")
	assert.Equal(t, *r.Spec.Rules[0].BackendRefs[0].Port, int32(80))
	assert.Equal(t, string(r.Spec.Rules[0].BackendRefs[0].Name), "api")
	assert.Equal(t, len(b.HorizontalPodAutoscaler.Spec.Metrics), 2)
	assert.Equal(t, b.HorizontalPodAutoscaler.Spec.Metrics[1].Resource.Name, corev1.ResourceMemory)
	assert.Equal(t, *b.HorizontalPodAutoscaler.Spec.Behavior.ScaleDown.StabilizationWindowSeconds, int32(600))
	assert.Assert(t, b.Deployment.Spec.Replicas == nil)
	// Validate converts the HTTPRoute and checks it against the Service,
	// typed or parsed from YAML (then unstructured).
	_, err := deploy.Validate(b.Objects()...)
	assert.NilError(t, err)
	out, err := manifest.RenderBytes(b.Objects()...)
	assert.NilError(t, err)
	parsed, err := manifest.Parse(bytes.NewReader(out), manifest.ParseOptions{})
	assert.NilError(t, err)
	_, err = deploy.Validate(parsed...)
	assert.NilError(t, err)
	typo := bytes.Replace(out, []byte("backendRefs:"), []byte("backendRef:"), 1)
	parsed, err = manifest.Parse(bytes.NewReader(typo), manifest.ParseOptions{AllowUnknownFields: true})
	assert.NilError(t, err)
	_, err = deploy.Validate(parsed...)
	assert.ErrorContains(t, err, `unknown field "spec.rules[0].backendRef"`)
	bad := r.DeepCopy()
	bad.Spec.Rules[0].BackendRefs[0].Port = new(int32(8080))
	bad.Spec.ParentRefs = nil
	_, err = deploy.Validate(b.Service, bad)
	assert.Error(t, err, `2 problem(s):
  HTTPRoute/api spec.parentRefs: Required value: attach the route to a Gateway, or no traffic reaches it [httproute.backend]
  HTTPRoute/api spec.rules[0].backendRefs[0].port: Invalid value: 8080: Service "api" has no port 8080 [httproute.backend]`)

	ve := buildErr(t, web().WithHPA(deploy.Autoscaling{MinReplicas: 2, MaxReplicas: 4, CPUUtilizationRatio: 70,
		Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: new(int32(7200))}}}))
	assert.ErrorContains(t, ve, "stabilizationWindowSeconds: Invalid value: 7200: must be less than or equal to 3600")
	assert.ErrorContains(t, ve, "policies: Required value: must specify at least one Policy")
}

func TestSemantics_ProbesFromPythonSet(t *testing.T) {
	t.Parallel()
	set, err := probe.Django(intstr.FromString("http"), "api.shop.svc", probe.PythonOptions{ReadinessPath: "/readyz", LivenessPath: "/livez", BootTime: time.Minute})
	assert.NilError(t, err)
	b := mustBuild(t, web().WithProbes(set))
	c := b.Deployment.Spec.Template.Spec.Containers[0]
	assert.DeepEqual(t, c.ReadinessProbe, set.Readiness)
	assert.DeepEqual(t, c.LivenessProbe, set.Liveness)
	assert.Equal(t, c.StartupProbe.HTTPGet.Path, "/livez")
	if diff := cmp.Diff(probe.From(set.Readiness).Probe(), set.Readiness); diff != "" {
		t.Errorf("From does not round-trip:\n%s", diff)
	}
}
