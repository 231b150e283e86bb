package controller

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/topology"
)

// gatedSwitch is a stateSwitch that records, in order, the flow-mods
// naming one MAC and the PACKET_OUTs it gets, and can hold its barrier
// replies: a switch that has not confirmed a change yet.
type gatedSwitch struct {
	*stateSwitch
	mac topology.MAC

	mu     sync.Mutex
	events []string
	at     []time.Time // when each event came
	out    []*ofproto.PacketOut
	gate   chan struct{} // barrier replies wait for it while non-nil
}

func dialGatedSwitch(t *testing.T, addr string, dpid uint64, ports []ofproto.Port, mac topology.MAC) *gatedSwitch {
	t.Helper()
	sw := &gatedSwitch{mac: mac, stateSwitch: newStateSwitch(t, dpid, ports)}
	sw.connect(t, addr, sw.handle)
	return sw
}

func (sw *gatedSwitch) handle(c *ofproto.Conn, h ofproto.Header, m ofproto.Message) {
	m, err := ofproto.Clone(m)
	if err != nil {
		sw.t.Errorf("fake switch: %v", err)
		return
	}
	sw.mu.Lock()
	switch m := m.(type) {
	case *ofproto.FlowMod:
		for _, f := range m.Match.Fields {
			if len(f.Value) == 6 && bytes.Equal(f.Value, sw.mac[:]) {
				sw.events = append(sw.events, "flow")
				sw.at = append(sw.at, time.Now())
				break
			}
		}
	case *ofproto.PacketOut:
		sw.events = append(sw.events, "packet-out")
		sw.at = append(sw.at, time.Now())
		sw.out = append(sw.out, m)
	case *ofproto.BarrierRequest:
		if gate := sw.gate; gate != nil {
			sw.mu.Unlock()
			go func() {
				<-gate
				sw.stateSwitch.handle(c, h, m)
			}()
			return
		}
	}
	sw.mu.Unlock()
	sw.stateSwitch.handle(c, h, m)
}

// holdBarriers makes the switch hold its barrier replies (it has not
// confirmed what it was sent) until release is called, at the latest
// when the test ends.
func (sw *gatedSwitch) holdBarriers(t *testing.T) (release func()) {
	gate := make(chan struct{})
	sw.mu.Lock()
	sw.gate = gate
	sw.mu.Unlock()
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release)
	return release
}

// firstAt returns when the first event named what came (zero: none yet).
func (sw *gatedSwitch) firstAt(what string) time.Time {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	for i, e := range sw.events {
		if e == what {
			return sw.at[i]
		}
	}
	return time.Time{}
}

func (sw *gatedSwitch) seen() (events []string, outs []*ofproto.PacketOut) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return append([]string(nil), sw.events...), append([]*ofproto.PacketOut(nil), sw.out...)
}

// A frame from a new MAC is learned, and re-injected only once every
// switch of the pod has confirmed the MAC's flows: a reply must find its
// way back. While the other host's switch holds its confirmation, the
// learning switch already has the MAC's flows and no PACKET_OUT; once it
// confirms, the frame comes back on its own port, through the pipeline.
func TestReinjectWaitsForEverySwitchOfThePod(t *testing.T) {
	c, a, b := learnFixture(t, nil)
	mac := topology.MAC{0x02, 0xaa, 0xbb, 0, 0, 1}
	sw1, sw2 := connectLearnPair(t, c, a, b, mac)

	release := sw2.holdBarriers(t)
	frame := sendLearnFrame(t, sw1, a, 7, mac)
	metricsWaitFor(t, "the learned MAC's flows on both switches", 10*time.Second, func() bool {
		e1, _ := sw1.seen()
		e2, _ := sw2.seen()
		return len(e1) > 0 && len(e2) > 0
	})
	metricsWaitFor(t, "switch 1 confirmed its round", 10*time.Second, func() bool {
		for _, s := range c.Status().Switches {
			if s.Host == "h1" && !s.Pending {
				return true
			}
		}
		return false
	})
	// Switch 2 has not confirmed: no re-injection yet, however long we
	// look (a bounded window: the frame would come within milliseconds).
	time.Sleep(200 * time.Millisecond)
	if events, _ := sw1.seen(); len(events) == 0 || events[len(events)-1] == "packet-out" {
		t.Fatalf("switch 1 saw %v before switch 2 confirmed the MAC", events)
	}
	release()
	metricsWaitFor(t, "the frame re-injected on switch 1", 10*time.Second, func() bool {
		_, outs := sw1.seen()
		return len(outs) > 0
	})
	_, outs := sw1.seen()
	checkReinjected(t, outs[0], 7, frame)
	if _, outs2 := sw2.seen(); len(outs2) != 0 {
		t.Fatalf("switch 2 got %d PACKET_OUTs; the frame belongs to switch 1", len(outs2))
	}
}

