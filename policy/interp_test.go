package policy

import (
	"fmt"
	"net/netip"

	"github.com/lorispack/loris/topology"
)

// This file is a small model of an OVS bridge running a FlowSet: enough
// OpenFlow 1.3 semantics (priorities, metadata, goto, groups of type all,
// tunnel set_field, no output to the ingress port) to follow a frame through
// a network of bridges and see where it ends up.

type frame struct {
	src, dst topology.MAC
	ethType  uint16
	arpOp    uint16
	arpSHA   topology.MAC
	arpSPA   netip.Addr
	arpTHA   topology.MAC
	arpTPA   netip.Addr
}

type delivery struct {
	host string
	port uint32
}

type tunnelSend struct {
	from, to string // host names ("" if no host has the address)
	tunID    uint64
}

type trace struct {
	deliveries []delivery
	replies    []frame // frames sent back out of their ingress port
	punts      int     // copies sent to the controller
	tunnels    []tunnelSend
	problems   []string // things OVS would not do or the pipeline must not do
}

// network is a set of bridges built from one snapshot.
type network struct {
	snap     *topology.Snapshot
	ports    map[string]Ports
	flowsets map[string]*FlowSet
	byTunIP  map[netip.Addr]string
}

func newNetwork(snap *topology.Snapshot, ports map[string]Ports) *network {
	n := &network{snap: snap, ports: ports, flowsets: map[string]*FlowSet{}, byTunIP: map[netip.Addr]string{}}
	for _, h := range snap.Hosts {
		n.flowsets[h.Name] = Compile(snap, h.Name, ports[h.Name])
		n.byTunIP[h.TunnelIP] = h.Name
	}
	return n
}

// packet is the per-copy state while a frame moves through one bridge.
type packet struct {
	frame
	inPort     uint32
	tunID      uint64 // tunnel key the frame arrived with (0 from a container)
	metadata   uint64
	setTunID   uint64
	setTunDst  netip.Addr
	fromTunnel bool
}

// sendFromPort injects f as if the container on host's port sent it.
func (n *network) sendFromPort(host string, port uint32, f frame) *trace {
	tr := &trace{}
	n.run(host, packet{frame: f, inPort: port}, 0, tr)
	return tr
}

// sendFromTunnel injects f as if it arrived on host's tunnel with key vni.
func (n *network) sendFromTunnel(host string, vni uint64, f frame) *trace {
	tr := &trace{}
	tun, ok := n.ports[host][TunnelPort]
	if !ok {
		return tr
	}
	n.run(host, packet{frame: f, inPort: tun, tunID: vni, fromTunnel: true}, 0, tr)
	return tr
}

const maxHops = 3

func (n *network) run(host string, p packet, hops int, tr *trace) {
	if hops > maxHops {
		tr.problems = append(tr.problems, fmt.Sprintf("frame crossed more than %d tunnels: loop", maxHops))
		return
	}
	fs := n.flowsets[host]
	table := TableClassify
	for step := 0; ; step++ {
		if step > 8 {
			tr.problems = append(tr.problems, host+": goto loop")
			return
		}
		f, ok := lookup(fs, table, p, tr, host)
		if !ok {
			return // OpenFlow 1.3: no match and no miss flow drops
		}
		n.apply(host, f.Instructions.Actions, p, hops, tr)
		if wm := f.Instructions.WriteMetadata; wm != nil {
			p.metadata = p.metadata&^wm.Mask | wm.Value&wm.Mask
		}
		if f.Instructions.GotoTable == nil {
			return
		}
		if *f.Instructions.GotoTable <= table {
			tr.problems = append(tr.problems, fmt.Sprintf("%s: goto_table:%d from table %d", host, *f.Instructions.GotoTable, table))
			return
		}
		table = *f.Instructions.GotoTable
	}
}

func lookup(fs *FlowSet, table uint8, p packet, tr *trace, host string) (Flow, bool) {
	var best Flow
	found := false
	for _, f := range fs.Flows {
		if f.Table != table || !matches(f.Match, p) {
			continue
		}
		if found && f.Priority == best.Priority {
			tr.problems = append(tr.problems, fmt.Sprintf("%s: ambiguous match in table %d: %v and %v", host, table, best, f))
		}
		if !found || f.Priority > best.Priority {
			best, found = f, true
		}
	}
	return best, found
}

