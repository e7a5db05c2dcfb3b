package integration

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/pydeploy/pydeploy/internal/testcluster"
	"github.com/pydeploy/pydeploy/manifest"
)

// orderBundle is a release that only applies in the right order: a
// ServiceAccount and RBAC, a ResourceQuota and LimitRange, a ConfigMap, a
// PVC, a Service, a migration Job marked pre-workload, the Deployment, its
// PDB, and a validating webhook that refuses every new ConfigMap of the
// namespace (failurePolicy Fail, its Service has no endpoints): applied
// before the ConfigMap, it would reject it. The input is in reverse order.
func orderBundle(ns string) []runtime.Object {
	labels := map[string]string{"app.kubernetes.io/name": "shop"}
	tm := func(apiVersion, kind string) metav1.TypeMeta {
		return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
	}
	om := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: ns} }
	pod := corev1.PodSpec{ServiceAccountName: "shop", Containers: []corev1.Container{{Name: "app", Image: "example.com/shop:1",
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
			Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")}}}}}
	migration := pod.DeepCopy()
	migration.RestartPolicy = corev1.RestartPolicyNever
	objs := []runtime.Object{
		&admissionregistrationv1.ValidatingWebhookConfiguration{TypeMeta: tm("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
			ObjectMeta: metav1.ObjectMeta{Name: ns + "-deny-configmaps"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{
				Name:                    "deny-configmaps.shop.example.com",
				ClientConfig:            admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: ns, Name: "shop", Port: ptr.To[int32](443)}},
				Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create}, Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}},
				NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: ns}},
				FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
				SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
				AdmissionReviewVersions: []string{"v1"},
			}}},
		&policyv1.PodDisruptionBudget{TypeMeta: tm("policy/v1", "PodDisruptionBudget"), ObjectMeta: om("shop"),
			Spec: policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, MaxUnavailable: new(intstr.FromInt32(1))}},
		&appsv1.Deployment{TypeMeta: tm("apps/v1", "Deployment"), ObjectMeta: om("shop"), Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod}}},
		&batchv1.Job{TypeMeta: tm("batch/v1", "Job"), ObjectMeta: metav1.ObjectMeta{Name: "shop-migrate", Namespace: ns,
			Annotations: map[string]string{manifest.PhaseAnnotation: manifest.PhasePreWorkload}},
			Spec: batchv1.JobSpec{BackoffLimit: ptr.To[int32](0), Template: corev1.PodTemplateSpec{Spec: *migration}}},
		&corev1.Service{TypeMeta: tm("v1", "Service"), ObjectMeta: om("shop"), Spec: corev1.ServiceSpec{Selector: labels,
			Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromInt32(8443)}}}},
		&corev1.PersistentVolumeClaim{TypeMeta: tm("v1", "PersistentVolumeClaim"), ObjectMeta: om("shop-media"), Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}},
		&corev1.ConfigMap{TypeMeta: tm("v1", "ConfigMap"), ObjectMeta: om("shop-settings"), Data: map[string]string{"LOG_LEVEL": "info"}},
		&corev1.LimitRange{TypeMeta: tm("v1", "LimitRange"), ObjectMeta: om("defaults"), Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type: corev1.LimitTypeContainer, DefaultRequest: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")}}}}},
		&corev1.ResourceQuota{TypeMeta: tm("v1", "ResourceQuota"), ObjectMeta: om("quota"), Spec: corev1.ResourceQuotaSpec{
			Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("10"), corev1.ResourceRequestsStorage: resource.MustParse("10Gi")}}},
		&rbacv1.RoleBinding{TypeMeta: tm("rbac.authorization.k8s.io/v1", "RoleBinding"), ObjectMeta: om("shop"),
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "shop", Namespace: ns}},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "shop"}},
		&rbacv1.Role{TypeMeta: tm("rbac.authorization.k8s.io/v1", "Role"), ObjectMeta: om("shop"),
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "watch"}}}},
		&corev1.ServiceAccount{TypeMeta: tm("v1", "ServiceAccount"), ObjectMeta: om("shop")},
	}
	return objs
}

