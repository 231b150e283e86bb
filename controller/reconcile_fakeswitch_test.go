package controller

import (
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
)

// stateSwitch is an OpenFlow 1.3 switch that holds what it is sent
// (flows, groups, meters), answers reads of it, and counts the
// modifications, for the reconciliation tests.
type stateSwitch struct {
	t    *testing.T
	conn *ofproto.Conn
	dpid uint64

	mu                             sync.Mutex
	ports                          []ofproto.Port
	flows                          map[string]ofproto.FlowStats
	groups                         map[uint32]ofproto.GroupDesc
	meters                         map[uint32]ofproto.MeterConfig
	flowMods, groupMods, meterMods int
	bundled                        []ofproto.Message // adds of the open bundle
	bundles                        int               // bundles committed
}

func dialStateSwitch(t *testing.T, addr string, dpid uint64, ports []ofproto.Port) *stateSwitch {
	t.Helper()
	sw := newStateSwitch(t, dpid, ports)
	sw.connect(t, addr, sw.handle)
	return sw
}

func newStateSwitch(t *testing.T, dpid uint64, ports []ofproto.Port) *stateSwitch {
	return &stateSwitch{t: t, dpid: dpid, ports: ports, flows: map[string]ofproto.FlowStats{},
		groups: map[uint32]ofproto.GroupDesc{}, meters: map[uint32]ofproto.MeterConfig{}}
}

// connect connects sw to the controller at addr, its messages handled by
// handle: sw.handle, or a wrapper's handler that ends in it.
func (sw *stateSwitch) connect(t *testing.T, addr string, handle ofproto.HandlerFunc) {
	t.Helper()
	serveFakeSwitch(t, addr, func(c *ofproto.Conn) ofproto.Handler {
		sw.conn = c
		return handle
	})
}

func (sw *stateSwitch) reply(h ofproto.Header, m ofproto.Message) {
	if err := sw.conn.Reply(h, m); err != nil && sw.conn.Err() == nil {
		sw.t.Errorf("fake switch reply: %v", err)
	}
}

func (sw *stateSwitch) handle(_ *ofproto.Conn, h ofproto.Header, m ofproto.Message) {
	// The message shares bytes with the connection's read buffer, and
	// this switch keeps what it is sent.
	m, err := ofproto.Clone(m)
	if err != nil {
		sw.t.Errorf("fake switch: %v", err)
		return
	}
	sw.mu.Lock()
	defer sw.mu.Unlock()
	switch m := m.(type) {
	case *ofproto.FeaturesRequest:
		sw.reply(h, &ofproto.FeaturesReply{DatapathID: sw.dpid, NTables: 254})
	case *ofproto.BarrierRequest:
		sw.reply(h, &ofproto.BarrierReply{})
	case *ofproto.BundleAdd:
		sw.bundled = append(sw.bundled, m.Message)
	case *ofproto.BundleControl:
		if m.CtrlType == ofproto.BundleCommit {
			sw.bundles++
			for _, bm := range sw.bundled {
				sw.modify(bm)
			}
		}
		if m.CtrlType == ofproto.BundleCommit || m.CtrlType == ofproto.BundleDiscard {
			sw.bundled = nil
		}
		sw.reply(h, &ofproto.BundleControl{BundleID: m.BundleID, CtrlType: m.CtrlType + 1})
	case *ofproto.MultipartRequest:
		sw.multipart(h, m)
	default:
		sw.modify(m)
	}
}

// modify applies a flow, group or meter modification.
func (sw *stateSwitch) modify(m ofproto.Message) {
	switch m := m.(type) {
	case *ofproto.FlowMod:
		sw.flowMods++
		key := flowKey(m.TableID, m.Priority, m.Match)
		switch m.Command {
		case ofproto.FlowModAdd:
			sw.flows[key] = ofproto.FlowStats{TableID: m.TableID, Priority: m.Priority, Cookie: m.Cookie,
				Match: m.Match, Instructions: m.Instructions}
		case ofproto.FlowModDeleteStrict:
			delete(sw.flows, key)
		default:
			sw.t.Errorf("unexpected flow-mod command %d", m.Command)
		}
	case *ofproto.GroupMod:
		sw.groupMods++
		switch m.Command {
		case ofproto.GroupModAdd, ofproto.GroupModModify:
			sw.groups[m.GroupID] = ofproto.GroupDesc{Type: m.GroupType, GroupID: m.GroupID, Buckets: m.Buckets}
		case ofproto.GroupModDelete:
			delete(sw.groups, m.GroupID)
		}
	case *ofproto.MeterMod:
		sw.meterMods++
		switch m.Command {
		case ofproto.MeterModAdd, ofproto.MeterModModify:
			sw.meters[m.MeterID] = ofproto.MeterConfig{Flags: m.Flags, MeterID: m.MeterID, Bands: m.Bands}
		case ofproto.MeterModDelete:
			delete(sw.meters, m.MeterID)
		}
	}
}

