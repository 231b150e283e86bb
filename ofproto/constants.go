package ofproto

// Reserved port numbers (OFPP_*).
const (
	PortMax        uint32 = 0xffffff00
	PortInPort     uint32 = 0xfffffff8
	PortTable      uint32 = 0xfffffff9
	PortNormal     uint32 = 0xfffffffa
	PortFlood      uint32 = 0xfffffffb
	PortAll        uint32 = 0xfffffffc
	PortController uint32 = 0xfffffffd
	PortLocal      uint32 = 0xfffffffe
	PortAny        uint32 = 0xffffffff
)

// Reserved group numbers (OFPG_*).
const (
	GroupMax uint32 = 0xffffff00
	GroupAll uint32 = 0xfffffffc
	GroupAny uint32 = 0xffffffff
)

// Reserved meter numbers (OFPM_*).
const (
	MeterMax        uint32 = 0xffff0000
	MeterSlowPath   uint32 = 0xfffffffd
	MeterController uint32 = 0xfffffffe
	MeterAll        uint32 = 0xffffffff
)

// BufferNone says a message carries its packet instead of referring to a
// switch buffer (OFP_NO_BUFFER).
const BufferNone uint32 = 0xffffffff

// Table numbers (OFPTT_*).
const (
	TableMax uint8 = 0xfe
	TableAll uint8 = 0xff
)

// ControllerMaxLenNoBuffer asks the switch to send the whole packet to the
// controller rather than buffering it (OFPCML_NO_BUFFER).
const ControllerMaxLenNoBuffer uint16 = 0xffff

// Port config bits (OFPPC_*).
const (
	PortConfigDown       uint32 = 1 << 0
	PortConfigNoRecv     uint32 = 1 << 2
	PortConfigNoFwd      uint32 = 1 << 5
	PortConfigNoPacketIn uint32 = 1 << 6
)

// Port state bits (OFPPS_*).
const (
	PortStateLinkDown uint32 = 1 << 0
	PortStateBlocked  uint32 = 1 << 1
	PortStateLive     uint32 = 1 << 2
)

// Switch capabilities (OFPC_*), as in FeaturesReply.Capabilities.
const (
	CapFlowStats   uint32 = 1 << 0
	CapTableStats  uint32 = 1 << 1
	CapPortStats   uint32 = 1 << 2
	CapGroupStats  uint32 = 1 << 3
	CapIPReasm     uint32 = 1 << 5
	CapQueueStats  uint32 = 1 << 6
	CapPortBlocked uint32 = 1 << 8
)
