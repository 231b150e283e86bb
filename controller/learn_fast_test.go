package controller

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/topology"
)

// learnerOf returns the learner of datapath dpid's session.
func learnerOf(t *testing.T, c *Controller, dpid uint64) *learner {
	t.Helper()
	c.mu.Lock()
	s := c.sessions[topology.DatapathID(dpid)]
	c.mu.Unlock()
	if s == nil {
		t.Fatalf("no session for datapath %d", dpid)
	}
	return s.learn
}

// waitPacketOuts waits until sw has received n PACKET_OUTs and returns
// them.
func waitPacketOuts(t *testing.T, sw *gatedSwitch, n int, what string) []*ofproto.PacketOut {
	t.Helper()
	metricsWaitFor(t, what, 10*time.Second, func() bool {
		_, outs := sw.seen()
		return len(outs) >= n
	})
	_, outs := sw.seen()
	if len(outs) != n {
		t.Fatalf("%s: %d PACKET_OUTs, want %d", what, len(outs), n)
	}
	return outs
}

// checkReinjected fails unless po re-injects frame from port through
// the pipeline.
func checkReinjected(t *testing.T, po *ofproto.PacketOut, port uint32, frame []byte) {
	t.Helper()
	if po.InPort != port || !bytes.Equal(po.Data, frame) || len(po.Actions) != 1 {
		t.Fatalf("re-injected %+v, want the frame from port %d sent to the pipeline", po, port)
	}
	if out, ok := po.Actions[0].(ofproto.ActionOutput); !ok || out.Port != ofproto.PortTable {
		t.Fatalf("re-injection action %#v, want output:TABLE", po.Actions[0])
	}
}

// A frame from a MAC whose flows the switch has installed is re-injected
// by the read loop itself; the MAC's first frame, which taught it, went
// through the learner.
func TestReinjectBoundMACOnReadLoop(t *testing.T) {
	c, a, b := learnFixture(t, nil)
	mac := topology.MAC{0x02, 0xaa, 0xbb, 0, 1, 1}
	sw1, _ := connectLearnPair(t, c, a, b, mac)
	l := learnerOf(t, c, 1)
	punted := func(nth int, wantFast uint64, what string) {
		t.Helper()
		frame := sendLearnFrame(t, sw1, a, 7, mac)
		outs := waitPacketOuts(t, sw1, nth, what)
		checkReinjected(t, outs[nth-1], 7, frame)
		if n := l.fastSent.Load(); n != wantFast {
			t.Fatalf("%s: %d frames re-injected by the read loop, want %d", what, n, wantFast)
		}
	}
	punted(1, 0, "the frame of a new MAC, by the learner")
	punted(2, 1, "the MAC's next frame, by the read loop")
	if l.slow.Load() != 0 {
		t.Fatalf("%d frames still counted in the learner's hands", l.slow.Load())
	}

	// When the host's attachments change, the read loop stops trusting
	// what the learner recorded: the next frame goes through the learner
	// again, which records the MAC anew, and the one after that takes
	// the fast path.
	if _, err := c.Attach(topology.Attachment{Host: "h1", Container: "other", IfName: "eth0", Port: "p-other", Pod: "blue",
		IP: netip.MustParsePrefix("10.244.0.9/24")}); err != nil {
		t.Fatal(err)
	}
	punted(3, 1, "the frame after an attach, by the learner")
	punted(4, 2, "the next one, by the read loop")
}

// A new MAC's first frame waits until every switch of the pod has its
// flows. Its next frame must not overtake it on the read loop, although
// its own switch has confirmed the MAC's round: it waits in the learner's
// order, and both come back, in order, once the other switch confirms.
func TestReadLoopKeepsOrderWhileInstalling(t *testing.T) {
	c, a, b := learnFixture(t, nil)
	mac := topology.MAC{0x02, 0xaa, 0xbb, 0, 1, 2}
	sw1, sw2 := connectLearnPair(t, c, a, b, mac)
	l := learnerOf(t, c, 1)

	release := sw2.holdBarriers(t)
	first := sendLearnFrame(t, sw1, a, 7, mac)
	metricsWaitFor(t, "switch 1 confirmed the MAC's round", 10*time.Second, func() bool {
		return c.Snapshot().Holds(a.ID, mac) && l.s.doneGen.Load() == l.s.wantGen.Load()
	})
	second := append(bytes.Clone(first[:len(first)-1]), 0x5a) // same MAC, another frame
	sendPunt(t, sw1, a, 7, second)
	metricsWaitFor(t, "the learner took both frames", 10*time.Second, func() bool { return l.handled.Load() >= 2 })
	if _, outs := sw1.seen(); len(outs) != 0 || l.fastSent.Load() != 0 {
		t.Fatalf("%d frames re-injected (%d by the read loop) before switch 2 confirmed the MAC's flows",
			len(outs), l.fastSent.Load())
	}
	release()
	outs := waitPacketOuts(t, sw1, 2, "both frames re-injected")
	checkReinjected(t, outs[0], 7, first)
	checkReinjected(t, outs[1], 7, second)
}
