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
//
// The result is BaseFlows plus CompilePod of every pod with members on the
// host, merged in FlowSet order: a pod's flows, groups and meters never
// collide with another pod's or the base flows' (they match the pod's VNI
// or a port of one of its members).
func Compile(s *topology.Snapshot, host string, ports Ports) *FlowSet {
	c := newCompiler(s, host, ports)
	c.baseFlows()
	if c.known {
		c.hostFlows()
	}
	sortFlowSet(c.fs)
	return c.fs
}

// BaseFlows returns the flows every bridge holds whatever the topology
// (table-miss flows and the ARP catch-all), in FlowSet order.
func BaseFlows() *FlowSet {
	c := compiler{fs: &FlowSet{}}
	c.baseFlows()
	sortFlowSet(c.fs)
	return c.fs
}

// CompilePod computes the part of Compile(s, host, ports) that belongs to
// one pod: its flows, groups and meters on host's bridge, in FlowSet order.
// A pod without members on host (or a host or pod missing from the
// snapshot) gives an empty set. It costs O(members of the pod + attachments
// on the host), whatever the size of the rest of the topology.
func CompilePod(s *topology.Snapshot, host string, ports Ports, pod string) *FlowSet {
	c := newCompiler(s, host, ports)
	p, local := c.podOnHost(pod)
	if len(local) == 0 {
		return c.fs
	}
	c.fs.Flows = make([]Flow, 0, 3+5*len(local)+2*s.MemberCount(pod))
	c.podFlows(p, local)
	sortFlowSet(c.fs)
	return c.fs
}

// podOnHost returns the pod and its members on this host, none if the
// host or the pod is unknown.
func (c *compiler) podOnHost(pod string) (topology.Pod, []localMember) {
	if !c.known {
		return topology.Pod{}, nil
	}
	p, ok := c.snap.Pod(pod)
	if !ok {
		return p, nil
	}
	onHost := c.snap.AttachmentsOnWhere(c.self.Name, func(a *topology.Attachment) bool { return a.Pod == pod })
	local := make([]localMember, len(onHost))
	for i, a := range onHost {
		local[i] = c.localMember(a)
	}
	return p, local
}

func newCompiler(s *topology.Snapshot, host string, ports Ports) *compiler {
	c := &compiler{snap: s, ports: ports, fs: &FlowSet{}}
	if self, ok := s.Host(host); ok {
		c.known = true
		c.self = self
		c.tun, c.hasTun = ports.number(TunnelPort)
	}
	return c
}

type compiler struct {
	snap   *topology.Snapshot
	ports  Ports
	self   topology.Host
	known  bool // self is in the snapshot
	tun    uint32
	hasTun bool
	fs     *FlowSet
	// toPeer caches the tunnel actions per (VNI, peer): every remote
	// member on the same peer shares one read-only slice.
	toPeer memo[peerVNI, []Action]
	// learned caches learnedOf, peers caches peer.
	learned map[string][]topology.Binding
	peers   memo[string, peerLookup]
	// scopes, in CompileMembers, may narrow a member's learned MACs to
	// those its MemberScope names.
	scopes []MemberScope
	macBuf []topology.MAC
}

