package policy

import "slices"

// CompareFlows orders flows the way a FlowSet is sorted: table, priority
// (highest first), then match. It returns 0 for flows a switch would hold
// as one entry (same table, priority and match), so two sorted FlowSets
// can be diffed by a single merge pass.
func CompareFlows(a, b *Flow) int { return compareFlows(a, b) }

// SameEffect reports whether f and o, two flows with the same key
// (CompareFlows returns 0), would be installed identically: same cookie
// and same instructions.
func (f *Flow) SameEffect(o *Flow) bool {
	return f.Cookie == o.Cookie && f.Instructions.Equal(o.Instructions)
}

// Equal compares instructions field by field.
func (in Instructions) Equal(o Instructions) bool {
	if in.Meter != o.Meter || !slices.Equal(in.Actions, o.Actions) {
		return false
	}
	if (in.WriteMetadata == nil) != (o.WriteMetadata == nil) ||
		in.WriteMetadata != nil && *in.WriteMetadata != *o.WriteMetadata {
		return false
	}
	if (in.GotoTable == nil) != (o.GotoTable == nil) ||
		in.GotoTable != nil && *in.GotoTable != *o.GotoTable {
		return false
	}
	return true
}

// Equal compares two groups bucket by bucket.
func (g *Group) Equal(o *Group) bool {
	return g.ID == o.ID && slices.EqualFunc(g.Buckets, o.Buckets, func(a, b Bucket) bool {
		return slices.Equal(a.Actions, b.Actions)
	})
}
