package policy

// Tables of the loris pipeline; see the diagram in doc.go.
const (
	TableClassify            uint8 = 0
	TableSpoofGuard          uint8 = 10
	TableForwardLocalOrigin  uint8 = 20
	TableForwardTunnelOrigin uint8 = 30
)

// Priorities. Within a table a higher priority wins.
const (
	// PriorityExact: flows for one attachment or one pod (classification,
	// ARP guard, unicast delivery).
	PriorityExact uint16 = 100
	// PriorityARPDrop: any ARP not accepted by an exact guard flow.
	PriorityARPDrop uint16 = 90
	// PriorityARPOwnTarget: in TableForwardLocalOrigin, an ARP request
	// from a member for its own IP (a duplicate-address probe or
	// gratuitous ARP) floods instead of being answered.
	PriorityARPOwnTarget uint16 = 61
	// PriorityARPResponder: in TableForwardLocalOrigin, ARP requests for
	// a known member IP are answered by the datapath.
	PriorityARPResponder uint16 = 60
	// PriorityFlood: multicast/broadcast within a pod.
	PriorityFlood uint16 = 50
	// PriorityRefusedSource: in TableClassify, a (port, source MAC) pair
	// the controller refused because another member of the pod holds the
	// MAC: dropped, and no longer sent to the controller.
	PriorityRefusedSource uint16 = 20
	// PriorityUnknownSource: in TableClassify, frames from a container port
	// with a source MAC not bound to it go to the controller through the
	// port's meter, so that it can learn the MAC.
	PriorityUnknownSource uint16 = 10
	// PriorityMiss: the table-miss flow.
	PriorityMiss uint16 = 0
)

// TunnelPort is the name of the tunnel port on every loris bridge. It must
// be a flow-based tunnel (options:key=flow, options:remote_ip=flow) so that
// flows choose the VNI and the remote endpoint per packet.
const TunnelPort = "loris-tun"

// VNIMetadataMask is the part of the OpenFlow metadata register that carries
// the pod's VNI between tables. The upper 32 bits are left for later use.
const VNIMetadataMask uint64 = 0xffffffff

// FloodAllGroupID is the group that floods a pod's multicast/broadcast from
// a local container to local members and remote hosts.
func FloodAllGroupID(vni uint32) uint32 { return vni << 1 }

// FloodLocalGroupID is the group that floods a pod's multicast/broadcast
// arriving from a tunnel to local members only (split horizon).
func FloodLocalGroupID(vni uint32) uint32 { return vni<<1 | 1 }

const ethTypeARP = 0x0806

// ARP operation codes.
const (
	ArpOpRequest uint16 = 1
	ArpOpReply   uint16 = 2
)

// Punt meters: every plugged container port has its own meter, numbered
// like the port, that limits how many frames with unknown source MACs the
// port can send to the controller. A container flooding random MACs thus
// costs the controller at most PuntRate packet-ins a second per port.
const (
	PuntRate  uint32 = 100
	PuntBurst uint32 = 20
)

// PuntMeterID is the meter of a container port's punt flow.
func PuntMeterID(port uint32) uint32 { return port }