func (sw *stateSwitch) multipart(h ofproto.Header, m *ofproto.MultipartRequest) {
	var body ofproto.MultipartBody
	switch m.Body.(type) {
	case *ofproto.PortDescRequest:
		body = &ofproto.PortDescReply{Ports: sw.ports}
	case *ofproto.PortStatsRequest:
		body = &ofproto.PortStatsReply{}
	case *ofproto.MeterStatsRequest:
		body = &ofproto.MeterStatsReply{}
	case *ofproto.FlowStatsRequest:
		// In parts: a message holds at most 64 KiB.
		var all []ofproto.FlowStats
		for _, f := range sw.flows {
			all = append(all, f)
		}
		for len(all) > 100 {
			sw.reply(h, &ofproto.MultipartReply{Flags: ofproto.MultipartReplyMore, Body: &ofproto.FlowStatsReply{Flows: all[:100]}})
			all = all[100:]
		}
		body = &ofproto.FlowStatsReply{Flows: all}
	case *ofproto.GroupDescRequest:
		r := &ofproto.GroupDescReply{}
		for _, g := range sw.groups {
			r.Groups = append(r.Groups, g)
		}
		body = r
	case *ofproto.MeterConfigRequest:
		r := &ofproto.MeterConfigReply{}
		for _, mt := range sw.meters {
			r.Meters = append(r.Meters, mt)
		}
		body = r
	default:
		sw.reply(h, &ofproto.ErrorMsg{ErrType: ofproto.ErrTypeBadRequest, Code: 2})
		return
	}
	sw.reply(h, &ofproto.MultipartReply{Body: body})
}

// setPort plugs in (or, with no < 0, removes) a port and tells the
// controller, as vswitchd does.
func (sw *stateSwitch) setPort(name string, no int) {
	sw.mu.Lock()
	reason := uint8(ofproto.PortReasonAdd)
	var port ofproto.Port
	kept := sw.ports[:0:0]
	for _, p := range sw.ports {
		if p.Name == name {
			port = p
			continue
		}
		kept = append(kept, p)
	}
	if no < 0 {
		reason = ofproto.PortReasonDelete
	} else {
		port = ofproto.Port{PortNo: uint32(no), Name: name}
		kept = append(kept, port)
	}
	sw.ports = kept
	sw.mu.Unlock()
	if _, err := sw.conn.Send(&ofproto.PortStatus{Reason: reason, Port: port}); err != nil {
		sw.t.Fatal(err)
	}
}

func (sw *stateSwitch) portMap() policy.Ports {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	out := policy.Ports{}
	for _, p := range sw.ports {
		out[p.Name] = p.PortNo
	}
	return out
}

func (sw *stateSwitch) mods() int {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return sw.flowMods + sw.groupMods + sw.meterMods
}

// differences lists what the switch holds that want does not, and the
// reverse, as OpenFlow sees them.
func (sw *stateSwitch) differences(want *switchState) []string {
	sw.mu.Lock()
	have := newSwitchState()
	for _, f := range sw.flows {
		have.addFlowStats(&f)
	}
	for _, g := range sw.groups {
		have.addGroupDesc(&g)
	}
	for id, m := range sw.meters {
		have.meters[id] = meterEntry{value: meterValue(m.Flags, m.Bands)}
	}
	sw.mu.Unlock()
	var out []string
	for k, w := range want.flows {
		if c, ok := have.flows[k]; !ok {
			out = append(out, fmt.Sprintf("missing flow %s", w.flowMatch()))
		} else if c.value != w.value {
			out = append(out, fmt.Sprintf("wrong flow %s", w.flowMatch()))
		}
	}
	for k, c := range have.flows {
		if _, ok := want.flows[k]; !ok {
			out = append(out, fmt.Sprintf("extra flow table=%d priority=%d %s", c.table, c.priority, c.match))
		}
	}
	for id, w := range want.groups {
		if c, ok := have.groups[id]; !ok || c.value != w.value {
			out = append(out, fmt.Sprintf("missing or wrong group %d", id))
		}
	}
	for id := range have.groups {
		if _, ok := want.groups[id]; !ok {
			out = append(out, fmt.Sprintf("extra group %d", id))
		}
	}
	for id, w := range want.meters {
		if c, ok := have.meters[id]; !ok || c.value != w.value {
			out = append(out, fmt.Sprintf("missing or wrong meter %d", id))
		}
	}
	for id := range have.meters {
		if _, ok := want.meters[id]; !ok {
			out = append(out, fmt.Sprintf("extra meter %d", id))
		}
	}
	sort.Strings(out)
	return out
}
