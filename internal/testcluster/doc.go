// Package testcluster runs a real Kubernetes control plane inside a Go
// process, for pydeploy's integration tests and for the examples' embedded
// default cluster.
//
// Start runs, all in-process and on 127.0.0.1:
//
//   - etcd (go.etcd.io/etcd/server/v3/embed) in a temp dir;
//   - kube-apiserver, through the test server of k8s.io/kubernetes
//     (every request is authorized; ResourceQuota admission is on);
//   - the deployment, replicaset, namespace and resourcequota controllers
//     of kube-controller-manager;
//   - a pod driver that stands in for kube-scheduler's binding and for the
//     kubelet of one fake node: it binds pods, writes the pod and container
//     status a kubelet writes, and the same events;
//   - a fake kubelet HTTPS endpoint, so pod logs can be read through the
//     API server (pods/log);
//   - a front proxy at a fixed address, which every client uses. It keeps
//     that address, CA and token stable across RestartAPIServer, and it
//     implements ExpireWatches.
//
// What a pod does is data, chosen per container by a keyword in its image
// (example.com/app:crashloop) or per pod by the ScenarioAnnotation; see
// Scenario. The default is Ready after Options.ReadyDelay. Failure loops
// (crash loop, image pull back-off, failing readiness probe) run at
// Options.CrashLoopInterval so tests see them within a second or two.
//
// In a test binary, Main (from TestMain) and Shared give all tests one
// control plane, and NewNamespace gives each test its own namespace:
//
//	func TestMain(m *testing.M) { os.Exit(testcluster.Main(m, testcluster.Options{})) }
//
//	func TestRollout(t *testing.T) {
//		c := testcluster.Shared(t)
//		ns := c.NewNamespace(t)
//		client := c.Client() // or kubernetes.NewForConfig(c.Config())
//		...
//	}
//
// WriteKubeconfig lets kubectl talk to the same control plane.
//
// Not run: kube-scheduler (the driver binds every schedulable pod to its
// node), the garbage collector (deleting a Deployment with background
// propagation leaves its ReplicaSets; the namespace controller does delete
// everything in a deleted namespace), service accounts, networking.
//
// This package lives in its own Go module because k8s.io/kubernetes needs
// replace directives for its staging modules; the pydeploy library's go.mod
// never sees it.
package testcluster
