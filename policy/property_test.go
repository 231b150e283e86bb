package policy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/lorispack/loris/topology"
)

// randomTopology builds a model with a few hosts (mixed tunnel types), pods
// and attachments. MACs and IPs are drawn from small pools so that the same
// MAC or IP often appears in different pods, which is legal and exactly
// what isolation must cope with. Some hosts lack the tunnel port and some
// attachments are not plugged in.
func randomTopology(t *testing.T, rng *rand.Rand) (*topology.Model, map[string]Ports) {
	t.Helper()
	m := topology.New()
	m.SetClock(func() time.Time { return time.Unix(0, 0) })
	ports := map[string]Ports{}
	nHosts := 1 + rng.IntN(5)
	for i := range nHosts {
		tunnel := topology.TunnelVXLAN
		if rng.IntN(4) == 0 {
			tunnel = []topology.TunnelType{topology.TunnelGRE, topology.TunnelGeneve}[rng.IntN(2)]
		}
		h := topology.Host{Name: fmt.Sprintf("h%d", i), DatapathID: topology.DatapathID(i + 1),
			TunnelIP: netip.AddrFrom4([4]byte{198, 18, 0, byte(i + 1)}), Tunnel: tunnel}
		if _, _, err := m.AddHost(h); err != nil {
			t.Fatal(err)
		}
		ports[h.Name] = Ports{}
		if rng.IntN(8) != 0 {
			ports[h.Name][TunnelPort] = uint32(1 + rng.IntN(3))
		}
	}
	nPods := rng.IntN(4)
	for i := range nPods {
		if _, err := m.AddPod(fmt.Sprintf("pod%d", i), uint32(2+rng.IntN(1000))); err != nil && !errors.Is(err, topology.ErrConflict) {
			t.Fatal(err)
		}
	}
	pods := m.State().Pods
	nAttach := rng.IntN(25)
	for i := range nAttach {
		a := topology.Attachment{
			Host:      fmt.Sprintf("h%d", rng.IntN(nHosts)),
			Container: fmt.Sprintf("c%d", i),
			IfName:    "eth0",
			Port:      fmt.Sprintf("p%d", i),
			Pod:       pods[rng.IntN(len(pods))].Name,
			MAC:       topology.MAC{0x02, 0, 0, 0, 0, byte(1 + rng.IntN(6))},
			IP:        netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, 0, byte(1 + rng.IntN(8))}), 24),
		}
		if rng.IntN(6) == 0 {
			a.IP = netip.MustParsePrefix(fmt.Sprintf("fd00::%x/64", i+1))
		}
		if _, err := m.Attach(a); errors.Is(err, topology.ErrConflict) {
			a.MAC = topology.MAC{}
			a.IP = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, 1, byte(i + 1)}), 24)
			_, err = m.Attach(a)
			if err != nil {
				t.Fatal(err)
			}
		} else if err != nil {
			t.Fatal(err)
		}
		if rng.IntN(7) != 0 {
			// Port numbers start above the tunnel's range 1..3.
			ports[a.Host][a.Port] = uint32(10 + i)
		}
	}
	// Learned MACs from a small pool that overlaps the static one, so
	// that some are refused as conflicts.
	if as := m.State().Attachments; len(as) > 0 {
		for range rng.IntN(10) {
			a := as[rng.IntN(len(as))]
			mac := topology.MAC{0x02, 0, 0, 0, byte(rng.IntN(2)), byte(1 + rng.IntN(6))}
			if _, err := m.Learn(a.ID, mac); err != nil {
				t.Fatal(err)
			}
		}
	}
	return m, ports
}

// macsOf is every MAC bound to a: its own and the learned ones.
func macsOf(snap *topology.Snapshot, a topology.Attachment) []topology.MAC {
	out := []topology.MAC{a.MAC}
	for _, b := range snap.LearnedOf(a.ID) {
		out = append(out, b.MAC)
	}
	return out
}

// answersARP reports whether src's host answers ARP requests for dst's IP
// itself: dst is in the same pod with an IPv4 address, and is plugged on
// the same host or on a host src's host tunnels to.
func answersARP(snap *topology.Snapshot, ports map[string]Ports, src, dst topology.Attachment) bool {
	if src.Pod != dst.Pod || !dst.IP.Addr().Is4() || src.ID == dst.ID || len(snap.LearnedOf(dst.ID)) > 0 {
		return false
	}
	if src.Host == dst.Host {
		_, ok := ports[dst.Host][dst.Port]
		return ok
	}
	sh, _ := snap.Host(src.Host)
	dh, _ := snap.Host(dst.Host)
	_, st := ports[src.Host][TunnelPort]
	return st && sh.Tunnel == dh.Tunnel
}