// A frame from a MAC the switch's learner bound earlier is re-injected
// at once, even while the switch holds another round unconfirmed (here the
// other host's learn): the MAC's own round is done. Waiting for every
// round asked of the switch, as for a MAC it knows nothing about, would
// hold the pod's steady traffic behind its learning.
func TestReinjectBoundMACSkipsUnrelatedRounds(t *testing.T) {
	c, a, b := learnFixture(t, nil)
	mac := topology.MAC{0x02, 0xaa, 0xbb, 0, 0, 7}
	sw1, sw2 := connectLearnPair(t, c, a, b, mac)
	sendLearnFrame(t, sw1, a, 7, mac)
	metricsWaitFor(t, "the learned frame re-injected", 10*time.Second, func() bool {
		_, outs := sw1.seen()
		return len(outs) == 1
	})

	sw1.holdBarriers(t)
	sendLearnFrame(t, sw2, b, 9, topology.MAC{0x02, 0xaa, 0xbb, 0, 0, 8})
	metricsWaitFor(t, "switch 1 holding the round for h2's learn", 10*time.Second, func() bool {
		for _, s := range c.Status().Switches {
			if s.Host == "h1" && s.Pending {
				return true
			}
		}
		return false
	})
	frame := sendLearnFrame(t, sw1, a, 7, mac)
	metricsWaitFor(t, "the bound MAC's frame re-injected with the round still held", 10*time.Second, func() bool {
		_, outs := sw1.seen()
		return len(outs) == 2
	})
	_, outs := sw1.seen()
	if !bytes.Equal(outs[1].Data, frame) || outs[1].InPort != 7 {
		t.Fatalf("re-injected %+v, want the second frame from port 7", outs[1])
	}
	for _, s := range c.Status().Switches {
		if s.Host == "h1" && !s.Pending {
			t.Fatal("switch 1 confirmed the held round; the test proved nothing")
		}
	}
}

// connectLearnPair connects gated switches for h1 (a on port 7) and h2
// (b on port 9), both watching mac, and waits until both reconciled.
func connectLearnPair(t *testing.T, c *Controller, a, b topology.Attachment, mac topology.MAC) (sw1, sw2 *gatedSwitch) {
	t.Helper()
	addr := serveOpenFlowForTest(t, c)
	sw1 = dialGatedSwitch(t, addr, 1, []ofproto.Port{{PortNo: 1, Name: policy.TunnelPort}, {PortNo: 7, Name: a.Port}}, mac)
	sw2 = dialGatedSwitch(t, addr, 2, []ofproto.Port{{PortNo: 1, Name: policy.TunnelPort}, {PortNo: 9, Name: b.Port}}, mac)
	metricsWaitFor(t, "both switches reconciled", 10*time.Second, func() bool {
		n := 0
		for _, s := range c.Status().Switches {
			if s.Reconciles > 0 && !s.Pending {
				n++
			}
		}
		return n == 2
	})
	return sw1, sw2
}

// arpBroadcastHeader is the Ethernet header of a broadcast ARP frame from
// src.
func arpBroadcastHeader(src topology.MAC) []byte {
	return append(append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, src[:]...), 0x08, 0x06)
}

// sendLearnFrame has sw punt a broadcast ARP frame from mac on port, as
// att's punt flow would, and returns the frame.
func sendLearnFrame(t *testing.T, sw *gatedSwitch, att topology.Attachment, port uint32, mac topology.MAC) []byte {
	t.Helper()
	frame := append(arpBroadcastHeader(mac), make([]byte, 46)...)
	sendPunt(t, sw, att, port, frame)
	return frame
}

// sendPunt has sw punt frame on port, as att's punt flow would.
func sendPunt(t *testing.T, sw *gatedSwitch, att topology.Attachment, port uint32, frame []byte) {
	t.Helper()
	if _, err := sw.conn.Send(&ofproto.PacketIn{BufferID: ofproto.BufferNone, Reason: ofproto.PacketInReasonAction,
		TableID: policy.TableClassify, Cookie: policy.Cookie(policy.KindUnknownSource, policy.AttachmentCookieID(att.ID)),
		Match: ofproto.Match{Fields: []ofproto.OXM{ofproto.InPort(port)}}, Data: frame}); err != nil {
		t.Fatal(err)
	}
}

// The learner's port index follows the switch's ports: after a port is
// renumbered (vswitchd re-added it), frames on the new number are learned
// for the attachment and frames still carrying the old number are not.
func TestLearnFollowsPortRenumber(t *testing.T) {
	c, a, b := learnFixture(t, nil)
	mac := topology.MAC{0x02, 0xaa, 0xbb, 0, 0, 4}
	sw1, _ := connectLearnPair(t, c, a, b, mac)
	// Warm the index with the old number: a frame from a's other MAC.
	sendLearnFrame(t, sw1, a, 7, topology.MAC{0x02, 0xaa, 0xbb, 0, 0, 5})
	metricsWaitFor(t, "the first MAC learned", 10*time.Second, func() bool {
		return c.Snapshot().Holds(a.ID, topology.MAC{0x02, 0xaa, 0xbb, 0, 0, 5})
	})
	if _, err := sw1.conn.Send(&ofproto.PortStatus{Reason: ofproto.PortReasonModify,
		Port: ofproto.Port{PortNo: 8, Name: a.Port}}); err != nil {
		t.Fatal(err)
	}
	metricsWaitFor(t, "the renumbered port reconciled", 10*time.Second, func() bool {
		for _, s := range c.Status().Switches {
			if s.Host == "h1" && !s.Pending && s.Reconciles > 1 {
				return true
			}
		}
		return false
	})
	stale := topology.MAC{0x02, 0xaa, 0xbb, 0, 0, 6}
	sendLearnFrame(t, sw1, a, 7, stale)
	sendLearnFrame(t, sw1, a, 8, mac)
	metricsWaitFor(t, "the MAC learned on the new port number", 10*time.Second, func() bool {
		return c.Snapshot().Holds(a.ID, mac)
	})
	if c.Snapshot().Holds(a.ID, stale) {
		t.Fatalf("a frame on the old port number 7 was learned for %s", a.ID)
	}
}
