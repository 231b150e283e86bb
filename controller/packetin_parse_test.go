package controller

import (
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/lorispack/loris/topology"
)

var (
	parseSrc = topology.MAC{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}
	parseDst = topology.MAC{0x02, 0x66, 0x77, 0x88, 0x99, 0xaa}
)

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func eth(t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: net.HardwareAddr(parseSrc[:]), DstMAC: net.HardwareAddr(parseDst[:]), EthernetType: t}
}

// arpRequestHex is an ARP request as Linux sends it: who-has 10.244.0.3
// tell 10.244.0.2, from 02:11:22:33:44:55, padded to 60 bytes.
const arpRequestHex = "ffffffffffff021122334455080600010800060400010211223344550af4000200000000" +
	"00000af40003000000000000000000000000000000000000"

func TestParseRealFrames(t *testing.T) {
	p := newPacketParser()
	arpRaw, _ := hex.DecodeString(arpRequestHex)
	ip4 := serialize(t, eth(layers.EthernetTypeIPv4),
		&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: net.IP{10, 244, 0, 2}, DstIP: net.IP{10, 244, 0, 3}},
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)}, gopacket.Payload("ping"))
	v6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolICMPv6,
		SrcIP: net.ParseIP("fd00::2"), DstIP: net.ParseIP("fd00::3")}
	icmp6 := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
	icmp6.SetNetworkLayerForChecksum(v6)
	ip6 := serialize(t, eth(layers.EthernetTypeIPv6), v6, icmp6, &layers.ICMPv6Echo{Identifier: 1, SeqNumber: 1})
	vip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{10, 1, 0, 1}, DstIP: net.IP{10, 1, 0, 2}}
	udp := &layers.UDP{SrcPort: 1, DstPort: 2}
	udp.SetNetworkLayerForChecksum(vip)
	vlan := serialize(t, eth(layers.EthernetTypeDot1Q),
		&layers.Dot1Q{VLANIdentifier: 42, Type: layers.EthernetTypeIPv4}, vip, udp)

	cases := []struct {
		name  string
		data  []byte
		check func(t *testing.T, fi frameInfo)
	}{
		{"arp", arpRaw, func(t *testing.T, fi frameInfo) {
			if fi.Src != parseSrc || fi.Dst != (topology.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) || fi.ARP == nil {
				t.Fatalf("%+v", fi)
			}
			want := arpInfo{Op: 1, SHA: parseSrc, SPA: netip.MustParseAddr("10.244.0.2"), TPA: netip.MustParseAddr("10.244.0.3")}
			if *fi.ARP != want || fi.Partial {
				t.Fatalf("arp %+v, want %+v (partial %v)", *fi.ARP, want, fi.Partial)
			}
		}},
		{"ipv4", ip4, func(t *testing.T, fi frameInfo) {
			if fi.Src != parseSrc || fi.EtherType != layers.EthernetTypeIPv4 || fi.IPSrc != netip.MustParseAddr("10.244.0.2") || fi.IPDst != netip.MustParseAddr("10.244.0.3") || fi.Partial {
				t.Fatalf("%+v", fi)
			}
		}},
		{"ipv6", ip6, func(t *testing.T, fi frameInfo) {
			if fi.Src != parseSrc || fi.IPSrc != netip.MustParseAddr("fd00::2") || fi.Partial {
				t.Fatalf("%+v", fi)
			}
		}},
		{"vlan", vlan, func(t *testing.T, fi frameInfo) {
			if !fi.Tagged || fi.VLAN != 42 || fi.EtherType != layers.EthernetTypeIPv4 || fi.IPSrc != netip.MustParseAddr("10.1.0.1") {
				t.Fatalf("%+v", fi)
			}
		}},
		{"truncated arp", arpRaw[:20], func(t *testing.T, fi frameInfo) {
			if fi.Src != parseSrc || !fi.Partial || fi.ARP != nil {
				t.Fatalf("%+v", fi)
			}
		}},
		{"truncated ipv4", ip4[:24], func(t *testing.T, fi frameInfo) {
			if fi.Src != parseSrc || !fi.Partial || fi.IPSrc.IsValid() {
				t.Fatalf("%+v", fi)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fi, err := p.parse(c.data)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, fi)
			if s := fi.String(); !strings.Contains(s, parseSrc.String()) {
				t.Fatalf("String() = %q", s)
			}
		})
	}
	// Parsing after a partial frame starts clean.
	if fi, err := p.parse(ip6); err != nil || fi.ARP != nil || fi.Partial || fi.Tagged {
		t.Fatalf("parser state leaked: %+v %v", fi, err)
	}
}

