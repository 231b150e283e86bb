package e2e

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
)

// BenchmarkResync100k (issue 6, item 3): one real switch holding about
// 100,000 loris flows (one local member of a pod whose 50,000 other
// members sit on a host with no switch, each costing the real host a
// forwarding flow and an ARP-responder flow). The state is written to the
// store before the controller starts, as a controller restarting on a big
// cluster finds it.
//
// Measured in one run: the first programming of those flows (switch
// connection until confirmed) against ovs-ofctl --bundle add-flows of the
// same flows; then a controller restart: time from the switch's
// reconnection until its reconciliation is done, and the flow-mods sent
// (target: zero, nothing changed).
func BenchmarkResync100k(b *testing.B) {
	requireBenchE2E(b)
	const remote = 50_000
	for b.Loop() {
		l := newLabWith(b, 1, "vxlan", func(l *lab) { seedRemoteMembers(b, l, remote) })
		h := l.c.Hosts[0]
		ports := addPatchPorts(b, h, "rp", 2)
		l.postJSON("/v1/attachments", benchAttachment(h.Name, ports[0], "big", remote+1))
		flows := l.waitSettled(10 * time.Minute).Switches[0].Flows

		if err := l.ctl.Stop(); err != nil {
			b.Fatal(err)
		}
		tables := dumpTables(b, h, b.TempDir())
		bundle := ofctlCeiling(b, []switchTables{tables}, true)

		// Restart against empty switches: full programming.
		clearTables(b, h)
		l.startController()
		st := l.waitSettled(10 * time.Minute)
		program := st.Switches[0].LastReconcile.Sub(st.Switches[0].Since)
		programMods := st.Switches[0].FlowAdds + st.Switches[0].FlowDeletes

		// Restart with everything in place: the resync.
		if err := l.ctl.Stop(); err != nil {
			b.Fatal(err)
		}
		l.startController()
		st = l.waitSettled(10 * time.Minute)
		sw := st.Switches[0]
		resync := sw.LastReconcile.Sub(sw.Since)

		b.ReportMetric(float64(flows), "flows")
		b.ReportMetric(float64(tables.flows)/bundle.Seconds(), "ceiling-bundle-flows/s")
		b.ReportMetric(float64(programMods)/program.Seconds(), "program-flows/s")
		b.ReportMetric(program.Seconds()/bundle.Seconds(), "program-time/ceiling-time")
		b.ReportMetric(float64(resync.Milliseconds()), "resync-ms")
		b.ReportMetric(float64(sw.FlowAdds+sw.FlowDeletes), "resync-flow-mods")
		b.ReportMetric(float64(sw.GroupMods), "resync-group-mods")
		b.Logf("flows %d (dumped %d, groups %d); bundle add-flows %v; loris programming %v (%d flow mods); resync %v with %d flow mods, %d group mods",
			flows, tables.flows, tables.groups, bundle, program, programMods, resync, sw.FlowAdds+sw.FlowDeletes, sw.GroupMods)
	}
}

// seedRemoteMembers writes pod "big" with n members on host "far" (no
// switch) into the lab's store before the controller starts.
func seedRemoteMembers(b *testing.B, l *lab, n int) {
	b.Helper()
	m := topology.New()
	// An underlay address no namespace holds: nothing is ever sent to it,
	// the flows only name it.
	ip := l.c.UnderlayPrefix().Addr().As4()
	ip[3] = 200
	far := topology.Host{Name: "far", DatapathID: 0xfa, TunnelIP: netip.AddrFrom4(ip), Tunnel: topology.TunnelVXLAN}
	if _, _, err := m.AddHost(far); err != nil {
		b.Fatal(err)
	}
	pod, err := m.AddPod("big", 0)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		k := i + 1
		if _, err := m.Attach(topology.Attachment{Host: far.Name, Container: fmt.Sprintf("r%d", i), IfName: "eth0", Pod: pod.Name,
			IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(100 + k>>16), byte(k >> 8), byte(k)}), 8)}); err != nil {
			b.Fatal(err)
		}
	}
	st := m.State()
	db, err := store.OpenBolt(l.db, store.BoltOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx store.Tx) error {
		if err := tx.PutHost(far); err != nil {
			return err
		}
		if err := tx.PutPod(pod); err != nil {
			return err
		}
		for _, a := range st.Attachments {
			if err := tx.PutAttachment(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
