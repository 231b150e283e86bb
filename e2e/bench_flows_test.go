package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lorispack/loris/topology"
)

// BenchmarkFlowProgramming (issue 6, item 2): 10 hosts, 10 pods, 1,000
// attachments (100 per host on patch ports, every pod on every host).
// Measured in one run:
//   - batch: 1,000 attachments posted to the API (4 clients at once) until
//     every switch has confirmed its flows (barrier);
//   - program: a controller restart against emptied switches, from each
//     switch's connection until its flows are confirmed (switches in
//     parallel; the slowest switch's time);
//   - the ceiling: the same flows and groups, dumped from the switches,
//     loaded by ovs-ofctl --bundle add-flows into the emptied switches, all
//     hosts at once (and without --bundle for reference).
//
// Rates are flows per second over all switches; the ratios are loris's rate
// over the bundle ceiling.
func BenchmarkFlowProgramming(b *testing.B) {
	requireBenchE2E(b)
	const hosts, pods, perHost = 10, 10, 100
	for b.Loop() {
		l := newLab(b, hosts, "vxlan")
		for p := range pods {
			l.postJSON("/v1/pods", topology.Pod{Name: fmt.Sprintf("bench%d", p)})
		}
		var atts []topology.Attachment
		for hi, h := range l.c.Hosts {
			ports := addPatchPorts(b, h, "bp", perHost)
			for i, port := range ports {
				n := hi*perHost + i
				atts = append(atts, benchAttachment(h.Name, port, fmt.Sprintf("bench%d", i%pods), n))
			}
		}
		before := totalFlows(l.waitSettled(time.Minute))

		start := time.Now()
		work := make(chan topology.Attachment)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for a := range work {
					l.postJSON("/v1/attachments", a)
				}
			}()
		}
		for _, a := range atts {
			work <- a
		}
		close(work)
		wg.Wait()
		posted := time.Since(start)
		st := l.waitSettled(5 * time.Minute)
		batch := time.Since(start)
		batchFlows := totalFlows(st) - before

		// The ceiling, on the same switches with the same tables.
		if err := l.ctl.Stop(); err != nil {
			b.Fatal(err)
		}
		dir := b.TempDir()
		var tables []switchTables
		dumped := 0
		for _, h := range l.c.Hosts {
			t := dumpTables(b, h, dir)
			tables = append(tables, t)
			dumped += t.flows
		}
		bundle := ofctlCeiling(b, tables, true)
		plain := ofctlCeiling(b, tables, false)

		// Restart against empty switches: pure programming.
		for _, h := range l.c.Hosts {
			clearTables(b, h)
		}
		l.startController()
		st = l.waitSettled(5 * time.Minute)
		// Switches reconnect at different times (OVS backs off while the
		// controller is away): each is timed from its own connection, and
		// they overlap, so the slowest bounds the parallel programming.
		var program, spread time.Duration
		var first, last time.Time
		for _, s := range st.Switches {
			program = max(program, s.LastReconcile.Sub(s.Since))
			if first.IsZero() || s.Since.Before(first) {
				first = s.Since
			}
			if s.LastReconcile.After(last) {
				last = s.LastReconcile
			}
		}
		spread = last.Sub(first)
		programFlows := totalFlows(st)

		rate := func(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }
		bundleRate := rate(dumped, bundle)
		b.ReportMetric(float64(dumped), "flows")
		b.ReportMetric(bundleRate, "ceiling-bundle-flows/s")
		b.ReportMetric(rate(dumped, plain), "ofctl-plain-flows/s")
		b.ReportMetric(rate(batchFlows, batch), "batch-attach-flows/s")
		b.ReportMetric(rate(batchFlows, batch)/bundleRate, "batch/ceiling")
		b.ReportMetric(posted.Seconds()*1000/float64(len(atts)), "ms/api-attach")
		b.ReportMetric(rate(programFlows, program), "program-flows/s")
		b.ReportMetric(rate(programFlows, program)/bundleRate, "program/ceiling")
		b.Logf("flows %d (loris reports %d); ceiling: bundle %v, plain %v; loris: batch of %d attachments %v (API %v), restart programming %v per switch at most (first connection to last confirmation %v)",
			dumped, programFlows, bundle, plain, len(atts), batch, posted, program, spread)
	}
}
