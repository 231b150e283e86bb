package policy

import (
	"encoding/binary"
	"encoding/hex"
)

// Cookie layout (64 bits):
//
//	63       48 47    40 39    32 31                             0
//	+----------+--------+--------+--------------------------------+
//	|  0x4c53  |  kind  |   0    |   VNI, table or attachment id  |
//	+----------+--------+--------+--------------------------------+
//
// The magic 0x4c53 ("LS") marks every flow loris owns, so the controller can
// list or delete exactly its own flows with cookie=CookieMagic/CookieMask
// and leave anything else on the bridge alone. The kind says what the flow
// is for. The low 32 bits are the pod's VNI for per-pod flows, the table
// number for table-miss flows, and AttachmentCookieID for per-attachment
// flows, so all flows of one attachment match
// cookie=AttachmentCookieID(id)/CookieLowMask (plus the magic).
const (
	CookieMagic    uint64 = 0x4c53 << 48
	CookieMask     uint64 = 0xffff << 48
	CookieKindMask uint64 = 0xff << 40
	CookieLowMask  uint64 = 0xffffffff
)

// CookieKind is bits 40-47 of a loris cookie.
type CookieKind uint8

const (
	KindClassifyPort   CookieKind = 1  // table 0: container port + source MAC → pod
	KindClassifyTunnel CookieKind = 2  // table 0: tunnel port + tun_id → pod
	KindSpoofGuard     CookieKind = 3  // table 10: ARP sender checks and the ARP drop
	KindForwardLocal   CookieKind = 4  // tables 20/30: unicast to a local port
	KindForwardRemote  CookieKind = 5  // table 20: unicast into the tunnel
	KindFlood          CookieKind = 6  // tables 20/30: multicast/broadcast to a group
	KindMiss           CookieKind = 7  // table-miss flows
	KindUnknownSource  CookieKind = 8  // table 0: unknown source MAC → meter → controller
	KindRefusedSource  CookieKind = 9  // table 0: refused (port, MAC) → drop
	KindARPResponder   CookieKind = 10 // table 20: ARP requests for member IPs answered in the datapath
)

// Cookie builds a loris cookie.
func Cookie(kind CookieKind, low uint32) uint64 {
	return CookieMagic | uint64(kind)<<40 | uint64(low)
}

// CookieKindOf extracts the kind from a loris cookie.
func CookieKindOf(cookie uint64) CookieKind { return CookieKind(cookie >> 40) }

// IsLorisCookie reports whether cookie carries the loris magic.
func IsLorisCookie(cookie uint64) bool { return cookie&CookieMask == CookieMagic }

// AttachmentCookieID is the first 32 bits of an attachment id (16 hex
// digits of a sha256), used in the low bits of per-attachment cookies.
// Collisions only make cookie-based selection coarser; the flows
// themselves do not depend on it.
func AttachmentCookieID(id string) uint32 {
	var b [4]byte
	if n, err := hex.Decode(b[:], []byte(id[:min(8, len(id))])); err != nil || n != 4 {
		return 0
	}
	return binary.BigEndian.Uint32(b[:])
}
