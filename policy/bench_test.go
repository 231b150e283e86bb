package policy

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/lorispack/loris/topology"
)

// bigTopology: 1,000 hosts, 1,000 pods, 100,000 attachments spread at
// random, so each host has ~100 attachments in ~95 pods and each pod has
// members on ~95 hosts. Every port is plugged in.
func bigTopology(b *testing.B) (*topology.Model, map[string]Ports) {
	b.Helper()
	const hosts, pods, attachments = 1000, 1000, 100_000
	rng := rand.New(rand.NewPCG(42, 42))
	m := topology.New()
	m.SetClock(func() time.Time { return time.Unix(0, 0) })
	ports := map[string]Ports{}
	for i := range hosts {
		name := fmt.Sprintf("host%04d", i)
		ip := netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
		if _, _, err := m.AddHost(topology.Host{Name: name, DatapathID: topology.DatapathID(i + 1), TunnelIP: ip}); err != nil {
			b.Fatal(err)
		}
		ports[name] = Ports{TunnelPort: 1}
	}
	for i := range pods {
		if _, err := m.AddPod(fmt.Sprintf("pod%04d", i), 0); err != nil {
			b.Fatal(err)
		}
	}
	for i := range attachments {
		host := fmt.Sprintf("host%04d", rng.IntN(hosts))
		a, err := m.Attach(topology.Attachment{
			Host: host, Container: fmt.Sprintf("c%06d", i), IfName: "eth0",
			Pod: fmt.Sprintf("pod%04d", rng.IntN(pods)),
			IP:  netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32),
		})
		if err != nil {
			b.Fatal(err)
		}
		ports[host][a.Port] = uint32(len(ports[host]) + 1)
	}
	return m, ports
}

func BenchmarkCompileHost(b *testing.B) {
	m, ports := bigTopology(b)
	snap := m.Snapshot()
	const host = "host0000"
	var fs *FlowSet
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		fs = Compile(snap, host, ports[host])
	}
	buckets := 0
	for _, g := range fs.Groups {
		buckets += len(g.Buckets)
	}
	b.ReportMetric(float64(len(fs.Flows)), "flows")
	b.ReportMetric(float64(len(fs.Groups)), "groups")
	b.ReportMetric(float64(buckets), "buckets")
}

func BenchmarkSnapshot(b *testing.B) {
	m, _ := bigTopology(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.Snapshot()
	}
}
