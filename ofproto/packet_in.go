package ofproto

import "fmt"

// Packet-in reasons (ofp_packet_in_reason).
const (
	PacketInReasonNoMatch    uint8 = 0
	PacketInReasonAction     uint8 = 1
	PacketInReasonInvalidTTL uint8 = 2
)

// PacketIn carries a packet the switch sends to the controller. The
// ingress port is in Match (OXM in_port); see InPort.
type PacketIn struct {
	BufferID uint32
	TotalLen uint16
	Reason   uint8
	TableID  uint8
	Cookie   uint64
	Match    Match
	Data     []byte
}

// packetInFixedLen is the body size before the match.
const packetInFixedLen = 16

func (*PacketIn) Type() Type { return TypePacketIn }

func (m *PacketIn) AppendBody(b []byte) []byte {
	b = ap32(b, m.BufferID)
	b = ap16(b, m.TotalLen)
	b = append(b, m.Reason, m.TableID)
	b = ap64(b, m.Cookie)
	b = appendMatch(b, &m.Match)
	b = append(b, 0, 0)
	return append(b, m.Data...)
}

// DecodeBody decodes into m, reusing m.Match.Fields' storage; Data and the
// match values alias b. Decoding into the same PacketIn again allocates
// nothing.
func (m *PacketIn) DecodeBody(b []byte) error {
	const msg = "PACKET_IN"
	if err := need(msg, HeaderLen, b, packetInFixedLen); err != nil {
		return err
	}
	n, err := decodeMatch(&m.Match, b[packetInFixedLen:], msg, HeaderLen+packetInFixedLen)
	if err != nil {
		return err
	}
	at := packetInFixedLen + n
	if err := need(msg, HeaderLen+at, b[at:], 2); err != nil {
		return err
	}
	m.BufferID = u32(b)
	m.TotalLen = u16(b[4:])
	m.Reason = b[6]
	m.TableID = b[7]
	m.Cookie = u64(b[8:])
	m.Data = b[at+2:]
	return nil
}

// InPort returns the ingress port from the match.
func (m *PacketIn) InPort() (uint32, bool) {
	o, ok := m.Match.Field(OXMClassOpenFlowBasic, OXMInPort)
	if !ok || len(o.Value) != 4 {
		return 0, false
	}
	return u32(o.Value), true
}

func (m *PacketIn) String() string {
	return fmt.Sprintf("PACKET_IN table=%d cookie=0x%x reason=%d total_len=%d %s (%d bytes)", m.TableID, m.Cookie, m.Reason, m.TotalLen, m.Match, len(m.Data))
}
