package policy

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/lorispack/loris/topology"
)

// Flow is one OpenFlow 1.3 flow entry, in loris's own terms; the controller
// translates it to wire messages.
type Flow struct {
	Table        uint8
	Priority     uint16
	Cookie       uint64
	Match        Match
	Instructions Instructions
}

// Match lists the fields a flow matches; zero values and nil pointers mean
// "any".
type Match struct {
	InPort       uint32 // 0 = any
	TunID        *uint64
	Metadata     *uint64
	MetadataMask uint64 // 0 = exact match on Metadata
	EthSrc       *topology.MAC
	EthDst       *topology.MAC
	EthDstMask   *topology.MAC // nil = exact match on EthDst
	EthType      uint16        // 0 = any
	ArpOp        uint16        // 0 = any
	ArpSHA       *topology.MAC
	ArpSPA       netip.Addr // invalid = any
	ArpTPA       netip.Addr // invalid = any
}

// Instructions of a flow. No actions, no metadata write and no goto means
// drop.
type Instructions struct {
	Meter         uint32   // 0 = none; else the packet passes this meter first
	Actions       []Action // apply-actions, in order
	WriteMetadata *Metadata
	GotoTable     *uint8
}

// Metadata is a masked write to the metadata register.
type Metadata struct {
	Value, Mask uint64
}

// ActionKind says which field of an Action applies.
type ActionKind uint8

const (
	ActionOutput    ActionKind = iota + 1 // output:Port
	ActionGroup                           // group:Group
	ActionSetTunID                        // set_field:TunID->tun_id
	ActionSetTunDst                       // set_field:TunDst->tun_dst
	ActionSetEthSrc                       // set_field:MAC->eth_src
	ActionSetArpOp                        // set_field:ArpOp->arp_op
	ActionSetArpSHA                       // set_field:MAC->arp_sha
	ActionSetArpSPA                       // set_field:IP->arp_spa
	ActionMove                            // move:MoveSrc->MoveDst (whole fields, Nicira extension)
)

// Special output ports (OpenFlow reserved port numbers).
const (
	PortInPort     uint32 = 0xfffffff8 // back out of the ingress port
	PortTable      uint32 = 0xfffffff9 // through the pipeline (packet-out only)
	PortController uint32 = 0xfffffffd // to the controller as a packet-in
)

// Field names a header field an ActionMove copies.
type Field uint8

const (
	FieldEthSrc Field = iota + 1
	FieldEthDst
	FieldArpSHA
	FieldArpTHA
	FieldArpSPA
	FieldArpTPA
)

func (f Field) String() string {
	switch f {
	case FieldEthSrc:
		return "eth_src"
	case FieldEthDst:
		return "eth_dst"
	case FieldArpSHA:
		return "arp_sha"
	case FieldArpTHA:
		return "arp_tha"
	case FieldArpSPA:
		return "arp_spa"
	case FieldArpTPA:
		return "arp_tpa"
	}
	return fmt.Sprintf("field_%d", uint8(f))
}

// Action is one apply-action.
type Action struct {
	Kind    ActionKind
	Port    uint32
	Group   uint32
	TunID   uint64
	TunDst  netip.Addr
	MAC     topology.MAC // ActionSetEthSrc, ActionSetArpSHA
	IP      netip.Addr   // ActionSetArpSPA
	ArpOp   uint16       // ActionSetArpOp
	MoveSrc Field        // ActionMove
	MoveDst Field        // ActionMove
}

// Meter is an OpenFlow meter with one drop band, in packets per second.
type Meter struct {
	ID    uint32
	Rate  uint32 // packets per second
	Burst uint32 // packets
}

func (m Meter) String() string {
	return fmt.Sprintf("meter=%d pktps burst bands=type=drop rate=%d burst_size=%d", m.ID, m.Rate, m.Burst)
}

// Group is an OpenFlow group of type ALL: every bucket gets a copy.
type Group struct {
	ID      uint32
	Buckets []Bucket
}

// Bucket is one group bucket.
type Bucket struct {
	Actions []Action
}

// FlowSet is everything one bridge should hold, in a deterministic order:
// flows by table, priority (descending), then match; groups by id.
type FlowSet struct {
	Flows  []Flow
	Groups []Group
	Meters []Meter // by id
}

// String renders the flow like ovs-ofctl dump-flows does (without counters).
func (f Flow) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cookie=0x%x, table=%d, priority=%d", f.Cookie, f.Table, f.Priority)
	if m := f.Match.String(); m != "" {
		b.WriteString(",")
		b.WriteString(m)
	}
	b.WriteString(" actions=")
	b.WriteString(f.Instructions.String())
	return b.String()
}

