package ofproto

import (
	"bytes"
	"net/netip"
	"reflect"
	"testing"
)

func TestMatchPaddingAndLength(t *testing.T) {
	m := Match{Fields: []OXM{InPort(1)}}
	got := appendMatch(nil, &m)
	want := annotatedHex(t, `
		0001 000c                   // OXM match, length 12
		8000 00 04 00000001         // in_port=1
		00000000                    // padding to 16
	`)
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x want %x", got, want)
	}
	var back Match
	n, err := decodeMatch(&back, append(got, 0xee), "test", 0)
	if err != nil || n != 16 || !reflect.DeepEqual(back, m) {
		t.Fatalf("decode: n=%d err=%v %#v", n, err, back)
	}
	empty := appendMatch(nil, &Match{})
	if !bytes.Equal(empty, []byte{0, 1, 0, 4, 0, 0, 0, 0}) {
		t.Errorf("empty match %x", empty)
	}
}

// TestUnknownOXMSurvive checks that fields this package does not know,
// including experimenter-class fields with their experimenter id, come back
// byte for byte.
func TestUnknownOXMSurvive(t *testing.T) {
	raw := annotatedHex(t, `
		0001 0036                   // match length 54
		8000 64 02 abcd             // basic field 50 (unknown), 2 bytes
		0003 0b 06 010203 ffff00    // class 3, field 5, masked, 3+3 bytes
		ffff 0a 06 4f4e4600 1234    // experimenter class, field 5, ONF id + 2-byte value
		ffff 0b 08 00002320 01 02 ff 0f // experimenter, masked: id + 2 value + 2 mask
		0001 4f 08 0000000a ffffffff // Nicira field 39 (not named here), masked
		0000                        // padding to 56
	`)
	var m Match
	n, err := decodeMatch(&m, raw, "test", 0)
	if err != nil || n != 56 {
		t.Fatalf("decode: n=%d err=%v", n, err)
	}
	if len(m.Fields) != 5 {
		t.Fatalf("%d fields: %#v", len(m.Fields), m.Fields)
	}
	exp := m.Fields[2]
	if exp.Class != OXMClassExperimenter || exp.Field != 5 || !bytes.Equal(exp.Value, []byte{0x4f, 0x4e, 0x46, 0, 0x12, 0x34}) || exp.Mask != nil {
		t.Errorf("experimenter field %#v", exp)
	}
	masked := m.Fields[3]
	if !bytes.Equal(masked.Value, []byte{0, 0, 0x23, 0x20, 1, 2}) || !bytes.Equal(masked.Mask, []byte{0xff, 0x0f}) {
		t.Errorf("masked experimenter field %#v", masked)
	}
	if out := appendMatch(nil, &m); !bytes.Equal(out, raw) {
		t.Fatalf("unknown fields changed\n in: %x\nout: %x", raw, out)
	}
}

func TestMatchCanonicalEqual(t *testing.T) {
	a := Match{Fields: []OXM{TunnelID(100), InPort(3), EthDstMasked(mac("02:00:00:00:00:01"), mac("ff:ff:ff:ff:ff:ff"))}}
	b := Match{Fields: []OXM{InPort(3), EthDst(mac("02:00:00:00:00:01")), TunnelID(100)}}
	if !a.Equal(b) || !b.Equal(a) {
		t.Fatalf("reordered match with all-ones mask should equal: %s vs %s", a, b)
	}
	c := a.Canonical()
	if c.Fields[0].Field != OXMInPort || c.Fields[1].Field != OXMEthDst || c.Fields[1].Mask != nil || c.Fields[2].Field != OXMTunnelID {
		t.Errorf("canonical order/masks wrong: %s", c)
	}
	if a.Fields[0].Field != OXMTunnelID || a.Fields[2].Mask == nil {
		t.Error("Canonical modified its receiver")
	}
	for _, other := range []Match{
		{Fields: []OXM{InPort(4), EthDst(mac("02:00:00:00:00:01")), TunnelID(100)}},
		{Fields: []OXM{InPort(3), EthDst(mac("02:00:00:00:00:01"))}},
		{Fields: []OXM{InPort(3), EthDstMasked(mac("02:00:00:00:00:01"), mac("ff:ff:ff:ff:ff:00")), TunnelID(100)}},
		{Fields: []OXM{InPort(3), EthSrc(mac("02:00:00:00:00:01")), TunnelID(100)}},
	} {
		if a.Equal(other) {
			t.Errorf("%s should differ from %s", a, other)
		}
	}
	sloppy := Match{Fields: []OXM{IPv4SrcMasked(ip("10.244.1.7"), ip("255.255.0.0"))}}
	if !sloppy.Equal(Match{Fields: []OXM{IPv4SrcPrefix(netip.MustParsePrefix("10.244.0.0/16"))}}) {
		t.Error("value bits outside the mask should not matter")
	}
	if !bytes.Equal(sloppy.Fields[0].Value, []byte{10, 244, 1, 7}) {
		t.Error("Canonical modified the receiver's value bytes")
	}
	nic := Match{Fields: []OXM{Reg(1, 5), InPort(1)}}
	if c := nic.Canonical(); c.Fields[0].Class != OXMClassNXM1 {
		t.Errorf("class 1 sorts before class 0x8000: %s", c)
	}
}

