package controller

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lorispack/loris/cmd/loris-bench/ofbench"
	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
)

// Scale benchmarks (issue 6, item 4): 1,000 hosts, 1,000 pods and 100,000
// attachments spread at random (each host ~100 attachments in ~95 pods,
// each pod on ~95 hosts), with emulated switches connected over loopback
// TCP. Run with: go test -run '^$' -bench Scale -benchtime 20x ./controller
//
// Every connected switch costs the controller about 20 MiB at this scale
// (its desired and installed state: ~18,600 flows), so connecting all
// 1,000 needs over 20 GiB and would take the machine down: by default
// scaleSwitches switches are connected (the hosts of one pod first, so
// that an attachment change in that pod reaches every one that should get
// messages, plus others that should not) and the memory figures are
// reported per switch and extrapolated. LORIS_BENCH_SWITCHES=1000 connects
// them all, on a machine with the memory for it.

const (
	scaleHosts       = 1000
	scalePods        = 1000
	scaleAttachments = 100_000
	scaleSwitches    = 48
)

// switchesToConnect is scaleSwitches or LORIS_BENCH_SWITCHES.
func switchesToConnect(b *testing.B) int {
	b.Helper()
	v := os.Getenv("LORIS_BENCH_SWITCHES")
	if v == "" {
		return scaleSwitches
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > scaleHosts {
		b.Fatalf("LORIS_BENCH_SWITCHES=%q: want 1..%d", v, scaleHosts)
	}
	return n
}

// scaleWorld is a controller loaded with the scale topology and, once
// connect has run, one emulated switch per host.
type scaleWorld struct {
	c        *Controller
	state    topology.State
	ports    map[string][]ofproto.Port // host -> its ports as its switch reports them
	switches map[string]*ofbench.Switch
	addr     string // the controller's OpenFlow listener
}

// scaleState builds the topology as a stored state, as a controller
// restarting on a big cluster would load it.
func scaleState(b *testing.B) (topology.State, map[string][]ofproto.Port) {
	b.Helper()
	rng := rand.New(rand.NewPCG(6, 6))
	m := topology.New()
	m.SetClock(func() time.Time { return time.Unix(0, 0) })
	ports := map[string][]ofproto.Port{}
	for i := range scaleHosts {
		name := fmt.Sprintf("host%04d", i)
		h := topology.Host{Name: name, DatapathID: topology.DatapathID(i + 1),
			TunnelIP: netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), Tunnel: topology.TunnelVXLAN}
		if _, _, err := m.AddHost(h); err != nil {
			b.Fatal(err)
		}
		ports[name] = []ofproto.Port{{PortNo: 1, Name: policy.TunnelPort}}
	}
	for i := range scalePods {
		if _, err := m.AddPod(fmt.Sprintf("pod%04d", i), 0); err != nil {
			b.Fatal(err)
		}
	}
	for i := range scaleAttachments {
		host := fmt.Sprintf("host%04d", rng.IntN(scaleHosts))
		a, err := m.Attach(topology.Attachment{
			Host: host, Container: fmt.Sprintf("c%06d", i), IfName: "eth0",
			Pod: fmt.Sprintf("pod%04d", rng.IntN(scalePods)),
			IP:  netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte((i + 1) >> 16), byte((i + 1) >> 8), byte(i + 1)}), 8),
		})
		if err != nil {
			b.Fatal(err)
		}
		ports[host] = append(ports[host], ofproto.Port{PortNo: uint32(len(ports[host]) + 1), Name: a.Port})
	}
	return m.State(), ports
}

