package controller

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/lorispack/loris/topology"
)

// frameInfo is what the controller needs from a punted frame: the source
// MAC to learn, plus enough of the rest to describe it in events and logs.
type frameInfo struct {
	Src, Dst  topology.MAC
	VLAN      uint16 // 802.1Q VLAN id; 0 when untagged
	Tagged    bool
	EtherType layers.EthernetType // innermost, after any VLAN tags
	ARP       *arpInfo
	IPSrc     netip.Addr // IPv4 or IPv6 source, if the frame carries one
	IPDst     netip.Addr
	// Partial: the Ethernet header was fine but a deeper header was cut
	// short or malformed. The source MAC is still usable.
	Partial bool
}

type arpInfo struct {
	Op       uint16
	SHA, THA topology.MAC
	SPA, TPA netip.Addr
}

// errShortFrame: not even an Ethernet header.
var errShortFrame = errors.New("frame shorter than an Ethernet header")

// packetParser decodes punted frames. It is not safe for concurrent use:
// each session's learner owns one and reuses its layer structs for every
// packet (gopacket's DecodingLayerParser: no allocation per layer, no
// reflection).
type packetParser struct {
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	arp     layers.ARP
	ip4     layers.IPv4
	ip6     layers.IPv6
	parser  *gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
}

func newPacketParser() *packetParser {
	p := &packetParser{decoded: make([]gopacket.LayerType, 0, 8)}
	p.parser = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &p.eth, &p.dot1q, &p.arp, &p.ip4, &p.ip6)
	// Payloads we do not decode (TCP, ICMP, ...) end the walk quietly.
	p.parser.IgnoreUnsupported = true
	return p
}

// sourceMAC is the source address of the frame's outer Ethernet header,
// the one the port sent (never one of a frame it carries): all that
// learning needs, read without decoding anything else.
func sourceMAC(data []byte) (topology.MAC, bool) {
	if len(data) < 14 {
		return topology.MAC{}, false
	}
	return topology.MAC(data[6:12]), true
}

// parse decodes data. It fails only if there is no usable Ethernet header.
func (p *packetParser) parse(data []byte) (frameInfo, error) {
	if len(data) < 14 {
		return frameInfo{}, fmt.Errorf("%w (%d bytes)", errShortFrame, len(data))
	}
	err := p.parser.DecodeLayers(data, &p.decoded)
	if len(p.decoded) == 0 || p.decoded[0] != layers.LayerTypeEthernet {
		if err == nil {
			err = errShortFrame
		}
		return frameInfo{}, fmt.Errorf("ethernet: %w", err)
	}
	// The addresses come from the outer header itself: a frame can carry
	// another frame (ethertype 0x6558, transparent Ethernet bridging),
	// which the parser decodes into the same structs, and the source MAC
	// learned must be the one the port sent, not one it wrapped.
	var fi frameInfo
	copy(fi.Dst[:], data[0:6])
	fi.Src, _ = sourceMAC(data)
	fi.EtherType = p.eth.EthernetType
	fi.Partial = err != nil
	if slices.Contains(p.decoded[1:], layers.LayerTypeEthernet) {
		// Describe the outer frame only, from its bytes: the inner one
		// overwrote whatever the structs held about it.
		fi.EtherType = layers.EthernetType(binary.BigEndian.Uint16(data[12:14]))
		if fi.EtherType == layers.EthernetTypeDot1Q && len(data) >= 18 {
			fi.Tagged, fi.VLAN = true, binary.BigEndian.Uint16(data[14:16])&0x0fff
			fi.EtherType = layers.EthernetType(binary.BigEndian.Uint16(data[16:18]))
		}
		return fi, nil
	}
	for _, lt := range p.decoded[1:] {
		switch lt {
		case layers.LayerTypeDot1Q:
			if !fi.Tagged {
				fi.Tagged, fi.VLAN = true, p.dot1q.VLANIdentifier
			}
			fi.EtherType = p.dot1q.Type
		case layers.LayerTypeARP:
			fi.ARP = arpFrom(&p.arp)
		case layers.LayerTypeIPv4:
			fi.IPSrc, _ = netip.AddrFromSlice(p.ip4.SrcIP.To4())
			fi.IPDst, _ = netip.AddrFromSlice(p.ip4.DstIP.To4())
		case layers.LayerTypeIPv6:
			fi.IPSrc, _ = netip.AddrFromSlice(p.ip6.SrcIP)
			fi.IPDst, _ = netip.AddrFromSlice(p.ip6.DstIP)
		}
	}
	return fi, nil
}

func arpFrom(a *layers.ARP) *arpInfo {
	// Only Ethernet/IPv4 ARP has fields we understand.
	if a.AddrType != layers.LinkTypeEthernet || a.Protocol != layers.EthernetTypeIPv4 ||
		a.HwAddressSize != 6 || a.ProtAddressSize != 4 {
		return &arpInfo{Op: a.Operation}
	}
	ai := &arpInfo{Op: a.Operation}
	copy(ai.SHA[:], a.SourceHwAddress)
	copy(ai.THA[:], a.DstHwAddress)
	ai.SPA, _ = netip.AddrFromSlice(a.SourceProtAddress)
	ai.TPA, _ = netip.AddrFromSlice(a.DstProtAddress)
	return ai
}

func (fi frameInfo) String() string {
	s := fmt.Sprintf("%s > %s type 0x%04x", fi.Src, fi.Dst, uint16(fi.EtherType))
	if fi.Tagged {
		s += fmt.Sprintf(" vlan %d", fi.VLAN)
	}
	if fi.ARP != nil {
		s += fmt.Sprintf(" arp op %d %s/%s -> %s", fi.ARP.Op, fi.ARP.SPA, fi.ARP.SHA, fi.ARP.TPA)
	}
	if fi.IPSrc.IsValid() {
		s += fmt.Sprintf(" ip %s -> %s", fi.IPSrc, fi.IPDst)
	}
	if fi.Partial {
		s += " (partial)"
	}
	return s
}
