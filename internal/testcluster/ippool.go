package testcluster

import "net/netip"

// ipPool hands out a node's pod addresses in turn, skipping those in use,
// and the addresses ending in .0 and .255.
type ipPool struct {
	first  [4]byte
	blocks int // /24 blocks
	next   int
	inUse  map[netip.Addr]bool
}

// newIPPool is a pool of the addresses of p, a prefix of /24 or shorter.
func newIPPool(p netip.Prefix) *ipPool {
	return &ipPool{first: p.Masked().Addr().As4(), blocks: 1 << (24 - p.Bits()), inUse: map[netip.Addr]bool{}}
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
