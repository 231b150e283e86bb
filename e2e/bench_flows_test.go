package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorispack/loris/e2e/cluster"
	"github.com/lorispack/loris/topology"
)

// BenchmarkFlowProgramming (issue 6, item 2): 10 hosts, 10 pods, 1,000
// attachments (100 per host on patch ports, every pod on every host).
// Measured in one run:
//   - single calls: 1,000 attachments posted to the API one per call (4
//     clients at once) until every switch has confirmed its flows
//     (barrier);
//   - program: the emptied switches reconnect to the running controller
//     all at once; from the first connection until the last switch has
//     confirmed its flows;
//   - batch call: the attachments removed (their pods deleted and made
//     again), then the same 1,000 posted in one POST
//     /v1/attachments/batch, until the last switch has confirmed its flows;
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

		// The ceiling, on the same switches with the same tables, with
		// the switches disconnected from the (running) controller
		// (changing a bridge's controllers clears its tables: dump first).
		dir := b.TempDir()
		var tables []switchTables
		dumped := 0
		for _, h := range l.c.Hosts {
			t := dumpTables(b, h, dir)
			tables = append(tables, t)
			dumped += t.flows
		}
		setControllers(b, l, false)
		bundle := ofctlCeiling(b, tables, true)
		plain := ofctlCeiling(b, tables, false)

		// Pure programming: the emptied switches reconnect all at once
		// and loris fills them (each session reads the empty switch,
		// diffs and applies). Timed from the first connection to the last
		// confirmation.
		for _, h := range l.c.Hosts {
			clearTables(b, h)
		}
		setControllers(b, l, true)
		st = l.waitSettled(5 * time.Minute)
		var first, last time.Time
		for _, s := range st.Switches {
			if first.IsZero() || s.Since.Before(first) {
				first = s.Since
			}
			if s.LastReconcile.After(last) {
				last = s.LastReconcile
			}
		}
		program := last.Sub(first)
		programFlows := totalFlows(st)

		batchCall, batchCallAPI, batchCallFlows := batchCallRun(b, l, pods, atts)

		rate := func(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }
		bundleRate := rate(dumped, bundle)
		b.ReportMetric(float64(dumped), "flows")
		b.ReportMetric(bundleRate, "ceiling-bundle-flows/s")
		b.ReportMetric(rate(dumped, plain), "ofctl-plain-flows/s")
		b.ReportMetric(rate(batchFlows, batch), "single-calls-flows/s")
		b.ReportMetric(rate(batchFlows, batch)/bundleRate, "single-calls/ceiling")
		b.ReportMetric(posted.Seconds()*1000/float64(len(atts)), "ms/api-attach")
		b.ReportMetric(rate(batchCallFlows, batchCall), "batch-call-flows/s")
		b.ReportMetric(rate(batchCallFlows, batchCall)/bundleRate, "batch-call/ceiling")
		b.ReportMetric(batchCallAPI.Seconds()*1000, "ms/batch-call-api")
		b.ReportMetric(rate(programFlows, program), "program-flows/s")
		b.ReportMetric(rate(programFlows, program)/bundleRate, "program/ceiling")
		b.Logf("flows %d (loris reports %d); ceiling: bundle %v, plain %v; loris: %d attachments in single calls %v (API %v), "+
			"in one batch call %v (%d flows, API %v), reconnect programming %v",
			dumped, programFlows, bundle, plain, len(atts), batch, posted, batchCall, batchCallFlows, batchCallAPI, program)
	}
}

// setControllers connects (on) or disconnects every host's br-loris from
// the lab's controller, all hosts at once.
func setControllers(b *testing.B, l *lab, on bool) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(l.c.Hosts))
	for i, h := range l.c.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if on {
				_, errs[i] = h.Vsctl("set-controller", "br-loris", l.ofAddr)
			} else {
				_, errs[i] = h.Vsctl("del-controller", "br-loris")
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	if !on {
		// The controller must have seen every switch go before the
		// tables are touched.
		err := cluster.WaitFor(context.Background(), func() (bool, error) {
			st, err := l.status()
			if err != nil {
				return false, nil
			}
			for _, s := range st.Switches {
				if s.Connected {
					return false, nil
				}
			}
			return true, nil
		}, time.Minute)
		if err != nil {
			b.Fatalf("switches still connected after del-controller: %v", err)
		}
	}
}

// batchCallRun removes the lab's attachments (their pods are deleted with
// their members and made again, so the switches hold the pods' flows
// only), then posts atts in one batch call. It returns the time from the
// call until the last switch confirmed its flows (the controller's own
// reconciliation timestamps, not the status polling interval), the time
// the call itself took, and the flows the batch added.
func batchCallRun(b *testing.B, l *lab, pods int, atts []topology.Attachment) (time.Duration, time.Duration, int) {
	b.Helper()
	for p := range pods {
		resp, err := l.apiDo(http.MethodDelete, fmt.Sprintf("/v1/pods/bench%d?force=true", p), nil, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			b.Fatalf("deleting pod bench%d: HTTP %d", p, resp.StatusCode)
		}
	}
	for p := range pods {
		l.postJSON("/v1/pods", topology.Pod{Name: fmt.Sprintf("bench%d", p)})
	}
	before := totalFlows(l.waitSettled(time.Minute))

	start := time.Now()
	l.postJSON("/v1/attachments/batch", map[string][]topology.Attachment{"attachments": atts})
	api := time.Since(start)
	st := l.waitSettled(5 * time.Minute)
	var last time.Time
	for _, s := range st.Switches {
		if s.LastReconcile.After(last) {
			last = s.LastReconcile
		}
	}
	if last.Before(start) {
		b.Fatalf("no switch reconciled after the batch call (last %v, call at %v)", last, start)
	}
	// The switches hold what the controller says they hold.
	if held := switchFlows(b, l); held != totalFlows(st) {
		b.Fatalf("after the batch call the switches hold %d flows, the controller reports %d", held, totalFlows(st))
	}
	return last.Sub(start), api, totalFlows(st) - before
}

// switchFlows counts the flows every host's br-loris holds.
func switchFlows(b *testing.B, l *lab) int {
	b.Helper()
	n := 0
	for _, h := range l.c.Hosts {
		out, err := h.Ofctl("br-loris", "--no-stats", "dump-flows")
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(out, "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "OFPST_") && !strings.HasPrefix(line, "NXST_") {
				n++
			}
		}
	}
	return n
}
