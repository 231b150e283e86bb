package e2e

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// sniffer counts, inside one network namespace, the ARP requests that ask
// for a given target address: a way to see exactly which containers a
// broadcast reached, whatever other traffic they have.
type sniffer struct {
	fd     int
	target netip.Addr
	count  atomic.Int64
	quit   atomic.Bool
	done   chan struct{}
}

// sniffARP opens a packet socket on ifname inside netns and counts ARP
// requests for target until stop is called.
func sniffARP(netns, ifname string, target netip.Addr) (*sniffer, error) {
	fd, err := packetSocketIn(netns, ifname)
	if err != nil {
		return nil, err
	}
	s := &sniffer{fd: fd, target: target, done: make(chan struct{})}
	go s.run()
	return s, nil
}

func (s *sniffer) run() {
	defer close(s.done)
	buf := make([]byte, 2048)
	want := s.target.As4()
	for {
		n, _, err := unix.Recvfrom(s.fd, buf, 0)
		if err != nil {
			if (err == unix.EAGAIN || err == unix.EINTR) && !s.quit.Load() {
				continue
			}
			return
		}
		f := buf[:n]
		// Ethernet: dst(6) src(6) type(2); ARP: htype ptype hlen plen op sha spa tha tpa.
		if n < 42 || binary.BigEndian.Uint16(f[12:]) != 0x0806 || binary.BigEndian.Uint16(f[20:]) != 1 {
			continue
		}
		if bytes.Equal(f[38:42], want[:]) {
			s.count.Add(1)
		}
	}
}

// stop ends the reader (within its receive timeout), closes the socket and
// returns how many matching requests were seen.
func (s *sniffer) stop() int64 {
	s.quit.Store(true)
	select {
	case <-s.done:
		unix.Close(s.fd)
	case <-time.After(2 * time.Second):
		// The reader is stuck; leave the fd open rather than risk it
		// reading from a reused descriptor.
	}
	return s.count.Load()
}

// packetSocketIn creates an AF_PACKET socket bound to ifname inside netns.
// The socket keeps its namespace after the thread switches back.
func packetSocketIn(netns, ifname string) (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// This thread changes namespace; it is never returned to the Go
		// scheduler (no UnlockOSThread), so it dies with the goroutine.
		runtime.LockOSThread()
		fd, err := func() (int, error) {
			ns, err := os.Open("/var/run/netns/" + netns)
			if err != nil {
				return -1, err
			}
			defer ns.Close()
			if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
				return -1, fmt.Errorf("setns %s: %w", netns, err)
			}
			proto := int(htons(unix.ETH_P_ALL))
			fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, proto)
			if err != nil {
				return -1, err
			}
			idx, err := ifIndex(fd, ifname)
			if err != nil {
				unix.Close(fd)
				return -1, err
			}
			if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: idx}); err != nil {
				unix.Close(fd)
				return -1, err
			}
			tv := unix.Timeval{Usec: 200000}
			unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
			return fd, nil
		}()
		ch <- result{fd, err}
	}()
	r := <-ch
	return r.fd, r.err
}

func ifIndex(fd int, name string) (int, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("interface %s: %w", name, err)
	}
	return int(ifr.Uint32()), nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
