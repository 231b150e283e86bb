package policy

import "testing"

// sortFlows takes any set, empty ones too (its caller skips those today),
// and both of its ways, in place for a few flows and through pointers for
// many, drop the same exact duplicates.
func TestSortFlowsEmptyAndDuplicates(t *testing.T) {
	sortFlows(&FlowSet{})
	sortFlows(&FlowSet{Flows: []Flow{}})
	for _, n := range []int{1, sortInPlaceMax / 2, sortInPlaceMax * 2} {
		fs := &FlowSet{}
		for i := range n {
			f := Flow{Table: TableClassify, Priority: uint16(100 + i%3), Match: Match{InPort: uint32(i)}}
			fs.Flows = append(fs.Flows, f, f) // each twice
		}
		sortFlows(fs)
		if len(fs.Flows) != n {
			t.Fatalf("%d flows given twice each: %d left, want %d", n, len(fs.Flows), n)
		}
		for i := 1; i < len(fs.Flows); i++ {
			if compareFlows(&fs.Flows[i-1], &fs.Flows[i]) >= 0 {
				t.Fatalf("%d flows: %v before %v", n, fs.Flows[i-1], fs.Flows[i])
			}
		}
	}
}
