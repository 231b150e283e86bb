package ofbench

import (
	"encoding/binary"
	"net"
	"slices"
	"testing"

	"github.com/lorispack/loris/ofproto"
)

// decodedAnswers is what the switch answers for a message decoded whole:
// the MACs of a FLOW_MOD's exact eth_src/eth_dst fields, or the source of
// a PACKET_OUT's frame.
func decodedAnswers(m ofproto.Message) [][6]byte {
	var out [][6]byte
	switch m := m.(type) {
	case *ofproto.FlowMod:
		for _, f := range m.Match.Fields {
			if f.Class == ofproto.OXMClassOpenFlowBasic && (f.Field == ofproto.OXMEthSrc || f.Field == ofproto.OXMEthDst) && len(f.Value) == 6 && f.Mask == nil {
				out = append(out, [6]byte(f.Value))
			}
		}
	case *ofproto.PacketOut:
		if len(m.Data) >= 12 {
			out = append(out, [6]byte(m.Data[6:12]))
		}
	}
	return out
}

// rawAnswers is the same, read from the bytes; ok false: unreadable.
func rawAnswers(frame []byte) (out [][6]byte, ok bool) {
	switch ofproto.Type(frame[1]) {
	case ofproto.TypeFlowMod:
		ok = rawFlowModMACs(frame, func(mac [6]byte) { out = append(out, mac) })
	case ofproto.TypePacketOut:
		var mac [6]byte
		var has bool
		if mac, has, ok = rawPacketOutSource(frame); has {
			out = append(out, mac)
		}
	}
	return out, ok
}

func rawSamples() [][]byte {
	src := net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	dst := net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
	frame := append(append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, src...), 0x08, 0x06, 0, 1)
	msgs := []ofproto.Message{
		&ofproto.FlowMod{Command: ofproto.FlowModAdd, BufferID: ofproto.BufferNone, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny,
			Match:        ofproto.Match{Fields: []ofproto.OXM{ofproto.InPort(7), ofproto.EthSrc(src)}},
			Instructions: []ofproto.Instruction{&ofproto.InstructionGotoTable{TableID: 10}}},
		&ofproto.FlowMod{Command: ofproto.FlowModDelete, BufferID: ofproto.BufferNone, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny,
			Match: ofproto.Match{Fields: []ofproto.OXM{ofproto.EthDstMasked(dst, net.HardwareAddr{0xff, 0xff, 0xff, 0, 0, 0}), ofproto.EthDst(dst)}}},
		&ofproto.FlowMod{Command: ofproto.FlowModAdd, BufferID: ofproto.BufferNone, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny},
		&ofproto.PacketOut{BufferID: ofproto.BufferNone, InPort: 7, Actions: []ofproto.Action{&ofproto.ActionOutput{Port: ofproto.PortTable}}, Data: frame},
		&ofproto.PacketOut{BufferID: ofproto.BufferNone, InPort: 7, Data: frame[:11]},
	}
	var out [][]byte
	for _, m := range msgs {
		out = append(out, ofproto.Append(nil, 9, m))
	}
	return out
}

// The bytes give the answers the decoded messages give, field by field:
// an exact eth_src, an exact eth_dst after a masked one (skipped), no
// MAC at all, a PACKET_OUT's frame source, a frame too short to have one.
func TestRawAnswersMatchDecoded(t *testing.T) {
	want := [][][6]byte{
		{{0x02, 0, 0, 0, 0, 1}},
		{{0x02, 0, 0, 0, 0, 2}},
		nil,
		{{0x02, 0, 0, 0, 0, 1}},
		nil,
	}
	for i, frame := range rawSamples() {
		_, m, err := ofproto.Decode(frame)
		if err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
		got, ok := rawAnswers(frame)
		if !ok || !slices.Equal(got, want[i]) || !slices.Equal(decodedAnswers(m), want[i]) {
			t.Errorf("sample %d: raw %x (readable %v), decoded %x, want %x", i, got, ok, decodedAnswers(m), want[i])
		}
	}
	// Cut anywhere, a message is unreadable or gives no more than whole.
	for i, frame := range rawSamples() {
		for n := 4; n < len(frame); n++ {
			cut := slices.Clone(frame[:n])
			binary.BigEndian.PutUint16(cut[2:4], uint16(n))
			if got, ok := rawAnswers(cut); ok && len(got) > len(want[i]) {
				t.Errorf("sample %d cut at %d: %x", i, n, got)
			}
		}
	}
}

// Whatever the bytes, the raw reader never panics, and where the decoder
// accepts a message the reader reads it and finds the same answers.
func FuzzRawAnswers(f *testing.F) {
	for _, s := range rawSamples() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < ofproto.HeaderLen {
			return
		}
		for _, typ := range []ofproto.Type{ofproto.TypeFlowMod, ofproto.TypePacketOut} {
			frame := slices.Clone(b)
			frame[0], frame[1] = ofproto.Version, byte(typ)
			binary.BigEndian.PutUint16(frame[2:4], uint16(len(frame)))
			got, ok := rawAnswers(frame)
			_, m, err := ofproto.Decode(frame)
			if err != nil {
				continue
			}
			if want := decodedAnswers(m); !ok || !slices.Equal(got, want) {
				t.Fatalf("%s %x: raw %x (readable %v), decoded %x", typ, frame, got, ok, want)
			}
		}
	})
}
