package testcluster

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
)

// Pod addresses. Linux routes all of 127.0.0.0/8 to the loopback
// interface, so any 127.x.y.z can be bound without configuration. Each
// control plane takes a /16 of its own, 127.B.0.0/16, so that control
// planes running at the same time on one machine (parallel test binaries)
// never share an address: node n (1-based) gives its pods the addresses
// 127.B.16(n-1).1 to 127.B.16(n-1)+15.254. (Nodes themselves cannot live
// there: kubelet refuses a loopback node address.)
const (
	firstBlock      = 32
	lastBlock       = 250
	maxNodes        = 15
	podBlocksByNode = 16 // /24 blocks of pod addresses per node
)

// loopbackBlock is a /16 of 127.0.0.0/8 that this process holds: the lock
// file is flocked while the control plane runs, and freed by the kernel if
// the process dies.
type loopbackBlock struct {
	b    byte
	lock *os.File
}

// takeLoopbackBlock locks the first free block.
func takeLoopbackBlock() (*loopbackBlock, error) {
	dir := filepath.Join(os.TempDir(), "testcluster-loopback")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("loopback address blocks: %w", err)
	}
	for b := firstBlock; b <= lastBlock; b++ {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("127.%d.lock", b)), os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, fmt.Errorf("loopback address blocks: %w", err)
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &loopbackBlock{b: byte(b), lock: f}, nil
		}
		f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("loopback address blocks: lock %s: %w", f.Name(), err)
		}
	}
	return nil, fmt.Errorf("loopback address blocks: all of 127.%d.0.0 to 127.%d.0.0 (/16 each) are taken by other control planes on this machine", firstBlock, lastBlock)
}

func (l *loopbackBlock) release() {
	if l != nil && l.lock != nil {
		_ = l.lock.Close() // closing drops the flock
		l.lock = nil
	}
}

// podRange is the first /24 and the number of /24s of node n's pods.
func (l *loopbackBlock) podRange(n int) (first netip.Addr, blocks int) {
	return netip.AddrFrom4([4]byte{127, l.b, byte(podBlocksByNode * (n - 1)), 0}), podBlocksByNode
}

// ipPool hands out a node's pod addresses in turn, skipping those in use.
type ipPool struct {
	first  [4]byte
	blocks int
	next   int
	inUse  map[netip.Addr]bool
}

func newIPPool(first netip.Addr, blocks int) *ipPool {
	return &ipPool{first: first.As4(), blocks: blocks, inUse: map[netip.Addr]bool{}}
}

// get returns a free address, or false when all are in use.
func (p *ipPool) get() (netip.Addr, bool) {
	size := p.blocks * 254
	for range size {
		i := p.next
		p.next = (p.next + 1) % size
		a := p.first
		a[2] += byte(i / 254)
		a[3] = byte(i%254 + 1)
		addr := netip.AddrFrom4(a)
		if !p.inUse[addr] {
			p.inUse[addr] = true
			return addr, true
		}
	}
	return netip.Addr{}, false
}

func (p *ipPool) put(a netip.Addr) { delete(p.inUse, a) }
