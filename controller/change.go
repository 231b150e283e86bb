package controller

import (
	"slices"
	"strings"

	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/topology"
)

// change describes what one model mutation touched, so that only the
// switches whose desired state can differ do any work.
type change struct {
	// pods whose members, learned bindings or conflicts changed: their
	// flows change on the hosts that had or have members of them, and
	// nowhere else (policy.CompilePod).
	pods map[string]struct{}
	// members: pod -> attachment ids whose learned MACs or conflicts
	// changed, with nothing else of their pod, and which of their learned
	// MACs: only those members' flows change (policy.CompileMembers), on
	// the same hosts as a pod change.
	members podMembers
	// hosts: a host was added, removed or changed. Every host's peers may
	// have changed, so every switch recompiles in full.
	hosts bool
}

func (ch *change) pod(name string) {
	if ch.pods == nil {
		ch.pods = map[string]struct{}{}
	}
	ch.pods[name] = struct{}{}
}

// member records that id in pod bound or was refused mac.
func (ch *change) member(pod, id string, mac topology.MAC) {
	ch.members.add(pod, id, memberScope{macs: []topology.MAC{mac}})
}

// memberAll records that id in pod changed in ways that concern all its
// learned MACs (a release).
func (ch *change) memberAll(pod, id string) { ch.members.add(pod, id, memberScope{all: true}) }

// podMembers: pod -> attachment id -> which of its learned MACs changed.
type podMembers map[string]map[string]memberScope

// memberScope is which learned MACs of a member changed: all, or those
// listed.
type memberScope struct {
	all  bool
	macs []topology.MAC
}

// add merges sc into id's scope in pod, creating what is missing. Scopes
// share their MAC lists (a change's with every session it concerns): a
// list's elements are never written, and it is kept clipped to its length
// where it is shared, so that an append to one copy reallocates.
func (pm *podMembers) add(pod, id string, sc memberScope) {
	if *pm == nil {
		*pm = podMembers{}
	}
	ids := (*pm)[pod]
	if ids == nil {
		ids = map[string]memberScope{}
		(*pm)[pod] = ids
	}
	cur, ok := ids[id]
	switch {
	case !ok:
		cur = memberScope{all: sc.all, macs: slices.Clip(sc.macs)}
	case cur.all:
	case sc.all:
		cur = memberScope{all: true}
	default:
		for _, mac := range sc.macs {
			if !slices.Contains(cur.macs, mac) {
				cur.macs = append(cur.macs, mac)
			}
		}
	}
	ids[id] = cur
}

// policyScopes lists pod's members as CompileMembers takes them, by id.
func (pm podMembers) policyScopes(pod string) []policy.MemberScope {
	out := make([]policy.MemberScope, 0, len(pm[pod]))
	for id, sc := range pm[pod] {
		out = append(out, policy.MemberScope{ID: id, MACs: sc.macs, AllMACs: sc.all})
	}
	slices.SortFunc(out, func(a, b policy.MemberScope) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// touchedPods is every pod the change concerns, whole or by members.
func (ch *change) touchedPods() []string {
	out := make([]string, 0, len(ch.pods)+len(ch.members))
	for p := range ch.pods {
		out = append(out, p)
	}
	for p := range ch.members {
		if _, whole := ch.pods[p]; !whole {
			out = append(out, p)
		}
	}
	return out
}

// sessionWork is what a session must recompute in its next round: every
// pod, some pods whole, or some members of other pods. A pod recompiled
// whole covers its members.
type sessionWork struct {
	full    bool
	pods    map[string]struct{}
	members podMembers
}

func (w *sessionWork) empty() bool { return !w.full && len(w.pods) == 0 && len(w.members) == 0 }

func (w *sessionWork) addPods(pods map[string]struct{}) {
	if w.full {
		return
	}
	if w.pods == nil {
		w.pods = make(map[string]struct{}, len(pods))
	}
	for p := range pods {
		w.pods[p] = struct{}{}
		delete(w.members, p)
	}
}

func (w *sessionWork) addMembers(members podMembers) {
	if w.full {
		return
	}
	for pod, ids := range members {
		if _, whole := w.pods[pod]; whole {
			continue
		}
		for id, sc := range ids {
			w.members.add(pod, id, sc)
		}
	}
}

// markAffected records the change in every session it concerns and
// returns them, to be kicked once c.mu is released. Called with c.mu held,
// right after c.snap became after, so that a session always reads a
// snapshot together with the work that leads to it. Sessions the change
// does not concern may treat after as their last reconciled snapshot.
func (c *Controller) markAffected(before, after *topology.Snapshot, ch *change) []*session {
	if ch.hosts {
		out := make([]*session, 0, len(c.sessions))
		for _, s := range c.sessions {
			s.markWork(after, func(w *sessionWork) { *w = sessionWork{full: true} })
			out = append(out, s)
		}
		return out
	}
	affected := map[*session]bool{}
	for _, pod := range ch.touchedPods() {
		for _, snap := range []*topology.Snapshot{before, after} {
			for _, name := range snap.HostsWithPod(pod) {
				h, ok := after.Host(name)
				if !ok {
					h, ok = before.Host(name)
				}
				if s := c.sessions[h.DatapathID]; ok && s != nil {
					affected[s] = true
				}
			}
		}
	}
	out := make([]*session, 0, len(affected))
	for _, s := range c.sessions {
		if affected[s] {
			s.markWork(after, func(w *sessionWork) {
				w.addPods(ch.pods)
				w.addMembers(ch.members)
			})
			out = append(out, s)
		} else {
			s.advance(after)
		}
	}
	return out
}

// markWork merges more work for the next round, which leads to snap.
func (s *session) markWork(snap *topology.Snapshot, add func(w *sessionWork)) {
	s.mu.Lock()
	add(&s.work)
	s.snap = snap
	s.mu.Unlock()
}

// advance moves the session's snapshots forward over a change that does
// not concern it (its base too if it has no work pending), so that it
// does not keep an old snapshot alive.
func (s *session) advance(snap *topology.Snapshot) {
	s.mu.Lock()
	s.snap = snap
	if s.work.empty() && s.base.snap != nil {
		s.base.snap = snap
	}
	s.mu.Unlock()
}

// reconciledBase is what the switch holds when the session is in sync:
// exactly policy.Compile(snap, host, ports).
type reconciledBase struct {
	snap  *topology.Snapshot
	ports policy.Ports
	// portsGen is the session's portsGen when ports was its ports map.
	portsGen uint64
}
