package controller

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
)

// reconcileWorld is a controller with state switches connected to it.
type reconcileWorld struct {
	t        *testing.T
	c        *Controller
	addr     string
	switches map[string]*stateSwitch // by host name
}

func newReconcileWorld(t *testing.T) *reconcileWorld {
	t.Helper()
	c, err := New(Config{Store: store.NewMemory(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		StatsInterval: -1, EchoInterval: time.Hour, DeadTimeout: 2 * time.Hour, ReconcileTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &reconcileWorld{t: t, c: c, addr: serveOpenFlowForTest(t, c), switches: map[string]*stateSwitch{}}
}

func (w *reconcileWorld) addHost(i int, tunnel topology.TunnelType) topology.Host {
	w.t.Helper()
	h := topology.Host{Name: fmt.Sprintf("h%d", i), DatapathID: topology.DatapathID(0x100 + i),
		TunnelIP: netip.AddrFrom4([4]byte{198, 18, 1, byte(i)}), Tunnel: tunnel}
	if _, _, err := w.c.AddHost(h); err != nil {
		w.t.Fatal(err)
	}
	return h
}

// connect dials a switch for host with the tunnel port and ports.
func (w *reconcileWorld) connect(h topology.Host, ports ...ofproto.Port) *stateSwitch {
	w.t.Helper()
	all := append([]ofproto.Port{{PortNo: 1, Name: policy.TunnelPort}}, ports...)
	sw := dialStateSwitch(w.t, w.addr, uint64(h.DatapathID), all)
	w.switches[h.Name] = sw
	return sw
}

func (w *reconcileWorld) sessions() map[string]*session {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	out := map[string]*session{}
	for _, s := range w.c.sessions {
		if h, ok := w.c.snap.HostByDatapathID(s.dpid); ok {
			out[h.Name] = s
		}
	}
	return out
}

// waitConverged waits until every switch has a session that knows the
// switch's ports and has applied every change it was given.
func (w *reconcileWorld) waitConverged() {
	w.t.Helper()
	metricsWaitFor(w.t, "switches to converge", 10*time.Second, func() bool {
		ss := w.sessions()
		for name, sw := range w.switches {
			s := ss[name]
			if s == nil || s.doneGen.Load() < s.wantGen.Load() {
				return false
			}
			s.mu.Lock()
			ok := s.stats.Reconciles > 0 && s.lastErr == "" && maps.Equal(s.ports, sw.portMap())
			s.mu.Unlock()
			if !ok {
				return false
			}
		}
		return true
	})
}

func (w *reconcileWorld) reconciles() map[string]uint64 {
	out := map[string]uint64{}
	for name, s := range w.sessions() {
		s.mu.Lock()
		out[name] = s.stats.Reconciles
		s.mu.Unlock()
	}
	return out
}

// checkEquivalent: what every switch holds is exactly a full recompile of
// its host from the current model.
func (w *reconcileWorld) checkEquivalent(what string) {
	w.t.Helper()
	snap := w.c.Snapshot()
	for name, sw := range w.switches {
		want := desiredState(policy.Compile(snap, name, sw.portMap()))
		if d := sw.differences(want); len(d) > 0 {
			w.t.Fatalf("after %s: switch %s differs from a full recompile (%d):\n%s", what, name, len(d), strings.Join(d[:min(len(d), 10)], "\n"))
		}
	}
}

func TestChangeKicksOnlyAffectedSessions(t *testing.T) {
	w := newReconcileWorld(t)
	var hosts []topology.Host
	for i := range 3 {
		hosts = append(hosts, w.addHost(i, topology.TunnelVXLAN))
	}
	for _, p := range []string{"blue", "red"} {
		if _, err := w.c.AddPod(p, 0); err != nil {
			t.Fatal(err)
		}
	}
	attach := func(host, ctr, pod string, ip string) topology.Attachment {
		a, err := w.c.Attach(topology.Attachment{Host: host, Container: ctr, IfName: "eth0", Pod: pod, Port: "p-" + ctr,
			IP: netip.MustParsePrefix(ip)})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	attach("h0", "b0", "blue", "10.244.0.1/16")
	attach("h1", "b1", "blue", "10.244.0.2/16")
	attach("h2", "r2", "red", "10.244.0.3/16")
	for _, h := range hosts {
		w.connect(h, ofproto.Port{PortNo: 10, Name: "p-b0"}, ofproto.Port{PortNo: 11, Name: "p-b1"},
			ofproto.Port{PortNo: 12, Name: "p-r2"}, ofproto.Port{PortNo: 13, Name: "p-b3"})
	}
	w.waitConverged()
	w.checkEquivalent("connecting")

	step := func(what string, wantKicked map[string]bool, do func()) {
		t.Helper()
		before, mods := w.reconciles(), map[string]int{}
		for name, sw := range w.switches {
			mods[name] = sw.mods()
		}
		do()
		w.waitConverged()
		w.checkEquivalent(what)
		after := w.reconciles()
		for name := range w.switches {
			kicked := after[name] > before[name]
			if kicked != wantKicked[name] {
				t.Errorf("%s: switch %s reconciled %d times, want kicked=%v", what, name, after[name]-before[name], wantKicked[name])
			}
			if !wantKicked[name] && w.switches[name].mods() != mods[name] {
				t.Errorf("%s: switch %s outside the change got messages", what, name)
			}
		}
	}
	step("attach in blue on h0", map[string]bool{"h0": true, "h1": true}, func() { attach("h0", "b3", "blue", "10.244.0.4/16") })
	step("detach from blue", map[string]bool{"h0": true, "h1": true}, func() {
		if _, err := w.c.Detach(topology.AttachmentID("h0", "b3", "eth0")); err != nil {
			t.Fatal(err)
		}
	})
	step("first blue member on h2", map[string]bool{"h0": true, "h1": true, "h2": true}, func() { attach("h2", "b3", "blue", "10.244.0.4/16") })
	step("last blue member leaves h2", map[string]bool{"h0": true, "h1": true, "h2": true}, func() {
		if _, err := w.c.Detach(topology.AttachmentID("h2", "b3", "eth0")); err != nil {
			t.Fatal(err)
		}
	})
	step("new empty pod", map[string]bool{}, func() {
		if _, err := w.c.AddPod("green", 0); err != nil {
			t.Fatal(err)
		}
	})
	step("learned MAC in red", map[string]bool{"h2": true}, func() {
		a, _ := w.c.Snapshot().Members("red")[0], 0
		if _, _, err := w.c.learnMACs(nil, []*learnRequest{{att: a, mac: topology.MAC{0x02, 0xee, 0, 0, 0, 1}}}); err != nil {
			t.Fatal(err)
		}
	})
	step("a host joins", map[string]bool{"h0": true, "h1": true, "h2": true}, func() { w.addHost(3, topology.TunnelVXLAN) })
	step("a host registered again unchanged", map[string]bool{}, func() { w.addHost(1, topology.TunnelVXLAN) })
	step("a host's tunnel changes", map[string]bool{"h0": true, "h1": true, "h2": true}, func() { w.addHost(1, topology.TunnelGeneve) })
	step("a port of another pod's host", map[string]bool{"h2": true}, func() { w.switches["h2"].setPort("p-b1", 20) })
}

// An attachment's round sends exactly the flows that differ: on the
// remote host of the pod, the forwarding and ARP responder flows of the
// new member and nothing else.
func TestIncrementalRoundSendsMinimalMods(t *testing.T) {
	w := newReconcileWorld(t)
	h0, h1 := w.addHost(0, topology.TunnelVXLAN), w.addHost(1, topology.TunnelVXLAN)
	if _, err := w.c.AddPod("blue", 0); err != nil {
		t.Fatal(err)
	}
	for i, h := range []string{"h0", "h1"} {
		if _, err := w.c.Attach(topology.Attachment{Host: h, Container: fmt.Sprintf("c%d", i), IfName: "eth0", Pod: "blue",
			Port: fmt.Sprintf("p%d", i), IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, 0, byte(i + 1)}), 16)}); err != nil {
			t.Fatal(err)
		}
	}
	sw0 := w.connect(h0, ofproto.Port{PortNo: 10, Name: "p0"}, ofproto.Port{PortNo: 12, Name: "p2"})
	sw1 := w.connect(h1, ofproto.Port{PortNo: 11, Name: "p1"})
	w.waitConverged()
	snap0 := w.c.Snapshot()
	count := func(sw *stateSwitch) [3]int {
		sw.mu.Lock()
		defer sw.mu.Unlock()
		return [3]int{sw.flowMods, sw.groupMods, sw.meterMods}
	}
	b0, b1 := count(sw0), count(sw1)
	if _, err := w.c.Attach(topology.Attachment{Host: "h0", Container: "c2", IfName: "eth0", Pod: "blue", Port: "p2",
		IP: netip.MustParsePrefix("10.244.0.3/16")}); err != nil {
		t.Fatal(err)
	}
	w.waitConverged()
	w.checkEquivalent("attach")
	a0, a1 := count(sw0), count(sw1)
	// The least any controller could send: the difference of the two
	// full desired states.
	for name, sw := range map[string]*stateSwitch{"h0": sw0, "h1": sw1} {
		ports := sw.portMap()
		minimal := diff(desiredState(policy.Compile(snap0, name, ports)), desiredState(policy.Compile(w.c.Snapshot(), name, ports)))
		got := map[string][3]int{"h0": {a0[0] - b0[0], a0[1] - b0[1], a0[2] - b0[2]}, "h1": {a1[0] - b1[0], a1[1] - b1[1], a1[2] - b1[2]}}[name]
		want := [3]int{minimal.flowAdds + minimal.flowDeletes, len(minimal.groupAdds) + len(minimal.groupDeletes),
			len(minimal.meterAdds) + len(minimal.meterDeletes)}
		if got != want {
			t.Errorf("%s: sent flow/group/meter mods %v, minimal %v", name, got, want)
		}
	}
	// Spelled out for the remote host: forwarding and ARP answer for the
	// new member; the flood group is unchanged (h0 already had members).
	if got := [3]int{a1[0] - b1[0], a1[1] - b1[1], a1[2] - b1[2]}; got != [3]int{2, 0, 0} {
		t.Errorf("remote host got flow/group/meter mods %v, want [2 0 0]", got)
	}
	// The local host: port security, ARP guard, delivery from both
	// origins, punt, own-target ARP and ARP answer flows (7), both flood
	// groups modified, the port's meter.
	if got := [3]int{a0[0] - b0[0], a0[1] - b0[1], a0[2] - b0[2]}; got != [3]int{7, 2, 1} {
		t.Errorf("local host got flow/group/meter mods %v, want [7 2 1]", got)
	}
}

// After any sequence of changes, what every switch holds equals a full
// recompile of its host: the incremental rounds miss nothing and leave
// nothing behind. Fixed seeds; every kind of change the controller
// makes, plus ports coming and going on the switches.
func TestIncrementalEqualsFullRecompile(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { incrementalProperty(t, seed) })
	}
}

