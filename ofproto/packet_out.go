package ofproto

// PacketOut sends a packet (Data, or a switch buffer when BufferID is not
// BufferNone) through a list of actions. InPort is the port the packet is
// deemed to have arrived on (PortController when none).
type PacketOut struct {
	BufferID uint32
	InPort   uint32
	Actions  []Action
	Data     []byte
}

// packetOutFixedLen is the body size before the actions.
const packetOutFixedLen = 16

func (*PacketOut) Type() Type { return TypePacketOut }

func (m *PacketOut) AppendBody(b []byte) []byte {
	start := len(b)
	b = ap32(b, m.BufferID)
	b = ap32(b, m.InPort)
	b = ap16(b, 0)
	b = apZeros(b, 6)
	actionsStart := len(b)
	b = appendActions(b, m.Actions)
	putLen16(b, start+8, actionsStart)
	return append(b, m.Data...)
}

func (m *PacketOut) DecodeBody(b []byte) error {
	const msg = "PACKET_OUT"
	if err := need(msg, HeaderLen, b, packetOutFixedLen); err != nil {
		return err
	}
	al := int(u16(b[8:]))
	if err := need(msg, HeaderLen+8, b[packetOutFixedLen:], al); err != nil {
		return err
	}
	actions, err := decodeActions(b[packetOutFixedLen:packetOutFixedLen+al], msg, HeaderLen+packetOutFixedLen)
	if err != nil {
		return err
	}
	*m = PacketOut{BufferID: u32(b), InPort: u32(b[4:]), Actions: actions, Data: b[packetOutFixedLen+al:]}
	return nil
}
