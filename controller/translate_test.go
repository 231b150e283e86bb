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
