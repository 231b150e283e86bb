package ofproto

import (
	"fmt"
	"strings"
)

// FlowStatsRequest asks for the flows in TableID (TableAll for every
// table) that match Match loosely (as a non-strict DELETE would), output
// to OutPort/OutGroup (PortAny/GroupAny for any) and carry the cookie bits
// selected by CookieMask.
type FlowStatsRequest struct {
	TableID    uint8
	OutPort    uint32
	OutGroup   uint32
	Cookie     uint64
	CookieMask uint64
	Match      Match
}

// AggregateStatsRequest selects flows like FlowStatsRequest but asks only
// for their totals.
type AggregateStatsRequest FlowStatsRequest

const flowStatsRequestFixedLen = 32

func (*FlowStatsRequest) MultipartType() MultipartType      { return MultipartFlow }
func (*AggregateStatsRequest) MultipartType() MultipartType { return MultipartAggregate }

func (m *FlowStatsRequest) AppendBody(b []byte) []byte { return appendFlowStatsRequest(b, m) }
func (m *FlowStatsRequest) DecodeBody(b []byte) error {
	return decodeFlowStatsRequest(m, b, "FLOW_STATS_REQUEST")
}
func (m *AggregateStatsRequest) AppendBody(b []byte) []byte {
	return appendFlowStatsRequest(b, (*FlowStatsRequest)(m))
}
func (m *AggregateStatsRequest) DecodeBody(b []byte) error {
	return decodeFlowStatsRequest((*FlowStatsRequest)(m), b, "AGGREGATE_STATS_REQUEST")
}

func appendFlowStatsRequest(b []byte, m *FlowStatsRequest) []byte {
	b = append(b, m.TableID, 0, 0, 0)
	b = ap32(b, m.OutPort)
	b = ap32(b, m.OutGroup)
	b = apZeros(b, 4)
	b = ap64(b, m.Cookie)
	b = ap64(b, m.CookieMask)
	return appendMatch(b, &m.Match)
}

func decodeFlowStatsRequest(m *FlowStatsRequest, b []byte, msg string) error {
	if err := need(msg, multipartBodyBase, b, flowStatsRequestFixedLen); err != nil {
		return err
	}
	var match Match
	n, err := decodeMatch(&match, b[flowStatsRequestFixedLen:], msg, multipartBodyBase+flowStatsRequestFixedLen)
	if err != nil {
		return err
	}
	if flowStatsRequestFixedLen+n != len(b) {
		return decodeErr(msg, multipartBodyBase+flowStatsRequestFixedLen+n, "trailing bytes")
	}
	*m = FlowStatsRequest{
		TableID:    b[0],
		OutPort:    u32(b[4:]),
		OutGroup:   u32(b[8:]),
		Cookie:     u64(b[16:]),
		CookieMask: u64(b[24:]),
		Match:      match,
	}
	return nil
}

// FlowStats is one flow as the switch holds it.
type FlowStats struct {
	TableID      uint8
	DurationSec  uint32
	DurationNSec uint32
	Priority     uint16
	IdleTimeout  uint16
	HardTimeout  uint16
	Flags        uint16
	Cookie       uint64
	PacketCount  uint64
	ByteCount    uint64
	Match        Match
	Instructions []Instruction
}

// FlowStatsReply lists flows; a long list spans several replies (join them
// with MergeMultipart).
type FlowStatsReply struct {
	Flows []FlowStats
}

const flowStatsFixedLen = 48

func (*FlowStatsReply) MultipartType() MultipartType { return MultipartFlow }

func (m *FlowStatsReply) AppendBody(b []byte) []byte {
	for i := range m.Flows {
		f := &m.Flows[i]
		start := len(b)
		b = ap16(b, 0)
		b = append(b, f.TableID, 0)
		b = ap32(b, f.DurationSec)
		b = ap32(b, f.DurationNSec)
		b = ap16(b, f.Priority)
		b = ap16(b, f.IdleTimeout)
		b = ap16(b, f.HardTimeout)
		b = ap16(b, f.Flags)
		b = apZeros(b, 4)
		b = ap64(b, f.Cookie)
		b = ap64(b, f.PacketCount)
		b = ap64(b, f.ByteCount)
		b = appendMatch(b, &f.Match)
		b = appendInstructions(b, f.Instructions)
		putLen16(b, start, start)
	}
	return b
}

func (m *FlowStatsReply) DecodeBody(b []byte) error {
	const msg = "FLOW_STATS_REPLY"
	var flows []FlowStats
	err := eachRecord(msg, "flow stats", b, flowStatsFixedLen, 0, 0, func(e []byte, off int) error {
		f := FlowStats{
			TableID:      e[2],
			DurationSec:  u32(e[4:]),
			DurationNSec: u32(e[8:]),
			Priority:     u16(e[12:]),
			IdleTimeout:  u16(e[14:]),
			HardTimeout:  u16(e[16:]),
			Flags:        u16(e[18:]),
			Cookie:       u64(e[24:]),
			PacketCount:  u64(e[32:]),
			ByteCount:    u64(e[40:]),
		}
		n, err := decodeMatch(&f.Match, e[flowStatsFixedLen:], msg, off+flowStatsFixedLen)
		if err != nil {
			return err
		}
		at := flowStatsFixedLen + n
		if f.Instructions, err = decodeInstructions(e[at:], msg, off+at); err != nil {
			return err
		}
		flows = append(flows, f)
		return nil
	})
	if err != nil {
		return err
	}
	m.Flows = flows
	return nil
}

// String prints the flow like a line of ovs-ofctl dump-flows without the
// counters and durations: "cookie=0x1, table=0, priority=100,in_port=3
// actions=output:1". Comparing these strings with a dump whose volatile
// fields are stripped checks what the switch holds.
func (f *FlowStats) String() string {
	var sb strings.Builder
	if f.Cookie != 0 {
		fmt.Fprintf(&sb, "cookie=0x%x, ", f.Cookie)
	}
	fmt.Fprintf(&sb, "table=%d, ", f.TableID)
	if f.IdleTimeout != 0 {
		fmt.Fprintf(&sb, "idle_timeout=%d, ", f.IdleTimeout)
	}
	if f.HardTimeout != 0 {
		fmt.Fprintf(&sb, "hard_timeout=%d, ", f.HardTimeout)
	}
	fmt.Fprintf(&sb, "priority=%d", f.Priority)
	if len(f.Match.Fields) > 0 {
		sb.WriteString("," + f.Match.String())
	}
	sb.WriteString(" " + InstructionsString(f.Instructions))
	return sb.String()
}

// AggregateStatsReply totals the selected flows.
type AggregateStatsReply struct {
	PacketCount uint64
	ByteCount   uint64
	FlowCount   uint32
}

func (*AggregateStatsReply) MultipartType() MultipartType { return MultipartAggregate }

func (m *AggregateStatsReply) AppendBody(b []byte) []byte {
	b = ap64(b, m.PacketCount)
	b = ap64(b, m.ByteCount)
	b = ap32(b, m.FlowCount)
	return apZeros(b, 4)
}

func (m *AggregateStatsReply) DecodeBody(b []byte) error {
	if err := exactLen("AGGREGATE_STATS_REPLY", multipartBodyBase, b, 24); err != nil {
		return err
	}
	*m = AggregateStatsReply{PacketCount: u64(b), ByteCount: u64(b[8:]), FlowCount: u32(b[16:])}
	return nil
}
