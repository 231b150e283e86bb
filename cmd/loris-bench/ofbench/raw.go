package ofbench

import (
	"encoding/binary"

	"github.com/lorispack/loris/ofproto"
)

// The emulated switch's answers, read from the bytes. Decoding every
// FLOW_MOD and PACKET_OUT whole (instructions, actions, each an
// allocation) to use one or two MACs of it cost the benchmark's process
// a tenth of its CPU, which the controller measured beside it did not
// get. These read only the fixed headers and the match; a message they
// cannot read is decoded as usual, and the decoder says what is wrong.

// OpenFlow 1.3 offsets (ofp_flow_mod, ofp_packet_out).
const (
	flowModMatchAt     = 48 // after header, cookies, table, command, timeouts, priority, buffer, out port/group, flags, pad
	packetOutActionsAt = 24 // after header, buffer_id, in_port, actions_len, pad
)

// rawFlowModMACs calls f with every exact eth_src or eth_dst the match of
// a FLOW_MOD names, and reports whether the message could be read.
func rawFlowModMACs(frame []byte, f func(mac [6]byte)) bool {
	if len(frame) < flowModMatchAt+4 || int(binary.BigEndian.Uint16(frame[2:4])) != len(frame) {
		return false
	}
	match := frame[flowModMatchAt:]
	if binary.BigEndian.Uint16(match[0:2]) != 1 { // OFPMT_OXM
		return false
	}
	n := int(binary.BigEndian.Uint16(match[2:4]))
	if n < 4 || n > len(match) {
		return false
	}
	oxms := match[4:n]
	for len(oxms) > 0 {
		if len(oxms) < 4 {
			return false
		}
		class, field, hasMask, size := binary.BigEndian.Uint16(oxms[0:2]), oxms[2]>>1, oxms[2]&1 == 1, int(oxms[3])
		if len(oxms) < 4+size {
			return false
		}
		if class == ofproto.OXMClassOpenFlowBasic && !hasMask && size == 6 &&
			(field == ofproto.OXMEthSrc || field == ofproto.OXMEthDst) {
			f([6]byte(oxms[4:10]))
		}
		oxms = oxms[4+size:]
	}
	return true
}

// rawPacketOutSource returns the source MAC of the frame a PACKET_OUT
// carries (has: it carries one), and whether the message could be read.
func rawPacketOutSource(frame []byte) (mac [6]byte, has, ok bool) {
	if len(frame) < packetOutActionsAt || int(binary.BigEndian.Uint16(frame[2:4])) != len(frame) {
		return mac, false, false
	}
	data := packetOutActionsAt + int(binary.BigEndian.Uint16(frame[16:18]))
	if data > len(frame) {
		return mac, false, false
	}
	if len(frame)-data < 12 {
		return mac, false, true
	}
	return [6]byte(frame[data+6 : data+12]), true, true
}

// switchHandler serves the switch's connection: FLOW_MODs and
// PACKET_OUTs from the bytes, everything else decoded (Switch.handle).
type switchHandler struct{ s *Switch }

func (h switchHandler) ServeOpenFlow(c *ofproto.Conn, hdr ofproto.Header, m ofproto.Message) {
	h.s.handle(c, hdr, m)
}

func (h switchHandler) ServeRaw(_ *ofproto.Conn, hdr ofproto.Header, frame []byte) bool {
	s := h.s
	switch hdr.Type {
	case ofproto.TypeFlowMod:
		if !rawFlowModMACs(frame, func(mac [6]byte) { s.answered(mac, true) }) {
			return false
		}
		s.flowMods.Add(1)
	case ofproto.TypePacketOut:
		mac, has, ok := rawPacketOutSource(frame)
		if !ok {
			return false
		}
		s.packetOuts.Add(1)
		if has {
			s.answered(mac, false)
		}
	default:
		return false
	}
	s.messages.Add(1)
	return true
}
