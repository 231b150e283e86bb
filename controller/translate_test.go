package controller

import (
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/topology"
)

// A desired state keys each flow as the switch's copy of the FLOW_MOD
// sent for it keys: the reusing translator's scratch objects give the
// same key and value as a fresh FLOW_MOD, encoded and decoded again, and
// the entry's message is that FLOW_MOD.
func TestDesiredStateKeysAsSent(t *testing.T) {
	fs := resyncFlowSet(t, 40)
	st := desiredState(fs)
	if len(st.flows) != len(fs.Flows) || len(st.order) != len(fs.Flows) {
		t.Fatalf("%d flows keyed, %d in order, of %d", len(st.flows), len(st.order), len(fs.Flows))
	}
	kinds := map[policy.CookieKind]bool{}
	var k keyer
	for i, f := range fs.Flows {
		kinds[policy.CookieKindOf(f.Cookie)] = true
		sent := flowMod(f)
		_, m, err := ofproto.Decode(ofproto.Append(nil, 1, sent))
		if err != nil {
			t.Fatalf("flow %d: %v", i, err)
		}
		got := m.(*ofproto.FlowMod)
		key := k.flowKey(got.TableID, got.Priority, got.Match)
		if st.order[i] != key {
			t.Fatalf("flow %d (%v) is keyed %x, its FLOW_MOD as read back %x", i, f, st.order[i], key)
		}
		e := st.flows[key]
		if v := k.flowValue(got.Cookie, got.Instructions); e.value != v {
			t.Fatalf("flow %d (%v) has value %x, its FLOW_MOD as read back %x", i, f, e.value, v)
		}
		if again := ofproto.Append(nil, 1, e.message()); string(again) != string(ofproto.Append(nil, 1, sent)) {
			t.Fatalf("flow %d: the entry's message differs from its FLOW_MOD", i)
		}
	}
	if len(kinds) < 4 {
		t.Errorf("only %d kinds of flow checked: %v", len(kinds), kinds)
	}
}

// Two wanted flows with one key are one flow to the switch: diff sends
// the later once, and still deletes a flow the switch has that is not
// wanted.
func TestDiffSharedKeyKeepsDeletes(t *testing.T) {
	flow := func(cookie uint64, port uint32) policy.Flow {
		return policy.Flow{Table: 1, Priority: 100, Cookie: cookie, Match: policy.Match{InPort: port},
			Instructions: policy.Instructions{Actions: []policy.Action{{Kind: policy.ActionOutput, Port: 9}}}}
	}
	cur := desiredState(&policy.FlowSet{Flows: []policy.Flow{flow(1, 3), flow(1, 4)}}) // port 4's flow is stale
	want := desiredState(&policy.FlowSet{Flows: []policy.Flow{flow(1, 3), flow(2, 3)}})
	if len(want.order) != 1 {
		t.Fatalf("order %d keys, want 1", len(want.order))
	}
	p := diff(cur, want)
	if p.flowAdds != 1 || p.flowDeletes != 1 || len(p.flows) != 2 {
		t.Fatalf("%d adds and %d deletes in %d messages, want the later flow added and port 4's deleted", p.flowAdds, p.flowDeletes, len(p.flows))
	}
	if add := sentFlowMod(t, p.flows[0]); add.Cookie != 2 || add.Command != ofproto.FlowModAdd {
		t.Errorf("first message %v, want the ADD of cookie 2", add)
	}
	if del := sentFlowMod(t, p.flows[1]); del.Command != ofproto.FlowModDeleteStrict || del.Match.String() != flowMatch(policy.Match{InPort: 4}).String() {
		t.Errorf("second message %v, want the strict DELETE of in_port=4", del)
	}
}

// hw is a MAC as ofproto's field constructors take it.
func hw(m topology.MAC) net.HardwareAddr { return net.HardwareAddr(m[:]) }

// sentFlowMod is m as the switch reads it.
func sentFlowMod(t *testing.T, m ofproto.Message) *ofproto.FlowMod {
	t.Helper()
	_, got, err := ofproto.Decode(ofproto.Append(nil, 1, m))
	fm, ok := got.(*ofproto.FlowMod)
	if err != nil || !ok {
		t.Fatalf("%T encodes to %T, %v; want a FLOW_MOD", m, got, err)
	}
	return fm
}

