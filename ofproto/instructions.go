package ofproto

import (
	"fmt"
	"strings"
)

// InstructionType is an OpenFlow 1.3 instruction type.
type InstructionType uint16

// Instruction types of OpenFlow 1.3.
const (
	InstructionTypeGotoTable     InstructionType = 1
	InstructionTypeWriteMetadata InstructionType = 2
	InstructionTypeWriteActions  InstructionType = 3
	InstructionTypeApplyActions  InstructionType = 4
	InstructionTypeClearActions  InstructionType = 5
	InstructionTypeMeter         InstructionType = 6
	InstructionTypeExperimenter  InstructionType = 0xffff
)

// Instruction is one flow instruction. Instructions this package does not
// model decode as InstructionUnknown and re-encode byte for byte.
type Instruction interface {
	InstructionType() InstructionType
	// String prints the instruction ovs-ofctl style.
	String() string
	appendInstruction(b []byte) []byte
}

// InstructionGotoTable continues matching in a later table.
type InstructionGotoTable struct{ TableID uint8 }

// InstructionWriteMetadata sets the metadata bits selected by Mask.
type InstructionWriteMetadata struct{ Metadata, Mask uint64 }

// InstructionApplyActions runs actions immediately.
type InstructionApplyActions struct{ Actions []Action }

// InstructionWriteActions merges actions into the action set.
type InstructionWriteActions struct{ Actions []Action }

// InstructionClearActions empties the action set.
type InstructionClearActions struct{}

// InstructionMeter sends the packet through a meter.
type InstructionMeter struct{ MeterID uint32 }

// InstructionUnknown is any other instruction (including experimenter
// ones): Data is what follows the 4-byte type/length header.
type InstructionUnknown struct {
	Type uint16
	Data []byte
}

func (InstructionGotoTable) InstructionType() InstructionType { return InstructionTypeGotoTable }
func (InstructionWriteMetadata) InstructionType() InstructionType {
	return InstructionTypeWriteMetadata
}
func (InstructionApplyActions) InstructionType() InstructionType { return InstructionTypeApplyActions }
func (InstructionWriteActions) InstructionType() InstructionType { return InstructionTypeWriteActions }
func (InstructionClearActions) InstructionType() InstructionType { return InstructionTypeClearActions }
func (InstructionMeter) InstructionType() InstructionType        { return InstructionTypeMeter }
func (i InstructionUnknown) InstructionType() InstructionType    { return InstructionType(i.Type) }

func (i InstructionGotoTable) appendInstruction(b []byte) []byte {
	return append(b, 0, byte(InstructionTypeGotoTable), 0, 8, i.TableID, 0, 0, 0)
}

func (i InstructionWriteMetadata) appendInstruction(b []byte) []byte {
	b = append(b, 0, byte(InstructionTypeWriteMetadata), 0, 24, 0, 0, 0, 0)
	b = ap64(b, i.Metadata)
	return ap64(b, i.Mask)
}

func appendActionsInstruction(b []byte, t InstructionType, actions []Action) []byte {
	start := len(b)
	b = append(b, 0, byte(t), 0, 0, 0, 0, 0, 0)
	b = appendActions(b, actions)
	putLen16(b, start+2, start)
	return b
}

func (i InstructionApplyActions) appendInstruction(b []byte) []byte {
	return appendActionsInstruction(b, InstructionTypeApplyActions, i.Actions)
}

func (i InstructionWriteActions) appendInstruction(b []byte) []byte {
	return appendActionsInstruction(b, InstructionTypeWriteActions, i.Actions)
}

func (InstructionClearActions) appendInstruction(b []byte) []byte {
	return append(b, 0, byte(InstructionTypeClearActions), 0, 8, 0, 0, 0, 0)
}

func (i InstructionMeter) appendInstruction(b []byte) []byte {
	b = append(b, 0, byte(InstructionTypeMeter), 0, 8)
	return ap32(b, i.MeterID)
}

func (i InstructionUnknown) appendInstruction(b []byte) []byte {
	start := len(b)
	b = ap16(b, i.Type)
	b = ap16(b, 0)
	b = append(b, i.Data...)
	putLen16(b, start+2, start)
	return b
}

// AppendInstructions appends ins in their wire form to b, as a FLOW_MOD
// carries them.
func AppendInstructions(b []byte, ins []Instruction) []byte { return appendInstructions(b, ins) }

func appendInstructions(b []byte, ins []Instruction) []byte {
	for _, i := range ins {
		b = i.appendInstruction(b)
	}
	return b
}

