package controller

import (
	"encoding/binary"
	"net/netip"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/topology"
)

// flowMod translates one policy flow into the FLOW_MOD that adds it.
func flowMod(f policy.Flow) *ofproto.FlowMod {
	var t translator
	return t.flowMod(f)
}

// flowMatch translates a match (flowMod's).
func flowMatch(m policy.Match) ofproto.Match {
	var t translator
	return t.match(m)
}

// actions translates an action list (flowMod's and groupMod's).
func actions(as []policy.Action) []ofproto.Action {
	var t translator
	return t.actions(as)
}

// translator turns policy flows into FLOW_MODs. The zero translator makes
// each one afresh, to be sent. A reusing one builds each into the same
// scratch objects, so what it returns holds only until its next call:
// enough to key a flow (desiredState). A resync keys some 100,000 desired
// flows and usually sends none, and making each a message of its own was
// most of the allocations of its keying.
type translator struct {
	reuse  bool
	fm     ofproto.FlowMod
	fields []ofproto.OXM
	ins    []ofproto.Instruction
	acts   []ofproto.Action
	apply  ofproto.InstructionApplyActions
	meta   ofproto.InstructionWriteMetadata
	gotoT  ofproto.InstructionGotoTable
	meter  ofproto.InstructionMeter
	// The actions of the flow being translated.
	outputs scratch[ofproto.ActionOutput]
	groups  scratch[ofproto.ActionGroup]
	sets    scratch[ofproto.ActionSetField]
	// vals holds the field values of the flow being translated.
	vals []byte
	// moves: the Nicira moves made so far, one per field pair (they hold
	// nothing of the flow).
	moves map[[2]policy.Field]*ofproto.ActionExperimenter
}

// scratch hands out reused values of one type, until reset.
type scratch[T any] struct {
	items []*T
	used  int
}

func (s *scratch[T]) reset() { s.used = 0 }

func (s *scratch[T]) next() *T {
	if s.used == len(s.items) {
		s.items = append(s.items, new(T))
	}
	v := s.items[s.used]
	s.used++
	var zero T
	*v = zero
	return v
}

// obtain returns a zeroed T: fresh, or s's next when t reuses.
func obtain[T any](t *translator, s *scratch[T]) *T {
	if !t.reuse {
		return new(T)
	}
	return s.next()
}

func (t *translator) flowMod(f policy.Flow) *ofproto.FlowMod {
	var ins []ofproto.Instruction
	if t.reuse {
		ins = t.ins[:0]
		t.vals = t.vals[:0]
	}
	in := f.Instructions
	if in.Meter != 0 {
		m := obtainOne(t, &t.meter)
		m.MeterID = in.Meter
		ins = append(ins, m)
	}
	if len(in.Actions) > 0 {
		a := obtainOne(t, &t.apply)
		a.Actions = t.actions(in.Actions)
		ins = append(ins, a)
	}
	if in.WriteMetadata != nil {
		m := obtainOne(t, &t.meta)
		m.Metadata, m.Mask = in.WriteMetadata.Value, in.WriteMetadata.Mask
		ins = append(ins, m)
	}
	if in.GotoTable != nil {
		g := obtainOne(t, &t.gotoT)
		g.TableID = *in.GotoTable
		ins = append(ins, g)
	}
	fm := obtainOne(t, &t.fm)
	*fm = ofproto.FlowMod{
		Cookie: f.Cookie, TableID: f.Table, Command: ofproto.FlowModAdd, Priority: f.Priority,
		BufferID: ofproto.BufferNone, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny,
		Match: t.match(f.Match), Instructions: ins,
	}
	if t.reuse {
		t.ins = ins
	}
	return fm
}

// obtainOne returns a zeroed T: fresh, or the translator's one when it
// reuses (a flow has at most one of each instruction).
func obtainOne[T any](t *translator, own *T) *T {
	if !t.reuse {
		return new(T)
	}
	var zero T
	*own = zero
	return own
}

// match translates a match. Fields go out in prerequisite order (eth_type
// before ARP fields): OVS checks prerequisites as it parses.
func (t *translator) match(m policy.Match) ofproto.Match {
	var fields []ofproto.OXM
	if t.reuse {
		fields = t.fields[:0]
	}
	if m.InPort != 0 {
		fields = append(fields, basicOXM(ofproto.OXMInPort, t.u32(m.InPort)))
	}
	if m.Metadata != nil {
		f := basicOXM(ofproto.OXMMetadata, t.u64(*m.Metadata))
		if m.MetadataMask != 0 {
			f.Mask = t.u64(m.MetadataMask)
		}
		fields = append(fields, f)
	}
	if m.TunID != nil {
		fields = append(fields, basicOXM(ofproto.OXMTunnelID, t.u64(*m.TunID)))
	}
	if m.EthDst != nil {
		f := basicOXM(ofproto.OXMEthDst, t.mac(*m.EthDst))
		if m.EthDstMask != nil {
			f.Mask = t.mac(*m.EthDstMask)
		}
		fields = append(fields, f)
	}
	if m.EthSrc != nil {
		fields = append(fields, basicOXM(ofproto.OXMEthSrc, t.mac(*m.EthSrc)))
	}
	if m.EthType != 0 {
		fields = append(fields, basicOXM(ofproto.OXMEthType, t.u16(m.EthType)))
	}
	if m.ArpOp != 0 {
		fields = append(fields, basicOXM(ofproto.OXMArpOp, t.u16(m.ArpOp)))
	}
	if m.ArpSPA.IsValid() {
		fields = append(fields, basicOXM(ofproto.OXMArpSPA, t.ip4(m.ArpSPA)))
	}
	if m.ArpTPA.IsValid() {
		fields = append(fields, basicOXM(ofproto.OXMArpTPA, t.ip4(m.ArpTPA)))
	}
	if m.ArpSHA != nil {
		fields = append(fields, basicOXM(ofproto.OXMArpSHA, t.mac(*m.ArpSHA)))
	}
	if t.reuse {
		t.fields = fields
	}
	return ofproto.Match{Fields: fields}
}