const propertySeeds = 300

func TestPropertySplitHorizon(t *testing.T) {
	for seed := range uint64(propertySeeds) {
		rng := rand.New(rand.NewPCG(seed, 1))
		m, ports := randomTopology(t, rng)
		snap := m.Snapshot()
		for _, h := range snap.Hosts {
			tun, ok := ports[h.Name][TunnelPort]
			if !ok {
				continue
			}
			fs := Compile(snap, h.Name, ports[h.Name])
			outputsToTunnel := func(actions []Action) bool {
				return slices.ContainsFunc(actions, func(a Action) bool { return a.Kind == ActionOutput && a.Port == tun })
			}
			for _, f := range fs.Flows {
				if f.Table != TableForwardTunnelOrigin {
					continue
				}
				if outputsToTunnel(f.Instructions.Actions) {
					t.Fatalf("seed %d host %s: table 30 flow outputs to the tunnel: %v", seed, h.Name, f)
				}
				for _, a := range f.Instructions.Actions {
					if a.Kind == ActionGroup && a.Group != FloodLocalGroupID(uint32(a.Group>>1)) {
						t.Fatalf("seed %d host %s: table 30 flow uses a non-local group: %v", seed, h.Name, f)
					}
				}
			}
			for _, g := range fs.Groups {
				if g.ID&1 == 0 {
					continue
				}
				for _, b := range g.Buckets {
					if outputsToTunnel(b.Actions) {
						t.Fatalf("seed %d host %s: FLOOD_LOCAL group outputs to the tunnel: %v", seed, h.Name, g)
					}
				}
			}
		}
	}
}

// reachable reports whether a frame from src can get to dst at all: dst is
// plugged in, and it is on the same host or both hosts have tunnel ports of
// the same type.
func reachable(snap *topology.Snapshot, ports map[string]Ports, src, dst topology.Attachment) bool {
	if _, ok := ports[dst.Host][dst.Port]; !ok {
		return false
	}
	if src.Host == dst.Host {
		return true
	}
	sh, _ := snap.Host(src.Host)
	dh, _ := snap.Host(dst.Host)
	_, st := ports[src.Host][TunnelPort]
	_, dt := ports[dst.Host][TunnelPort]
	return st && dt && sh.Tunnel == dh.Tunnel
}

