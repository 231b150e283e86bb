package policy

import (
	"slices"

	"github.com/lorispack/loris/topology"
)

// Ports maps a port name on one host's bridge to its OpenFlow port number,
// as learned from the switch. Ports missing from the map are not plugged in
// (yet).
type Ports map[string]uint32

// number returns the OpenFlow number of a plugged-in port. Numbers 0 and
// above OFPP_MAX are reserved and never name a real port.
func (p Ports) number(name string) (uint32, bool) {
	n, ok := p[name]
	if !ok || n == 0 || n > ofppMax {
		return 0, false
	}
	return n, true
}

const ofppMax = 0xffffff00

var (
	broadcastBit = topology.MAC{0x01}
	// Matching dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 selects every
	// group address, broadcast included.
	multicastMatch = Match{EthDst: &broadcastBit, EthDstMask: &broadcastBit}
)

// Compile computes the complete flow table and group table of host's
// bridge from the snapshot. It is pure and deterministic: the same inputs
// always give the same FlowSet. A host missing from the snapshot gets only
// the table-miss flows, which drop everything.
func Compile(s *topology.Snapshot, host string, ports Ports) *FlowSet {
	c := compiler{snap: s, ports: ports, fs: &FlowSet{}}
	c.baseFlows()
	if self, ok := s.Host(host); ok {
		c.self = self
		c.tun, c.hasTun = ports.number(TunnelPort)
		if c.hasTun {
			c.findPeers()
		}
		c.hostFlows()
	}
	sortFlowSet(c.fs)
	return c.fs
}

type compiler struct {
	snap   *topology.Snapshot
	ports  Ports
	self   topology.Host
	tun    uint32
	hasTun bool
	peers  map[string]topology.Host // reachable remote hosts, by name
	fs     *FlowSet
}

// localMember is an attachment on this host with its port number, if the
// port is plugged in.
type localMember struct {
	topology.Attachment
	port    uint32
	plugged bool
}

func (c *compiler) add(f Flow) { c.fs.Flows = append(c.fs.Flows, f) }

// baseFlows are the table-miss flows and the ARP catch-all, present on every
// bridge whatever the topology.
func (c *compiler) baseFlows() {
	c.add(Flow{Table: TableClassify, Priority: PriorityMiss, Cookie: Cookie(KindMiss, uint32(TableClassify))})
	c.add(Flow{Table: TableSpoofGuard, Priority: PriorityARPDrop, Cookie: Cookie(KindSpoofGuard, 0),
		Match: Match{EthType: ethTypeARP}})
	c.add(Flow{Table: TableSpoofGuard, Priority: PriorityMiss, Cookie: Cookie(KindMiss, uint32(TableSpoofGuard)),
		Instructions: Instructions{GotoTable: tablePtr(TableForwardLocalOrigin)}})
	c.add(Flow{Table: TableForwardLocalOrigin, Priority: PriorityMiss, Cookie: Cookie(KindMiss, uint32(TableForwardLocalOrigin))})
	c.add(Flow{Table: TableForwardTunnelOrigin, Priority: PriorityMiss, Cookie: Cookie(KindMiss, uint32(TableForwardTunnelOrigin))})
}

func (c *compiler) hostFlows() {
	byPod := map[string][]localMember{}
	var podOrder []string
	onHost := c.snap.AttachmentsOn(c.self.Name)
	for _, a := range onHost {
		m := localMember{Attachment: a}
		m.port, m.plugged = c.ports.number(a.Port)
		// A container port that claims the tunnel's number would let a
		// container inject traffic as the tunnel; treat it as unplugged.
		if m.plugged && c.hasTun && m.port == c.tun {
			m.plugged = false
		}
		if _, seen := byPod[a.Pod]; !seen {
			podOrder = append(podOrder, a.Pod)
		}
		byPod[a.Pod] = append(byPod[a.Pod], m)
	}
	// Size the flow slice once: growing it by doubling copies every flow
	// several times at ten thousand flows per host.
	estimate := len(c.fs.Flows) + 5*len(onHost)
	for _, podName := range podOrder {
		estimate += 3 + c.snap.MemberCount(podName)
	}
	c.fs.Flows = slices.Grow(c.fs.Flows, estimate)
	for _, podName := range podOrder {
		pod, ok := c.snap.Pod(podName)
		if !ok {
			continue
		}
		c.podFlows(pod, byPod[podName])
	}
}

