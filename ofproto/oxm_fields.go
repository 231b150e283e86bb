package ofproto

import (
	"encoding/binary"
	"net"
	"net/netip"
)

// OpenFlow basic OXM field numbers (class OXMClassOpenFlowBasic).
const (
	OXMInPort       uint8 = 0
	OXMInPhyPort    uint8 = 1
	OXMMetadata     uint8 = 2
	OXMEthDst       uint8 = 3
	OXMEthSrc       uint8 = 4
	OXMEthType      uint8 = 5
	OXMVlanVID      uint8 = 6
	OXMVlanPCP      uint8 = 7
	OXMIPDSCP       uint8 = 8
	OXMIPECN        uint8 = 9
	OXMIPProto      uint8 = 10
	OXMIPv4Src      uint8 = 11
	OXMIPv4Dst      uint8 = 12
	OXMTCPSrc       uint8 = 13
	OXMTCPDst       uint8 = 14
	OXMUDPSrc       uint8 = 15
	OXMUDPDst       uint8 = 16
	OXMSCTPSrc      uint8 = 17
	OXMSCTPDst      uint8 = 18
	OXMICMPv4Type   uint8 = 19
	OXMICMPv4Code   uint8 = 20
	OXMArpOp        uint8 = 21
	OXMArpSPA       uint8 = 22
	OXMArpTPA       uint8 = 23
	OXMArpSHA       uint8 = 24
	OXMArpTHA       uint8 = 25
	OXMIPv6Src      uint8 = 26
	OXMIPv6Dst      uint8 = 27
	OXMIPv6FLabel   uint8 = 28
	OXMICMPv6Type   uint8 = 29
	OXMICMPv6Code   uint8 = 30
	OXMIPv6NDTarget uint8 = 31
	OXMIPv6NDSLL    uint8 = 32
	OXMIPv6NDTLL    uint8 = 33
	OXMMPLSLabel    uint8 = 34
	OXMMPLSTC       uint8 = 35
	OXMMPLSBOS      uint8 = 36
	OXMPBBISID      uint8 = 37
	OXMTunnelID     uint8 = 38
	OXMIPv6ExtHdr   uint8 = 39
)

// Nicira extension field numbers that OVS accepts in OXM form under class
// OXMClassNXM1. Registers are fields 0 to 15.
const (
	NXMReg0       uint8 = 0
	NXMTunID      uint8 = 16
	NXMTunIPv4Src uint8 = 31
	NXMTunIPv4Dst uint8 = 32
	NXMPktMark    uint8 = 33
)

// VlanPresent is OFPVID_PRESENT: set in a VLAN_VID value to match (or set)
// a tagged frame; VlanVID(0) matches untagged frames.
const VlanPresent uint16 = 0x1000

// Ethernet types the controller matches on.
const (
	EthTypeIPv4 uint16 = 0x0800
	EthTypeARP  uint16 = 0x0806
	EthTypeVLAN uint16 = 0x8100
	EthTypeIPv6 uint16 = 0x86dd
)

func basic(field uint8, value []byte) OXM {
	return OXM{Class: OXMClassOpenFlowBasic, Field: field, Value: value}
}

func basicMasked(field uint8, value, mask []byte) OXM {
	return OXM{Class: OXMClassOpenFlowBasic, Field: field, Value: value, Mask: mask}
}