func TestPropertyIsolationAndDelivery(t *testing.T) {
	broadcast := topology.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	multicast := topology.MAC{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}
	stranger := topology.MAC{0x02, 0xee, 0xee, 0xee, 0xee, 0xee}
	checked := 0
	var learnedSent, refusedSent, answered int
	for seed := range uint64(propertySeeds) {
		rng := rand.New(rand.NewPCG(seed, 2))
		m, ports := randomTopology(t, rng)
		snap := m.Snapshot()
		net := newNetwork(snap, ports)
		atPort := map[delivery]topology.Attachment{}
		for _, a := range snap.AttachmentList() {
			if n, ok := ports[a.Host][a.Port]; ok {
				atPort[delivery{a.Host, n}] = a
			}
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d: %s", seed, fmt.Sprintf(format, args...))
		}
		// check verifies one trace of a frame sent by src: it stays in
		// src's pod, and reaches exactly the expected attachments once.
		check := func(what string, src topology.Attachment, tr *trace, want []topology.Attachment) {
			t.Helper()
			if len(tr.problems) > 0 {
				fail("%s from %s: %v", what, src.ID, tr.problems)
			}
			pod, _ := snap.Pod(src.Pod)
			for _, ts := range tr.tunnels {
				if ts.tunID != uint64(pod.VNI) {
					fail("%s from %s (pod %s, VNI %d) entered a tunnel with key %d", what, src.ID, src.Pod, pod.VNI, ts.tunID)
				}
			}
			got := map[delivery]int{}
			for _, d := range tr.deliveries {
				a, ok := atPort[d]
				if !ok {
					fail("%s from %s delivered to %v, which is no attachment", what, src.ID, d)
				}
				if a.Pod != src.Pod {
					fail("%s from %s (pod %s) leaked to %s (pod %s)", what, src.ID, src.Pod, a.ID, a.Pod)
				}
				got[d]++
			}
			wantSet := map[delivery]int{}
			for _, a := range want {
				wantSet[delivery{a.Host, ports[a.Host][a.Port]}]++
			}
			if fmt.Sprint(got) != fmt.Sprint(wantSet) {
				fail("%s from %s: delivered %v, want %v", what, src.ID, got, wantSet)
			}
			checked++
		}

		for _, src := range snap.AttachmentList() {
			port, plugged := ports[src.Host][src.Port]
			if !plugged {
				continue
			}
			var podPeers []topology.Attachment
			for _, d := range snap.Members(src.Pod) {
				if d.ID != src.ID && reachable(snap, ports, src, d) {
					podPeers = append(podPeers, d)
				}
			}
			// Unicast to every MAC in use anywhere, plus one nobody has.
			dsts := []topology.MAC{stranger}
			for _, d := range snap.AttachmentList() {
				dsts = append(dsts, macsOf(snap, d)...)
			}
			for _, dst := range dsts {
				var want []topology.Attachment
				for _, d := range podPeers {
					if slices.Contains(macsOf(snap, d), dst) {
						want = append(want, d)
					}
				}
				tr := net.sendFromPort(src.Host, port, frame{src: src.MAC, dst: dst, ethType: 0x0800})
				check("unicast to "+dst.String(), src, tr, want)
			}
			for _, dst := range []topology.MAC{broadcast, multicast} {
				tr := net.sendFromPort(src.Host, port, frame{src: src.MAC, dst: dst, ethType: 0x0800})
				check("flood to "+dst.String(), src, tr, podPeers)
			}
			// Learned MACs are as good as the attachment's own.
			for _, b := range snap.LearnedOf(src.ID) {
				tr := net.sendFromPort(src.Host, port, frame{src: b.MAC, dst: broadcast, ethType: 0x0800})
				check("flood from learned "+b.MAC.String(), src, tr, podPeers)
				learnedSent++
			}
			// A source MAC not bound to the port gets nowhere, even one
			// valid elsewhere: it goes to the controller (to be learned)
			// unless the controller refused it on this port.
			own := macsOf(snap, src)
			for _, forged := range []topology.MAC{stranger, snap.AttachmentList()[rng.IntN(len(snap.AttachmentList()))].MAC} {
				if slices.Contains(own, forged) {
					continue
				}
				tr := net.sendFromPort(src.Host, port, frame{src: forged, dst: broadcast, ethType: 0x0800})
				check("unbound source "+forged.String(), src, tr, nil)
				refused := slices.ContainsFunc(snap.ConflictsOf(src.ID), func(c topology.Conflict) bool { return c.MAC == forged })
				if want := 1; refused {
					if tr.punts != 0 {
						fail("refused source %s from %s reached the controller", forged, src.ID)
					}
				} else if tr.punts != want {
					fail("unbound source %s from %s: %d packet-ins, want %d", forged, src.ID, tr.punts, want)
				}
			}
			for _, c := range snap.ConflictsOf(src.ID) {
				tr := net.sendFromPort(src.Host, port, frame{src: c.MAC, dst: broadcast, ethType: 0x0800})
				check("refused source "+c.MAC.String(), src, tr, nil)
				refusedSent++
				if tr.punts != 0 {
					fail("refused source %s from %s reached the controller", c.MAC, src.ID)
				}
			}
			// ARP requests for a pod member's IP are answered on the spot
			// with that member's MAC; anything else floods in the pod.
			if src.IP.Addr().Is4() {
				for _, target := range snap.AttachmentList() {
					tpa := target.IP.Addr()
					if !tpa.Is4() {
						continue
					}
					req := frame{src: src.MAC, dst: broadcast, ethType: ethTypeARP, arpOp: ArpOpRequest,
						arpSHA: src.MAC, arpSPA: src.IP.Addr(), arpTPA: tpa}
					tr := net.sendFromPort(src.Host, port, req)
					var owner *topology.Attachment
					for _, d := range snap.Members(src.Pod) {
						if d.IP.Addr() == tpa {
							owner = &d
						}
					}
					if owner == nil || !answersARP(snap, ports, src, *owner) {
						check("ARP request for "+tpa.String(), src, tr, podPeers)
						if len(tr.replies) != 0 {
							fail("ARP request for %s from %s answered: %+v", tpa, src.ID, tr.replies)
						}
						continue
					}
					check("answered ARP request for "+tpa.String(), src, tr, []topology.Attachment{src})
					answered++
					wantReply := frame{src: owner.MAC, dst: src.MAC, ethType: ethTypeARP, arpOp: ArpOpReply,
						arpSHA: owner.MAC, arpSPA: tpa, arpTHA: src.MAC, arpTPA: src.IP.Addr()}
					if len(tr.replies) != 1 || tr.replies[0] != wantReply || len(tr.tunnels) != 0 {
						fail("ARP request for %s from %s: replies %+v tunnels %v, want %+v", tpa, src.ID, tr.replies, tr.tunnels, wantReply)
					}
				}
			}
			// ARP: honest requests flood in the pod, lies are dropped.
			honest := frame{src: src.MAC, dst: broadcast, ethType: ethTypeARP, arpSHA: src.MAC, arpSPA: src.IP.Addr()}
			var wantARP []topology.Attachment
			if src.IP.Addr().Is4() {
				wantARP = podPeers
			}
			check("ARP", src, net.sendFromPort(src.Host, port, honest), wantARP)
			lieIP := honest
			lieIP.arpSPA = netip.MustParseAddr("10.244.9.9")
			check("ARP with a forged IP", src, net.sendFromPort(src.Host, port, lieIP), nil)
			lieMAC := honest
			lieMAC.arpSHA = stranger
			check("ARP with a forged MAC", src, net.sendFromPort(src.Host, port, lieMAC), nil)
		}

		// Frames arriving from a tunnel reach only the local members of the
		// pod the key names, and never go back into a tunnel.
		for _, h := range snap.Hosts {
			for _, pod := range snap.Pods {
				tr := net.sendFromTunnel(h.Name, uint64(pod.VNI), frame{src: stranger, dst: broadcast})
				if len(tr.problems) > 0 || len(tr.tunnels) > 0 {
					fail("tunnel frame on %s for pod %s: problems %v, re-tunnelled %v", h.Name, pod.Name, tr.problems, tr.tunnels)
				}
				for _, d := range tr.deliveries {
					if a := atPort[d]; a.Pod != pod.Name || a.Host != h.Name {
						fail("tunnel frame for pod %s on %s delivered to %+v", pod.Name, h.Name, a)
					}
				}
			}
			tr := net.sendFromTunnel(h.Name, 999999, frame{src: stranger, dst: broadcast})
			if len(tr.deliveries)+len(tr.tunnels) > 0 {
				fail("frame with an unknown key on %s went somewhere: %+v", h.Name, tr)
			}
		}
	}
	t.Logf("checked %d traces over %d random topologies", checked, propertySeeds)
	t.Logf("of which: %d from learned MACs, %d from refused MACs, %d ARP requests answered in the datapath", learnedSent, refusedSent, answered)
	if learnedSent < 50 || refusedSent < 20 || answered < 100 {
		t.Fatalf("too few learned (%d), refused (%d) or answered (%d) cases to mean much", learnedSent, refusedSent, answered)
	}
	if checked < 1000 {
		t.Fatalf("only %d traces checked; the generator is too sparse to mean much", checked)
	}
}