// DecodeInstructions decodes a list of instructions that fills b exactly.
// Errors name the structure "instructions" with offsets relative to b.
func DecodeInstructions(b []byte) ([]Instruction, error) {
	return decodeInstructions(b, "instructions", 0)
}

func decodeInstructions(b []byte, msg string, off int) ([]Instruction, error) {
	var ins []Instruction
	for pos := 0; pos < len(b); {
		i, n, err := decodeInstruction(b[pos:], msg, off+pos)
		if err != nil {
			return nil, err
		}
		ins = append(ins, i)
		pos += n
	}
	return ins, nil
}

func decodeInstruction(b []byte, msg string, off int) (Instruction, int, error) {
	if err := need(msg, off, b, 4); err != nil {
		return nil, 0, err
	}
	t := InstructionType(u16(b))
	l := int(u16(b[2:]))
	if l < 8 || l%8 != 0 {
		return nil, 0, decodeErr(msg, off+2, fmt.Sprintf("instruction %d length %d is not a positive multiple of 8", t, l))
	}
	if err := need(msg, off, b, l); err != nil {
		return nil, 0, err
	}
	body := b[4:l:l]
	fixedLen := func(want int) error {
		if l != want {
			return decodeErr(msg, off+2, fmt.Sprintf("instruction %s length %d, want %d", t, l, want))
		}
		return nil
	}
	switch t {
	case InstructionTypeGotoTable:
		if err := fixedLen(8); err != nil {
			return nil, 0, err
		}
		return InstructionGotoTable{TableID: body[0]}, l, nil
	case InstructionTypeWriteMetadata:
		if err := fixedLen(24); err != nil {
			return nil, 0, err
		}
		return InstructionWriteMetadata{Metadata: u64(body[4:]), Mask: u64(body[12:])}, l, nil
	case InstructionTypeApplyActions, InstructionTypeWriteActions:
		actions, err := decodeActions(body[4:], msg, off+8)
		if err != nil {
			return nil, 0, err
		}
		if t == InstructionTypeApplyActions {
			return InstructionApplyActions{Actions: actions}, l, nil
		}
		return InstructionWriteActions{Actions: actions}, l, nil
	case InstructionTypeClearActions:
		if err := fixedLen(8); err != nil {
			return nil, 0, err
		}
		return InstructionClearActions{}, l, nil
	case InstructionTypeMeter:
		if err := fixedLen(8); err != nil {
			return nil, 0, err
		}
		return InstructionMeter{MeterID: u32(body)}, l, nil
	}
	return InstructionUnknown{Type: uint16(t), Data: body}, l, nil
}

func (t InstructionType) String() string {
	switch t {
	case InstructionTypeGotoTable:
		return "GOTO_TABLE"
	case InstructionTypeWriteMetadata:
		return "WRITE_METADATA"
	case InstructionTypeWriteActions:
		return "WRITE_ACTIONS"
	case InstructionTypeApplyActions:
		return "APPLY_ACTIONS"
	case InstructionTypeClearActions:
		return "CLEAR_ACTIONS"
	case InstructionTypeMeter:
		return "METER"
	case InstructionTypeExperimenter:
		return "EXPERIMENTER"
	}
	return fmt.Sprintf("INSTRUCTION_%d", uint16(t))
}

func (i InstructionGotoTable) String() string { return fmt.Sprintf("goto_table:%d", i.TableID) }
func (i InstructionWriteMetadata) String() string {
	return fmt.Sprintf("write_metadata:0x%x/0x%x", i.Metadata, i.Mask)
}
func (i InstructionApplyActions) String() string { return ActionsString(i.Actions) }
func (i InstructionWriteActions) String() string {
	return "write_actions(" + ActionsString(i.Actions) + ")"
}
func (InstructionClearActions) String() string { return "clear_actions" }
func (i InstructionMeter) String() string      { return fmt.Sprintf("meter:%d", i.MeterID) }
func (i InstructionUnknown) String() string {
	return fmt.Sprintf("instruction(%d,0x%x)", i.Type, i.Data)
}

// InstructionsString prints instructions as the actions part of an
// ovs-ofctl flow, e.g. "actions=output:1" or
// "actions=write_metadata:0x1/0xff,goto_table:1"; "actions=drop" when
// nothing would happen.
func InstructionsString(ins []Instruction) string {
	var parts []string
	for _, i := range ins {
		if a, ok := i.(InstructionApplyActions); ok && len(a.Actions) == 0 {
			continue
		}
		parts = append(parts, i.String())
	}
	if len(parts) == 0 {
		return "actions=drop"
	}
	return "actions=" + strings.Join(parts, ",")
}
