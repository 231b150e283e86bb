package controller

import (
	"bytes"
	"encoding/binary"
	"sort"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
)

// switchState is a set of flows and groups, either desired or read from a
// switch, keyed the way OpenFlow identifies them: a flow by table, priority
// and match; a group by id.
type switchState struct {
	flows map[string]flowEntry
	// order: a desired state's flow keys in policy order, the order its
	// adds go out in.
	order  []string
	groups map[uint32]groupEntry
	meters map[uint32]meterEntry
	keys   keyer
}

// flowEntry is a flow of a switchState: one read from the switch has its
// match; a desired one has the policy flow it translates instead, the
// FLOW_MOD to send being made only if it is sent (message).
type flowEntry struct {
	table    uint8
	priority uint16
	match    ofproto.Match // in prerequisite order, as sent
	value    string        // encoded cookie + instructions
	flow     *policy.Flow
}

// message is the FLOW_MOD that installs a desired entry's flow.
func (e flowEntry) message() ofproto.Message { return flowAdd{e.flow} }

// flowMatch is the entry's match, in prerequisite order.
func (e flowEntry) flowMatch() ofproto.Match {
	if e.flow != nil {
		return flowMatch(e.flow.Match)
	}
	return e.match
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

// desiredState keys a compiled FlowSet the way a switch's flows are
// keyed. The entries point into fs, which must not change while the state
// is in use.
func desiredState(fs *policy.FlowSet) *switchState {
	st := newSwitchStateSized(len(fs.Flows))
	st.order = make([]string, 0, len(fs.Flows))
	t := translator{reuse: true}
	for i := range fs.Flows {
		f := &fs.Flows[i]
		fm := t.flowMod(*f)
		k := st.keys.flowKey(fm.TableID, fm.Priority, fm.Match)
		// Two flows with one key are one flow to the switch: the later
		// replaces the earlier, in the earlier's place in the order.
		if _, dup := st.flows[k]; !dup {
			st.order = append(st.order, k)
		}
		st.flows[k] = flowEntry{
			table: fm.TableID, priority: fm.Priority,
			value: st.keys.flowValue(fm.Cookie, fm.Instructions), flow: f,
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

// diff computes the messages that turn cur, read from a switch, into
// want, a desiredState. Output order is deterministic so that
// transcripts and tests are stable.
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
	// Adds go out in want's order, deletes sorted: the output is
	// deterministic, and a resync, which compares some 100,000 flows and
	// usually finds none to send, sorts nothing. Once every flow of cur
	// has been found in want, none is to be deleted.
	found := 0
	add := func(k string, w flowEntry) {
		c, ok := cur.flows[k]
		if ok {
			found++
		}
		if !ok || c.value != w.value {
			// ADD replaces a flow with the same table, priority and match
			// atomically, cookie included (MODIFY would keep the old one).
			p.flows = append(p.flows, w.message())
			p.flowAdds++
		}
	}
	for _, k := range want.order {
		add(k, want.flows[k])
	}
	var deletes []string
	if found < len(cur.flows) {
		for k := range cur.flows {
			if _, ok := want.flows[k]; !ok {
				deletes = append(deletes, k)
			}
		}
	}
	sort.Strings(deletes)
	for _, k := range deletes {
		c := cur.flows[k]
		p.flows = append(p.flows, &ofproto.FlowMod{
			Command: ofproto.FlowModDeleteStrict, TableID: c.table, Priority: c.priority, Match: c.flowMatch(),
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

func sortedGroupIDs(m map[uint32]groupEntry) []uint32 {
	ids := make([]uint32, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// keyer identifies flows the way the switch does: matches in canonical
// form, because a switch may return fields in another order. It encodes
// keys and values through one scratch buffer and field list: a resync
// keys some 200,000 flows (desired and read), and encoding each into a
// new buffer grew it several times. A key is the table, the priority and
// the canonical match in its wire form; a value the cookie and the
// instructions in theirs (a FLOW_MOD's other fields are the same for
// every flow loris sends).
type keyer struct {
	buf    []byte
	fields []ofproto.OXM
}

func (k *keyer) flowKey(table uint8, priority uint16, m ofproto.Match) string {
	c := k.canonical(m)
	k.buf = append(k.buf[:0], table, byte(priority>>8), byte(priority))
	k.buf = ofproto.AppendMatch(k.buf, &c)
	clear(k.fields) // holds nothing of m past this call
	return string(k.buf)
}

func (k *keyer) flowValue(cookie uint64, ins []ofproto.Instruction) string {
	k.buf = binary.BigEndian.AppendUint64(k.buf[:0], cookie)
	k.buf = ofproto.AppendInstructions(k.buf, ins)
	return string(k.buf)
}

// canonical returns m canonicalized: m itself if it is canonical already
// (most of loris's own flows are; one with a tunnel id and an Ethernet
// field is not), else a copy in k's scratch fields.
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

func groupMod(g policy.Group) *ofproto.GroupMod {
	buckets := make([]ofproto.Bucket, 0, len(g.Buckets))
	for _, b := range g.Buckets {
		buckets = append(buckets, ofproto.Bucket{
			WatchPort: ofproto.PortAny, WatchGroup: ofproto.GroupAny, Actions: actions(b.Actions),
		})
	}
	return &ofproto.GroupMod{Command: ofproto.GroupModAdd, GroupType: ofproto.GroupTypeAll, GroupID: g.ID, Buckets: buckets}
}

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
