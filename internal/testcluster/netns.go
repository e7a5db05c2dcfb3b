package testcluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// Each node runs in a network namespace of its own (the control plane
// starts its process with CLONE_NEWNET), where it can have what kubelet
// and Kubernetes require and the test machine's own namespace cannot give
// without privileges: the machine's address as the node's (kubelet refuses
// a loopback node address, and checks that the address is on one of its
// interfaces), and pod addresses outside 127.0.0.0/8 (EndpointSlices may
// not hold loopback addresses). Both live on the namespace's loopback
// interface: an address with a prefix on lo makes the whole prefix local,
// as 127.0.0.1/8 does, so every pod address can be bound.

// podPrefix is node n's (1-based) pod range, 10.244.16(n-1).0/20.
func podPrefix(n int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, byte(16 * (n - 1)), 0}), 20)
}

// setupNodeNetwork brings up the namespace's loopback interface and puts
// the node's address and pod range on it.
func setupNodeNetwork(nodeIP netip.Addr, pods netip.Prefix) error {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		return fmt.Errorf("node network: %w", err)
	}
	nl, err := newNetlink()
	if err != nil {
		return err
	}
	defer nl.close()
	if err := nl.linkUp(lo.Index); err != nil {
		return fmt.Errorf("node network: bring up lo: %w", err)
	}
	// The first address of the range; its /20 prefix makes the rest local.
	gateway := pods.Addr().Next()
	for _, p := range []netip.Prefix{netip.PrefixFrom(nodeIP, nodeIP.BitLen()), netip.PrefixFrom(gateway, pods.Bits())} {
		if err := nl.addAddr(lo.Index, p); err != nil {
			return fmt.Errorf("node network: add %s to lo: %w", p, err)
		}
	}
	return nil
}

// netlinkConn is a NETLINK_ROUTE socket, for the two requests above.
type netlinkConn struct {
	fd  int
	seq uint32
}

func newNetlink() (*netlinkConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("node network: netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("node network: bind netlink socket: %w", err)
	}
	return &netlinkConn{fd: fd}, nil
}

func (c *netlinkConn) close() { unix.Close(c.fd) }

var ne = binary.NativeEndian

// linkUp sets IFF_UP on the interface (RTM_NEWLINK).
func (c *netlinkConn) linkUp(index int) error {
	body := make([]byte, unix.SizeofIfInfomsg)
	body[0] = unix.AF_UNSPEC
	ne.PutUint32(body[4:], uint32(index))
	ne.PutUint32(body[8:], unix.IFF_UP)  // flags
	ne.PutUint32(body[12:], unix.IFF_UP) // change
	return c.request(unix.RTM_NEWLINK, 0, body)
}

// addAddr adds an IPv4 address with its prefix to the interface
// (RTM_NEWADDR with IFA_LOCAL and IFA_ADDRESS).
func (c *netlinkConn) addAddr(index int, p netip.Prefix) error {
	if !p.Addr().Is4() {
		return fmt.Errorf("%s: only IPv4 addresses are supported", p)
	}
	ip := p.Addr().As4()
	body := make([]byte, unix.SizeofIfAddrmsg)
	body[0] = unix.AF_INET
	body[1] = byte(p.Bits())
	body[3] = unix.RT_SCOPE_UNIVERSE
	ne.PutUint32(body[4:], uint32(index))
	body = append(body, rtattr(unix.IFA_LOCAL, ip[:])...)
	body = append(body, rtattr(unix.IFA_ADDRESS, ip[:])...)
	return c.request(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, body)
}

func rtattr(typ uint16, data []byte) []byte {
	n := unix.SizeofRtAttr + len(data)
	b := make([]byte, (n+3)&^3)
	ne.PutUint16(b[0:], uint16(n))
	ne.PutUint16(b[2:], typ)
	copy(b[unix.SizeofRtAttr:], data)
	return b
}

// request sends one message and reads its acknowledgement.
func (c *netlinkConn) request(typ uint16, flags uint16, body []byte) error {
	c.seq++
	msg := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(body))
	ne.PutUint32(msg[0:], uint32(unix.SizeofNlMsghdr+len(body)))
	ne.PutUint16(msg[4:], typ)
	ne.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK|flags)
	ne.PutUint32(msg[8:], c.seq)
	msg = append(msg, body...)
	if err := unix.Sendto(c.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Header.Seq != c.seq || m.Header.Type != syscall.NLMSG_ERROR {
				continue
			}
			if len(m.Data) < 4 {
				return errors.New("short netlink acknowledgement")
			}
			if code := int32(ne.Uint32(m.Data[:4])); code != 0 {
				return unix.Errno(-code)
			}
			return nil
		}
	}
}
