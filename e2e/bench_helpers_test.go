package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorispack/loris/controller"
	"github.com/lorispack/loris/e2e/cluster"
	"github.com/lorispack/loris/topology"
)

// The benchmarks in bench_*_test.go measure loris against real Open
// vSwitch and against the physical ceiling measured in the same run. They
// are heavy (minutes, both cores), so they run only when LORIS_BENCH_E2E=1
// (make bench-e2e) and never under make test or make bench.

// requireBenchE2E skips unless the heavy end-to-end benchmarks were asked
// for and their prerequisites are present.
func requireBenchE2E(b *testing.B) {
	b.Helper()
	if os.Getenv("LORIS_BENCH_E2E") != "1" {
		b.Skip("end-to-end benchmarks run only with LORIS_BENCH_E2E=1 (make bench-e2e)")
	}
	requireE2E(b)
}

// totalFlows sums the flows the controller reports for its switches.
func totalFlows(st controller.Status) int {
	n := 0
	for _, s := range st.Switches {
		n += s.Flows
	}
	return n
}

// postJSON sends v to the lab's API and fails unless it is accepted.
func (l *lab) postJSON(path string, v any) {
	l.t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		l.t.Fatal(err)
	}
	resp, err := l.apiDo(http.MethodPost, path, body, time.Minute)
	if err != nil {
		l.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		l.t.Fatalf("POST %s: HTTP %d: %s", path, resp.StatusCode, msg)
	}
}

// addPatchPorts adds n patch ports named prefix0..prefix(n-1) to the
// host's br-loris, in pairs peering each other: cheap OpenFlow ports with
// no kernel device, for attachments whose flows should be installed.
func addPatchPorts(tb testing.TB, h *cluster.Host, prefix string, n int) []string {
	tb.Helper()
	var args []string
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	for i := range n {
		peer := names[i^1]
		if i^1 >= n {
			peer = names[i] + "x" // an odd last port peers with nothing
		}
		args = append(args, "--", "add-port", "br-loris", names[i], "--", "set", "interface", names[i],
			"type=patch", "options:peer="+peer)
	}
	if _, err := h.Vsctl(args...); err != nil {
		tb.Fatalf("adding %d patch ports on %s: %v", n, h.Name, err)
	}
	return names
}

// meterInstruction is a dumped flow's meter instruction.
var meterInstruction = regexp.MustCompile(`meter:\d+,`)

// switchTables holds what a bridge's flow and group tables held, as
// ovs-ofctl prints them, written to files that add-flows/add-groups read.
type switchTables struct {
	host              *cluster.Host
	flowFile, grpFile string
	flows, groups     int
}

// dumpTables saves the host's br-loris flows and groups to dir.
func dumpTables(tb testing.TB, h *cluster.Host, dir string) switchTables {
	tb.Helper()
	st := switchTables{host: h, flowFile: filepath.Join(dir, h.Name+".flows"), grpFile: filepath.Join(dir, h.Name+".groups")}
	out, err := h.Ofctl("br-loris", "--no-stats", "dump-flows")
	if err != nil {
		tb.Fatal(err)
	}
	var flows []string
	for _, line := range strings.Split(out, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "OFPST_") && !strings.HasPrefix(line, "NXST_") {
			// ovs-ofctl cannot load meters from a file, so the punt
			// flows go in without their meter instruction (one flow per
			// container port; the instruction costs OVS nothing notable).
			flows = append(flows, meterInstruction.ReplaceAllString(line, ""))
		}
	}
	out, err = h.Ofctl("br-loris", "dump-groups")
	if err != nil {
		tb.Fatal(err)
	}
	var groups []string
	for _, line := range strings.Split(out, "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "group_id=") {
			groups = append(groups, line)
		}
	}
	st.flows, st.groups = len(flows), len(groups)
	if err := os.WriteFile(st.flowFile, []byte(strings.Join(flows, "\n")+"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(st.grpFile, []byte(strings.Join(groups, "\n")+"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	return st
}

// clearTables empties the host's br-loris flow and group tables.
func clearTables(tb testing.TB, h *cluster.Host) {
	tb.Helper()
	if _, err := h.Ofctl("br-loris", "del-flows"); err != nil {
		tb.Fatal(err)
	}
	if _, err := h.Ofctl("br-loris", "del-groups"); err != nil {
		tb.Fatal(err)
	}
}

// ofctlCeiling loads the saved tables into the (emptied) switches with
// ovs-ofctl, every host at once, and returns the wall time of the flow
// load alone (groups go in first, untimed). With bundle the flows go in as
// one OpenFlow 1.4 bundle per switch.
func ofctlCeiling(tb testing.TB, tables []switchTables, bundle bool) time.Duration {
	tb.Helper()
	for _, st := range tables {
		clearTables(tb, st.host)
		if st.groups > 0 {
			if _, err := st.host.Ofctl("br-loris", "add-groups", st.grpFile); err != nil {
				tb.Fatal(err)
			}
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(tables))
	start := time.Now()
	for i, st := range tables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := []string{"add-flows", st.flowFile}
			if bundle {
				args = []string{"--bundle", "add-flows", st.flowFile}
			}
			_, errs[i] = st.host.Ofctl("br-loris", args...)
		}()
	}
	wg.Wait()
	took := time.Since(start)
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return took
}

// benchAttachment is an attachment created through the API for a patch
// port (no container behind it).
func benchAttachment(host, port, pod string, n int) topology.Attachment {
	m := n + 1
	return topology.Attachment{Host: host, Container: fmt.Sprintf("b%d", n), IfName: "eth0", Port: port, Pod: pod,
		IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(100 + m>>16), byte(m >> 8), byte(m)}), 8)}
}
