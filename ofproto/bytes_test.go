package ofproto

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

// annotatedHex turns hex written with // comments and any spacing into
// bytes, so that expected encodings can be laid out field by field.
func annotatedHex(t *testing.T, s string) []byte {
	t.Helper()
	var sb strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		sb.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(sb.String())
	if err != nil {
		t.Fatalf("bad annotated hex: %v", err)
	}
	return b
}

func TestBytesFlowMod(t *testing.T) {
	m := &FlowMod{
		Cookie: 0x0102030405060708, TableID: 2, Command: FlowModAdd, IdleTimeout: 30, Priority: 1000,
		BufferID: BufferNone, OutPort: PortAny, OutGroup: GroupAny, Flags: FlowFlagSendFlowRem,
		Match: Match{Fields: []OXM{InPort(3), TunnelIDMasked(0x64, 0xffffff)}},
		Instructions: []Instruction{
			InstructionApplyActions{Actions: []Action{ActionOutput{Port: 1}}},
			InstructionGotoTable{TableID: 3},
		},
	}
	want := annotatedHex(t, `
		04 0e 0070 00000007         // version 1.3, FLOW_MOD, length 112, xid 7
		0102030405060708            // cookie
		0000000000000000            // cookie mask
		02 00                       // table 2, command ADD
		001e 0000 03e8              // idle 30, hard 0, priority 1000
		ffffffff                    // buffer id: none
		ffffffff ffffffff           // out port ANY, out group ANY
		0001 0000                   // flags SEND_FLOW_REM, pad
		0001 0020                   // match type OXM, length 32: already 8-aligned, no padding
		8000 00 04 00000003         // OXM in_port=3
		8000 4d 10 0000000000000064 0000000000ffffff // OXM tunnel_id (has mask), 16 bytes
		0004 0018 00000000          // APPLY_ACTIONS, length 24
		0000 0010 00000001 0000 000000000000 // OUTPUT port 1, max_len 0, pad
		0001 0008 03 000000         // GOTO_TABLE 3
	`)
	got := Append(nil, 7, m)
	if !bytes.Equal(got, want) {
		t.Fatalf("FLOW_MOD bytes\n got: %x\nwant: %x", got, want)
	}
	_, back, err := Decode(want)
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("decode: %v\n%#v", err, back)
	}
}

func TestBytesPacketOutAndSetField(t *testing.T) {
	m := &PacketOut{BufferID: BufferNone, InPort: PortController,
		Actions: []Action{ActionSetField{Field: TunIPv4Dst(ip("198.18.0.2"))}, ActionOutput{Port: 5}},
		Data:    []byte{0xaa, 0xbb}}
	want := annotatedHex(t, `
		04 0d 003a 00000009         // PACKET_OUT, length 58, xid 9
		ffffffff fffffffd           // buffer none, in_port CONTROLLER
		0020 000000000000           // actions length 32, pad
		0019 0010                   // SET_FIELD, length 16
		0001 40 04 c6120002         // OXM NXM1 field 32 (tun_dst) = 198.18.0.2
		00000000                    // padding to 8
		0000 0010 00000005 0000 000000000000 // OUTPUT port 5
		aabb                        // packet data
	`)
	got := Append(nil, 9, m)
	if !bytes.Equal(got, want) {
		t.Fatalf("PACKET_OUT bytes\n got: %x\nwant: %x", got, want)
	}
	_, back, err := Decode(want)
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("decode: %v\n%#v", err, back)
	}
}

func TestBytesBundleAdd(t *testing.T) {
	m := &BundleAdd{BundleID: 5, Flags: BundleAtomic | BundleOrdered, Message: &BarrierRequest{}}
	want := annotatedHex(t, `
		04 04 0020 0000002a         // EXPERIMENTER, length 32, xid 42
		4f4e4600 000008fd           // ONF, exp_type 2301 (bundle add)
		00000005 0000 0003          // bundle 5, pad, flags atomic|ordered
		04 14 0008 0000002a         // inner BARRIER_REQUEST carrying the outer xid
	`)
	got := Append(nil, 42, m)
	if !bytes.Equal(got, want) {
		t.Fatalf("BUNDLE_ADD bytes\n got: %x\nwant: %x", got, want)
	}
	_, back, err := Decode(want)
	if err != nil {
		t.Fatal(err)
	}
	ba, ok := back.(*BundleAdd)
	if !ok || ba.XID != 42 || ba.BundleID != 5 || ba.Flags != 3 {
		t.Fatalf("decoded %#v", back)
	}
	if _, ok := ba.Message.(*BarrierRequest); !ok {
		t.Fatalf("inner message %T", ba.Message)
	}
}

func TestBytesErrorMsg(t *testing.T) {
	b := annotatedHex(t, `
		04 01 0014 00000003         // ERROR, length 20, xid 3
		0005 0003                   // FLOW_MOD_FAILED / OVERLAP
		04 0e 0048 00000003         // start of the failed request
	`)
	_, m, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := m.(*ErrorMsg)
	if !ok {
		t.Fatalf("decoded %T", m)
	}
	if got := e.Error(); got != "ofproto: switch error FLOW_MOD_FAILED/OVERLAP" {
		t.Errorf("Error() = %q", got)
	}
	if h, ok := e.FailedRequest(); !ok || h.Type != TypeFlowMod || h.XID != 3 {
		t.Errorf("FailedRequest = %+v %v", h, ok)
	}
	var asErr error = e
	if asErr.Error() == "" {
		t.Error("ErrorMsg must be usable as an error")
	}
	unknown := &ErrorMsg{ErrType: 77, Code: 9}
	if got := unknown.Error(); got != "ofproto: switch error ERRTYPE_77/9" {
		t.Errorf("unknown Error() = %q", got)
	}
	if got := (&ErrorMsg{ErrType: ErrTypeBadMatch, Code: 99}).Error(); got != "ofproto: switch error BAD_MATCH/99" {
		t.Errorf("unknown code Error() = %q", got)
	}
}
