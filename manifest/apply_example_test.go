package manifest_test

import (
	"context"
	"fmt"

	"github.com/pydeploy/pydeploy/manifest"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta/testrestmapper"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/applyconfigurations"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
)

// exampleApplier is an Applier on a fake dynamic client that does
// server-side apply with field management. Against a cluster, use
// manifest.Apply(ctx, restConfig, objs, opts) or manifest.NewApplier.
func exampleApplier() *manifest.Applier {
	tracker := k8stesting.NewFieldManagedObjectTracker(scheme.Scheme, scheme.Codecs.UniversalDecoder(),
		applyconfigurations.NewTypeConverter(scheme.Scheme))
	react := k8stesting.ObjectReaction(tracker)
	client := dynamicfake.NewSimpleDynamicClient(scheme.Scheme)
	client.PrependReactor("*", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		handled, obj, err := react(a)
		if err != nil || obj == nil {
			return handled, obj, err
		}
		gvks, _, err := scheme.Scheme.ObjectKinds(obj)
		if err != nil {
			return true, nil, err
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		u := &unstructured.Unstructured{Object: m}
		u.SetGroupVersionKind(gvks[0])
		return true, u, err
	})
	return &manifest.Applier{Client: client, Mapper: testrestmapper.TestOnlyStaticRESTMapper(scheme.Scheme)}
}

func ExampleApplier_Apply() {
	config := func(level string) []runtime.Object {
		return []runtime.Object{
			&corev1.ConfigMap{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
				ObjectMeta: metav1.ObjectMeta{Name: "payments-config"},
				Data:       map[string]string{"LOG_LEVEL": level, "WORKERS": "4"},
			},
			&corev1.Namespace{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
				ObjectMeta: metav1.ObjectMeta{Name: "shop"},
			},
		}
	}
	a := exampleApplier()
	ctx := context.Background()
	opts := manifest.ApplyOptions{Namespace: "shop", Diff: true}

	res, err := a.Apply(ctx, config("info"), opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(res)

	res, err = a.Apply(ctx, config("debug"), opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(res, res.Diff())
	// Output:
	// namespace/shop created
	// configmap/payments-config created
	// namespace/shop unchanged
	// configmap/payments-config configured
	// --- live configmap/payments-config
	// +++ applied
	// @@ -1,6 +1,6 @@
	//  apiVersion: v1
	//  data:
	// -  LOG_LEVEL: info
	// +  LOG_LEVEL: debug
	//    WORKERS: "4"
	//  kind: ConfigMap
	//  metadata:
}