func TestMatchString(t *testing.T) {
	cases := []struct {
		m    Match
		want string
	}{
		{Match{Fields: []OXM{InPort(3), EthDst(mac("02:00:00:00:00:01")), TunnelID(100)}},
			"in_port=3,dl_dst=02:00:00:00:00:01,tun_id=0x64"},
		{Match{Fields: []OXM{InPort(PortLocal), EthType(EthTypeIPv4), IPv4SrcPrefix(netip.MustParsePrefix("10.244.1.7/16"))}},
			"in_port=LOCAL,dl_type=0x0800,nw_src=10.244.0.0/16"},
		{Match{Fields: []OXM{IPv4DstMasked(ip("10.0.0.1"), ip("255.0.255.0")), TCPDst(443)}},
			"nw_dst=10.0.0.1/255.0.255.0,tcp_dst=443"},
		{Match{Fields: []OXM{MetadataMasked(1, 0xff), RegMasked(3, 0x10, 0xf0), TunIPv4Dst(ip("198.18.0.2"))}},
			"metadata=0x1/0xff,reg3=0x10/0xf0,tun_dst=198.18.0.2"},
		{Match{Fields: []OXM{EthSrcMasked(mac("01:00:00:00:00:00"), mac("01:00:00:00:00:00")), IPv6Dst(ip("fd00::1"))}},
			"dl_src=01:00:00:00:00:00/01:00:00:00:00:00,ipv6_dst=fd00::1"},
		{Match{Fields: []OXM{{Class: 3, Field: 9, Value: []byte{1, 2}}}}, "oxm(0x0003:9)=0x0102"},
		{Match{Fields: []OXM{{Class: OXMClassOpenFlowBasic, Field: OXMInPort, Value: []byte{1}}}}, "in_port=0x01"},
		{Match{}, ""},
	}
	for _, c := range cases {
		if got := c.m.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}

func TestMatchValidateAndField(t *testing.T) {
	good := Match{Fields: []OXM{InPort(1), IPv4Src(ip("10.0.0.1")), TunIPv4Dst(ip("198.18.0.1")), Reg(15, 1)}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []Match{
		{Fields: []OXM{IPv4Src(ip("fd00::1"))}},
		{Fields: []OXM{EthDst(mac("02:00:00:00:00:01:02:03"))}},
		{Fields: []OXM{IPv4Src(netip.Addr{})}},
		{Fields: []OXM{InPort(1), InPort(2)}},
		{Fields: []OXM{{Class: OXMClassOpenFlowBasic, Field: OXMTunnelID, Value: make([]byte, 8), Mask: make([]byte, 4)}}},
		{Fields: []OXM{{Class: 3, Field: 1, Value: make([]byte, 200), Mask: make([]byte, 200)}}},
		{Fields: []OXM{{Class: 3, Field: 200, Value: []byte{1}}}},
		{Fields: []OXM{{Class: OXMClassExperimenter, Field: 1, Value: []byte{1}}}},
	}
	for _, m := range bad {
		if err := m.Validate(); err == nil {
			t.Errorf("Validate accepted %#v", m.Fields)
		}
	}
	if o, ok := good.Field(OXMClassNXM1, NXMTunIPv4Dst); !ok || o.String() != "tun_dst=198.18.0.1" {
		t.Errorf("Field(tun_dst) = %v %v", o, ok)
	}
	if _, ok := good.Field(OXMClassOpenFlowBasic, OXMEthDst); ok {
		t.Error("Field found a field that is not there")
	}
	if v := VlanVID(VlanPresent | 10); !bytes.Equal(v.Value, []byte{0x10, 0x0a}) {
		t.Errorf("VlanVID value %x", v.Value)
	}
	if p := IPv4DstPrefix(netip.MustParsePrefix("10.1.2.3/32")); p.Mask != nil {
		t.Error("a /32 prefix should be an exact match")
	}
	if got := IPv4SrcPrefix(netip.MustParsePrefix("10.128.0.0/9")).Mask; !bytes.Equal(got, []byte{255, 128, 0, 0}) {
		t.Errorf("/9 mask %v", got)
	}
}

func TestDecodeMatchErrors(t *testing.T) {
	cases := map[string][]byte{
		"standard match type": {0, 0, 0, 8, 0, 0, 0, 0},
		"length below 4":      {0, 1, 0, 2, 0, 0, 0, 0},
		"length past end":     {0, 1, 0, 40, 0, 0, 0, 0},
		"field past length":   {0, 1, 0, 8, 0x80, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0},
		"odd masked length":   {0, 1, 0, 11, 0x80, 0, 1, 3, 1, 2, 3, 0},
		"short experimenter":  {0, 1, 0, 7, 0xff, 0xff, 0, 3, 0, 0, 0, 0},
	}
	for name, b := range cases {
		var m Match
		if _, err := decodeMatch(&m, b, "test", 100); err == nil {
			t.Errorf("%s: accepted %x", name, b)
		} else if de, ok := err.(*DecodeError); !ok || de.Offset < 100 || de.Msg != "test" {
			t.Errorf("%s: error %v", name, err)
		}
	}
}