func incrementalProperty(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 6))
	w := newReconcileWorld(t)
	tunnels := []topology.TunnelType{topology.TunnelVXLAN, topology.TunnelVXLAN, topology.TunnelGeneve}
	const nHosts, nPods = 4, 3
	var hosts []topology.Host
	for i := range nHosts {
		hosts = append(hosts, w.addHost(i, tunnels[rng.IntN(len(tunnels))]))
	}
	for p := range nPods {
		if _, err := w.c.AddPod(fmt.Sprintf("pod%d", p), 0); err != nil {
			t.Fatal(err)
		}
	}
	nextPort := 10
	for _, h := range hosts {
		w.connect(h)
	}
	w.waitConverged()
	member := func() (topology.Attachment, bool) {
		as := w.c.Snapshot().AttachmentList()
		if len(as) == 0 {
			return topology.Attachment{}, false
		}
		return as[rng.IntN(len(as))], true
	}
	ops := 0
	for i := 0; i < 60; i++ {
		var what string
		switch k := rng.IntN(10); {
		case k < 3:
			h := hosts[rng.IntN(len(hosts))]
			port := fmt.Sprintf("q%d", i)
			what = "attach on " + h.Name
			_, err := w.c.Attach(topology.Attachment{Host: h.Name, Container: fmt.Sprintf("c%d", i), IfName: "eth0",
				Pod: fmt.Sprintf("pod%d", rng.IntN(nPods)), Port: port,
				IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, 0, byte(1 + rng.IntN(40))}), 16)})
			if errors.Is(err, topology.ErrConflict) {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			if rng.IntN(4) != 0 {
				nextPort++
				w.switches[h.Name].setPort(port, nextPort)
			}
		case k < 4:
			a, ok := member()
			if !ok {
				continue
			}
			what = "detach from " + a.Host
			if _, err := w.c.Detach(a.ID); err != nil {
				t.Fatal(err)
			}
		case k < 6:
			a, ok := member()
			if !ok {
				continue
			}
			what = "learns from " + a.Host
			// Up to three batches back to back, of up to two MACs each, of
			// this member or another: the rounds they start merge scopes.
			for range 1 + rng.IntN(3) {
				var reqs []*learnRequest
				for range 1 + rng.IntN(2) {
					if rng.IntN(3) == 0 {
						a, _ = member()
					}
					mac := topology.MAC{0x02, 0, 0, 0, 0, byte(1 + rng.IntN(30))} // sometimes another member's: a conflict
					reqs = append(reqs, &learnRequest{att: a, mac: mac})
				}
				if _, _, err := w.c.learnMACs(nil, reqs); err != nil {
					t.Fatal(err)
				}
			}
		case k < 7:
			a, ok := member()
			if !ok {
				continue
			}
			what = "port of a member comes or goes on " + a.Host
			if rng.IntN(2) == 0 {
				w.switches[a.Host].setPort(a.Port, -1)
				if _, err := w.c.releasePort(a.Host, a.Port); err != nil {
					t.Fatal(err)
				}
			} else {
				nextPort++
				w.switches[a.Host].setPort(a.Port, nextPort)
			}
		case k < 8:
			h := hosts[rng.IntN(len(hosts))]
			what = "tunnel type of " + h.Name
			h.Tunnel = tunnels[rng.IntN(len(tunnels))]
			if _, _, err := w.c.AddHost(h); err != nil {
				t.Fatal(err)
			}
			hosts[h.DatapathID-0x100] = h
		case k < 9:
			h := hosts[rng.IntN(len(hosts))]
			what = "tunnel port renumbered on " + h.Name
			w.switches[h.Name].setPort(policy.TunnelPort, 1+rng.IntN(3))
		default:
			p := fmt.Sprintf("pod%d", rng.IntN(nPods))
			what = "pod deleted and recreated: " + p
			if err := w.c.DeletePod(p, true); err != nil {
				t.Fatal(err)
			}
			if _, err := w.c.AddPod(p, 0); err != nil {
				t.Fatal(err)
			}
		}
		ops++
		w.waitConverged()
		w.checkEquivalent(fmt.Sprintf("op %d (%s)", i, what))
	}
	if ops < 30 {
		t.Fatalf("only %d changes made", ops)
	}
}