// podFlows emits everything this host needs for one pod with local members.
func (c *compiler) podFlows(pod topology.Pod, local []localMember) {
	vni := pod.VNI
	// One pointer per pod, shared by its flows: a FlowSet is read-only.
	meta := u64(uint64(vni))
	for _, m := range local {
		if m.plugged {
			c.localMemberFlows(vni, meta, m)
		}
	}
	if c.hasTun {
		c.add(Flow{Table: TableClassify, Priority: PriorityExact, Cookie: Cookie(KindClassifyTunnel, vni),
			Match: Match{InPort: c.tun, TunID: meta},
			Instructions: Instructions{WriteMetadata: &Metadata{Value: uint64(vni), Mask: VNIMetadataMask},
				GotoTable: tablePtr(TableForwardTunnelOrigin)}})
		for _, m := range c.snap.Members(pod.Name) {
			peer, ok := c.peers[m.Host]
			if !ok {
				continue
			}
			c.add(Flow{Table: TableForwardLocalOrigin, Priority: PriorityExact,
				Cookie:       Cookie(KindForwardRemote, AttachmentCookieID(m.ID)),
				Match:        Match{Metadata: meta, EthDst: macPtr(m.MAC)},
				Instructions: Instructions{Actions: c.tunnelActions(vni, peer)}})
			c.remoteLearnedFlows(vni, meta, m, peer)
		}
	}
	c.arpResponderFlows(pod, meta, local)

	floodAll := Group{ID: FloodAllGroupID(vni)}
	floodLocal := Group{ID: FloodLocalGroupID(vni)}
	for _, m := range local {
		if m.plugged {
			out := Bucket{Actions: []Action{{Kind: ActionOutput, Port: m.port}}}
			floodAll.Buckets = append(floodAll.Buckets, out)
			floodLocal.Buckets = append(floodLocal.Buckets, out)
		}
	}
	if c.hasTun {
		for _, name := range c.snap.HostsWithPod(pod.Name) {
			if peer, ok := c.peers[name]; ok {
				floodAll.Buckets = append(floodAll.Buckets, Bucket{Actions: c.tunnelActions(vni, peer)})
			}
		}
	}
	c.fs.Groups = append(c.fs.Groups, floodAll, floodLocal)

	flood := multicastMatch
	flood.Metadata = meta
	c.add(Flow{Table: TableForwardLocalOrigin, Priority: PriorityFlood, Cookie: Cookie(KindFlood, vni),
		Match:        flood,
		Instructions: Instructions{Actions: []Action{{Kind: ActionGroup, Group: floodAll.ID}}}})
	c.add(Flow{Table: TableForwardTunnelOrigin, Priority: PriorityFlood, Cookie: Cookie(KindFlood, vni),
		Match:        flood,
		Instructions: Instructions{Actions: []Action{{Kind: ActionGroup, Group: floodLocal.ID}}}})
}

// localMemberFlows: port security on entry, ARP guard, and delivery to the
// member from both local and tunnel origins.
func (c *compiler) localMemberFlows(vni uint32, meta *uint64, m localMember) {
	id := AttachmentCookieID(m.ID)
	c.add(Flow{Table: TableClassify, Priority: PriorityExact, Cookie: Cookie(KindClassifyPort, id),
		Match: Match{InPort: m.port, EthSrc: macPtr(m.MAC)},
		Instructions: Instructions{WriteMetadata: &Metadata{Value: uint64(vni), Mask: VNIMetadataMask},
			GotoTable: tablePtr(TableSpoofGuard)}})
	// ARP carries IPv4 addresses only; an IPv6 member's ARP hits the drop.
	if ip := m.IP.Addr(); ip.Is4() {
		c.add(Flow{Table: TableSpoofGuard, Priority: PriorityExact, Cookie: Cookie(KindSpoofGuard, id),
			Match:        Match{EthType: ethTypeARP, InPort: m.port, ArpSHA: macPtr(m.MAC), ArpSPA: ip},
			Instructions: Instructions{GotoTable: tablePtr(TableForwardLocalOrigin)}})
	}
	deliver := Instructions{Actions: []Action{{Kind: ActionOutput, Port: m.port}}}
	for _, table := range []uint8{TableForwardLocalOrigin, TableForwardTunnelOrigin} {
		c.add(Flow{Table: table, Priority: PriorityExact, Cookie: Cookie(KindForwardLocal, id),
			Match:        Match{Metadata: meta, EthDst: macPtr(m.MAC)},
			Instructions: deliver})
	}
	c.learningFlows(vni, meta, m)
}

// findPeers lists the other hosts this host can tunnel to: those with the
// same tunnel type, since a host cannot decapsulate another type.
func (c *compiler) findPeers() {
	c.peers = make(map[string]topology.Host, len(c.snap.Hosts))
	for _, h := range c.snap.Hosts {
		if h.Name != c.self.Name && h.Tunnel == c.self.Tunnel {
			c.peers[h.Name] = h
		}
	}
}

func (c *compiler) tunnelActions(vni uint32, to topology.Host) []Action {
	return []Action{
		{Kind: ActionSetTunID, TunID: uint64(vni)},
		{Kind: ActionSetTunDst, TunDst: to.TunnelIP},
		{Kind: ActionOutput, Port: c.tun},
	}
}

func u64(v uint64) *uint64                { return &v }
func tablePtr(t uint8) *uint8             { return &t }
func macPtr(m topology.MAC) *topology.MAC { return &m }
