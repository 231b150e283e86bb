package ofproto

import (
	"fmt"
	"strings"
)

// FlowModCommand is what a FLOW_MOD does (ofp_flow_mod_command).
type FlowModCommand uint8

// Flow-mod commands.
const (
	FlowModAdd          FlowModCommand = 0
	FlowModModify       FlowModCommand = 1
	FlowModModifyStrict FlowModCommand = 2
	FlowModDelete       FlowModCommand = 3
	FlowModDeleteStrict FlowModCommand = 4
)

func (c FlowModCommand) String() string {
	switch c {
	case FlowModAdd:
		return "ADD"
	case FlowModModify:
		return "MODIFY"
	case FlowModModifyStrict:
		return "MODIFY_STRICT"
	case FlowModDelete:
		return "DELETE"
	case FlowModDeleteStrict:
		return "DELETE_STRICT"
	}
	return fmt.Sprintf("COMMAND_%d", uint8(c))
}

// Flow-mod flags (ofp_flow_mod_flags).
const (
	FlowFlagSendFlowRem  uint16 = 1 << 0
	FlowFlagCheckOverlap uint16 = 1 << 1
	FlowFlagResetCounts  uint16 = 1 << 2
	FlowFlagNoPktCounts  uint16 = 1 << 3
	FlowFlagNoBytCounts  uint16 = 1 << 4
)

// FlowMod adds, changes or removes flows. For ADD, set BufferID to
// BufferNone and OutPort/OutGroup to PortAny/GroupAny unless they mean
// something (they filter DELETE commands).
type FlowMod struct {
	Cookie       uint64
	CookieMask   uint64
	TableID      uint8
	Command      FlowModCommand
	IdleTimeout  uint16
	HardTimeout  uint16
	Priority     uint16
	BufferID     uint32
	OutPort      uint32
	OutGroup     uint32
	Flags        uint16
	Match        Match
	Instructions []Instruction
}

// flowModFixedLen is the body size before the match.
const flowModFixedLen = 40

func (*FlowMod) Type() Type { return TypeFlowMod }

func (m *FlowMod) AppendBody(b []byte) []byte {
	b = ap64(b, m.Cookie)
	b = ap64(b, m.CookieMask)
	b = append(b, m.TableID, byte(m.Command))
	b = ap16(b, m.IdleTimeout)
	b = ap16(b, m.HardTimeout)
	b = ap16(b, m.Priority)
	b = ap32(b, m.BufferID)
	b = ap32(b, m.OutPort)
	b = ap32(b, m.OutGroup)
	b = ap16(b, m.Flags)
	b = append(b, 0, 0)
	b = appendMatch(b, &m.Match)
	return appendInstructions(b, m.Instructions)
}

func (m *FlowMod) DecodeBody(b []byte) error {
	const msg = "FLOW_MOD"
	if err := need(msg, HeaderLen, b, flowModFixedLen); err != nil {
		return err
	}
	var match Match
	n, err := decodeMatch(&match, b[flowModFixedLen:], msg, HeaderLen+flowModFixedLen)
	if err != nil {
		return err
	}
	at := flowModFixedLen + n
	ins, err := decodeInstructions(b[at:], msg, HeaderLen+at)
	if err != nil {
		return err
	}
	*m = FlowMod{
		Cookie:       u64(b),
		CookieMask:   u64(b[8:]),
		TableID:      b[16],
		Command:      FlowModCommand(b[17]),
		IdleTimeout:  u16(b[18:]),
		HardTimeout:  u16(b[20:]),
		Priority:     u16(b[22:]),
		BufferID:     u32(b[24:]),
		OutPort:      u32(b[28:]),
		OutGroup:     u32(b[32:]),
		Flags:        u16(b[36:]),
		Match:        match,
		Instructions: ins,
	}
	return nil
}

// String prints the flow roughly as ovs-ofctl does:
// "ADD table=0 cookie=0x1 priority=100 in_port=3 actions=output:1".
func (m *FlowMod) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s table=%d", m.Command, m.TableID)
	if m.Cookie != 0 || m.CookieMask != 0 {
		fmt.Fprintf(&sb, " cookie=0x%x", m.Cookie)
		if m.CookieMask != 0 {
			fmt.Fprintf(&sb, "/0x%x", m.CookieMask)
		}
	}
	if m.IdleTimeout != 0 {
		fmt.Fprintf(&sb, " idle_timeout=%d", m.IdleTimeout)
	}
	if m.HardTimeout != 0 {
		fmt.Fprintf(&sb, " hard_timeout=%d", m.HardTimeout)
	}
	fmt.Fprintf(&sb, " priority=%d", m.Priority)
	if len(m.Match.Fields) > 0 {
		sb.WriteString(" " + m.Match.String())
	}
	sb.WriteString(" " + InstructionsString(m.Instructions))
	return sb.String()
}
