package ofproto

import (
	"fmt"
	"math/bits"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// fieldFormat says how a field's value is printed.
type fieldFormat uint8

const (
	fmtHex fieldFormat = iota
	fmtDec
	fmtPort
	fmtMAC
	fmtIPv4
	fmtIPv6
	fmtEthType
)

type fieldInfo struct {
	name   string
	size   int
	format fieldFormat
}

// basicFields names the OpenFlow basic fields the way ovs-ofctl prints them.
var basicFields = [...]fieldInfo{
	OXMInPort:       {"in_port", 4, fmtPort},
	OXMInPhyPort:    {"in_phy_port", 4, fmtPort},
	OXMMetadata:     {"metadata", 8, fmtHex},
	OXMEthDst:       {"dl_dst", 6, fmtMAC},
	OXMEthSrc:       {"dl_src", 6, fmtMAC},
	OXMEthType:      {"dl_type", 2, fmtEthType},
	OXMVlanVID:      {"vlan_vid", 2, fmtHex},
	OXMVlanPCP:      {"dl_vlan_pcp", 1, fmtDec},
	OXMIPDSCP:       {"ip_dscp", 1, fmtDec},
	OXMIPECN:        {"nw_ecn", 1, fmtDec},
	OXMIPProto:      {"nw_proto", 1, fmtDec},
	OXMIPv4Src:      {"nw_src", 4, fmtIPv4},
	OXMIPv4Dst:      {"nw_dst", 4, fmtIPv4},
	OXMTCPSrc:       {"tcp_src", 2, fmtDec},
	OXMTCPDst:       {"tcp_dst", 2, fmtDec},
	OXMUDPSrc:       {"udp_src", 2, fmtDec},
	OXMUDPDst:       {"udp_dst", 2, fmtDec},
	OXMSCTPSrc:      {"sctp_src", 2, fmtDec},
	OXMSCTPDst:      {"sctp_dst", 2, fmtDec},
	OXMICMPv4Type:   {"icmp_type", 1, fmtDec},
	OXMICMPv4Code:   {"icmp_code", 1, fmtDec},
	OXMArpOp:        {"arp_op", 2, fmtDec},
	OXMArpSPA:       {"arp_spa", 4, fmtIPv4},
	OXMArpTPA:       {"arp_tpa", 4, fmtIPv4},
	OXMArpSHA:       {"arp_sha", 6, fmtMAC},
	OXMArpTHA:       {"arp_tha", 6, fmtMAC},
	OXMIPv6Src:      {"ipv6_src", 16, fmtIPv6},
	OXMIPv6Dst:      {"ipv6_dst", 16, fmtIPv6},
	OXMIPv6FLabel:   {"ipv6_label", 4, fmtHex},
	OXMICMPv6Type:   {"icmpv6_type", 1, fmtDec},
	OXMICMPv6Code:   {"icmpv6_code", 1, fmtDec},
	OXMIPv6NDTarget: {"nd_target", 16, fmtIPv6},
	OXMIPv6NDSLL:    {"nd_sll", 6, fmtMAC},
	OXMIPv6NDTLL:    {"nd_tll", 6, fmtMAC},
	OXMMPLSLabel:    {"mpls_label", 4, fmtDec},
	OXMMPLSTC:       {"mpls_tc", 1, fmtDec},
	OXMMPLSBOS:      {"mpls_bos", 1, fmtDec},
	OXMPBBISID:      {"pbb_isid", 3, fmtHex},
	OXMTunnelID:     {"tun_id", 8, fmtHex},
	OXMIPv6ExtHdr:   {"ipv6_exthdr", 2, fmtHex},
}

// lookupField describes the fields this package knows by name and size.
func lookupField(class uint16, field uint8) (fieldInfo, bool) {
	switch class {
	case OXMClassOpenFlowBasic:
		if int(field) < len(basicFields) {
			return basicFields[field], true
		}
	case OXMClassNXM1:
		switch {
		case field <= 15:
			return fieldInfo{"reg" + strconv.Itoa(int(field)), 4, fmtHex}, true
		case field == NXMTunID:
			return fieldInfo{"tun_id", 8, fmtHex}, true
		case field == NXMTunIPv4Src:
			return fieldInfo{"tun_src", 4, fmtIPv4}, true
		case field == NXMTunIPv4Dst:
			return fieldInfo{"tun_dst", 4, fmtIPv4}, true
		case field == NXMPktMark:
			return fieldInfo{"pkt_mark", 4, fmtHex}, true
		}
	}
	return fieldInfo{}, false
}

// fieldName is the printed name of a field, known or not.
func fieldName(o OXM) string {
	if info, ok := lookupField(o.Class, o.Field); ok {
		return info.name
	}
	return fmt.Sprintf("oxm(0x%04x:%d)", o.Class, o.Field)
}

// String prints the field as name=value[/mask], ovs-ofctl style.
func (o OXM) String() string {
	return fieldName(o) + "=" + o.valueString()
}

// valueString prints value[/mask] in the field's natural notation.
func (o OXM) valueString() string {
	info, ok := lookupField(o.Class, o.Field)
	if !ok || len(o.Value) != info.size || (o.Mask != nil && len(o.Mask) != info.size) {
		s := fmt.Sprintf("0x%x", o.Value)
		if o.Mask != nil {
			s += fmt.Sprintf("/0x%x", o.Mask)
		}
		return s
	}
	switch info.format {
	case fmtIPv4, fmtIPv6:
		a, _ := netip.AddrFromSlice(o.Value)
		if o.Mask == nil {
			return a.String()
		}
		if n, ok := prefixLen(o.Mask); ok {
			return fmt.Sprintf("%s/%d", a, n)
		}
		m, _ := netip.AddrFromSlice(o.Mask)
		return a.String() + "/" + m.String()
	case fmtMAC:
		s := net.HardwareAddr(o.Value).String()
		if o.Mask != nil {
			s += "/" + net.HardwareAddr(o.Mask).String()
		}
		return s
	}
	s := formatUint(info.format, o.Uint())
	if o.Mask != nil {
		s += "/" + fmt.Sprintf("0x%x", OXM{Value: o.Mask}.Uint())
	}
	return s
}

func formatUint(f fieldFormat, v uint64) string {
	switch f {
	case fmtDec:
		return strconv.FormatUint(v, 10)
	case fmtPort:
		return PortString(uint32(v))
	case fmtEthType:
		return fmt.Sprintf("0x%04x", v)
	}
	return fmt.Sprintf("0x%x", v)
}

// prefixLen reports whether mask is a run of ones followed by zeros, and
// how many ones.
func prefixLen(mask []byte) (int, bool) {
	n, zeros := 0, false
	for _, x := range mask {
		if zeros && x != 0 {
			return 0, false
		}
		ones := bits.LeadingZeros8(^x)
		if x<<ones != 0 {
			return 0, false
		}
		n += ones
		if ones < 8 {
			zeros = true
		}
	}
	return n, true
}

// PortString prints a port number, naming the reserved ones.
func PortString(p uint32) string {
	switch p {
	case PortInPort:
		return "IN_PORT"
	case PortTable:
		return "TABLE"
	case PortNormal:
		return "NORMAL"
	case PortFlood:
		return "FLOOD"
	case PortAll:
		return "ALL"
	case PortController:
		return "CONTROLLER"
	case PortLocal:
		return "LOCAL"
	case PortAny:
		return "ANY"
	}
	return strconv.FormatUint(uint64(p), 10)
}

// String prints the fields in order, comma-separated, ovs-ofctl style
// (for example "in_port=3,dl_dst=02:00:00:00:00:01,tun_id=0x64"); an empty
// match prints as "".
func (m Match) String() string {
	var sb strings.Builder
	for i, o := range m.Fields {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(o.String())
	}
	return sb.String()
}