func be16b(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32b(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64b(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// macBytes copies a hardware address; a wrong length stays wrong so that
// Validate reports it.
func macBytes(a net.HardwareAddr) []byte { return append([]byte(nil), a...) }

// ip4Bytes returns the 4 bytes of an IPv4 (or IPv4-mapped) address; any
// other address yields its own bytes so that Validate reports the size.
func ip4Bytes(a netip.Addr) []byte {
	a = a.Unmap()
	if a.Is4() {
		v := a.As4()
		return v[:]
	}
	return a.AsSlice()
}

// ip6Bytes returns the 16 bytes of an IPv6 address (IPv4 addresses yield
// 4 bytes, which Validate reports).
func ip6Bytes(a netip.Addr) []byte { return a.AsSlice() }

// prefixMask returns the bits-long prefix mask of a size-byte address.
func prefixMask(bits, size int) []byte {
	m := make([]byte, size)
	for i := range m {
		switch {
		case bits >= 8:
			m[i] = 0xff
			bits -= 8
		case bits > 0:
			m[i] = byte(0xff << (8 - bits))
			bits = 0
		}
	}
	return m
}

func InPort(port uint32) OXM            { return basic(OXMInPort, be32b(port)) }
func InPhyPort(port uint32) OXM         { return basic(OXMInPhyPort, be32b(port)) }
func Metadata(v uint64) OXM             { return basic(OXMMetadata, be64b(v)) }
func MetadataMasked(v, mask uint64) OXM { return basicMasked(OXMMetadata, be64b(v), be64b(mask)) }
func EthDst(a net.HardwareAddr) OXM     { return basic(OXMEthDst, macBytes(a)) }
func EthSrc(a net.HardwareAddr) OXM     { return basic(OXMEthSrc, macBytes(a)) }
func EthDstMasked(a, mask net.HardwareAddr) OXM {
	return basicMasked(OXMEthDst, macBytes(a), macBytes(mask))
}
func EthSrcMasked(a, mask net.HardwareAddr) OXM {
	return basicMasked(OXMEthSrc, macBytes(a), macBytes(mask))
}
func EthType(t uint16) OXM { return basic(OXMEthType, be16b(t)) }

// VlanVID matches the raw VLAN_VID value: VlanPresent|id for a frame
// tagged with id, 0 for an untagged frame.
func VlanVID(v uint16) OXM { return basic(OXMVlanVID, be16b(v)) }
func VlanVIDMasked(v, mask uint16) OXM {
	return basicMasked(OXMVlanVID, be16b(v), be16b(mask))
}
func VlanPCP(p uint8) OXM      { return basic(OXMVlanPCP, []byte{p}) }
func IPDSCP(d uint8) OXM       { return basic(OXMIPDSCP, []byte{d}) }
func IPECN(e uint8) OXM        { return basic(OXMIPECN, []byte{e}) }
func IPProto(p uint8) OXM      { return basic(OXMIPProto, []byte{p}) }
func IPv4Src(a netip.Addr) OXM { return basic(OXMIPv4Src, ip4Bytes(a)) }
func IPv4Dst(a netip.Addr) OXM { return basic(OXMIPv4Dst, ip4Bytes(a)) }
func IPv4SrcMasked(a, mask netip.Addr) OXM {
	return basicMasked(OXMIPv4Src, ip4Bytes(a), ip4Bytes(mask))
}
func IPv4DstMasked(a, mask netip.Addr) OXM {
	return basicMasked(OXMIPv4Dst, ip4Bytes(a), ip4Bytes(mask))
}

// IPv4SrcPrefix matches a source subnet; a /32 becomes an exact match.
func IPv4SrcPrefix(p netip.Prefix) OXM { return ip4Prefix(OXMIPv4Src, p) }

// IPv4DstPrefix matches a destination subnet; a /32 becomes an exact match.
func IPv4DstPrefix(p netip.Prefix) OXM { return ip4Prefix(OXMIPv4Dst, p) }

func ip4Prefix(field uint8, p netip.Prefix) OXM {
	p = p.Masked()
	if p.Bits() == 32 || !p.Addr().Is4() {
		return basic(field, ip4Bytes(p.Addr()))
	}
	return basicMasked(field, ip4Bytes(p.Addr()), prefixMask(p.Bits(), 4))
}

func TCPSrc(p uint16) OXM           { return basic(OXMTCPSrc, be16b(p)) }
func TCPDst(p uint16) OXM           { return basic(OXMTCPDst, be16b(p)) }
func UDPSrc(p uint16) OXM           { return basic(OXMUDPSrc, be16b(p)) }
func UDPDst(p uint16) OXM           { return basic(OXMUDPDst, be16b(p)) }
func ICMPv4Type(t uint8) OXM        { return basic(OXMICMPv4Type, []byte{t}) }
func ICMPv4Code(c uint8) OXM        { return basic(OXMICMPv4Code, []byte{c}) }
func ArpOp(op uint16) OXM           { return basic(OXMArpOp, be16b(op)) }
func ArpSPA(a netip.Addr) OXM       { return basic(OXMArpSPA, ip4Bytes(a)) }
func ArpTPA(a netip.Addr) OXM       { return basic(OXMArpTPA, ip4Bytes(a)) }
func ArpSHA(a net.HardwareAddr) OXM { return basic(OXMArpSHA, macBytes(a)) }
func ArpTHA(a net.HardwareAddr) OXM { return basic(OXMArpTHA, macBytes(a)) }
func ArpSPAMasked(a, mask netip.Addr) OXM {
	return basicMasked(OXMArpSPA, ip4Bytes(a), ip4Bytes(mask))
}
func ArpTPAMasked(a, mask netip.Addr) OXM {
	return basicMasked(OXMArpTPA, ip4Bytes(a), ip4Bytes(mask))
}
func IPv6Src(a netip.Addr) OXM { return basic(OXMIPv6Src, ip6Bytes(a)) }
func IPv6Dst(a netip.Addr) OXM { return basic(OXMIPv6Dst, ip6Bytes(a)) }
func IPv6SrcMasked(a, mask netip.Addr) OXM {
	return basicMasked(OXMIPv6Src, ip6Bytes(a), ip6Bytes(mask))
}
func IPv6DstMasked(a, mask netip.Addr) OXM {
	return basicMasked(OXMIPv6Dst, ip6Bytes(a), ip6Bytes(mask))
}
func IPv6FLabel(l uint32) OXM       { return basic(OXMIPv6FLabel, be32b(l)) }
func ICMPv6Type(t uint8) OXM        { return basic(OXMICMPv6Type, []byte{t}) }
func ICMPv6Code(c uint8) OXM        { return basic(OXMICMPv6Code, []byte{c}) }
func IPv6NDTarget(a netip.Addr) OXM { return basic(OXMIPv6NDTarget, ip6Bytes(a)) }
func TunnelID(id uint64) OXM        { return basic(OXMTunnelID, be64b(id)) }
func TunnelIDMasked(id, mask uint64) OXM {
	return basicMasked(OXMTunnelID, be64b(id), be64b(mask))
}

// TunIPv4Src is the Nicira tunnel source address (NXM_NX_TUN_IPV4_SRC).
func TunIPv4Src(a netip.Addr) OXM {
	return OXM{Class: OXMClassNXM1, Field: NXMTunIPv4Src, Value: ip4Bytes(a)}
}

// TunIPv4Dst is the Nicira tunnel destination address (NXM_NX_TUN_IPV4_DST);
// set it with ActionSetField to pick a flow-based tunnel's remote end.
func TunIPv4Dst(a netip.Addr) OXM {
	return OXM{Class: OXMClassNXM1, Field: NXMTunIPv4Dst, Value: ip4Bytes(a)}
}

func TunIPv4SrcMasked(a, mask netip.Addr) OXM {
	return OXM{Class: OXMClassNXM1, Field: NXMTunIPv4Src, Value: ip4Bytes(a), Mask: ip4Bytes(mask)}
}

func TunIPv4DstMasked(a, mask netip.Addr) OXM {
	return OXM{Class: OXMClassNXM1, Field: NXMTunIPv4Dst, Value: ip4Bytes(a), Mask: ip4Bytes(mask)}
}

// Reg is Nicira register n (NXM_NX_REGn, 0 <= n <= 15). Larger n is not a
// register; Validate does not catch it, so callers pass constants.
func Reg(n uint8, v uint32) OXM {
	return OXM{Class: OXMClassNXM1, Field: NXMReg0 + n, Value: be32b(v)}
}

func RegMasked(n uint8, v, mask uint32) OXM {
	return OXM{Class: OXMClassNXM1, Field: NXMReg0 + n, Value: be32b(v), Mask: be32b(mask)}
}

// Uint returns the value of a field of up to 8 bytes as an integer
// (for example a port, tunnel id or register).
func (o OXM) Uint() uint64 {
	var v uint64
	for _, x := range o.Value {
		v = v<<8 | uint64(x)
	}
	return v
}
