package policy

import (
	"math/rand/v2"
	"testing"
)

// Compile must be exactly BaseFlows plus CompilePod of every pod: the
// controller recompiles only changed pods and relies on the parts adding
// up to the whole, with no flow, group or meter shared between parts.
func TestCompileIsBasePlusPods(t *testing.T) {
	for seed := range uint64(propertySeeds) {
		rng := rand.New(rand.NewPCG(seed, 11))
		m, ports := randomTopology(t, rng)
		snap := m.Snapshot()
		for _, h := range snap.Hosts {
			whole := Compile(snap, h.Name, ports[h.Name])
			sum := BaseFlows()
			parts := len(sum.Flows)
			for _, p := range snap.Pods {
				pf := CompilePod(snap, h.Name, ports[h.Name], p.Name)
				checkWellFormedPart(t, seed, h.Name, pf)
				hasLocal := false
				for _, a := range snap.AttachmentsOn(h.Name) {
					hasLocal = hasLocal || a.Pod == p.Name
				}
				if !hasLocal && len(pf.Flows)+len(pf.Groups)+len(pf.Meters) > 0 {
					t.Fatalf("seed %d host %s pod %s: flows for a pod without members on the host", seed, h.Name, p.Name)
				}
				parts += len(pf.Flows)
				sum.Flows = append(sum.Flows, pf.Flows...)
				sum.Groups = append(sum.Groups, pf.Groups...)
				sum.Meters = append(sum.Meters, pf.Meters...)
			}
			sortFlowSet(sum)
			if parts != len(sum.Flows) {
				t.Fatalf("seed %d host %s: %d flows in the parts, %d after merging: parts overlap", seed, h.Name, parts, len(sum.Flows))
			}
			if got, want := sum.String(), whole.String(); got != want {
				t.Fatalf("seed %d host %s: base plus pods differs from Compile:\n%s\nwant:\n%s", seed, h.Name, got, want)
			}
		}
		if got := CompilePod(snap, "no-such-host", Ports{}, "pod0"); len(got.Flows) != 0 {
			t.Fatalf("seed %d: flows for an unknown host", seed)
		}
	}
}

// checkWellFormedPart: sorted and without two flows a switch would hold
// as one.
func checkWellFormedPart(t *testing.T, seed uint64, host string, fs *FlowSet) {
	t.Helper()
	for i := 1; i < len(fs.Flows); i++ {
		if CompareFlows(&fs.Flows[i-1], &fs.Flows[i]) >= 0 {
			t.Fatalf("seed %d host %s: pod flows out of order or overlapping", seed, host)
		}
	}
}

func TestSameEffect(t *testing.T) {
	snap := func() *FlowSet {
		rng := rand.New(rand.NewPCG(4, 11))
		m, ports := randomTopology(t, rng)
		s := m.Snapshot()
		return Compile(s, s.Hosts[0].Name, ports[s.Hosts[0].Name])
	}
	a, b := snap(), snap()
	for i := range a.Flows {
		if !a.Flows[i].SameEffect(&b.Flows[i]) {
			t.Fatalf("flow %v differs from its own recompilation", a.Flows[i])
		}
	}
	for i := range a.Groups {
		if !a.Groups[i].Equal(&b.Groups[i]) {
			t.Fatalf("group %d differs from its own recompilation", a.Groups[i].ID)
		}
	}
	f, g := a.Flows[0], a.Flows[0]
	g.Cookie++
	if f.SameEffect(&g) {
		t.Fatal("flows with different cookies have the same effect")
	}
	g = f
	goto20 := TableForwardLocalOrigin
	g.Instructions.GotoTable = &goto20
	if f.Instructions.GotoTable == nil && f.SameEffect(&g) {
		t.Fatal("a goto was ignored")
	}
	g = f
	g.Instructions.Actions = append([]Action{{Kind: ActionOutput, Port: 9}}, f.Instructions.Actions...)
	if f.SameEffect(&g) {
		t.Fatal("an extra action was ignored")
	}
}
