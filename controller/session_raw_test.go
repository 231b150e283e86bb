package controller

import (
	"testing"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
)

// ServeRaw decodes PACKET_INs into one reused PacketIn: each frame gets
// its own fields (a shorter match after a longer one leaves nothing
// behind), the learner queues copies of the frames, and whatever is not a
// well-formed PACKET_IN is left to the usual decoding (false) with
// nothing queued.
func TestServeRawReusesOnePacketIn(t *testing.T) {
	c, _, _ := learnFixture(t, nil)
	s := &session{c: c, kickCh: make(chan struct{}, 1), budget: newMsgBudget(1000, 1000, nil)}
	s.learn = newLearner(s)
	frame := func(port uint32, extra bool, src byte) []byte {
		fields := []ofproto.OXM{ofproto.InPort(port)}
		if extra {
			fields = append([]ofproto.OXM{{Class: ofproto.OXMClassOpenFlowBasic, Field: ofproto.OXMEthSrc, Value: []byte{2, 0, 0, 0, 0, 9}}}, fields...)
		}
		data := make([]byte, 60)
		copy(data[6:], []byte{0x02, 0xaa, 0, 0, 0, src})
		return ofproto.Append(nil, 1, &ofproto.PacketIn{BufferID: ofproto.BufferNone, Reason: ofproto.PacketInReasonAction,
			Cookie: policy.Cookie(policy.KindUnknownSource, 0), Match: ofproto.Match{Fields: fields}, Data: data})
	}
	serve := func(b []byte) bool {
		h, err := ofproto.DecodeHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		return s.ServeRaw(nil, h, b)
	}
	first, second := frame(7, true, 1), frame(8, false, 2)
	if !serve(first) || !serve(second) {
		t.Fatal("a well-formed PACKET_IN was left to the usual decoding")
	}
	clear(first) // the read loop reuses its buffer
	clear(second)
	if got := len(s.pin.Match.Fields); got != 1 {
		t.Errorf("the reused PacketIn has %d match fields after a one-field match", got)
	}
	for i, want := range []struct {
		port uint32
		src  byte
	}{{7, 1}, {8, 2}} {
		select {
		case it := <-s.learn.queue:
			if it.port != want.port || it.data[11] != want.src {
				t.Errorf("queued frame %d: port %d source ...%02x, want port %d ...%02x", i, it.port, it.data[11], want.port, want.src)
			}
		default:
			t.Fatalf("frame %d not queued for the learner", i)
		}
	}
	truncated := frame(9, false, 3)[:ofproto.HeaderLen+10]
	truncated[3] = byte(len(truncated)) // the length field agrees; the body is short
	if serve(truncated) {
		t.Error("a truncated PACKET_IN was taken")
	}
	echo := ofproto.Append(nil, 2, &ofproto.EchoRequest{})
	if serve(echo) {
		t.Error("an ECHO_REQUEST was taken")
	}
	if n := len(s.learn.queue); n != 0 {
		t.Errorf("%d more frames queued", n)
	}
}
