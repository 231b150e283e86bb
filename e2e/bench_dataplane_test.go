package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lorispack/loris/e2e/cluster"
)

// BenchmarkDataPlaneTCP (issue 6, item 5): iperf3 TCP throughput between
// two containers through loris's flows against the same topology with
// minimal hand-written flows (buildBaseline), across hosts over VXLAN and
// on one host. Both set-ups exist at once and are measured alternately,
// twice each, so load from elsewhere on the machine hits both alike; the
// reported figures are the means.
func BenchmarkDataPlaneTCP(b *testing.B) {
	requireBenchE2E(b)
	const seconds, rounds = 5, 2
	for b.Loop() {
		base := cluster.New(b, cluster.Options{Hosts: 2})
		ba, bb := buildBaseline(b, base)
		bc := addSameHostBaseline(b, base, ba)

		l := newLab(b, 2, "vxlan")
		la := l.attach(l.c.Hosts[0], "a", "", "10.244.0.1/24")
		lb := l.attach(l.c.Hosts[1], "b", "", "10.244.0.2/24")
		lc := l.attach(l.c.Hosts[0], "c", "", "10.244.0.3/24")
		l.waitSettled(time.Minute)
		// lorisctl configured their addresses; iperf needs to know them.
		for _, ctr := range []*cluster.Container{la, lb, lc} {
			ctr.IP = l.ips[ctr]
		}
		for _, p := range [][2]*cluster.Container{{ba, bb}, {ba, bc}, {la, lb}, {la, lc}} {
			if err := p[0].Ping(p[1].IP, 1, 5*time.Second); err != nil {
				b.Fatalf("%s -> %s: %v", p[0].Name, p[1].Name, err)
			}
		}

		var sum [4]float64
		for range rounds {
			for i, p := range [][2]*cluster.Container{{ba, bb}, {la, lb}, {ba, bc}, {la, lc}} {
				bps, err := cluster.Iperf(p[0], p[1], seconds)
				if err != nil {
					b.Fatalf("iperf %s -> %s: %v", p[0].Name, p[1].Name, err)
				}
				sum[i] += bps
			}
		}
		mbit := func(i int) float64 { return sum[i] / rounds / 1e6 }
		b.ReportMetric(mbit(0), "baseline-cross-Mbit/s")
		b.ReportMetric(mbit(1), "loris-cross-Mbit/s")
		b.ReportMetric(mbit(1)/mbit(0), "cross-loris/baseline")
		b.ReportMetric(mbit(2), "baseline-same-Mbit/s")
		b.ReportMetric(mbit(3), "loris-same-Mbit/s")
		b.ReportMetric(mbit(3)/mbit(2), "same-loris/baseline")
	}
}

// addSameHostBaseline adds a third container on the first baseline host
// (port 2, 10.244.0.3) and the fewest flows that join it to a, which is on
// port 1: to it by MAC and ARP target, everything from it to a.
func addSameHostBaseline(b *testing.B, c *cluster.Cluster, a *cluster.Container) *cluster.Container {
	b.Helper()
	h := c.Hosts[0]
	ctr := c.AddContainer(h, "c3")
	if err := ctr.Attach(baselineBridge, cluster.Link{Addr: netip.MustParsePrefix("10.244.0.3/24"), MTU: 1450, OFPort: 2}); err != nil {
		b.Fatal(err)
	}
	out, err := ctr.Run(context.Background(), "cat", "/sys/class/net/eth0/address")
	if err != nil {
		b.Fatal(err)
	}
	mac := strings.TrimSpace(out)
	for _, f := range []string{
		fmt.Sprintf("table=0,priority=200,in_port=%d,dl_dst=%s,actions=output:2", baselineCtrPort, mac),
		fmt.Sprintf("table=0,priority=200,in_port=%d,arp,arp_tpa=10.244.0.3,actions=output:2", baselineCtrPort),
		fmt.Sprintf("table=0,priority=100,in_port=2,actions=output:%d", baselineCtrPort),
	} {
		if _, err := h.Ofctl(baselineBridge, "add-flow", f); err != nil {
			b.Fatal(err)
		}
	}
	return ctr
}