// String renders the match fields comma-separated in ovs-ofctl syntax.
func (m Match) String() string {
	var parts []string
	switch m.EthType {
	case 0:
	case ethTypeARP:
		parts = append(parts, "arp")
	default:
		parts = append(parts, fmt.Sprintf("dl_type=0x%04x", m.EthType))
	}
	if m.TunID != nil {
		parts = append(parts, fmt.Sprintf("tun_id=0x%x", *m.TunID))
	}
	if m.Metadata != nil {
		if m.MetadataMask != 0 {
			parts = append(parts, fmt.Sprintf("metadata=0x%x/0x%x", *m.Metadata, m.MetadataMask))
		} else {
			parts = append(parts, fmt.Sprintf("metadata=0x%x", *m.Metadata))
		}
	}
	if m.InPort != 0 {
		parts = append(parts, fmt.Sprintf("in_port=%d", m.InPort))
	}
	if m.EthSrc != nil {
		parts = append(parts, "dl_src="+m.EthSrc.String())
	}
	if m.EthDst != nil {
		if m.EthDstMask != nil {
			parts = append(parts, "dl_dst="+m.EthDst.String()+"/"+m.EthDstMask.String())
		} else {
			parts = append(parts, "dl_dst="+m.EthDst.String())
		}
	}
	if m.ArpSPA.IsValid() {
		parts = append(parts, "arp_spa="+m.ArpSPA.String())
	}
	if m.ArpTPA.IsValid() {
		parts = append(parts, "arp_tpa="+m.ArpTPA.String())
	}
	if m.ArpOp != 0 {
		parts = append(parts, fmt.Sprintf("arp_op=%d", m.ArpOp))
	}
	if m.ArpSHA != nil {
		parts = append(parts, "arp_sha="+m.ArpSHA.String())
	}
	return strings.Join(parts, ",")
}

// String renders the instructions as ovs-ofctl shows them after
// "actions=": apply-actions, then write_metadata, then goto_table, or
// "drop" if there are none.
func (in Instructions) String() string {
	var parts []string
	if in.Meter != 0 {
		parts = append(parts, fmt.Sprintf("meter:%d", in.Meter))
	}
	for _, a := range in.Actions {
		parts = append(parts, a.String())
	}
	if in.WriteMetadata != nil {
		parts = append(parts, fmt.Sprintf("write_metadata:0x%x/0x%x", in.WriteMetadata.Value, in.WriteMetadata.Mask))
	}
	if in.GotoTable != nil {
		parts = append(parts, fmt.Sprintf("goto_table:%d", *in.GotoTable))
	}
	if len(parts) == 0 {
		return "drop"
	}
	return strings.Join(parts, ",")
}

// IsDrop reports whether the instructions do nothing with the packet.
func (in Instructions) IsDrop() bool {
	return len(in.Actions) == 0 && in.WriteMetadata == nil && in.GotoTable == nil
}

func portString(p uint32) string {
	switch p {
	case PortInPort:
		return "IN_PORT"
	case PortTable:
		return "TABLE"
	case PortController:
		return "CONTROLLER"
	}
	return fmt.Sprintf("%d", p)
}

func (a Action) String() string {
	switch a.Kind {
	case ActionOutput:
		return "output:" + portString(a.Port)
	case ActionGroup:
		return fmt.Sprintf("group:%d", a.Group)
	case ActionSetTunID:
		return fmt.Sprintf("set_field:0x%x->tun_id", a.TunID)
	case ActionSetTunDst:
		return fmt.Sprintf("set_field:%s->tun_dst", a.TunDst)
	case ActionSetEthSrc:
		return fmt.Sprintf("set_field:%s->eth_src", a.MAC)
	case ActionSetArpOp:
		return fmt.Sprintf("set_field:%d->arp_op", a.ArpOp)
	case ActionSetArpSHA:
		return fmt.Sprintf("set_field:%s->arp_sha", a.MAC)
	case ActionSetArpSPA:
		return fmt.Sprintf("set_field:%s->arp_spa", a.IP)
	case ActionMove:
		return fmt.Sprintf("move:%s->%s", a.MoveSrc, a.MoveDst)
	}
	return fmt.Sprintf("unknown_action_%d", a.Kind)
}

// String renders the group like ovs-ofctl dump-groups.
func (g Group) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "group_id=%d,type=all", g.ID)
	for _, bucket := range g.Buckets {
		b.WriteString(",bucket=actions=")
		if len(bucket.Actions) == 0 {
			b.WriteString("drop")
			continue
		}
		for i, a := range bucket.Actions {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(a.String())
		}
	}
	return b.String()
}

// String renders all flows, then all groups, one per line.
func (fs *FlowSet) String() string {
	var b strings.Builder
	for _, f := range fs.Flows {
		b.WriteString(f.String())
		b.WriteString("\n")
	}
	for _, g := range fs.Groups {
		b.WriteString(g.String())
		b.WriteString("\n")
	}
	for _, m := range fs.Meters {
		b.WriteString(m.String())
		b.WriteString("\n")
	}
	return b.String()
}