// TestApplyOrderOneCall: the whole bundle applies in one call on the real
// control plane, in Render's order, the webhook last.
func TestApplyOrderOneCall(t *testing.T) {
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	ctx := context.Background()
	objs := orderBundle(ns)
	t.Cleanup(func() {
		_ = c.Client().AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(context.Background(), ns+"-deny-configmaps", metav1.DeleteOptions{})
	})

	res, err := manifest.Apply(ctx, c.Config(), objs, manifest.ApplyOptions{})
	assert.NilError(t, err)
	assert.Equal(t, applyActions(res), "serviceaccount/shop created\n"+
		"role.rbac.authorization.k8s.io/shop created\n"+
		"rolebinding.rbac.authorization.k8s.io/shop created\n"+
		"resourcequota/quota created\n"+
		"limitrange/defaults created\n"+
		"configmap/shop-settings created\n"+
		"persistentvolumeclaim/shop-media created\n"+
		"service/shop created\n"+
		"job.batch/shop-migrate created\n"+
		"deployment.apps/shop created\n"+
		"poddisruptionbudget.policy/shop created\n"+
		"validatingwebhookconfiguration.admissionregistration.k8s.io/"+ns+"-deny-configmaps created\n")

	rendered, err := manifest.RenderBytes(objs...)
	assert.NilError(t, err)
	var renderedKinds []string
	for line := range strings.Lines(string(rendered)) {
		if k, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "kind: "); ok {
			renderedKinds = append(renderedKinds, k)
		}
	}
	var appliedKinds []string
	for _, a := range res.Objects {
		appliedKinds = append(appliedKinds, a.Object.GetKind())
	}
	assert.DeepEqual(t, appliedKinds, renderedKinds)

	// The webhook is live: had it come first, the ConfigMap would have
	// been refused. (This is why admission configuration goes last.)
	late := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "late", Namespace: ns}}
	_, err = manifest.Apply(ctx, c.Config(), []runtime.Object{late}, manifest.ApplyOptions{})
	assert.ErrorContains(t, err, "deny-configmaps.shop.example.com")

	// Re-applying the same bundle changes nothing and needs no new ConfigMap.
	again, err := manifest.Apply(ctx, c.Config(), objs, manifest.ApplyOptions{})
	assert.NilError(t, err)
	for _, a := range again.Objects {
		assert.Equal(t, a.Action, manifest.ActionUnchanged, a.String())
	}
}

// TestDeployBundlesServerDryRun: the golden bundles of package deploy (a
// Celery worker, a Django service with its migration Job, a FastAPI
// service with a native sidecar, a generated ConfigMap with an Ingress, a
// CronJob) pass the real API server's validation and admission in a
// server-side dry run, in apply order.
func TestDeployBundlesServerDryRun(t *testing.T) {
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "deploy", "testdata", "bundles", "*.yaml"))
	assert.NilError(t, err)
	assert.Equal(t, len(files), 5, "the five golden bundles of package deploy")
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			assert.NilError(t, err)
			objs, err := manifest.Parse(bytes.NewReader(data), manifest.ParseOptions{})
			assert.NilError(t, err)
			for _, o := range objs {
				o.(metav1.Object).SetNamespace(ns)
			}
			res, err := manifest.Apply(ctx, c.Config(), objs, manifest.ApplyOptions{DryRun: true})
			assert.NilError(t, err)
			assert.Equal(t, len(res.Objects), len(objs))
			var kinds []string
			for _, a := range res.Objects {
				assert.Equal(t, a.Action, manifest.ActionCreated, a.String())
				kinds = append(kinds, a.Object.GetKind())
			}
			if i := slices.Index(kinds, "Job"); i >= 0 && slices.Contains(kinds, "Deployment") {
				assert.Assert(t, i < slices.Index(kinds, "Deployment"), "the migration Job applies before the Deployment: %v", kinds)
			}
			t.Logf("%s: %s", filepath.Base(f), strings.Join(kinds, ", "))
		})
	}
}
