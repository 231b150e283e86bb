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

// learnTopology is the packet-in benchmark's (loris-bench): 16 hosts with
// tunnels, 16 pods, 64 plugged attachments per host spread over the pods,
// each with 8 learned MACs (a learn storm half-way).
func learnTopology(b *testing.B) (*topology.Snapshot, map[string]Ports, []topology.Binding) {
	b.Helper()
	const hosts, pods, perHost, learned = 16, 16, 64, 8
	m := topology.New()
	m.SetClock(func() time.Time { return time.Unix(0, 0) })
	ports := map[string]Ports{}
	for i := range hosts {
		name := fmt.Sprintf("host%02d", i)
		if _, _, err := m.AddHost(topology.Host{Name: name, DatapathID: topology.DatapathID(i + 1),
			TunnelIP: netip.AddrFrom4([4]byte{198, 18, 0, byte(i)})}); err != nil {
			b.Fatal(err)
		}
		ports[name] = Ports{TunnelPort: 1}
	}
	for i := range pods {
		if _, err := m.AddPod(fmt.Sprintf("pod%02d", i), 0); err != nil {
			b.Fatal(err)
		}
	}
	var bound []topology.Binding
	n := 0
	for h := range hosts {
		host := fmt.Sprintf("host%02d", h)
		for p := range perHost {
			n++
			a, err := m.Attach(topology.Attachment{Host: host, Container: fmt.Sprintf("c%02d", p), IfName: "eth0",
				Pod: fmt.Sprintf("pod%02d", n%pods),
				IP:  netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, byte(n >> 8), byte(n)}), 16)})
			if err != nil {
				b.Fatal(err)
			}
			ports[host][a.Port] = uint32(len(ports[host]) + 1)
			for k := range learned {
				o, err := m.Learn(a.ID, topology.MAC{0x02, 0xbb, byte(h), byte(p), byte(k), 1})
				if err != nil || o.Result != topology.LearnBound {
					b.Fatal(o, err)
				}
				bound = append(bound, o.Binding)
			}
		}
	}
	return m.Snapshot(), ports, bound
}

// BenchmarkCompileMembersLearn: what one learned MAC costs a round of the
// learning host (origin) and of another host of its pod (peer).
func BenchmarkCompileMembersLearn(b *testing.B) {
	snap, ports, bound := learnTopology(b)
	for _, where := range []string{"origin", "peer"} {
		b.Run(where, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				bd := bound[i%len(bound)]
				i += 7
				host := bd.Host
				if where == "peer" {
					host = fmt.Sprintf("host%02d", (len(host)+i)%16)
					if host == bd.Host {
						host = "host15"
					}
				}
				a, _ := snap.Attachment(bd.AttachmentID)
				fs := CompileMembers(snap, host, ports[host], a.Pod, []MemberScope{{ID: a.ID, MACs: []topology.MAC{bd.MAC}}})
				if len(fs.Flows) == 0 {
					b.Fatal("no flows")
				}
			}
		})
	}
}