func basicOXM(field uint8, value []byte) ofproto.OXM {
	return ofproto.OXM{Class: ofproto.OXMClassOpenFlowBasic, Field: field, Value: value}
}

// val returns n bytes for a field's value: from the flow's arena when t
// reuses (ofproto's field constructors make each value a small
// allocation of its own), fresh otherwise.
func (t *translator) val(n int) []byte {
	if !t.reuse {
		return make([]byte, n)
	}
	if cap(t.vals)-len(t.vals) < n {
		// Values already handed out keep the old array.
		t.vals = make([]byte, 0, max(256, 2*cap(t.vals)))
	}
	at := len(t.vals)
	t.vals = t.vals[:at+n]
	return t.vals[at : at+n : at+n]
}

func (t *translator) u16(v uint16) []byte {
	b := t.val(2)
	binary.BigEndian.PutUint16(b, v)
	return b
}

func (t *translator) u32(v uint32) []byte {
	b := t.val(4)
	binary.BigEndian.PutUint32(b, v)
	return b
}

func (t *translator) u64(v uint64) []byte {
	b := t.val(8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func (t *translator) mac(m topology.MAC) []byte {
	b := t.val(len(m))
	copy(b, m[:])
	return b
}

// ip4 is an IPv4 address's 4 bytes. Any other address keeps its own
// bytes, as ofproto's constructors do, for the encoder to refuse.
func (t *translator) ip4(a netip.Addr) []byte {
	a = a.Unmap()
	if !a.Is4() {
		return a.AsSlice()
	}
	v := a.As4()
	b := t.val(len(v))
	copy(b, v[:])
	return b
}

func (t *translator) actions(as []policy.Action) []ofproto.Action {
	var out []ofproto.Action
	if t.reuse {
		out = t.acts[:0]
		t.outputs.reset()
		t.groups.reset()
		t.sets.reset()
	} else {
		out = make([]ofproto.Action, 0, len(as))
	}
	for _, a := range as {
		switch a.Kind {
		case policy.ActionOutput:
			o := obtain(t, &t.outputs)
			o.Port = a.Port
			if a.Port == policy.PortController {
				o.MaxLen = ofproto.ControllerMaxLenNoBuffer
			}
			out = append(out, o)
		case policy.ActionGroup:
			g := obtain(t, &t.groups)
			g.GroupID = a.Group
			out = append(out, g)
		case policy.ActionSetTunID:
			out = append(out, t.setField(basicOXM(ofproto.OXMTunnelID, t.u64(a.TunID))))
		case policy.ActionSetTunDst:
			out = append(out, t.setField(ofproto.OXM{Class: ofproto.OXMClassNXM1, Field: ofproto.NXMTunIPv4Dst, Value: t.ip4(a.TunDst)}))
		case policy.ActionSetEthSrc:
			out = append(out, t.setField(basicOXM(ofproto.OXMEthSrc, t.mac(a.MAC))))
		case policy.ActionSetArpOp:
			out = append(out, t.setField(basicOXM(ofproto.OXMArpOp, t.u16(a.ArpOp))))
		case policy.ActionSetArpSHA:
			out = append(out, t.setField(basicOXM(ofproto.OXMArpSHA, t.mac(a.MAC))))
		case policy.ActionSetArpSPA:
			out = append(out, t.setField(basicOXM(ofproto.OXMArpSPA, t.ip4(a.IP))))
		case policy.ActionMove:
			out = append(out, t.regMove(a.MoveSrc, a.MoveDst))
		}
	}
	if t.reuse {
		t.acts = out
	}
	return out
}

func (t *translator) setField(f ofproto.OXM) *ofproto.ActionSetField {
	a := obtain(t, &t.sets)
	a.Field = f
	return a
}

// regMove is nxRegMove, made once per field pair by a reusing translator.
func (t *translator) regMove(src, dst policy.Field) *ofproto.ActionExperimenter {
	if !t.reuse {
		return nxRegMove(src, dst)
	}
	k := [2]policy.Field{src, dst}
	m, ok := t.moves[k]
	if !ok {
		m = nxRegMove(src, dst)
		if t.moves == nil {
			t.moves = map[[2]policy.Field]*ofproto.ActionExperimenter{}
		}
		t.moves[k] = m
	}
	return m
}
