package controller

import (
	"net/netip"
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
