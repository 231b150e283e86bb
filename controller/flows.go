package controller

import (
	"bytes"
	"encoding/binary"
	"net"
	"sort"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/topology"
)

// switchState is a set of flows and groups, either desired or read from a
// switch, keyed the way OpenFlow identifies them: a flow by table, priority
// and match; a group by id.
type switchState struct {
	flows  map[string]flowEntry
	groups map[uint32]groupEntry
	meters map[uint32]meterEntry
	keys   keyer
}

type flowEntry struct {
	table    uint8
	priority uint16
	match    ofproto.Match // in prerequisite order, as sent
	value    string        // encoded cookie + instructions
	mod      *ofproto.FlowMod
}

type groupEntry struct {
	value string // encoded type + buckets
	mod   *ofproto.GroupMod
}

func newSwitchState() *switchState { return newSwitchStateSized(0) }

// newSwitchStateSized makes a state for about flows flows: a resync keys
// 100,000 of them, and a map grown one doubling at a time rehashes them
// all several times.
func newSwitchStateSized(flows int) *switchState {
	return &switchState{flows: make(map[string]flowEntry, flows), groups: map[uint32]groupEntry{}, meters: map[uint32]meterEntry{}}
}

// desiredState translates a compiled FlowSet into switch messages.
func desiredState(fs *policy.FlowSet) *switchState {
	st := newSwitchStateSized(len(fs.Flows))
	for _, f := range fs.Flows {
		fm := flowMod(f)
		st.flows[st.keys.flowKey(fm.TableID, fm.Priority, fm.Match)] = flowEntry{
			table: fm.TableID, priority: fm.Priority, match: fm.Match,
			value: st.keys.flowValue(fm.Cookie, fm.Instructions), mod: fm,
		}
	}
	for _, g := range fs.Groups {
		gm := groupMod(g)
		st.groups[gm.GroupID] = groupEntry{value: groupValue(gm), mod: gm}
	}
	st.addDesiredMeters(fs.Meters)
	return st
}

func (st *switchState) addFlowStats(fs *ofproto.FlowStats) {
	st.flows[st.keys.flowKey(fs.TableID, fs.Priority, fs.Match)] = flowEntry{
		table: fs.TableID, priority: fs.Priority, match: fs.Match,
		value: st.keys.flowValue(fs.Cookie, fs.Instructions),
	}
}

func (st *switchState) addGroupDesc(gd *ofproto.GroupDesc) {
	gm := &ofproto.GroupMod{Command: ofproto.GroupModAdd, GroupType: gd.Type, GroupID: gd.GroupID, Buckets: gd.Buckets}
	st.groups[gd.GroupID] = groupEntry{value: groupValue(gm)}
}

// plan is the difference between two states, as messages in send order.
type plan struct {
	groupAdds    []ofproto.Message // adds and modifies
	flows        []ofproto.Message // flow adds (replacing) and strict deletes
	groupDeletes []ofproto.Message
	meterAdds    []ofproto.Message // adds and modifies, before the flows that use them
	meterDeletes []ofproto.Message // after the flows that used them are gone
	flowAdds     int
	flowDeletes  int
}

func (p *plan) empty() bool {
	return len(p.groupAdds)+len(p.flows)+len(p.groupDeletes)+len(p.meterAdds)+len(p.meterDeletes) == 0
}

// diff computes the messages that turn cur into want. Output order is
// deterministic so that transcripts and tests are stable.
func diff(cur, want *switchState) *plan {
	p := &plan{}
	diffMeters(p, cur, want)
	for _, id := range sortedGroupIDs(want.groups) {
		w := want.groups[id]
		c, ok := cur.groups[id]
		switch {
		case !ok:
			p.groupAdds = append(p.groupAdds, w.mod)
		case c.value != w.value:
			m := *w.mod
			m.Command = ofproto.GroupModModify
			p.groupAdds = append(p.groupAdds, &m)
		}
	}
	for _, k := range sortedKeys(want.flows) {
		w := want.flows[k]
		if c, ok := cur.flows[k]; ok && c.value == w.value {
			continue
		}
		// ADD replaces a flow with the same table, priority and match
		// atomically, cookie included (MODIFY would keep the old cookie).
		p.flows = append(p.flows, w.mod)
		p.flowAdds++
	}
	for _, k := range sortedKeys(cur.flows) {
		if _, ok := want.flows[k]; ok {
			continue
		}
		c := cur.flows[k]
		p.flows = append(p.flows, &ofproto.FlowMod{
			Command: ofproto.FlowModDeleteStrict, TableID: c.table, Priority: c.priority, Match: c.match,
			BufferID: ofproto.BufferNone, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny,
		})
		p.flowDeletes++
	}
	for _, id := range sortedGroupIDs(cur.groups) {
		if _, ok := want.groups[id]; !ok {
			p.groupDeletes = append(p.groupDeletes, &ofproto.GroupMod{
				Command: ofproto.GroupModDelete, GroupType: ofproto.GroupTypeAll, GroupID: id,
			})
		}
	}
	return p
}

