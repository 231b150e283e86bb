package e2e

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/lorispack/loris/controller"
	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
)

// BenchmarkResync100k (issue 6, item 3): h1 holds about 100,000 loris
// flows: one local member of a pod whose 50,000 other members are on h2
// (no ports behind them), each costing h1 a forwarding flow and an
// ARP-responder flow. The members are written to the store while the
// controller is stopped, as a controller restarting on a big cluster
// finds them (50,000 API calls would take long: every change copies the
// whole model).
//
// Measured in one run: the programming of those flows into the emptied
// switch (from its connection until confirmed) against ovs-ofctl --bundle
// add-flows of the same flows; then a controller restart with everything
// in place: time from h1's reconnection until its reconciliation is done,
// and the flow-mods sent (target: zero, nothing changed).
func BenchmarkResync100k(b *testing.B) {
	requireBenchE2E(b)
	const remote = 50_000
	for b.Loop() {
		l := newLab(b, 2, "vxlan")
		h1, h2 := l.c.Hosts[0], l.c.Hosts[1]
		if err := l.ctl.Stop(); err != nil {
			b.Fatal(err)
		}
		seedMembers(b, l, h2.Name, remote)
		l.startController()
		l.waitSettled(10 * time.Minute)
		ports := addPatchPorts(b, h1, "rp", 2)
		l.postJSON("/v1/attachments", benchAttachment(h1.Name, ports[0], "big", remote+1))
		flows := h1Status(b, l.waitSettled(10*time.Minute), h1.Name).Flows

		if err := l.ctl.Stop(); err != nil {
			b.Fatal(err)
		}
		tables := dumpTables(b, h1, b.TempDir())
		// What reading the flows back costs the switch alone (and
		// ovs-ofctl's printing): the floor under a resync.
		t0 := time.Now()
		if _, err := h1.Ofctl("br-loris", "dump-flows"); err != nil {
			b.Fatal(err)
		}
		dump := time.Since(t0)
		bundle := ofctlCeiling(b, []switchTables{tables}, true)

		// Restart against an empty switch: full programming.
		clearTables(b, h1)
		l.ctlArgs = cpuProfileArgs("resync-program")
		l.startController()
		sw := h1Status(b, l.waitSettled(10*time.Minute), h1.Name)
		program := sw.LastReconcile.Sub(sw.Since)
		programMods := sw.FlowAdds + sw.FlowDeletes
		b.Logf("h1 programming session: since %v, last reconcile %v, reconciles %d", sw.Since, sw.LastReconcile, sw.Reconciles)

		// Restart with everything in place: the resync.
		if err := l.ctl.Stop(); err != nil {
			b.Fatal(err)
		}
		l.ctlArgs = cpuProfileArgs("resync")
		l.startController()
		sw = h1Status(b, l.waitSettled(10*time.Minute), h1.Name)
		resync := sw.LastReconcile.Sub(sw.Since)

		b.ReportMetric(float64(flows), "flows")
		b.ReportMetric(float64(tables.flows)/bundle.Seconds(), "ceiling-bundle-flows/s")
		b.ReportMetric(float64(programMods)/program.Seconds(), "program-flows/s")
		b.ReportMetric(bundle.Seconds()/program.Seconds(), "program/ceiling")
		b.ReportMetric(float64(resync.Milliseconds()), "resync-ms")
		b.ReportMetric(float64(dump.Milliseconds()), "ofctl-dump-ms")
		b.ReportMetric(float64(sw.FlowAdds+sw.FlowDeletes), "resync-flow-mods")
		b.ReportMetric(float64(sw.GroupMods), "resync-group-mods")
		b.Logf("h1 resync session: since %v, last reconcile %v, reconciles %d", sw.Since, sw.LastReconcile, sw.Reconciles)
		b.Logf("h1: flows %d (dumped %d, groups %d); bundle add-flows %v; loris programming %v (%d flow mods); resync %v with %d flow mods, %d group mods; ovs-ofctl dump-flows alone %v",
			flows, tables.flows, tables.groups, bundle, program, programMods, resync, sw.FlowAdds+sw.FlowDeletes, sw.GroupMods, dump)
	}
}

func h1Status(b *testing.B, st controller.Status, host string) controller.SwitchStatus {
	b.Helper()
	for _, s := range st.Switches {
		if s.Host == host {
			return s
		}
	}
	b.Fatalf("no switch status for %s in %+v", host, st)
	return controller.SwitchStatus{}
}

// seedMembers writes pod "big" with n members on host into the lab's
// store; the controller must be stopped.
func seedMembers(b *testing.B, l *lab, host string, n int) {
	b.Helper()
	// A scratch model fills in what the controller would (ids, MACs, port
	// names); only the pod and the attachments are written.
	m := topology.New()
	if _, _, err := m.AddHost(topology.Host{Name: host, DatapathID: 1, TunnelIP: netip.MustParseAddr("198.18.0.1"), Tunnel: topology.TunnelVXLAN}); err != nil {
		b.Fatal(err)
	}
	pod, err := m.AddPod("big", 0)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		k := i + 1
		if _, err := m.Attach(topology.Attachment{Host: host, Container: fmt.Sprintf("r%d", i), IfName: "eth0", Pod: pod.Name,
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
