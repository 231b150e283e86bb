package ofproto

import "testing"

// benchFlowMod is a realistic controller flow: tunnel egress with a
// masked match, set-fields and several instructions.
func benchFlowMod() *FlowMod {
	for _, s := range codecSamples() {
		if s.name == "flow_mod" {
			return s.msg.(*FlowMod)
		}
	}
	panic("flow_mod sample missing")
}

func BenchmarkEncodeFlowMod(b *testing.B) {
	m := benchFlowMod()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = Append(buf[:0], 1, m)
	}
	b.SetBytes(int64(len(buf)))
}

// packetInBytes is a PACKET_IN carrying a 1500-byte frame.
func packetInBytes() []byte {
	frame := make([]byte, 1500)
	for i := range frame {
		frame[i] = byte(i)
	}
	return Append(nil, 1, &PacketIn{BufferID: BufferNone, TotalLen: 1500, Reason: PacketInReasonAction,
		TableID: 2, Cookie: 0x99, Match: Match{Fields: []OXM{InPort(7), TunnelID(100), Metadata(3)}}, Data: frame})
}

func BenchmarkDecodePacketIn(b *testing.B) {
	msg := packetInBytes()
	var pin PacketIn
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := pin.DecodeBody(msg[HeaderLen:]); err != nil {
			b.Fatal(err)
		}
	}
}

// TestZeroAllocHotPaths pins the allocation targets of the benchmarks so
// that a regression fails the ordinary test run.
func TestZeroAllocHotPaths(t *testing.T) {
	m := benchFlowMod()
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf = Append(buf[:0], 1, m) }); n != 0 {
		t.Errorf("encoding a FLOW_MOD into a reused buffer allocates %v times", n)
	}
	msg := packetInBytes()
	var pin PacketIn
	if err := pin.DecodeBody(msg[HeaderLen:]); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = pin.DecodeBody(msg[HeaderLen:]) }); n != 0 {
		t.Errorf("decoding a PACKET_IN into a reused struct allocates %v times", n)
	}
	if p, ok := pin.InPort(); !ok || p != 7 || len(pin.Data) != 1500 || pin.Data[1499] != byte(1499%256) {
		t.Errorf("decoded packet-in wrong: in_port %d %v, %d data bytes", p, ok, len(pin.Data))
	}
}
