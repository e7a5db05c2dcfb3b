package testcluster_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/pydeploy/pydeploy/internal/testcluster"
)

// closed waits until the watch's result channel is closed.
func closed(t *testing.T, w watch.Interface) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case _, ok := <-w.ResultChan():
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("watch still open after 20s")
		}
	}
}

// next waits for the watch's next event.
func next(t *testing.T, w watch.Interface) watch.Event {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		assert.Assert(t, ok, "watch closed")
		return ev
	case <-time.After(20 * time.Second):
		t.Fatal("no watch event after 20s")
	}
	return watch.Event{}
}

func configMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"k": "v"}}
}

// Not parallel: the restart cuts every test's connections.
func TestRestartAPIServer(t *testing.T) {
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	ctx := context.Background()
	before, err := kubernetes.NewForConfig(c.Config())
	assert.NilError(t, err)
	_, err = before.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	assert.NilError(t, err)
	w, err := before.CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{})
	assert.NilError(t, err)
	defer w.Stop()

	assert.NilError(t, c.RestartAPIServer(ctx))
	closed(t, w)

	// A client made before the restart works after it.
	_, err = before.CoreV1().ConfigMaps(ns).Create(ctx, configMap("after-restart"), metav1.CreateOptions{})
	assert.NilError(t, err)
	got, err := before.CoreV1().ConfigMaps(ns).Get(ctx, "after-restart", metav1.GetOptions{})
	assert.NilError(t, err)
	assert.Equal(t, got.Data["k"], "v")

	// The controllers, kube-scheduler and the kubelets reconnect.
	_, err = before.AppsV1().Deployments(ns).Create(ctx, deploymentOf(ns, "web", 2), metav1.CreateOptions{})
	assert.NilError(t, err)
	rolledOut(t, before, ns, 2)
	recovers(t, c)
}

// recovers waits until a new pod is scheduled and runs again, after a test
// cut every watch: the scheduler's and kubelets' informers back off
// before they watch again (client-go reflectors: 0.8s doubling to 30s),
// as they would on a real cluster; tests that follow need them.
func recovers(t *testing.T, c *testcluster.Cluster) {
	t.Helper()
	client := c.Client()
	ctx := context.Background()
	ns := c.NewNamespace(t)
	start := time.Now()
	_, err := client.CoreV1().Pods(ns).Create(ctx, podOf(ns, "probe", "example.com/probe:1", nil), metav1.CreateOptions{})
	assert.NilError(t, err)
	podUntil(t, client, ns, "probe", "running", 2*time.Minute, ready)
	t.Logf("the scheduler and the nodes recovered in %s", time.Since(start).Round(100*time.Millisecond))
}