func TestPropertyDeterminism(t *testing.T) {
	for seed := range uint64(propertySeeds) {
		rng := rand.New(rand.NewPCG(seed, 3))
		m, ports := randomTopology(t, rng)
		state := m.State()
		rng.Shuffle(len(state.Hosts), func(i, j int) { state.Hosts[i], state.Hosts[j] = state.Hosts[j], state.Hosts[i] })
		rng.Shuffle(len(state.Pods), func(i, j int) { state.Pods[i], state.Pods[j] = state.Pods[j], state.Pods[i] })
		rng.Shuffle(len(state.Attachments), func(i, j int) {
			state.Attachments[i], state.Attachments[j] = state.Attachments[j], state.Attachments[i]
		})
		shuffled, err := topology.FromState(state)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range m.State().Hosts {
			first := Compile(m.Snapshot(), h.Name, ports[h.Name])
			again := Compile(m.Snapshot(), h.Name, ports[h.Name])
			other := Compile(shuffled.Snapshot(), h.Name, ports[h.Name])
			if first.String() != again.String() || first.String() != other.String() {
				t.Fatalf("seed %d host %s: compile is not deterministic", seed, h.Name)
			}
			checkWellFormed(t, seed, h.Name, first)
		}
	}
}

// checkWellFormed: sorted, no two flows with the same table, priority and
// match (OVS would keep only one), unique groups, every referenced group
// present, every cookie a loris cookie.
func checkWellFormed(t *testing.T, seed uint64, host string, fs *FlowSet) {
	t.Helper()
	for i, f := range fs.Flows {
		if !IsLorisCookie(f.Cookie) {
			t.Fatalf("seed %d host %s: cookie %#x lacks the magic", seed, host, f.Cookie)
		}
		if i > 0 && compareFlows(&fs.Flows[i-1], &f) >= 0 {
			t.Fatalf("seed %d host %s: flows out of order or overlapping:\n%v\n%v", seed, host, fs.Flows[i-1], f)
		}
		for _, a := range f.Instructions.Actions {
			if _, ok := findGroup(fs, a.Group); a.Kind == ActionGroup && !ok {
				t.Fatalf("seed %d host %s: flow uses missing group %d", seed, host, a.Group)
			}
		}
	}
	for i := 1; i < len(fs.Groups); i++ {
		if fs.Groups[i-1].ID >= fs.Groups[i].ID {
			t.Fatalf("seed %d host %s: groups out of order or duplicated", seed, host)
		}
	}
}