func matches(m Match, p packet) bool {
	if m.InPort != 0 && m.InPort != p.inPort {
		return false
	}
	if m.TunID != nil && *m.TunID != p.tunID {
		return false
	}
	if m.Metadata != nil {
		mask := m.MetadataMask
		if mask == 0 {
			mask = ^uint64(0)
		}
		if p.metadata&mask != *m.Metadata&mask {
			return false
		}
	}
	if m.EthSrc != nil && *m.EthSrc != p.src {
		return false
	}
	if m.EthDst != nil {
		mask := topology.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		if m.EthDstMask != nil {
			mask = *m.EthDstMask
		}
		for i := range mask {
			if p.dst[i]&mask[i] != m.EthDst[i]&mask[i] {
				return false
			}
		}
	}
	if m.EthType != 0 && m.EthType != p.ethType {
		return false
	}
	if (m.ArpSHA != nil || m.ArpSPA.IsValid() || m.ArpTPA.IsValid() || m.ArpOp != 0) && m.EthType != ethTypeARP {
		return false // OpenFlow prerequisite; a real switch rejects the flow
	}
	if m.ArpOp != 0 && m.ArpOp != p.arpOp {
		return false
	}
	if m.ArpTPA.IsValid() && m.ArpTPA != p.arpTPA {
		return false
	}
	if m.ArpSHA != nil && *m.ArpSHA != p.arpSHA {
		return false
	}
	if m.ArpSPA.IsValid() && m.ArpSPA != p.arpSPA {
		return false
	}
	return true
}

func (n *network) apply(host string, actions []Action, p packet, hops int, tr *trace) {
	for _, a := range actions {
		switch a.Kind {
		case ActionSetTunID:
			p.setTunID = a.TunID
		case ActionSetTunDst:
			p.setTunDst = a.TunDst
		case ActionGroup:
			g, ok := findGroup(n.flowsets[host], a.Group)
			if !ok {
				tr.problems = append(tr.problems, fmt.Sprintf("%s: group %d does not exist", host, a.Group))
				continue
			}
			for _, b := range g.Buckets {
				n.apply(host, b.Actions, p, hops, tr) // each bucket gets its own copy of p
			}
		case ActionOutput:
			n.output(host, a.Port, p, hops, tr)
		case ActionSetEthSrc:
			p.src = a.MAC
		case ActionSetArpOp:
			p.arpOp = a.ArpOp
		case ActionSetArpSHA:
			p.arpSHA = a.MAC
		case ActionSetArpSPA:
			p.arpSPA = a.IP
		case ActionMove:
			if !p.move(a.MoveSrc, a.MoveDst) {
				tr.problems = append(tr.problems, fmt.Sprintf("%s: bad move %v", host, a))
			}
		default:
			tr.problems = append(tr.problems, fmt.Sprintf("%s: unknown action %v", host, a))
		}
	}
}

// move copies one whole field to another of the same kind.
func (p *packet) move(src, dst Field) bool {
	macs := map[Field]*topology.MAC{FieldEthSrc: &p.src, FieldEthDst: &p.dst, FieldArpSHA: &p.arpSHA, FieldArpTHA: &p.arpTHA}
	ips := map[Field]*netip.Addr{FieldArpSPA: &p.arpSPA, FieldArpTPA: &p.arpTPA}
	if s, ok := macs[src]; ok {
		d, ok := macs[dst]
		if ok {
			*d = *s
		}
		return ok
	}
	if s, ok := ips[src]; ok {
		d, ok := ips[dst]
		if ok {
			*d = *s
		}
		return ok
	}
	return false
}

func (n *network) output(host string, port uint32, p packet, hops int, tr *trace) {
	switch port {
	case PortController:
		tr.punts++
		return
	case PortInPort:
		if p.fromTunnel {
			tr.problems = append(tr.problems, host+": IN_PORT output of a frame from a tunnel")
			return
		}
		tr.deliveries = append(tr.deliveries, delivery{host, p.inPort})
		tr.replies = append(tr.replies, p.frame)
		return
	}
	if port == p.inPort {
		return // OVS drops output to the ingress port
	}
	tun, hasTun := n.ports[host][TunnelPort]
	if !hasTun || port != tun {
		tr.deliveries = append(tr.deliveries, delivery{host, port})
		return
	}
	if p.fromTunnel {
		tr.problems = append(tr.problems, host+": frame from a tunnel sent back into a tunnel (split horizon)")
	}
	to := n.byTunIP[p.setTunDst]
	tr.tunnels = append(tr.tunnels, tunnelSend{from: host, to: to, tunID: p.setTunID})
	if to == "" {
		tr.problems = append(tr.problems, fmt.Sprintf("%s: tunnel to %v, which is no host", host, p.setTunDst))
		return
	}
	self, _ := n.snap.Host(host)
	peer, _ := n.snap.Host(to)
	if self.Tunnel != peer.Tunnel {
		tr.problems = append(tr.problems, fmt.Sprintf("%s (%s) tunnels to %s (%s)", host, self.Tunnel, to, peer.Tunnel))
		return
	}
	peerTun, ok := n.ports[to][TunnelPort]
	if !ok {
		return // the peer has no tunnel port yet: the frame is lost
	}
	n.run(to, packet{frame: p.frame, inPort: peerTun, tunID: p.setTunID, fromTunnel: true}, hops+1, tr)
}

func findGroup(fs *FlowSet, id uint32) (Group, bool) {
	for _, g := range fs.Groups {
		if g.ID == id {
			return g, true
		}
	}
	return Group{}, false
}