// Not parallel: expiring watches cuts every test's watches. One expiry
// serves both encodings: each one makes every informer of the cluster
// back off before it watches again.
func TestExpireWatches(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	type watched struct {
		cms typedcorev1.ConfigMapInterface
		cm  *corev1.ConfigMap
		w   watch.Interface
	}
	contentTypes := []string{runtime.ContentTypeJSON, runtime.ContentTypeProtobuf}
	ws := map[string]watched{}
	for _, contentType := range contentTypes {
		ns := c.NewNamespace(t)
		cfg := c.Config()
		cfg.ContentType = contentType
		client, err := kubernetes.NewForConfig(cfg)
		assert.NilError(t, err)
		cms := client.CoreV1().ConfigMaps(ns)
		cm, err := cms.Create(ctx, configMap("before"), metav1.CreateOptions{})
		assert.NilError(t, err)
		w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: cm.ResourceVersion})
		assert.NilError(t, err)
		defer w.Stop()
		ws[contentType] = watched{cms, cm, w}
	}

	n, err := c.ExpireWatches(ctx)
	assert.NilError(t, err)
	assert.Assert(t, n >= 2, "cut %d watches", n)
	for _, contentType := range contentTypes {
		t.Run(contentType, func(t *testing.T) {
			cms, cm := ws[contentType].cms, ws[contentType].cm
			closed(t, ws[contentType].w)

			// A watch from the old resourceVersion: 410 Expired in the stream.
			old, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: cm.ResourceVersion})
			assert.NilError(t, err)
			defer old.Stop()
			ev := next(t, old)
			assert.Equal(t, ev.Type, watch.Error)
			status, ok := ev.Object.(*metav1.Status)
			assert.Assert(t, ok, "%T", ev.Object)
			assert.Equal(t, status.Code, int32(410))
			assert.Equal(t, status.Reason, metav1.StatusReasonExpired)
			assert.Assert(t, is.Contains(status.Message, "too old resource version: "+cm.ResourceVersion+" ("))
			assert.Assert(t, apierrors.IsResourceExpired(apierrors.FromObject(ev.Object)))
			closed(t, old)

			// After a relist, watching works again.
			list, err := cms.List(ctx, metav1.ListOptions{})
			assert.NilError(t, err)
			fresh, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
			assert.NilError(t, err)
			defer fresh.Stop()
			_, err = cms.Create(ctx, configMap("after"), metav1.CreateOptions{})
			assert.NilError(t, err)
			ev = next(t, fresh)
			assert.Equal(t, ev.Type, watch.Added)
			assert.Equal(t, ev.Object.(*corev1.ConfigMap).Name, "after")
		})
	}
	recovers(t, c)
}

// An informer recovers from expired watches: its re-watch from the last
// resourceVersion gets 410, so it must relist to see new objects.
func TestExpireWatchesInformerRelists(t *testing.T) {
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	client := c.Client()
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns))
	defer factory.Shutdown() // after cancel: Shutdown waits for the informers to stop
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lister := factory.Core().V1().ConfigMaps().Lister()
	synced := factory.Core().V1().ConfigMaps().Informer().HasSynced
	factory.Start(ctx.Done())
	assert.Assert(t, cache.WaitForCacheSync(ctx.Done(), synced))

	_, err := client.CoreV1().ConfigMaps(ns).Create(ctx, configMap("before"), metav1.CreateOptions{})
	assert.NilError(t, err)
	waitFor(t, 20*time.Second, "the informer to see configmap before", func(context.Context) (bool, error) {
		_, err := lister.ConfigMaps(ns).Get("before")
		return err == nil, nil
	})
	_, err = c.ExpireWatches(ctx)
	assert.NilError(t, err)
	_, err = client.CoreV1().ConfigMaps(ns).Create(ctx, configMap("after"), metav1.CreateOptions{})
	assert.NilError(t, err)
	waitFor(t, 30*time.Second, "the informer to see configmap after", func(context.Context) (bool, error) {
		_, err := lister.ConfigMaps(ns).Get("after")
		return err == nil, nil
	})
	recovers(t, c)
}

func TestKubeconfig(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	ns := c.NewNamespace(t)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	assert.NilError(t, c.WriteKubeconfig(path))
	fi, err := os.Stat(path)
	assert.NilError(t, err)
	assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o600))

	written, err := os.ReadFile(path)
	assert.NilError(t, err)
	again, err := c.Kubeconfig()
	assert.NilError(t, err)
	assert.DeepEqual(t, written, again)

	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	assert.NilError(t, err)
	client, err := kubernetes.NewForConfig(cfg)
	assert.NilError(t, err)
	_, err = client.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	assert.NilError(t, err)

	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, kubectl, "--kubeconfig", path, "get", "namespaces", "-o", "name").CombinedOutput()
	assert.NilError(t, err, string(out))
	assert.Assert(t, is.Contains(strings.Fields(string(out)), "namespace/"+ns))
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	c := testcluster.Shared(t)
	cfg := c.Config()
	cfg.BearerToken = "wrong"
	client, err := kubernetes.NewForConfig(cfg)
	assert.NilError(t, err)
	_, err = client.CoreV1().Namespaces().Get(context.Background(), "default", metav1.GetOptions{})
	assert.Assert(t, apierrors.IsUnauthorized(err), "%v", err)
}
