package policy

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/lorispack/loris/topology"
)

// sortFlowSet puts flows in the documented order (table, priority
// descending, then match) and groups by id, and drops exact duplicates.
//
// The match order compares fields structurally in the order Match.String
// prints them rather than comparing rendered strings: same determinism, no
// string building on the hot path.
func sortFlowSet(fs *FlowSet) {
	if len(fs.Flows) > 1 {
		sortFlows(fs)
	}
	slices.SortFunc(fs.Groups, func(a, b Group) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(fs.Meters, func(a, b Meter) int { return cmp.Compare(a.ID, b.ID) })
}

// sortFlows sorts fs.Flows and drops exact duplicates.
func sortFlows(fs *FlowSet) {
	if len(fs.Flows) <= sortInPlaceMax {
		// A handful of flows (a learn's CompileMembers): moving them
		// costs less than the two slices below.
		slices.SortFunc(fs.Flows, func(a, b Flow) int { return compareFlows(&a, &b) })
		w := min(1, len(fs.Flows)) // the first flow stays, if there is one
		for i := 1; i < len(fs.Flows); i++ {
			if !isDuplicate(&fs.Flows[w-1], &fs.Flows[i]) {
				fs.Flows[w] = fs.Flows[i]
				w++
			}
		}
		clear(fs.Flows[w:]) // no pointers kept alive past the end
		fs.Flows = fs.Flows[:w]
		return
	}
	// Sort pointers, not the flows themselves: a Flow is large and moving
	// it is most of the cost of sorting ten thousand of them.
	order := make([]*Flow, len(fs.Flows))
	for i := range fs.Flows {
		order[i] = &fs.Flows[i]
	}
	slices.SortFunc(order, compareFlows)
	sorted := make([]Flow, 0, len(order))
	for i, f := range order {
		if i > 0 && isDuplicate(order[i-1], f) {
			continue
		}
		sorted = append(sorted, *f)
	}
	fs.Flows = sorted
}

// sortInPlaceMax is the most flows sortFlows sorts where they lie.
const sortInPlaceMax = 32

func isDuplicate(a, b *Flow) bool {
	return compareFlows(a, b) == 0 && a.Cookie == b.Cookie && a.Instructions.String() == b.Instructions.String()
}

func compareFlows(a, b *Flow) int {
	if c := cmp.Compare(a.Table, b.Table); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
		return c
	}
	return compareMatches(&a.Match, &b.Match)
}

func compareMatches(a, b *Match) int {
	if c := cmp.Compare(a.EthType, b.EthType); c != 0 {
		return c
	}
	if c := compareOptional(a.TunID, b.TunID); c != 0 {
		return c
	}
	if c := compareOptional(a.Metadata, b.Metadata); c != 0 {
		return c
	}
	if c := cmp.Compare(a.MetadataMask, b.MetadataMask); c != 0 {
		return c
	}
	if c := cmp.Compare(a.InPort, b.InPort); c != 0 {
		return c
	}
	if c := compareMAC(a.EthSrc, b.EthSrc); c != 0 {
		return c
	}
	if c := compareMAC(a.EthDst, b.EthDst); c != 0 {
		return c
	}
	if c := compareMAC(a.EthDstMask, b.EthDstMask); c != 0 {
		return c
	}
	if c := compareAddr(a.ArpSPA, b.ArpSPA); c != 0 {
		return c
	}
	if c := compareAddr(a.ArpTPA, b.ArpTPA); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ArpOp, b.ArpOp); c != 0 {
		return c
	}
	return compareMAC(a.ArpSHA, b.ArpSHA)
}

// Absent fields sort first.
func compareOptional[T cmp.Ordered](a, b *T) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Compare(*a, *b)
}

func compareMAC(a, b *topology.MAC) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return slices.Compare(a[:], b[:])
}

func compareAddr(a, b netip.Addr) int { return a.Compare(b) }
