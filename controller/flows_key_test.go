package controller

import (
	"slices"
	"testing"

	"github.com/lorispack/loris/ofproto"
)

// A switch may return a flow's match fields in another order, and with
// all-ones masks where loris sent none: the flow keys the same. The
// keyer's scratch space changes neither the match it was given nor a key
// it returned before.
func TestFlowKeyCanonical(t *testing.T) {
	port := ofproto.InPort(3)
	src := ofproto.OXM{Class: ofproto.OXMClassOpenFlowBasic, Field: ofproto.OXMEthSrc, Value: []byte{2, 0, 0, 0, 0, 1}}
	srcAllOnes := src
	srcAllOnes.Mask = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	other := src
	other.Value = []byte{2, 0, 0, 0, 0, 2}
	sent := ofproto.Match{Fields: []ofproto.OXM{port, src}}
	returned := ofproto.Match{Fields: []ofproto.OXM{srcAllOnes, port}}
	before := slices.Clone(returned.Fields)

	var k keyer
	want := k.flowKey(1, 100, sent)
	got := k.flowKey(1, 100, returned)
	if got != want {
		t.Errorf("reordered fields with an all-ones mask key differently:\n%x\n%x", got, want)
	}
	if !slices.EqualFunc(returned.Fields, before, func(a, b ofproto.OXM) bool {
		return a.Class == b.Class && a.Field == b.Field && string(a.Value) == string(b.Value) && string(a.Mask) == string(b.Mask)
	}) {
		t.Errorf("keying changed the match it was given: %v, was %v", returned.Fields, before)
	}
	if k.flowKey(1, 100, ofproto.Match{Fields: []ofproto.OXM{port, other}}) == want {
		t.Error("another source MAC keys the same")
	}
	if k.flowKey(1, 101, sent) == want || k.flowKey(2, 100, sent) == want {
		t.Error("another priority or table keys the same")
	}
	if again := flowKey(1, 100, sent); again != want {
		t.Errorf("a key changed after the keyer was reused: %x, now %x", want, again)
	}
}

// flowKey keys one flow with a keyer of its own, for fakes that index a
// switch's table as loris does.
func flowKey(table uint8, priority uint16, m ofproto.Match) string {
	var k keyer
	return k.flowKey(table, priority, m)
}
