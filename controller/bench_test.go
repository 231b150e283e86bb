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
// each pod on ~95 hosts), with one emulated switch per host connected over
// loopback TCP. Run with: go test -run '^$' -bench Scale -benchtime 20x ./controller

const (
	scaleHosts       = 1000
	scalePods        = 1000
	scaleAttachments = 100_000
)

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

// connect starts the OpenFlow listener, connects one emulated switch per
// host and waits until every switch has been reconciled.
func (w *scaleWorld) connect(b *testing.B) {
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
	for i, h := range w.state.Hosts {
		s, err := ofbench.Dial(ctx, ln.Addr().String(), ofbench.SwitchConfig{DatapathID: uint64(h.DatapathID), Ports: w.ports[h.Name], Index: i})
		if err != nil {
			b.Fatal(err)
		}
		w.switches[h.Name] = s
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
	if len(sessions) != len(w.state.Hosts) {
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
	a := topology.Attachment{Host: w.state.Hosts[0].Name, Container: "bench-extra", IfName: "eth0", Pod: w.state.Pods[0].Name,
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

// BenchmarkScaleAttachmentChange: 1,000 switches connected; one op is an
// attach on one host (pod with members on ~95 hosts) until every switch
// has converged, then the detach likewise. Reports how many switches got
// flow or group messages per change, and the controller's RSS.
func BenchmarkScaleAttachmentChange(b *testing.B) {
	w := newScaleWorld(b)
	w.connect(b)
	runtime.GC()
	b.ReportMetric(float64(rssBytes(b))/(1<<20), "RSS-MiB")
	var heap runtime.MemStats
	runtime.ReadMemStats(&heap)
	b.ReportMetric(float64(heap.HeapInuse)/(1<<20), "heap-MiB")

	host := w.state.Hosts[0].Name
	pod := w.state.Pods[0].Name
	podHosts := map[string]bool{}
	for _, a := range w.state.Attachments {
		if a.Pod == pod {
			podHosts[a.Host] = true
		}
	}
	a := topology.Attachment{Host: host, Container: "bench-extra", IfName: "eth0", Pod: pod, IP: netip.MustParsePrefix("11.0.0.1/8")}
	// The new attachment's port must exist on the switch for its flows to
	// be installed: the emulated switch reports it from the start.
	portName := topology.DefaultPortName(topology.AttachmentID(a.Host, a.Container, a.IfName))
	w.addPort(b, host, portName)

	var messaged, flowMods, changes int
	b.ResetTimer()
	for b.Loop() {
		for _, step := range []func() error{
			func() error { _, err := w.c.Attach(a); return err },
			func() error { _, err := w.c.Detach(topology.AttachmentID(a.Host, a.Container, a.IfName)); return err },
		} {
			before := w.counters()
			if err := step(); err != nil {
				b.Fatal(err)
			}
			w.waitConverged(b, time.Minute)
			after := w.counters()
			for h, c := range after {
				d := c.FlowMods + c.GroupMods - before[h].FlowMods - before[h].GroupMods
				if d > 0 {
					messaged++
					flowMods += int(d)
				}
			}
			changes++
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(changes)/1e6, "ms/change")
	b.ReportMetric(float64(messaged)/float64(changes), "switches-messaged/change")
	b.ReportMetric(float64(flowMods)/float64(changes), "mods/change")
	b.ReportMetric(float64(len(podHosts)+1), "pod-hosts")
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
