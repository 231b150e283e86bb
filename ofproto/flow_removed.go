package ofproto

// Flow-removed reasons (ofp_flow_removed_reason).
const (
	FlowRemovedIdleTimeout uint8 = 0
	FlowRemovedHardTimeout uint8 = 1
	FlowRemovedDelete      uint8 = 2
	FlowRemovedGroupDelete uint8 = 3
)

// FlowRemoved reports a flow that expired or was deleted (sent only for
// flows added with FlowFlagSendFlowRem).
type FlowRemoved struct {
	Cookie       uint64
	Priority     uint16
	Reason       uint8
	TableID      uint8
	DurationSec  uint32
	DurationNSec uint32
	IdleTimeout  uint16
	HardTimeout  uint16
	PacketCount  uint64
	ByteCount    uint64
	Match        Match
}

const flowRemovedFixedLen = 40

func (*FlowRemoved) Type() Type { return TypeFlowRemoved }

func (m *FlowRemoved) AppendBody(b []byte) []byte {
	b = ap64(b, m.Cookie)
	b = ap16(b, m.Priority)
	b = append(b, m.Reason, m.TableID)
	b = ap32(b, m.DurationSec)
	b = ap32(b, m.DurationNSec)
	b = ap16(b, m.IdleTimeout)
	b = ap16(b, m.HardTimeout)
	b = ap64(b, m.PacketCount)
	b = ap64(b, m.ByteCount)
	return appendMatch(b, &m.Match)
}

func (m *FlowRemoved) DecodeBody(b []byte) error {
	const msg = "FLOW_REMOVED"
	if err := need(msg, HeaderLen, b, flowRemovedFixedLen); err != nil {
		return err
	}
	var match Match
	n, err := decodeMatch(&match, b[flowRemovedFixedLen:], msg, HeaderLen+flowRemovedFixedLen)
	if err != nil {
		return err
	}
	if flowRemovedFixedLen+n != len(b) {
		return decodeErr(msg, HeaderLen+flowRemovedFixedLen+n, "trailing bytes")
	}
	*m = FlowRemoved{
		Cookie:       u64(b),
		Priority:     u16(b[8:]),
		Reason:       b[10],
		TableID:      b[11],
		DurationSec:  u32(b[12:]),
		DurationNSec: u32(b[16:]),
		IdleTimeout:  u16(b[20:]),
		HardTimeout:  u16(b[22:]),
		PacketCount:  u64(b[24:]),
		ByteCount:    u64(b[32:]),
		Match:        match,
	}
	return nil
}
