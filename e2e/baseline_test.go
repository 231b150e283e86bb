package e2e

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/lorispack/loris/e2e/cluster"
)

// The hand-written data plane that loris must match: one pod (VNI 100)
// with one container on each of two hosts, joined by a flow-based VXLAN
// port. It is also the reference for performance comparisons.
const (
	baselineBridge  = "br-loris"
	baselineVNI     = 100
	baselineTunPort = 100 // ofport of the VXLAN port
	baselineCtrPort = 1   // ofport of the container's veth
)

// buildBaseline configures br-loris on the first two hosts of c with one
// container each (10.244.0.1 on h1, 10.244.0.2 on h2) and only the flows
// those two need. Traffic between them is point-to-point, so one rule per
// direction carries ARP as well as IP.
func buildBaseline(t testing.TB, c *cluster.Cluster) (a, b *cluster.Container) {
	t.Helper()
	if len(c.Hosts) < 2 {
		t.Fatalf("baseline needs 2 hosts, cluster has %d", len(c.Hosts))
	}
	ctrs := make([]*cluster.Container, 2)
	for i, h := range c.Hosts[:2] {
		if _, err := h.Vsctl(
			"add-br", baselineBridge,
			"--", "set", "bridge", baselineBridge, "datapath_type=netdev", "fail_mode=secure", "protocols=OpenFlow13",
			"--", "add-port", baselineBridge, "vxlan0",
			"--", "set", "interface", "vxlan0", "type=vxlan", "options:remote_ip=flow", "options:key=flow",
			fmt.Sprintf("ofport_request=%d", baselineTunPort),
		); err != nil {
			t.Fatal(err)
		}
		ctr := c.AddContainer(h, fmt.Sprintf("c%d", i+1))
		err := ctr.Attach(baselineBridge, cluster.Link{
			Addr:   netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, 0, byte(i + 1)}), 24),
			MTU:    1450,
			OFPort: baselineCtrPort,
		})
		if err != nil {
			t.Fatal(err)
		}
		if ctr.OFPort != baselineCtrPort {
			t.Fatalf("%s: container port got ofport %d, want %d", h.Name, ctr.OFPort, baselineCtrPort)
		}
		ctrs[i] = ctr
	}
	for i, h := range c.Hosts[:2] {
		peer := c.Hosts[1-i]
		flows := []string{
			fmt.Sprintf("table=0,priority=100,in_port=%d,actions=set_field:%d->tun_id,set_field:%s->tun_dst,output:%d",
				baselineCtrPort, baselineVNI, peer.TunnelIP, baselineTunPort),
			fmt.Sprintf("table=0,priority=100,in_port=%d,tun_id=%d,actions=output:%d",
				baselineTunPort, baselineVNI, baselineCtrPort),
		}
		for _, f := range flows {
			if _, err := h.Ofctl(baselineBridge, "add-flow", f); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ctrs[0], ctrs[1]
}

func TestBaselineDataPlane(t *testing.T) {
	c := cluster.New(t, cluster.Options{Hosts: 2})
	a, b := buildBaseline(t, c)

	for _, p := range [][2]*cluster.Container{{a, b}, {b, a}} {
		if err := p[0].Ping(p[1].IP, 3, 5*time.Second); err != nil {
			t.Fatalf("baseline ping: %v", err)
		}
	}
	// Full-size frames prove the MTU leaves room for the VXLAN header.
	if _, err := a.Run(t.Context(), "ping", "-n", "-q", "-c", "2", "-i", "0.2", "-w", "5", "-M", "do", "-s", "1422", b.IP.String()); err != nil {
		t.Errorf("baseline ping with 1450-byte packets, DF set: %v", err)
	}

	bps, err := cluster.Iperf(a, b, 3)
	if err != nil {
		t.Fatalf("baseline TCP: %v", err)
	}
	t.Logf("baseline TCP %s -> %s over VXLAN (userspace datapath): %.0f Mbit/s", a.Name, b.Name, bps/1e6)

	// The data plane is only what the flows say: without the receiving
	// rule on h2, nothing gets through (fail_mode=secure, no fallback).
	if _, err := c.Hosts[1].Ofctl(baselineBridge, "--strict", "del-flows",
		fmt.Sprintf("table=0,priority=100,in_port=%d,tun_id=%d", baselineTunPort, baselineVNI)); err != nil {
		t.Fatal(err)
	}
	// Datapath flows cached from the old table keep forwarding until a
	// revalidator round has looked at them.
	if _, err := c.Hosts[1].Appctl("revalidator/wait"); err != nil {
		t.Fatal(err)
	}
	if err := a.Ping(b.IP, 1, time.Second); err == nil {
		t.Errorf("ping %s -> %s still works after removing h2's tunnel ingress flow", a.Name, b.Name)
	}
}