type peerVNI struct {
	peer string
	vni  uint32
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
		m := c.localMember(a)
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

func (c *compiler) localMember(a topology.Attachment) localMember {
	m := localMember{Attachment: a}
	m.port, m.plugged = c.portOf(a.Port)
	return m
}

// portOf returns the OpenFlow number of a container port, if it is
// plugged in.
func (c *compiler) portOf(name string) (uint32, bool) {
	no, plugged := c.ports.number(name)
	// A container port that claims the tunnel's number would let a
	// container inject traffic as the tunnel; treat it as unplugged.
	if plugged && c.hasTun && no == c.tun {
		return no, false
	}
	return no, plugged
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
	members := c.snap.Members(pod.Name)
	if c.hasTun {
		c.add(Flow{Table: TableClassify, Priority: PriorityExact, Cookie: Cookie(KindClassifyTunnel, vni),
			Match: Match{InPort: c.tun, TunID: meta},
			Instructions: Instructions{WriteMetadata: &Metadata{Value: uint64(vni), Mask: VNIMetadataMask},
				GotoTable: tablePtr(TableForwardTunnelOrigin)}})
		for _, m := range members {
			c.remoteMemberFlows(vni, meta, m)
		}
	}
	anyPlugged := slices.ContainsFunc(local, func(m localMember) bool { return m.plugged })
	c.arpResponderFlows(pod, meta, anyPlugged, local, local, members)

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
			if peer, ok := c.peer(name); ok {
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

// remoteMemberFlows send frames for a member on another host, its own MAC
// and the MACs it learned, into the tunnel towards that host. Members on
// this host or on hosts it cannot tunnel to get none.
func (c *compiler) remoteMemberFlows(vni uint32, meta *uint64, m topology.Attachment) {
	peer, ok := c.peer(m.Host)
	if !ok {
		return
	}
	if c.scopes == nil || !c.narrowed(m.ID) {
		c.add(Flow{Table: TableForwardLocalOrigin, Priority: PriorityExact,
			Cookie:       Cookie(KindForwardRemote, AttachmentCookieID(m.ID)),
			Match:        Match{Metadata: meta, EthDst: macPtr(m.MAC)},
			Instructions: Instructions{Actions: c.tunnelActions(vni, peer)}})
	}
	c.remoteLearnedFlows(vni, meta, m, peer)
}

// localMemberFlows: port security on entry, ARP guard, and delivery to the
// member from both local and tunnel origins, for its own MAC and then (in
// learningFlows) for the MACs it learned.
func (c *compiler) localMemberFlows(vni uint32, meta *uint64, m localMember) {
	c.boundMACFlows(vni, meta, m, m.MAC)
	c.learningFlows(vni, meta, m, true)
}

// boundMACFlows are the flows of one MAC bound to a local member's port.
func (c *compiler) boundMACFlows(vni uint32, meta *uint64, m localMember, mac topology.MAC) {
	id := AttachmentCookieID(m.ID)
	c.add(Flow{Table: TableClassify, Priority: PriorityExact, Cookie: Cookie(KindClassifyPort, id),
		Match: Match{InPort: m.port, EthSrc: macPtr(mac)},
		Instructions: Instructions{WriteMetadata: &Metadata{Value: uint64(vni), Mask: VNIMetadataMask},
			GotoTable: tablePtr(TableSpoofGuard)}})
	// ARP carries IPv4 addresses only; an IPv6 member's ARP hits the drop.
	if ip := m.IP.Addr(); ip.Is4() {
		c.add(Flow{Table: TableSpoofGuard, Priority: PriorityExact, Cookie: Cookie(KindSpoofGuard, id),
			Match:        Match{EthType: ethTypeARP, InPort: m.port, ArpSHA: macPtr(mac), ArpSPA: ip},
			Instructions: Instructions{GotoTable: tablePtr(TableForwardLocalOrigin)}})
	}
	deliver := Instructions{Actions: []Action{{Kind: ActionOutput, Port: m.port}}}
	for _, table := range []uint8{TableForwardLocalOrigin, TableForwardTunnelOrigin} {
		c.add(Flow{Table: table, Priority: PriorityExact, Cookie: Cookie(KindForwardLocal, id),
			Match:        Match{Metadata: meta, EthDst: macPtr(mac)},
			Instructions: deliver})
	}
}

// peer returns a remote host this host can tunnel to: one with the same
// tunnel type, since a host cannot decapsulate another type. Only hosts
// with members of a pod are ever asked for, so looking them up one by one
// costs less than listing every host.
func (c *compiler) peer(name string) (topology.Host, bool) {
	if !c.hasTun || name == c.self.Name {
		return topology.Host{}, false
	}
	if p, ok := c.peers.get(name); ok {
		return p.host, p.ok
	}
	h, ok := c.snap.Host(name)
	ok = ok && h.Tunnel == c.self.Tunnel
	c.peers.put(name, peerLookup{h, ok})
	return h, ok
}

type peerLookup struct {
	host topology.Host
	ok   bool
}

func (c *compiler) tunnelActions(vni uint32, to topology.Host) []Action {
	k := peerVNI{to.Name, vni}
	if as, ok := c.toPeer.get(k); ok {
		return as
	}
	as := []Action{
		{Kind: ActionSetTunID, TunID: uint64(vni)},
		{Kind: ActionSetTunDst, TunDst: to.TunnelIP},
		{Kind: ActionOutput, Port: c.tun},
	}
	c.toPeer.put(k, as)
	return as
}

func u64(v uint64) *uint64                { return &v }
func tablePtr(t uint8) *uint8             { return &t }
func macPtr(m topology.MAC) *topology.MAC { return &m }
