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
	// PriorityFlood: multicast/broadcast within a pod.
	PriorityFlood uint16 = 50
	// PriorityUnknownSource is reserved for issue 4: in TableClassify,
	// frames from an unknown source MAC will go to the controller through a
	// meter at this priority. Nothing uses it yet.
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
