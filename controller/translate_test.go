package controller

import (
	"testing"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
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
	if add := p.flows[0].(*ofproto.FlowMod); add.Cookie != 2 || add.Command != ofproto.FlowModAdd {
		t.Errorf("first message %v, want the ADD of cookie 2", add)
	}
	if del := p.flows[1].(*ofproto.FlowMod); del.Command != ofproto.FlowModDeleteStrict || del.Match.String() != flowMatch(policy.Match{InPort: 4}).String() {
		t.Errorf("second message %v, want the strict DELETE of in_port=4", del)
	}
}