// A large plan goes to the switch as one bundle, with the same result;
// a reconnect with nothing changed then sends nothing.
func TestLargePlanIsOneBundle(t *testing.T) {
	w := newReconcileWorld(t)
	h := w.addHost(0, topology.TunnelVXLAN)
	if _, err := w.c.AddPod("blue", 0); err != nil {
		t.Fatal(err)
	}
	var ports []ofproto.Port
	for i := range 200 {
		a, err := w.c.Attach(topology.Attachment{Host: h.Name, Container: fmt.Sprintf("c%d", i), IfName: "eth0", Pod: "blue",
			IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, byte(i >> 8), byte(i + 1)}), 16)})
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, ofproto.Port{PortNo: uint32(10 + i), Name: a.Port})
	}
	sw := w.connect(h, ports...)
	w.waitConverged()
	w.checkEquivalent("first round")
	sw.mu.Lock()
	bundles, flows := sw.bundles, len(sw.flows)
	sw.mu.Unlock()
	if bundles != 1 || flows < bundleMinMessages {
		t.Fatalf("%d flows in %d bundles, want over %d in one", flows, bundles, bundleMinMessages)
	}
	mods := sw.mods()
	sw.conn.Close()
	metricsWaitFor(t, "the session to end", 5*time.Second, func() bool { return len(w.sessions()) == 0 })
	// The second switch holds the first one's state before it connects:
	// the controller reads it as soon as the session starts.
	again := newStateSwitch(t, uint64(h.DatapathID), sw.ports)
	sw.mu.Lock()
	again.flows, again.groups, again.meters = maps.Clone(sw.flows), maps.Clone(sw.groups), maps.Clone(sw.meters)
	sw.mu.Unlock()
	again.connect(t, w.addr, again.handle)
	w.switches[h.Name] = again
	w.waitConverged()
	w.checkEquivalent("reconnect")
	if again.mods() != 0 || mods == 0 {
		t.Fatalf("reconnect sent %d modifications, want 0", again.mods())
	}
}
