package ofbench

import "encoding/binary"

// SourceMAC is the source MAC of packet-in number seq of switch index: a
// locally administered unicast address, unique across switches for 2^24
// packet-ins per switch and 2^16 switches.
func SourceMAC(index int, seq uint32) [6]byte {
	return [6]byte{0x02, byte(index >> 8), byte(index), byte(seq >> 16), byte(seq >> 8), byte(seq)}
}

// frame is the packet a packet-in carries: Ethernet, IPv4, UDP, zero
// payload, 60 bytes (a minimum-size frame without FCS), so that a parser
// sees an ordinary well-formed packet.
type frame []byte

const (
	frameLen     = 60
	ipv4Offset   = 14
	ipv4HdrLen   = 20
	udpOffset    = ipv4Offset + ipv4HdrLen
	udpHdrLen    = 8
	etherTypeIP4 = 0x0800
)

func newFrame(dst [6]byte) frame {
	f := make(frame, frameLen)
	copy(f[0:6], dst[:])
	binary.BigEndian.PutUint16(f[12:], etherTypeIP4)
	ip := f[ipv4Offset:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], frameLen-ipv4Offset)
	ip[8] = 64 // TTL
	ip[9] = 17 // UDP
	copy(ip[12:16], []byte{10, 244, 0, 1})
	copy(ip[16:20], []byte{10, 244, 0, 2})
	binary.BigEndian.PutUint16(ip[10:], ipv4Checksum(ip[:ipv4HdrLen]))
	udp := f[udpOffset:]
	binary.BigEndian.PutUint16(udp[0:], 40000)
	binary.BigEndian.PutUint16(udp[2:], 9)
	binary.BigEndian.PutUint16(udp[4:], frameLen-udpOffset)
	return f
}

func (f frame) setSource(mac [6]byte) { copy(f[6:12], mac[:]) }

func ipv4Checksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
