// Package policy compiles the topology into the OpenFlow 1.3 flows and
// groups of one host's bridge. It is pure: no I/O, no goroutines, no clock.
// Compile(snapshot, host, ports) always returns the complete desired state
// of that bridge; the controller diffs it against the switch. The same
// state splits into BaseFlows and one CompilePod(snapshot, host, ports,
// pod) per pod with members on the host, which lets the controller
// recompute only the pods a change touched; CompileMembers is the part of
// a pod that depends on some of its members, for changes (learned MACs)
// that touch nothing else.
//
// # Pipeline
//
//	            container port P                          tunnel port TUN
//	                  |                                         |
//	                  v                                         v
//	+---------------------------------------------------------------------------+
//	| table 0 CLASSIFY                                                          |
//	|  100 in_port=P,dl_src=MAC    -> metadata=VNI, goto 10   (port security)   |
//	|  100 in_port=TUN,tun_id=VNI  -> metadata=VNI, goto 30   (pod from key)    |
//	|  100 in_port=P,dl_src=LEARNED -> same as the static MAC (learned binding) |
//	|   20 in_port=P,dl_src=REFUSED -> drop   (conflict: MAC held in the pod)   |
//	|   10 in_port=P -> meter:P, CONTROLLER   (unknown source: learn, issue 4)  |
//	|    0 drop                                                                 |
//	+---------------------------------------------------------------------------+
//	         | from a container                              | from a tunnel
//	         v                                               |
//	+----------------------------------------------+         |
//	| table 10 SPOOF_GUARD (ARP)                   |         |
//	|  100 arp,in_port=P,arp_spa=IP,arp_sha=MAC    |         |
//	|      -> goto 20                              |         |
//	|   90 arp -> drop                             |         |
//	|    0 -> goto 20                              |         |
//	+----------------------------------------------+         |
//	         |                                               v
//	+----------------------------------------------+  +---------------------------------------+
//	| table 20 FORWARD_LOCAL_ORIGIN                |  | table 30 FORWARD_TUNNEL_ORIGIN        |
//	|  100 metadata=VNI,dl_dst=local MAC           |  |  100 metadata=VNI,dl_dst=local MAC    |
//	|      -> output:P                             |  |      -> output:P                      |
//	|  100 metadata=VNI,dl_dst=remote MAC          |  |   50 metadata=VNI,dl_dst=multicast    |
//	|   61 arp_op=1,in_port=P,arp_tpa=own IP       |  |      (see above)                      |
//	|      -> group FLOOD_ALL (DAD/gratuitous)     |  |                                       |
//	|   60 arp_op=1,metadata=VNI,arp_tpa=member IP |  |                                       |
//	|      -> rewrite into the reply, IN_PORT      |  |                                       |
//	|      -> tun_id=VNI,tun_dst=REMOTE,output:TUN |  |      -> group FLOOD_LOCAL(VNI)        |
//	|   50 metadata=VNI,dl_dst=multicast           |  |    0 drop                             |
//	|      -> group FLOOD_ALL(VNI)                 |  |  (never outputs to TUN)               |
//	|    0 drop                                    |  +---------------------------------------+
//	+----------------------------------------------+
//
//	group FLOOD_ALL(VNI)   id VNI<<1,   type all: output:P for every plugged
//	                       local member, plus tun_id=VNI,tun_dst=R,output:TUN
//	                       for every reachable remote host R with members.
//	group FLOOD_LOCAL(VNI) id VNI<<1|1, type all: output:P for local members.
//
// The pod's VNI travels between tables in the low 32 bits of the metadata
// register (VNIMetadataMask) and is the tunnel key on the wire.
//
// # Invariants
//
// Isolation: metadata is set only in table 0, from an exact (port, source
// MAC) binding or an exact tunnel key, and every later flow matches that
// metadata, so a frame never leaves through a port or tunnel key of another
// pod. Frames whose source MAC is not bound to their port are dropped.
//
// Split horizon: frames that arrived from a tunnel (table 30 and
// FLOOD_LOCAL) are never sent back into a tunnel. Every host sends a pod's
// broadcast straight to every other host with members (a full mesh), so
// no forwarding between tunnels is needed and loops cannot form without
// STP. OVS never outputs a frame to its ingress port, so a flood does not
// return to its sender either.
//
// Tunnel types: hosts mesh only with hosts of the same tunnel type (vxlan,
// gre or geneve), since an endpoint cannot decapsulate another type.
// Members on a host of a different type are unreachable, not misrouted.
// The tunnel port TunnelPort must be flow-based (key=flow, remote_ip=flow).
//
// Partial state: an attachment whose port is not in Ports (not plugged yet)
// gets no flows on its own host, but other hosts still send to it. Without
// the tunnel port in Ports a host gets no tunnel flows or buckets at all.
//
// # MAC learning (issue 4)
//
// Bindings are static (the attachment's MAC) or learned (extra MACs the
// controller saw on the port; see topology.Binding). Learned MACs get the
// same flows as static ones on every host of the pod; conflicts (a MAC
// held by another member) get a drop on the offending port's host only.
// Every plugged container port punts other source MACs to the controller
// through its own meter (PuntMeterID, PuntRate packets/s). The datapath
// answers ARP requests for the IPv4 address of every reachable pod member
// without learned MACs (Nicira move actions rewrite the request into the
// reply), so those requests never cross a tunnel.
//
// # Priorities
//
//	100 PriorityExact          per attachment or per pod exact matches
//	 90 PriorityARPDrop        ARP not accepted by the guard
//	 50 PriorityFlood          multicast/broadcast to a group
//	 61 PriorityARPOwnTarget   ARP request for the sender's own IP: flood
//	 60 PriorityARPResponder   datapath proxy ARP for pod member IPs
//	 20 PriorityRefusedSource  refused (port, MAC): drop
//	 10 PriorityUnknownSource  unknown source MAC -> meter -> controller
//	  0 PriorityMiss           table-miss
//
// # Cookies
//
// Every flow carries a cookie with CookieMagic in its top 16 bits, a
// CookieKind in the next 8 and, in the low 32, the VNI (per-pod flows),
// the table number (table-miss flows) or AttachmentCookieID (per-attachment
// flows); see cookie.go for the layout.
//
// # Order
//
// A FlowSet is sorted by table, priority (highest first) and then match
// fields (compared structurally, field by field in the order String prints
// them); groups by id. Exact duplicate flows are removed.
package policy
