package ofproto

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestUnknownActionsAndInstructionsSurvive(t *testing.T) {
	actions := annotatedHex(t, `
		000b 0008 00000000          // COPY_TTL_OUT (not modelled)
		ffff 0018 00002320          // Nicira experimenter action, 24 bytes
		0026 0001 0000 0000 00000000 00000000 // its body, kept verbatim
		0017 0008 40 000000         // SET_NW_TTL 64 (not modelled)
	`)
	got, err := DecodeActions(actions)
	if err != nil {
		t.Fatal(err)
	}
	want := []Action{
		ActionUnknown{Type: 11, Data: []byte{0, 0, 0, 0}},
		ActionExperimenter{Experimenter: 0x2320, Data: actions[16:32]},
		ActionUnknown{Type: 23, Data: []byte{0x40, 0, 0, 0}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	if out := AppendActions(nil, got); !bytes.Equal(out, actions) {
		t.Fatalf("actions changed\n in: %x\nout: %x", actions, out)
	}

	ins := annotatedHex(t, `
		ffff 0010 00002320 01020304 05060708 // experimenter instruction, 16 bytes
		0007 0008 00000000          // instruction type 7 (unknown)
	`)
	gotIns, err := DecodeInstructions(ins)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotIns) != 2 || gotIns[0].InstructionType() != InstructionTypeExperimenter || gotIns[1].InstructionType() != 7 {
		t.Fatalf("got %#v", gotIns)
	}
	if out := appendInstructions(nil, gotIns); !bytes.Equal(out, ins) {
		t.Fatalf("instructions changed\n in: %x\nout: %x", ins, out)
	}
}

func TestActionDecodeErrors(t *testing.T) {
	cases := map[string][]byte{
		"length 0":             {0, 0, 0, 0},
		"length not 8-aligned": {0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0},
		"output too short":     {0, 0, 0, 8, 0, 0, 0, 1},
		"past end":             {0, 22, 0, 16, 0, 0, 0, 1},
		"set_field too long":   {0, 25, 0, 24, 0x80, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"set_field overflows":  {0, 25, 0, 8, 0x80, 0, 0, 8},
		"truncated header":     {0, 0},
	}
	for name, b := range cases {
		_, err := DecodeActions(b)
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: got %v, want *DecodeError", name, err)
		}
	}
}

func TestDecodeErrorNamesMessageAndOffset(t *testing.T) {
	m := &FlowMod{BufferID: BufferNone, OutPort: PortAny, OutGroup: GroupAny,
		Match:        Match{Fields: []OXM{InPort(1)}},
		Instructions: []Instruction{InstructionApplyActions{Actions: []Action{ActionOutput{Port: 1}}}}}
	b := Append(nil, 1, m)
	// header 8 + fixed 40 + match 16 = 64: the instruction; +8: the action.
	actionAt := 8 + 40 + 16 + 8
	b[actionAt+3] = 12 // action length 12: not a multiple of 8
	_, _, err := Decode(b)
	var de *DecodeError
	if !errors.As(err, &de) || de.Msg != "FLOW_MOD" || de.Offset != actionAt+2 {
		t.Fatalf("got %v, want FLOW_MOD error at offset %d", err, actionAt+2)
	}

	pin := Append(nil, 1, &PacketIn{Match: Match{Fields: []OXM{InPort(1)}}})
	pin[8+16+3] = 200 // match length beyond the message
	_, _, err = Decode(pin)
	if !errors.As(err, &de) || de.Msg != "PACKET_IN" || de.Offset != 24 {
		t.Fatalf("got %v, want PACKET_IN error at offset 24", err)
	}

	mp := Append(nil, 1, &MultipartReply{Body: &PortDescReply{Ports: []Port{{PortNo: 1}}}})
	_, _, err = Decode(append(mp[:len(mp):len(mp)], 0)[:len(mp)-1])
	if err == nil {
		t.Fatal("truncated multipart accepted")
	}
}

func TestStrings(t *testing.T) {
	acts := []Action{ActionOutput{Port: 3}, ActionOutput{Port: PortController, MaxLen: 128}, ActionOutput{Port: PortInPort},
		ActionGroup{GroupID: 2}, ActionSetField{Field: TunnelID(0x64)}, ActionSetField{Field: TunIPv4Dst(ip("198.18.0.2"))},
		ActionPushVLAN{EtherType: EthTypeVLAN}, ActionPopVLAN{}, ActionSetQueue{QueueID: 1}, ActionDecNwTTL{}}
	if got, want := ActionsString(acts), "output:3,CONTROLLER:128,IN_PORT,group:2,set_field:0x64->tun_id,set_field:198.18.0.2->tun_dst,push_vlan:0x8100,pop_vlan,set_queue:1,dec_ttl"; got != want {
		t.Errorf("ActionsString\n got %q\nwant %q", got, want)
	}
	if got := ActionsString(nil); got != "drop" {
		t.Errorf("empty actions %q", got)
	}
	ins := []Instruction{InstructionMeter{MeterID: 1}, InstructionApplyActions{Actions: acts[:1]},
		InstructionClearActions{}, InstructionWriteActions{Actions: acts[3:4]},
		InstructionWriteMetadata{Metadata: 1, Mask: 0xff}, InstructionGotoTable{TableID: 2}}
	if got, want := InstructionsString(ins), "actions=meter:1,output:3,clear_actions,write_actions(group:2),write_metadata:0x1/0xff,goto_table:2"; got != want {
		t.Errorf("InstructionsString\n got %q\nwant %q", got, want)
	}
	if got := InstructionsString([]Instruction{InstructionApplyActions{}}); got != "actions=drop" {
		t.Errorf("empty instructions %q", got)
	}
	fm := &FlowMod{Command: FlowModAdd, TableID: 1, Cookie: 0x10, Priority: 100,
		Match:        Match{Fields: []OXM{InPort(3), TunnelID(100)}},
		Instructions: []Instruction{InstructionApplyActions{Actions: acts[:1]}}}
	if got, want := fm.String(), "ADD table=1 cookie=0x10 priority=100 in_port=3,tun_id=0x64 actions=output:3"; got != want {
		t.Errorf("FlowMod.String\n got %q\nwant %q", got, want)
	}
	fs := &FlowStats{TableID: 1, Cookie: 0x10, Priority: 100, Match: fm.Match, Instructions: fm.Instructions}
	if got, want := fs.String(), "cookie=0x10, table=1, priority=100,in_port=3,tun_id=0x64 actions=output:3"; got != want {
		t.Errorf("FlowStats.String\n got %q\nwant %q", got, want)
	}
	gm := &GroupMod{GroupID: 1, GroupType: GroupTypeAll, Buckets: []Bucket{
		{WatchPort: PortAny, WatchGroup: GroupAny, Actions: acts[:1]},
		{WatchPort: PortAny, WatchGroup: GroupAny, Actions: acts[4:6]}}}
	if got, want := gm.String(), "group_id=1,type=all,bucket=actions=output:3,bucket=actions=set_field:0x64->tun_id,set_field:198.18.0.2->tun_dst"; got != want {
		t.Errorf("GroupMod.String\n got %q\nwant %q", got, want)
	}
}