func TestParseRejectsShortAndGarbage(t *testing.T) {
	p := newPacketParser()
	for _, data := range [][]byte{nil, {0x01}, make([]byte, 13)} {
		if _, err := p.parse(data); !errors.Is(err, errShortFrame) {
			t.Errorf("%d bytes: err %v, want errShortFrame", len(data), err)
		}
	}
	// 14+ bytes of garbage still have a source MAC; what follows is just
	// not understood.
	garbage := []byte("\x02\xde\xad\xbe\xef\x00\x02\x01\x02\x03\x04\x05\x08\x00\xff\xff\xff")
	fi, err := p.parse(garbage)
	if err != nil || fi.Src != (topology.MAC{0x02, 0x01, 0x02, 0x03, 0x04, 0x05}) || !fi.Partial {
		t.Fatalf("garbage: %+v %v", fi, err)
	}
}

// A frame carrying another frame (ethertype 0x6558) is learned by its own
// source MAC: a container must not get the controller to bind a MAC it
// only wrapped (found by FuzzParsePacketIn). VLAN-tagged too. The learner
// reads the source with sourceMAC, the parser describes the frame: both
// must name the outer one.
func TestParseLearnsTheOuterFrameOfANestedOne(t *testing.T) {
	outer := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01}
	inner := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x99, 0x08, 0x06}
	p := newPacketParser()
	for _, c := range []struct {
		name string
		hdr  []byte
		vlan uint16
	}{
		{"untagged", []byte{0x65, 0x58}, 0},
		{"vlan 7", []byte{0x81, 0x00, 0x00, 0x07, 0x65, 0x58}, 7},
	} {
		frame := append(append(append(append([]byte{}, outer...), c.hdr...), inner...), make([]byte, 28)...)
		fi, err := p.parse(frame)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if fi.Src != (topology.MAC{0x02, 0, 0, 0, 0, 0x01}) || fi.EtherType != 0x6558 || fi.VLAN != c.vlan || fi.ARP != nil {
			t.Fatalf("%s: parsed %+v, want the outer frame: source 02:00:00:00:00:01, type 0x6558, vlan %d, no ARP", c.name, fi, c.vlan)
		}
		// What the learner reads: the same outer source.
		if src, ok := sourceMAC(frame); !ok || src != fi.Src {
			t.Fatalf("%s: sourceMAC gave %v (%v), want %v", c.name, src, ok, fi.Src)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	p := newPacketParser()
	data, _ := hex.DecodeString(arpRequestHex)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParsePacketIn(f *testing.F) {
	arpRaw, _ := hex.DecodeString(arpRequestHex)
	f.Add(arpRaw)
	f.Add([]byte{})
	f.Add(make([]byte, 14))
	f.Add(arpRaw[:20])
	p := newPacketParser()
	f.Fuzz(func(t *testing.T, data []byte) {
		fi, err := p.parse(data)
		if err != nil {
			return
		}
		if len(data) < 14 {
			t.Fatalf("parsed a %d-byte frame", len(data))
		}
		if fi.Src != topology.MAC(data[6:12]) {
			t.Fatalf("source %s, frame says %x", fi.Src, data[6:12])
		}
		_ = fi.String()
	})
}
