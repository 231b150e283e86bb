package controller

import (
	"testing"
	"time"

	"github.com/lorispack/loris/topology"
)

// The learning switch gets a new MAC's flows at once; the pod's other
// hosts get theirs once PeerLearnDelay has passed (one round for every
// learn meanwhile), and only then is the MAC's first frame re-injected, so
// that a reply finds its way back.
func TestPeersProgrammedWithinPeerLearnDelay(t *testing.T) {
	const delay = 300 * time.Millisecond
	c, a, b := learnFixture(t, nil)
	c.cfg.PeerLearnDelay = delay // before any session reads it
	mac := topology.MAC{0x02, 0xaa, 0xbb, 0, 2, 1}
	sw1, sw2 := connectLearnPair(t, c, a, b, mac)

	start := time.Now()
	sendLearnFrame(t, sw1, a, 7, mac)
	waitPacketOuts(t, sw1, 1, "the frame re-injected")
	own, peer, out := sw1.firstAt("flow"), sw2.firstAt("flow"), sw1.firstAt("packet-out")
	if own.IsZero() || peer.IsZero() {
		t.Fatalf("flows for the MAC: learning switch at %v, other host at %v; want both", own, peer)
	}
	if d := peer.Sub(start); d < delay {
		t.Errorf("the other host got the MAC's flow %v after the learn, before PeerLearnDelay (%v)", d, delay)
	}
	if !own.Before(peer) {
		t.Errorf("the learning switch got its flow at %v, not before the other host (%v)", own.Sub(start), peer.Sub(start))
	}
	if out.Before(peer) {
		t.Errorf("the frame was re-injected %v after the learn, before the other host had the MAC (%v)", out.Sub(start), peer.Sub(start))
	}
}

// A round that a switch runs at once for its own learn takes the other
// hosts' learns waiting for it along: the host does not wait out
// PeerLearnDelay for them.
func TestImmediateRoundTakesPeerLearnsAlong(t *testing.T) {
	c, a, b := learnFixture(t, nil)
	c.cfg.PeerLearnDelay = time.Second // at most 1s (the flag's bound)
	macB := topology.MAC{0x02, 0xaa, 0xbb, 0, 2, 2}
	sw1, sw2 := connectLearnPair(t, c, a, b, macB) // both watch h2's MAC
	sendLearnFrame(t, sw2, b, 9, macB)
	metricsWaitFor(t, "h2 learned its MAC", 10*time.Second, func() bool { return !sw2.firstAt("flow").IsZero() })
	start := time.Now()
	sendLearnFrame(t, sw1, a, 7, topology.MAC{0x02, 0xaa, 0xbb, 0, 2, 3})
	metricsWaitFor(t, "h1 got h2's MAC with its own learn's round", 10*time.Second, func() bool { return !sw1.firstAt("flow").IsZero() })
	if d := sw1.firstAt("flow").Sub(start); d >= 900*time.Millisecond {
		t.Fatalf("h1 got h2's MAC %v after its own learn: it waited for PeerLearnDelay", d)
	}
}
