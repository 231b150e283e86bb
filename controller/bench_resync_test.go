package controller

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/topology"
)

// resyncFlowSet compiles what e2e's BenchmarkResync100k gives its host
// h1: one plugged member of a pod whose other remote members are all on
// h2, each costing h1 a forwarding and an ARP-responder flow.
func resyncFlowSet(b testing.TB, remote int) *policy.FlowSet {
	b.Helper()
	m := topology.New()
	for i, name := range []string{"h1", "h2"} {
		if _, _, err := m.AddHost(topology.Host{Name: name, DatapathID: topology.DatapathID(i + 1),
			TunnelIP: netip.AddrFrom4([4]byte{198, 18, 0, byte(i + 1)}), Tunnel: topology.TunnelVXLAN}); err != nil {
			b.Fatal(err)
		}
	}
	pod, err := m.AddPod("big", 0)
	if err != nil {
		b.Fatal(err)
	}
	attach := func(host string, k int) topology.Attachment {
		a, err := m.Attach(topology.Attachment{Host: host, Container: fmt.Sprintf("c%d", k), IfName: "eth0", Pod: pod.Name,
			IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(100 + k>>16), byte(k >> 8), byte(k)}), 8)})
		if err != nil {
			b.Fatal(err)
		}
		return a
	}
	for k := range remote {
		attach("h2", k+1)
	}
	local := attach("h1", remote+1)
	return policy.Compile(m.Snapshot(), "h1", policy.Ports{policy.TunnelPort: 1, local.Port: 2})
}

// BenchmarkResyncKeying: the controller's work on a resync of e2e's
// BenchmarkResync100k once the switch's flows are read: key the desired
// state and diff it against the switch's (here the same flows, so
// nothing is sent).
func BenchmarkResyncKeying(b *testing.B) {
	fs := resyncFlowSet(b, 50_000)
	cur := desiredState(fs)
	b.ReportAllocs()
	for b.Loop() {
		if p := diff(cur, desiredState(fs)); !p.empty() {
			b.Fatalf("a resync against the same flows plans %d flow messages", len(p.flows))
		}
	}
	b.ReportMetric(float64(len(fs.Flows)), "flows")
}

// BenchmarkProgramEmptySwitch: the controller's work to program a switch
// with no flows (e2e's BenchmarkResync100k's first connection) once the
// flows are compiled: plan every flow as an add and encode the messages,
// as the bundle that carries them does.
func BenchmarkProgramEmptySwitch(b *testing.B) {
	fs := resyncFlowSet(b, 50_000)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		p := &plan{}
		diffFlowSets(p, &policy.FlowSet{}, fs)
		buf = buf[:0]
		for i, m := range p.flows {
			buf = ofproto.Append(buf, uint32(i), m)
		}
	}
	b.ReportMetric(float64(len(fs.Flows)), "flows")
}
