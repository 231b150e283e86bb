package controller

import (
	"net/netip"
	"runtime/debug"
	"testing"

	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/topology"
)

// BenchmarkScaleIncrementalRound: what one switch computes for one
// attachment change at the scale topology (100,000 attachments): the
// changed pod compiled from the snapshots before and after, and the merge
// diff into messages. "local" is the attachment's own host, "remote" a host
// of the same pod. Compare with BenchmarkScaleDesiredStateOneHost, the
// full recompile every switch did before.
func BenchmarkScaleIncrementalRound(b *testing.B) {
	w := newScaleWorld(b)
	before := w.c.Snapshot()
	pod := "pod0000"
	hosts := before.HostsWithPod(pod)
	local, remote := hosts[0], hosts[1]
	a := topology.Attachment{Host: local, Container: "bench-extra", IfName: "eth0", Pod: pod, IP: netip.MustParsePrefix("11.0.0.1/8")}
	got, err := w.c.Attach(a)
	if err != nil {
		b.Fatal(err)
	}
	after := w.c.Snapshot()
	for _, host := range []struct{ name, role string }{{local, "local"}, {remote, "remote"}} {
		ports := policy.Ports{}
		for _, p := range w.ports[host.name] {
			ports[p.Name] = p.PortNo
		}
		ports[got.Port] = uint32(len(ports) + 1)
		b.Run(host.role, func(b *testing.B) {
			var p *plan
			b.ReportAllocs()
			for b.Loop() {
				p = &plan{}
				diffFlowSets(p, policy.CompilePod(before, host.name, ports, pod), policy.CompilePod(after, host.name, ports, pod))
			}
			b.ReportMetric(float64(p.flowAdds+p.flowDeletes), "flow-mods")
			b.ReportMetric(float64(len(p.groupAdds)+len(p.groupDeletes)), "group-mods")
		})
	}
}

// BenchmarkScaleMemoryPerSwitch: what connected switches cost the
// controller once their first rounds are done, at the scale topology.
// Unlike BenchmarkScaleAttachmentChange it returns freed memory to the
// OS before reading RSS, so that the figure is what the sessions keep,
// not the peak of their first rounds.
func BenchmarkScaleMemoryPerSwitch(b *testing.B) {
	w := newScaleWorld(b)
	debug.FreeOSMemory()
	rss0, heap0 := rssBytes(b), heapInuse()
	n := switchesToConnect(b)
	hosts := make([]string, 0, n)
	for _, h := range w.state.Hosts[:n] {
		hosts = append(hosts, h.Name)
	}
	w.connect(b, hosts)
	debug.FreeOSMemory()
	rss1, heap1 := rssBytes(b), heapInuse()
	for b.Loop() {
		// Nothing to repeat: the figures are taken once.
	}
	mib := func(v int64) float64 { return float64(v) / (1 << 20) }
	b.ReportMetric(mib(rss0), "RSS-0-switches-MiB")
	b.ReportMetric(mib(rss1-rss0)/float64(n), "RSS-MiB/switch")
	b.ReportMetric(mib(heap1-heap0)/float64(n), "heap-MiB/switch")
	b.ReportMetric((mib(rss0)+mib(rss1-rss0)/float64(n)*scaleHosts)/1024, "RSS-1000-switches-GiB(extrapolated)")
	b.ReportMetric(float64(n), "switches")
}