// A flowAdd, translated as it is encoded, encodes byte for byte as the
// FLOW_MOD translated beforehand, also when sessions encode at once and
// share the pooled translators.
func TestFlowAddEncodesAsFlowMod(t *testing.T) {
	fs := resyncFlowSet(t, 40)
	want := make([][]byte, len(fs.Flows))
	for i, f := range fs.Flows {
		want[i] = ofproto.Append(nil, 7, flowMod(f))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for range 4 {
		wg.Go(func() {
			var b []byte
			for i := range fs.Flows {
				b = ofproto.Append(b[:0], 7, flowAdd{&fs.Flows[i]})
				if string(b) != string(want[i]) {
					errs <- fs.Flows[i].String()
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for f := range errs {
		t.Errorf("flow %s encodes differently as a flowAdd", f)
	}
	if got, want := (flowAdd{&fs.Flows[0]}).String(), "add "+fs.Flows[0].String(); got != want {
		t.Errorf("flowAdd says %q, want %q", got, want)
	}
	if err := (flowAdd{&fs.Flows[0]}).DecodeBody(want[0][ofproto.HeaderLen:]); err == nil {
		t.Error("a flowAdd decoded a body; it is encode-only")
	}
}

// The translator writes field values itself (into its arena when it
// reuses); they encode as ofproto's own field constructors make them.
func TestTranslatorFieldsAsOfproto(t *testing.T) {
	mac, mask := topology.MAC{2, 0, 0, 0, 0, 7}, topology.MAC{0xff, 0xff, 0xff, 0, 0, 0}
	meta, tun := uint64(0x1234), uint64(99)
	ip, tunDst := netip.MustParseAddr("10.244.0.7"), netip.MustParseAddr("198.18.0.2")
	full := policy.Match{InPort: 3, Metadata: &meta, MetadataMask: 0xffffffff, TunID: &tun, EthDst: &mac, EthDstMask: &mask,
		EthSrc: &mac, EthType: 0x0806, ArpOp: 1, ArpSPA: ip, ArpTPA: ip, ArpSHA: &mac}
	wantMatch := ofproto.Match{Fields: []ofproto.OXM{
		ofproto.InPort(3), ofproto.MetadataMasked(meta, 0xffffffff), ofproto.TunnelID(tun),
		ofproto.EthDstMasked(hw(mac), hw(mask)), ofproto.EthSrc(hw(mac)), ofproto.EthType(0x0806),
		ofproto.ArpOp(1), ofproto.ArpSPA(ip), ofproto.ArpTPA(ip), ofproto.ArpSHA(hw(mac)),
	}}
	acts := []policy.Action{
		{Kind: policy.ActionSetTunID, TunID: tun}, {Kind: policy.ActionSetTunDst, TunDst: tunDst},
		{Kind: policy.ActionSetEthSrc, MAC: mac}, {Kind: policy.ActionSetArpOp, ArpOp: 2},
		{Kind: policy.ActionSetArpSHA, MAC: mac}, {Kind: policy.ActionSetArpSPA, IP: ip},
	}
	wantActs := []ofproto.Action{
		&ofproto.ActionSetField{Field: ofproto.TunnelID(tun)}, &ofproto.ActionSetField{Field: ofproto.TunIPv4Dst(tunDst)},
		&ofproto.ActionSetField{Field: ofproto.EthSrc(hw(mac))}, &ofproto.ActionSetField{Field: ofproto.ArpOp(2)},
		&ofproto.ActionSetField{Field: ofproto.ArpSHA(hw(mac))}, &ofproto.ActionSetField{Field: ofproto.ArpSPA(ip)},
	}
	meta2 := uint64(5)
	f := policy.Flow{Table: 20, Priority: 100, Cookie: 1, Match: full, Instructions: policy.Instructions{Actions: acts}}
	want := ofproto.Append(nil, 1, &ofproto.FlowMod{Cookie: 1, TableID: 20, Command: ofproto.FlowModAdd, Priority: 100,
		BufferID: ofproto.BufferNone, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny, Match: wantMatch,
		Instructions: []ofproto.Instruction{&ofproto.InstructionApplyActions{Actions: wantActs}}})
	reusing := translator{reuse: true}
	for i := range 3 {
		// A flow in between, so that the arena is reused.
		reusing.flowMod(policy.Flow{Match: policy.Match{Metadata: &meta2, EthDst: &mask}})
		for name, got := range map[string][]byte{
			"fresh":   ofproto.Append(nil, 1, flowMod(f)),
			"reusing": ofproto.Append(nil, 1, reusing.flowMod(f)),
			"flowAdd": ofproto.Append(nil, 1, flowAdd{&f}),
		} {
			if string(got) != string(want) {
				t.Fatalf("round %d, %s translator:\n got %x\nwant %x", i, name, got, want)
			}
		}
	}
}
