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
//
// A member's scope may narrow its learned MACs to those that changed: the
// flows of its other learned MACs are then left out too. They are the
// same before and after a change that did not touch them, so the diff is
// unchanged, and a member learning its 16th MAC no longer compiles the 15
// before it twice (TestCompileMembersDelta). A member whose scopes all
// name MACs gets none of the flows that do not depend on what it learned
// (those of its own MAC, its punt flow and meter, the ARP flow for its own
// address): a learn or a refusal leaves them as they were, and a change
// that does touch them (a port, an attachment) recompiles the whole pod.
func CompileMembers(s *topology.Snapshot, host string, ports Ports, pod string, scopes []MemberScope) *FlowSet {
	c := newCompiler(s, host, ports)
	if !c.known {
		return c.fs
	}
	p, ok := s.Pod(pod)
	if !ok {
		return c.fs
	}
	var (
		// Usually one member, two or three in a busy round: on the stack.
		buf     [4]topology.Attachment
		members = buf[:0]
		anyHere bool // one of them is on this host
	)
	for _, sc := range scopes {
		if hasMember(members, sc.ID) {
			continue
		}
		a, ok := s.Attachment(sc.ID)
		if !ok || a.Pod != pod {
			continue
		}
		members = append(members, a)
		anyHere = anyHere || a.Host == host
	}
	c.scopes = scopes
	// Members in pod order (by id), as CompilePod visits them; the result
	// is sorted anyway, this keeps equal inputs giving equal work.
	slices.SortFunc(members, func(a, b topology.Attachment) int { return cmp.Compare(a.ID, b.ID) })
	vni := p.VNI
	meta := u64(uint64(vni))
	var local, ownTargets []localMember
	anyPlugged := false
	if anyHere {
		_, local = c.podOnHost(pod)
		for _, m := range local {
			anyPlugged = anyPlugged || m.plugged
			if !hasMember(members, m.ID) {
				continue
			}
			narrow := c.narrowed(m.ID)
			if !narrow {
				ownTargets = append(ownTargets, m)
			}
			if !m.plugged {
				continue
			}
			if narrow {
				c.learningFlows(vni, meta, m, false)
			} else {
				c.localMemberFlows(vni, meta, m)
			}
		}
	} else {
		// All of them live elsewhere (a learn on another host: what
		// most rounds of a learning pod compile). The host's own members
		// only decide whether it has flows for the pod at all and
		// whether it answers ARP: no need to list them.
		var anyLocal bool
		anyLocal, anyPlugged = c.podPresence(pod)
		if !anyLocal {
			return c.fs
		}
	}
	if c.hasTun {
		for _, m := range members {
			c.remoteMemberFlows(vni, meta, m)
		}
	}
	c.arpResponderFlows(p, meta, anyPlugged, local, ownTargets, members)
	sortFlowSet(c.fs)
	return c.fs
}

// narrowed reports whether every scope naming id names MACs: then only
// the flows of those MACs can have changed.
func (c *compiler) narrowed(id string) bool {
	named := false
	for _, sc := range c.scopes {
		if sc.ID == id {
			if sc.AllMACs {
				return false
			}
			named = true
		}
	}
	return named
}

func hasMember(members []topology.Attachment, id string) bool {
	return slices.ContainsFunc(members, func(a topology.Attachment) bool { return a.ID == id })
}

// MemberScope names a member for CompileMembers and which of its learned
// MACs to compile: every one (AllMACs), or only those in MACs, the ones a
// change bound or refused. A release or a cleared conflict needs AllMACs.
type MemberScope struct {
	ID      string
	MACs    []topology.MAC
	AllMACs bool
}

// AllMACsOf scopes each of ids to all its learned MACs.
func AllMACsOf(ids ...string) []MemberScope {
	out := make([]MemberScope, len(ids))
	for i, id := range ids {
		out[i] = MemberScope{ID: id, AllMACs: true}
	}
	return out
}

// podPresence reports whether this host has members of pod, and whether
// one of them is plugged, looking no further than the first plugged one.
func (c *compiler) podPresence(pod string) (anyLocal, anyPlugged bool) {
	c.snap.AnyAttachmentOn(c.self.Name, func(a *topology.Attachment) bool {
		if a.Pod != pod {
			return false
		}
		anyLocal = true
		_, anyPlugged = c.portOf(a.Port)
		return anyPlugged
	})
	return anyLocal, anyPlugged
}
