package testcluster

import (
	"context"
	"path/filepath"
	"time"

	cadvisorapi "github.com/google/cadvisor/lib/model"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/cmd/kubelet/app/options"
	kubeletconfig "k8s.io/kubernetes/pkg/kubelet/apis/config"
	cadvisortest "k8s.io/kubernetes/pkg/kubelet/cadvisor/testing"
	"k8s.io/kubernetes/pkg/kubelet/cm"
)

// clusterDNS is the cluster DNS address kubelet writes into pods'
// resolv.conf (no DNS server answers there; without one kubelet warns
// MissingClusterDNS on every pod).
const clusterDNS = "10.96.0.10"

// configureKubelet adjusts kubemark's hollow kubelet configuration for a
// node of this control plane: its own address, port and directories, and
// kubelet's defaults where kubemark tunes for scale.
func configureKubelet(cfg *nodeConfig, f *options.KubeletFlags, c *kubeletconfig.KubeletConfiguration) {
	root := filepath.Join(cfg.Dir, "kubelet")
	f.RootDirectory = root
	f.NodeIP = cfg.IP
	c.Address = cfg.IP
	c.Port = int32(cfg.KubeletPort)
	c.ReadOnlyPort = 0
	c.HealthzPort = 0
	c.StaticPodPath = "" // no static pods
	c.PodLogsDir = filepath.Join(cfg.Dir, "pod-logs")
	c.ClusterDNS = []string{clusterDNS}
	c.ClusterDomain = "cluster.local"
	// Kubelet's default; kubemark's 10s resyncs every pod six times as often.
	c.SyncFrequency.Duration = time.Minute
	// Pulls run in parallel, so that one test's slow pull does not hold up
	// another test's pods on the same node.
	c.SerializeImagePulls = false
	// Each pod holds a few descriptors here (probe listeners, log files);
	// kubemark's 1024 would cap a node well below MaxPods.
	c.MaxOpenFiles = 1 << 16
}

// machine is kubemark's fake cadvisor with the node's capacity: cadvisor
// would read the host's cgroups and /proc, which describe the test
// machine, not the node.
type machine struct {
	cadvisortest.Fake
	cpus   int
	memory int64
}

// nodeDisk is each node's disk for ephemeral storage (the root and image
// filesystems are one), all but 1Gi free: pods that request
// ephemeral-storage fit, and kubelet's eviction manager sees no pressure.
const nodeDisk = 100 << 30

func diskInfo() (cadvisorapi.FsInfo, error) {
	return cadvisorapi.FsInfo{
		Timestamp: time.Now(), Device: "/dev/testcluster", Mountpoint: "/",
		Capacity: nodeDisk, Available: nodeDisk - 1<<30, Usage: 1 << 30,
	}, nil
}

// containerManager is kubelet's stub container manager with the node's
// disk as its ephemeral-storage capacity (the stub reports 0, which no pod
// that requests ephemeral storage fits).
type containerManager struct{ cm.ContainerManager }

func newContainerManager() containerManager {
	return containerManager{ContainerManager: cm.NewStubContainerManager()}
}

// GetCapacity reports the node's disk as ephemeral-storage capacity.
func (c containerManager) GetCapacity(_ klog.Logger, localStorageCapacityIsolation bool) v1.ResourceList {
	if !localStorageCapacityIsolation {
		return v1.ResourceList{}
	}
	return v1.ResourceList{v1.ResourceEphemeralStorage: *resource.NewQuantity(nodeDisk, resource.BinarySI)}
}

// RootFsInfo reports the node's disk.
func (m *machine) RootFsInfo() (cadvisorapi.FsInfo, error) { return diskInfo() }

// ImagesFsInfo reports the node's disk: images share it.
func (m *machine) ImagesFsInfo(context.Context) (cadvisorapi.FsInfo, error) { return diskInfo() }

// ContainerFsInfo reports the node's disk: containers share it.
func (m *machine) ContainerFsInfo(context.Context) (cadvisorapi.FsInfo, error) { return diskInfo() }

func newMachine(cfg *nodeConfig) *machine {
	return &machine{Fake: cadvisortest.Fake{NodeName: cfg.Name}, cpus: cfg.CPUs, memory: cfg.Memory}
}

// MachineInfo reports the node's CPUs and memory.
func (m *machine) MachineInfo(logger klog.Logger) (*cadvisorapi.MachineInfo, error) {
	mi, err := m.Fake.MachineInfo(logger)
	if err != nil {
		return nil, err
	}
	mi.NumCores = m.cpus
	mi.MemoryCapacity = uint64(m.memory)
	return mi, nil
}
