package policy

import (
	"cmp"
	"slices"

	"github.com/lorispack/loris/topology"
)

// CompileMembers computes the part of CompilePod(s, host, ports, pod) that
// belongs to the given members of the pod: every flow and meter whose
// existence or content depends on one of them (their delivery, port
// security, learning and refused-source flows on their host, forwarding
// into the tunnel elsewhere, the ARP answers for them), in FlowSet order.
// Groups and the pod's own flows are left out. Ids not in the pod are
// ignored.
//
// It exists for changes that touch members but not the pod's shape: a
// learned MAC, a refused one, a release. Those change only the flows of
// the member that learned, so two CompileMembers of the same ids, before
// and after, differ exactly as the two CompilePod do
// (TestCompileMembersDelta), at the cost of O(attachments on host + the
// members' bindings) rather than O(members of the pod).
func CompileMembers(s *topology.Snapshot, host string, ports Ports, pod string, ids []string) *FlowSet {
	c := newCompiler(s, host, ports)
	p, local := c.podOnHost(pod)
	if len(local) == 0 {
		return c.fs
	}
	var (
		members    []topology.Attachment
		ownTargets []localMember
		seen       = make(map[string]bool, len(ids))
	)
	for _, id := range ids {
		a, ok := s.Attachment(id)
		if !ok || a.Pod != pod || seen[id] {
			continue
		}
		seen[id] = true
		members = append(members, a)
	}
	// Members in pod order (by id), as CompilePod visits them; the result
	// is sorted anyway, this keeps equal inputs giving equal work.
	slices.SortFunc(members, func(a, b topology.Attachment) int { return cmp.Compare(a.ID, b.ID) })
	vni := p.VNI
	meta := u64(uint64(vni))
	for _, m := range local {
		if seen[m.ID] {
			ownTargets = append(ownTargets, m)
			if m.plugged {
				c.localMemberFlows(vni, meta, m)
			}
		}
	}
	if c.hasTun {
		for _, m := range members {
			c.remoteMemberFlows(vni, meta, m)
		}
	}
	c.arpResponderFlows(p, meta, local, ownTargets, members)
	sortFlowSet(c.fs)
	return c.fs
}