func newScaleWorld(b *testing.B) *scaleWorld {
	b.Helper()
	st, ports := scaleState(b)
	mem := store.NewMemory()
	if err := mem.Update(func(tx store.Tx) error {
		for _, h := range st.Hosts {
			if err := tx.PutHost(h); err != nil {
				return err
			}
		}
		for _, p := range st.Pods {
			if err := tx.PutPod(p); err != nil {
				return err
			}
		}
		for _, a := range st.Attachments {
			if err := tx.PutAttachment(a); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	c, err := New(Config{Store: mem, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ReconcileTimeout: 5 * time.Minute, EchoInterval: time.Minute, DeadTimeout: 5 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	return &scaleWorld{c: c, state: st, ports: ports, switches: map[string]*ofbench.Switch{}}
}

// connect starts the OpenFlow listener, connects one emulated switch for
// each of hosts and waits until every switch has been reconciled.
func (w *scaleWorld) connect(b *testing.B, hosts []string) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.addr = ln.Addr().String()
	served := make(chan struct{})
	go func() {
		defer close(served)
		w.c.ServeOpenFlow(ctx, ln)
	}()
	b.Cleanup(func() {
		cancel()
		<-served
		for _, s := range w.switches {
			s.Close()
		}
		w.c.Wait()
	})
	dpids := map[string]topology.DatapathID{}
	for _, h := range w.state.Hosts {
		dpids[h.Name] = h.DatapathID
	}
	for i, h := range hosts {
		s, err := ofbench.Dial(ctx, ln.Addr().String(), ofbench.SwitchConfig{DatapathID: uint64(dpids[h]), Ports: w.ports[h], Index: i})
		if err != nil {
			b.Fatal(err)
		}
		w.switches[h] = s
	}
	w.waitConverged(b, 10*time.Minute)
}

// waitConverged polls until every registered switch is connected and has
// applied the latest model change.
func (w *scaleWorld) waitConverged(b *testing.B, limit time.Duration) {
	b.Helper()
	deadline := time.Now().Add(limit)
	for {
		if w.converged() {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("switches not converged after %v", limit)
		}
		time.Sleep(time.Millisecond) // polling interval, not synchronisation
	}
}

func (w *scaleWorld) converged() bool {
	w.c.mu.Lock()
	sessions := make([]*session, 0, len(w.c.sessions))
	for _, s := range w.c.sessions {
		sessions = append(sessions, s)
	}
	w.c.mu.Unlock()
	if len(sessions) != len(w.switches) {
		return false
	}
	for _, s := range sessions {
		if s.doneGen.Load() < s.wantGen.Load() {
			return false
		}
		s.mu.Lock()
		ok := s.stats.Reconciles > 0 && s.lastErr == ""
		s.mu.Unlock()
		if !ok {
			return false
		}
	}
	return true
}

// BenchmarkScaleDesiredStateOneHost: what one switch's reconciliation
// computes before diffing: the host's flows from the snapshot, translated
// to OpenFlow and keyed.
func BenchmarkScaleDesiredStateOneHost(b *testing.B) {
	w := newScaleWorld(b)
	snap := w.c.Snapshot()
	host := w.state.Hosts[0].Name
	ports := policy.Ports{}
	for _, p := range w.ports[host] {
		ports[p.Name] = p.PortNo
	}
	var st *switchState
	b.ReportAllocs()
	for b.Loop() {
		st = desiredState(policy.Compile(snap, host, ports))
	}
	b.ReportMetric(float64(len(st.flows)), "flows")
	b.ReportMetric(float64(len(st.groups)), "groups")
}

// BenchmarkScaleModelChange: the controller-side cost of one attachment
// change (model, store, snapshot) without switches: attach then detach.
func BenchmarkScaleModelChange(b *testing.B) {
	w := newScaleWorld(b)
	a := topology.Attachment{Host: w.state.Hosts[0].Name, Container: "bench-extra", IfName: "eth0", Pod: "pod0000",
		IP: netip.MustParsePrefix("11.0.0.1/8")}
	b.ReportAllocs()
	for b.Loop() {
		got, err := w.c.Attach(a)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.c.Detach(got.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N)/1e6, "ms/change")
}

// BenchmarkScaleAttachmentChange: switches connected for the hosts of
// one pod and some others (see switchesToConnect); one op is an attach on
// one host in that pod until every connected switch has converged, then
// the detach likewise. Reports the reconciliations and the switches that
// got flow or group messages per change, and memory: the controller with
// the model loaded and no switch, and the increase per connected switch.
func BenchmarkScaleAttachmentChange(b *testing.B) {
	w := newScaleWorld(b)
	runtime.GC()
	rss0, heap0 := rssBytes(b), heapInuse()

	pod := "pod0000"
	podHosts := map[string]bool{}
	for _, a := range w.state.Attachments {
		if a.Pod == pod {
			podHosts[a.Host] = true
		}
	}
	var hosts []string
	for _, h := range w.state.Hosts {
		if podHosts[h.Name] {
			hosts = append(hosts, h.Name)
		}
	}
	n := switchesToConnect(b)
	if len(hosts) > n-n/4 {
		hosts = hosts[:n-n/4] // keep a quarter for hosts outside the pod
	}
	for _, h := range w.state.Hosts {
		if len(hosts) == n {
			break
		}
		if !podHosts[h.Name] {
			hosts = append(hosts, h.Name)
		}
	}
	host := hosts[0]
	w.connect(b, hosts)
	runtime.GC()
	rss1, heap1 := rssBytes(b), heapInuse()
	if path := os.Getenv("LORIS_BENCH_HEAPPROFILE"); path != "" {
		// What the connected switches cost, for go tool pprof.
		writeHeapProfile(b, path)
	}

	a := topology.Attachment{Host: host, Container: "bench-extra", IfName: "eth0", Pod: pod, IP: netip.MustParsePrefix("11.0.0.1/8")}
	// The new attachment's port must exist on the switch for its flows to
	// be installed: the emulated switch reports it from the start.
	portName := topology.DefaultPortName(topology.AttachmentID(a.Host, a.Container, a.IfName))
	w.addPort(b, host, portName)

	var messaged, flowMods, changes, reconciles int
	for b.Loop() {
		for _, step := range []func() error{
			func() error { _, err := w.c.Attach(a); return err },
			func() error { _, err := w.c.Detach(topology.AttachmentID(a.Host, a.Container, a.IfName)); return err },
		} {
			before, rounds := w.counters(), w.reconciles()
			if err := step(); err != nil {
				b.Fatal(err)
			}
			w.waitConverged(b, 10*time.Minute)
			after := w.counters()
			reconciles += int(w.reconciles() - rounds)
			for h, c := range after {
				d := c.FlowMods + c.GroupMods - before[h].FlowMods - before[h].GroupMods
				if d > 0 {
					messaged++
					flowMods += int(d)
					if !podHosts[h] && h != host {
						b.Errorf("switch %s outside the pod got %d messages", h, d)
					}
				}
			}
			changes++
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(changes)/1e6, "ms/change")
	b.ReportMetric(float64(reconciles)/float64(changes), "reconciles/change")
	b.ReportMetric(float64(messaged)/float64(changes), "switches-messaged/change")
	b.ReportMetric(float64(flowMods)/float64(changes), "mods/change")
	b.ReportMetric(float64(len(w.switches)), "switches")
	// Reported last: b.Loop's first call resets user metrics.
	mib := func(v int64) float64 { return float64(v) / (1 << 20) }
	b.ReportMetric(mib(rss0), "RSS-0-switches-MiB")
	b.ReportMetric(mib(rss1-rss0)/float64(len(hosts)), "RSS-MiB/switch")
	b.ReportMetric(mib(heap1-heap0)/float64(len(hosts)), "heap-MiB/switch")
	b.ReportMetric((mib(rss0)+mib(rss1-rss0)/float64(len(hosts))*scaleHosts)/1024, "RSS-1000-switches-GiB(extrapolated)")
}

// reconciles is the total of successful reconciliations so far.
func (w *scaleWorld) reconciles() uint64 {
	w.c.mu.Lock()
	sessions := make([]*session, 0, len(w.c.sessions))
	for _, s := range w.c.sessions {
		sessions = append(sessions, s)
	}
	w.c.mu.Unlock()
	var n uint64
	for _, s := range sessions {
		s.mu.Lock()
		n += s.stats.Reconciles
		s.mu.Unlock()
	}
	return n
}

func writeHeapProfile(b *testing.B, path string) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

func heapInuse() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// addPort reconnects host's switch with one more port (the emulated
// switch's port list is fixed per connection) and waits for convergence.
func (w *scaleWorld) addPort(b *testing.B, host, name string) {
	b.Helper()
	ports := w.ports[host]
	ports = append(ports[:len(ports):len(ports)], ofproto.Port{PortNo: uint32(len(ports) + 1), Name: name})
	w.ports[host] = ports
	old := w.switches[host]
	cfg := old.Config()
	cfg.Ports = ports
	old.Close()
	w.waitGone(b, topology.DatapathID(cfg.DatapathID))
	s, err := ofbench.Dial(context.Background(), w.addr, cfg)
	if err != nil {
		b.Fatal(err)
	}
	w.switches[host] = s
	w.waitConverged(b, time.Minute)
}

func (w *scaleWorld) waitGone(b *testing.B, dpid topology.DatapathID) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		w.c.mu.Lock()
		_, present := w.c.sessions[dpid]
		w.c.mu.Unlock()
		if !present {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("session of %v still present", dpid)
		}
		time.Sleep(time.Millisecond)
	}
}

func (w *scaleWorld) counters() map[string]ofbench.Counters {
	out := make(map[string]ofbench.Counters, len(w.switches))
	for h, s := range w.switches {
		out[h] = s.Counters()
	}
	return out
}

// rssBytes reads the process's resident set size.
func rssBytes(b *testing.B) int64 {
	b.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// BenchmarkAttachBolt: the API path of one attachment with the production
// store (bbolt, fsync per transaction) on the flow-programming benchmark's
// topology (10 hosts, 10 pods, 1,000 attachments), without switches: what
// bounds a batch of attachments before any switch is involved.
func BenchmarkAttachBolt(b *testing.B) {
	st, err := store.OpenBolt(b.TempDir()+"/loris.db", store.BoltOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	c, err := New(Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10 {
		if _, _, err := c.AddHost(topology.Host{Name: fmt.Sprintf("h%d", i), DatapathID: topology.DatapathID(i + 1),
			TunnelIP: netip.AddrFrom4([4]byte{198, 18, 0, byte(i + 1)}), Tunnel: topology.TunnelVXLAN}); err != nil {
			b.Fatal(err)
		}
		if _, err := c.AddPod(fmt.Sprintf("p%d", i), 0); err != nil {
			b.Fatal(err)
		}
	}
	n := 0
	attach := func() string {
		n++
		a, err := c.Attach(topology.Attachment{Host: fmt.Sprintf("h%d", n%10), Container: fmt.Sprintf("c%d", n), IfName: "eth0",
			Pod: fmt.Sprintf("p%d", n/10%10), IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}), 8)})
		if err != nil {
			b.Fatal(err)
		}
		return a.ID
	}
	for range 999 {
		attach()
	}
	b.ReportAllocs()
	for b.Loop() {
		id := attach()
		if _, err := c.Detach(id); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(2*b.N)/1000, "ms/change")
}

// BenchmarkBatchAttach10Hosts: the batch of the flow-programming e2e
// benchmark in process, for profiling: 10 emulated switches with 100 ports
// each, bbolt store, 1,000 attachments in 10 pods added one API call at a
// time, until every switch has confirmed its flows.
func BenchmarkBatchAttach10Hosts(b *testing.B) {
	benchBatchAttach10Hosts(b, func(c *Controller, as []topology.Attachment) error {
		for _, a := range as {
			if _, err := c.Attach(a); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkBatchAttachCall10Hosts: the same batch in one AttachBatch call
// (POST /v1/attachments/batch): one model change, one store transaction,
// one round per switch.
func BenchmarkBatchAttachCall10Hosts(b *testing.B) {
	benchBatchAttach10Hosts(b, func(c *Controller, as []topology.Attachment) error {
		_, err := c.AttachBatch(as)
		return err
	})
}

// benchBatchAttach10Hosts times attach, given the batch, from the first
// call until every switch has confirmed its flows.
func benchBatchAttach10Hosts(b *testing.B, attach func(c *Controller, as []topology.Attachment) error) {
	const hosts, perHost, pods = 10, 100, 10
	var batch []topology.Attachment
	for n := range hosts * perHost {
		m := n + 1
		batch = append(batch, topology.Attachment{Host: fmt.Sprintf("h%d", n/perHost), Container: fmt.Sprintf("b%d", n), IfName: "eth0",
			Port: fmt.Sprintf("bp%d", n%perHost), Pod: fmt.Sprintf("p%d", n%pods),
			IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(100 + m>>16), byte(m >> 8), byte(m)}), 8)})
	}
	total := 0
	for b.Loop() {
		b.StopTimer()
		st, err := store.OpenBolt(b.TempDir()+"/loris.db", store.BoltOptions{})
		if err != nil {
			b.Fatal(err)
		}
		c, err := New(Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		w := &scaleWorld{c: c, ports: map[string][]ofproto.Port{}, switches: map[string]*ofbench.Switch{}}
		var names []string
		for i := range hosts {
			h := topology.Host{Name: fmt.Sprintf("h%d", i), DatapathID: topology.DatapathID(i + 1),
				TunnelIP: netip.AddrFrom4([4]byte{198, 18, 0, byte(i + 1)}), Tunnel: topology.TunnelVXLAN}
			if _, _, err := c.AddHost(h); err != nil {
				b.Fatal(err)
			}
			w.state.Hosts = append(w.state.Hosts, h)
			names = append(names, h.Name)
			w.ports[h.Name] = []ofproto.Port{{PortNo: 1, Name: policy.TunnelPort}}
			for p := range perHost {
				w.ports[h.Name] = append(w.ports[h.Name], ofproto.Port{PortNo: uint32(p + 2), Name: fmt.Sprintf("bp%d", p)})
			}
		}
		for p := range pods {
			if _, err := c.AddPod(fmt.Sprintf("p%d", p), 0); err != nil {
				b.Fatal(err)
			}
		}
		w.connect(b, names)
		b.StartTimer()
		if err := attach(c, batch); err != nil {
			b.Fatal(err)
		}
		w.waitConverged(b, 10*time.Minute)
		b.StopTimer()
		flows := 0
		for _, s := range w.sessions() {
			s.mu.Lock()
			flows += s.stats.Flows
			s.mu.Unlock()
		}
		total += flows
		b.ReportMetric(float64(flows), "flows")
		// b.Elapsed covers every iteration so far, so does total.
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "flows/s")
		st.Close()
		b.StartTimer()
	}
}

func (w *scaleWorld) sessions() []*session {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	out := make([]*session, 0, len(w.c.sessions))
	for _, s := range w.c.sessions {
		out = append(out, s)
	}
	return out
}

// BenchmarkScaleDesiredStateKeying: desiredState alone, the keying a
// resync does after reading the switch (the compile is done beside the
// read).
func BenchmarkScaleDesiredStateKeying(b *testing.B) {
	w := newScaleWorld(b)
	host := w.state.Hosts[0].Name
	ports := policy.Ports{}
	for _, p := range w.ports[host] {
		ports[p.Name] = p.PortNo
	}
	fs := policy.Compile(w.c.Snapshot(), host, ports)
	var st *switchState
	b.ReportAllocs()
	for b.Loop() {
		st = desiredState(fs)
	}
	b.ReportMetric(float64(len(st.flows)), "flows")
}
