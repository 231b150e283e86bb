package policy

import (
	"slices"

	"github.com/lorispack/loris/topology"
)

// learningFlows: what a plugged local member needs for MAC learning (issue
// 4). Its learned MACs get the same port security, ARP guard and delivery
// flows as its own MAC; MACs the controller refused on its port are
// dropped; with punt, any other source MAC goes to the controller through
// the port's meter.
func (c *compiler) learningFlows(vni uint32, meta *uint64, m localMember, punt bool) {
	id := AttachmentCookieID(m.ID)
	for _, mac := range c.learnedMACs(m.Attachment) {
		c.boundMACFlows(vni, meta, m, mac)
	}
	for _, conflict := range c.snap.ConflictsOf(m.ID) {
		c.add(Flow{Table: TableClassify, Priority: PriorityRefusedSource, Cookie: Cookie(KindRefusedSource, id),
			Match: Match{InPort: m.port, EthSrc: macPtr(conflict.MAC)}})
	}
	if !punt {
		return
	}
	meter := PuntMeterID(m.port)
	c.fs.Meters = append(c.fs.Meters, Meter{ID: meter, Rate: PuntRate, Burst: PuntBurst})
	c.add(Flow{Table: TableClassify, Priority: PriorityUnknownSource, Cookie: Cookie(KindUnknownSource, id),
		Match: Match{InPort: m.port},
		Instructions: Instructions{Meter: meter,
			Actions: []Action{{Kind: ActionOutput, Port: PortController}}}})
}

// remoteLearnedFlows sends frames for a remote member's learned MACs into
// the tunnel towards its host.
func (c *compiler) remoteLearnedFlows(vni uint32, meta *uint64, m topology.Attachment, peer topology.Host) {
	for _, mac := range c.learnedMACs(m) {
		c.add(Flow{Table: TableForwardLocalOrigin, Priority: PriorityExact,
			Cookie:       Cookie(KindForwardRemote, AttachmentCookieID(m.ID)),
			Match:        Match{Metadata: meta, EthDst: macPtr(mac)},
			Instructions: Instructions{Actions: c.tunnelActions(vni, peer)}})
	}
}

// arpResponderFlows answer, in the datapath, ARP requests from local
// members for the IPv4 address of any member of the pod this host can
// reach, so that those requests never flood across tunnels. The request is
// turned into the reply in place and sent back out of its ingress port:
//
//	eth_dst <- eth_src, eth_src <- member MAC, arp_op <- 2,
//	arp_tha <- arp_sha, arp_tpa <- arp_spa,
//	arp_sha <- member MAC, arp_spa <- member IP
//
// Copying fields needs the Nicira move action; set_field only writes
// constants. A member's request for its own address (a duplicate-address
// probe or gratuitous ARP) is flooded as before, not answered, and so is a
// request for a member that has learned MACs.
//
// anyPlugged: one of the pod's members on this host is plugged (else the
// host answers nothing). local is every member on this host (it may be
// left nil when no member is on it); ownTargets and members are the
// members whose flows are wanted: all of them for a pod, some for
// CompileMembers.
func (c *compiler) arpResponderFlows(pod topology.Pod, meta *uint64, anyPlugged bool, local, ownTargets []localMember, members []topology.Attachment) {
	for _, m := range ownTargets {
		if !m.plugged {
			continue
		}
		if ip := m.IP.Addr(); ip.Is4() {
			c.add(Flow{Table: TableForwardLocalOrigin, Priority: PriorityARPOwnTarget,
				Cookie:       Cookie(KindARPResponder, AttachmentCookieID(m.ID)),
				Match:        Match{EthType: ethTypeARP, Metadata: meta, InPort: m.port, ArpOp: ArpOpRequest, ArpTPA: ip},
				Instructions: Instructions{Actions: []Action{{Kind: ActionGroup, Group: FloodAllGroupID(pod.VNI)}}}})
		}
	}
	if !anyPlugged {
		return
	}
	var plugged map[string]bool // local members by id, made when needed
	for _, m := range members {
		ip := m.IP.Addr()
		// A member with learned MACs may be using any of them (it changed
		// its MAC, or runs a bridge): answering with its attachment MAC
		// could be wrong, so its ARP requests flood as usual.
		if !ip.Is4() || c.hasLearned(m) {
			continue
		}
		if m.Host == c.self.Name {
			if plugged == nil {
				plugged = make(map[string]bool, len(local))
				for _, l := range local {
					plugged[l.ID] = l.plugged
				}
			}
			if !plugged[m.ID] {
				continue
			}
		} else if _, ok := c.peer(m.Host); !ok {
			continue
		}
		c.add(Flow{Table: TableForwardLocalOrigin, Priority: PriorityARPResponder,
			Cookie: Cookie(KindARPResponder, AttachmentCookieID(m.ID)),
			Match:  Match{EthType: ethTypeARP, Metadata: meta, ArpOp: ArpOpRequest, ArpTPA: ip},
			Instructions: Instructions{Actions: []Action{
				{Kind: ActionMove, MoveSrc: FieldEthSrc, MoveDst: FieldEthDst},
				{Kind: ActionSetEthSrc, MAC: m.MAC},
				{Kind: ActionSetArpOp, ArpOp: ArpOpReply},
				{Kind: ActionMove, MoveSrc: FieldArpSHA, MoveDst: FieldArpTHA},
				{Kind: ActionMove, MoveSrc: FieldArpSPA, MoveDst: FieldArpTPA},
				{Kind: ActionSetArpSHA, MAC: m.MAC},
				{Kind: ActionSetArpSPA, IP: ip},
				{Kind: ActionOutput, Port: PortInPort},
			}}})
	}
}

// hasLearned reports whether a has learned MACs, copying none.
func (c *compiler) hasLearned(a topology.Attachment) bool {
	if bs, ok := c.learned[a.ID]; ok {
		return len(bs) > 0
	}
	return c.snap.LearnedCount(a.Pod) > 0 && c.snap.HasLearned(a.ID)
}

// learnedMACs lists the learned MACs of a whose flows to compile: all of
// them, or in CompileMembers those its scopes name that a holds (all of
// them if one of its scopes says AllMACs). The slice is reused by the
// next call.
func (c *compiler) learnedMACs(a topology.Attachment) []topology.MAC {
	c.macBuf = c.macBuf[:0]
	scoped := false
	for _, sc := range c.scopes {
		if sc.ID != a.ID {
			continue
		}
		if sc.AllMACs {
			scoped = false
			c.macBuf = c.macBuf[:0]
			break
		}
		scoped = true
		for _, mac := range sc.MACs {
			if !slices.Contains(c.macBuf, mac) && c.snap.HasLearnedMAC(a.ID, mac) {
				c.macBuf = append(c.macBuf, mac)
			}
		}
	}
	if scoped {
		return c.macBuf
	}
	for _, b := range c.learnedOf(a) {
		c.macBuf = append(c.macBuf, b.MAC)
	}
	return c.macBuf
}

// learnedOf returns a's learned bindings, looked up once per attachment
// per compile (the flows of a member with learned MACs need them three
// times) and not at all in a pod without any.
func (c *compiler) learnedOf(a topology.Attachment) []topology.Binding {
	if c.snap.LearnedCount(a.Pod) == 0 {
		return nil
	}
	if bs, ok := c.learned[a.ID]; ok {
		return bs
	}
	bs := c.snap.LearnedOf(a.ID)
	if c.learned == nil {
		c.learned = map[string][]topology.Binding{}
	}
	c.learned[a.ID] = bs
	return bs
}