func sortedKeys(m map[string]flowEntry) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedGroupIDs(m map[uint32]groupEntry) []uint32 {
	ids := make([]uint32, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// flowKey identifies a flow the way the switch does. Matches are compared
// in canonical form because a switch may return fields in another order.
func flowKey(table uint8, priority uint16, m ofproto.Match) string {
	var k keyer
	return k.flowKey(table, priority, m)
}

// keyer encodes flow keys and values through one scratch buffer, message
// and field list: a resync keys some 200,000 flows (desired and read),
// and encoding each into a new buffer grew it several times.
type keyer struct {
	buf    []byte
	fm     ofproto.FlowMod
	fields []ofproto.OXM
}

func (k *keyer) flowKey(table uint8, priority uint16, m ofproto.Match) string {
	k.fm = ofproto.FlowMod{TableID: table, Priority: priority, Match: k.canonical(m)}
	return k.encode()
}

func (k *keyer) flowValue(cookie uint64, ins []ofproto.Instruction) string {
	k.fm = ofproto.FlowMod{Cookie: cookie, Instructions: ins}
	return k.encode()
}

// encode returns k.fm's encoding as a string of its own, and lets go of
// what k.fm pointed to.
func (k *keyer) encode() string {
	k.buf = ofproto.Append(k.buf[:0], 0, &k.fm)
	k.fm = ofproto.FlowMod{}
	clear(k.fields)
	return string(k.buf)
}

// canonical returns m canonicalized: m itself if it is canonical already
// (loris's own flows are), else a copy in k's scratch fields.
func (k *keyer) canonical(m ofproto.Match) ofproto.Match {
	if isCanonical(m) {
		return m
	}
	k.fields = append(k.fields[:0], m.Fields...)
	canonicalize(k.fields)
	return ofproto.Match{Fields: k.fields}
}

func groupValue(gm *ofproto.GroupMod) string {
	m := &ofproto.GroupMod{GroupType: gm.GroupType, GroupID: gm.GroupID, Buckets: gm.Buckets}
	return string(ofproto.Append(nil, 0, m))
}

// canonicalize sorts OXM fields by class and field and drops all-ones
// masks, which mean the same as no mask.
func canonicalize(fields []ofproto.OXM) {
	for i := range fields {
		if allOnes(fields[i].Mask) {
			fields[i].Mask = nil
		}
	}
	sort.SliceStable(fields, func(i, j int) bool { return oxmLess(fields[i], fields[j]) })
}

// isCanonical reports whether canonicalize would leave m's fields as they
// are.
func isCanonical(m ofproto.Match) bool {
	for i, f := range m.Fields {
		if allOnes(f.Mask) || i > 0 && oxmLess(f, m.Fields[i-1]) {
			return false
		}
	}
	return true
}

func oxmLess(a, b ofproto.OXM) bool {
	if a.Class != b.Class {
		return a.Class < b.Class
	}
	if a.Field != b.Field {
		return a.Field < b.Field
	}
	return bytes.Compare(a.Value, b.Value) < 0
}

func allOnes(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, x := range b {
		if x != 0xff {
			return false
		}
	}
	return true
}

// flowMod translates one policy flow.
func flowMod(f policy.Flow) *ofproto.FlowMod {
	var ins []ofproto.Instruction
	in := f.Instructions
	if in.Meter != 0 {
		ins = append(ins, &ofproto.InstructionMeter{MeterID: in.Meter})
	}
	if len(in.Actions) > 0 {
		ins = append(ins, &ofproto.InstructionApplyActions{Actions: actions(in.Actions)})
	}
	if in.WriteMetadata != nil {
		ins = append(ins, &ofproto.InstructionWriteMetadata{Metadata: in.WriteMetadata.Value, Mask: in.WriteMetadata.Mask})
	}
	if in.GotoTable != nil {
		ins = append(ins, &ofproto.InstructionGotoTable{TableID: *in.GotoTable})
	}
	return &ofproto.FlowMod{
		Cookie: f.Cookie, TableID: f.Table, Command: ofproto.FlowModAdd, Priority: f.Priority,
		BufferID: ofproto.BufferNone, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny,
		Match: flowMatch(f.Match), Instructions: ins,
	}
}

// flowMatch translates a match. Fields go out in prerequisite order
// (eth_type before ARP fields): OVS checks prerequisites as it parses.
func flowMatch(m policy.Match) ofproto.Match {
	var fields []ofproto.OXM
	if m.InPort != 0 {
		fields = append(fields, ofproto.InPort(m.InPort))
	}
	if m.Metadata != nil {
		if m.MetadataMask != 0 {
			fields = append(fields, ofproto.MetadataMasked(*m.Metadata, m.MetadataMask))
		} else {
			fields = append(fields, ofproto.Metadata(*m.Metadata))
		}
	}
	if m.TunID != nil {
		fields = append(fields, ofproto.TunnelID(*m.TunID))
	}
	if m.EthDst != nil {
		if m.EthDstMask != nil {
			fields = append(fields, ofproto.EthDstMasked(hw(*m.EthDst), hw(*m.EthDstMask)))
		} else {
			fields = append(fields, ofproto.EthDst(hw(*m.EthDst)))
		}
	}
	if m.EthSrc != nil {
		fields = append(fields, ofproto.EthSrc(hw(*m.EthSrc)))
	}
	if m.EthType != 0 {
		fields = append(fields, ofproto.EthType(m.EthType))
	}
	if m.ArpOp != 0 {
		fields = append(fields, ofproto.ArpOp(m.ArpOp))
	}
	if m.ArpSPA.IsValid() {
		fields = append(fields, ofproto.ArpSPA(m.ArpSPA))
	}
	if m.ArpTPA.IsValid() {
		fields = append(fields, ofproto.ArpTPA(m.ArpTPA))
	}
	if m.ArpSHA != nil {
		fields = append(fields, ofproto.ArpSHA(hw(*m.ArpSHA)))
	}
	return ofproto.Match{Fields: fields}
}

func actions(as []policy.Action) []ofproto.Action {
	out := make([]ofproto.Action, 0, len(as))
	for _, a := range as {
		switch a.Kind {
		case policy.ActionOutput:
			o := &ofproto.ActionOutput{Port: a.Port}
			if a.Port == policy.PortController {
				o.MaxLen = ofproto.ControllerMaxLenNoBuffer
			}
			out = append(out, o)
		case policy.ActionGroup:
			out = append(out, &ofproto.ActionGroup{GroupID: a.Group})
		case policy.ActionSetTunID:
			out = append(out, &ofproto.ActionSetField{Field: ofproto.TunnelID(a.TunID)})
		case policy.ActionSetTunDst:
			out = append(out, &ofproto.ActionSetField{Field: ofproto.TunIPv4Dst(a.TunDst)})
		case policy.ActionSetEthSrc:
			out = append(out, &ofproto.ActionSetField{Field: ofproto.EthSrc(hw(a.MAC))})
		case policy.ActionSetArpOp:
			out = append(out, &ofproto.ActionSetField{Field: ofproto.ArpOp(a.ArpOp)})
		case policy.ActionSetArpSHA:
			out = append(out, &ofproto.ActionSetField{Field: ofproto.ArpSHA(hw(a.MAC))})
		case policy.ActionSetArpSPA:
			out = append(out, &ofproto.ActionSetField{Field: ofproto.ArpSPA(a.IP)})
		case policy.ActionMove:
			out = append(out, nxRegMove(a.MoveSrc, a.MoveDst))
		}
	}
	return out
}

func groupMod(g policy.Group) *ofproto.GroupMod {
	buckets := make([]ofproto.Bucket, 0, len(g.Buckets))
	for _, b := range g.Buckets {
		buckets = append(buckets, ofproto.Bucket{
			WatchPort: ofproto.PortAny, WatchGroup: ofproto.GroupAny, Actions: actions(b.Actions),
		})
	}
	return &ofproto.GroupMod{Command: ofproto.GroupModAdd, GroupType: ofproto.GroupTypeAll, GroupID: g.ID, Buckets: buckets}
}

func hw(m topology.MAC) net.HardwareAddr { return net.HardwareAddr(m[:]) }

// Nicira NXAST_REG_MOVE (experimenter 0x00002320, subtype 6): copies n_bits
// from one field to another. Plain OpenFlow 1.3 set_field only writes
// constants; the datapath ARP responder needs to copy the requester's
// addresses into the reply. Fields are named by NXM headers
// (class<<16 | field<<9 | length), the form OVS also uses when it reports
// the action back for OpenFlow 1.3, so a re-read flow compares equal.
const (
	niciraExperimenter = 0x00002320
	nxastRegMove       = 6
)

var nxmHeaders = map[policy.Field]struct {
	header uint32
	bits   uint16
}{
	policy.FieldEthDst: {0x0000_0206, 48}, // NXM_OF_ETH_DST
	policy.FieldEthSrc: {0x0000_0406, 48}, // NXM_OF_ETH_SRC
	policy.FieldArpSPA: {0x0000_2004, 32}, // NXM_OF_ARP_SPA
	policy.FieldArpTPA: {0x0000_2204, 32}, // NXM_OF_ARP_TPA
	policy.FieldArpSHA: {0x0001_2206, 48}, // NXM_NX_ARP_SHA
	policy.FieldArpTHA: {0x0001_2406, 48}, // NXM_NX_ARP_THA
}

// nxRegMove encodes move:src->dst over the whole field. Both fields must
// have the same width; policy only moves MAC to MAC and IPv4 to IPv4.
func nxRegMove(src, dst policy.Field) *ofproto.ActionExperimenter {
	s, d := nxmHeaders[src], nxmHeaders[dst]
	data := binary.BigEndian.AppendUint16(nil, nxastRegMove)
	data = binary.BigEndian.AppendUint16(data, d.bits) // n_bits
	data = binary.BigEndian.AppendUint16(data, 0)      // src_ofs
	data = binary.BigEndian.AppendUint16(data, 0)      // dst_ofs
	data = binary.BigEndian.AppendUint32(data, s.header)
	data = binary.BigEndian.AppendUint32(data, d.header)
	return &ofproto.ActionExperimenter{Experimenter: niciraExperimenter, Data: data}
}
