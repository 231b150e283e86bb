package controller

import (
	"context"
	"fmt"
	"slices"

	"github.com/lorispack/loris/ofproto"
	"github.com/lorispack/loris/policy"
	"github.com/lorispack/loris/topology"
)

// takeWork returns the snapshot the session's work leads to from its
// base, with that work, and clears the work. markAffected sets both
// together under s.mu, so no change can be in the snapshot without its
// work, or the reverse; c.mu is not needed, so a round never queues
// behind the learners' model updates.
func (s *session) takeWork() (*topology.Snapshot, sessionWork, reconciledBase) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.work
	s.work = sessionWork{}
	return s.snap, w, s.base
}

func (s *session) setBase(b reconciledBase) {
	s.mu.Lock()
	s.base = b
	s.mu.Unlock()
}

// roundPlan is a plan with what the switch holds once it is applied.
type roundPlan struct {
	plan *plan
	// full: flows and groups are the totals; otherwise the change.
	full          bool
	flows, groups int
	pods          int // pods recompiled (-1: all)
	// compiled holds the pods' new flows, to be the next round's old
	// ones once the plan is applied (podCache); stale lists the pods
	// changed by members only, whose cached compile no longer holds.
	compiled map[string]*policy.FlowSet
	stale    []string
}

// podCacheMax bounds the pods whose last compile a session keeps: enough
// for a pod that changes again and again (MAC learning, a batch of
// attachments), small against its whole desired state.
const podCacheMax = 4

// keepCompiled makes the pods of an applied round the cached ones. Every
// cached FlowSet is CompilePod of the session's base: pods the round did
// not touch compile the same from the new base as from the old.
func (s *session) keepCompiled(r roundPlan) {
	if r.full {
		s.podCache = nil
		return
	}
	for _, pod := range r.stale {
		delete(s.podCache, pod)
	}
	for pod, fs := range r.compiled {
		if _, ok := s.podCache[pod]; !ok && len(s.podCache) >= podCacheMax {
			for victim := range s.podCache {
				delete(s.podCache, victim)
				break
			}
		}
		if s.podCache == nil {
			s.podCache = map[string]*policy.FlowSet{}
		}
		s.podCache[pod] = fs
	}
}

// plan computes the messages of one round. With the switch's state
// unknown it reads the switch and diffs the whole desired state against
// it; after a host change or a tunnel port change it recompiles
// everything from base and now; otherwise only the pods in the work and
// those whose member ports changed, each diffed against its own compile
// from base.
// A full plan is computed holding slot (taken here if the loop did not
// predict it); the caller releases it once the plan is made.
func (s *session) plan(ctx context.Context, host string, snap *topology.Snapshot, ports policy.Ports, portsGen uint64, work sessionWork, base reconciledBase, slot *roundSlot) (roundPlan, error) {
	full := base.snap == nil || work.full || tunnelChanged(base.ports, ports)
	if full && !slot.held {
		if err := slot.take(ctx); err != nil {
			return roundPlan{}, err
		}
	}
	switch {
	case base.snap == nil:
		// Compile while the switch dumps its tables: with 100,000 flows
		// each takes a good part of a second, the dump mostly in the
		// switch and on the read loop. Both are in hand before the plan
		// returns (and the slot with it).
		wantc := make(chan *policy.FlowSet, 1)
		go func() { wantc <- policy.Compile(snap, host, ports) }()
		cur, err := s.readState(ctx)
		want := <-wantc
		if err != nil {
			return roundPlan{}, fmt.Errorf("read switch state: %w", err)
		}
		r := roundPlan{full: true, flows: len(want.Flows), groups: len(want.Groups), pods: -1}
		if len(cur.flows) == 0 {
			// No flow to compare with (a new or wiped switch, which may
			// keep its groups and meters): the flows are all adds, in
			// policy order, and need no keying.
			r.plan = diff(cur, desiredState(&policy.FlowSet{Groups: want.Groups, Meters: want.Meters}))
			diffFlowSets(r.plan, &policy.FlowSet{}, &policy.FlowSet{Flows: want.Flows})
		} else {
			r.plan = diff(cur, desiredState(want))
		}
		return r, nil
	case work.full || tunnelChanged(base.ports, ports):
		old := policy.Compile(base.snap, host, base.ports)
		want := policy.Compile(snap, host, ports)
		p := &plan{}
		diffFlowSets(p, old, want)
		return roundPlan{plan: p, full: true, flows: len(want.Flows), groups: len(want.Groups), pods: -1}, nil
	}
	pods := work.pods
	// With the very ports map base was compiled with (setPorts replaces
	// it on every change), no port came, went or was renumbered.
	if base.portsGen != portsGen {
		if changed := changedPortPods(host, base, snap, ports); len(changed) > 0 {
			pods = make(map[string]struct{}, len(work.pods)+len(changed))
			for p := range work.pods {
				pods[p] = struct{}{}
			}
			for _, p := range changed {
				pods[p] = struct{}{}
			}
		}
	}
	names := make([]string, 0, len(pods))
	for p := range pods {
		names = append(names, p)
	}
	slices.Sort(names)
	r := roundPlan{plan: &plan{}, pods: len(names), compiled: make(map[string]*policy.FlowSet, len(names))}
	for _, pod := range names {
		old, ok := s.podCache[pod]
		if !ok {
			old = policy.CompilePod(base.snap, host, base.ports, pod)
		}
		want := policy.CompilePod(snap, host, ports, pod)
		r.compiled[pod] = want
		diffFlowSets(r.plan, old, want)
		r.flows += len(want.Flows) - len(old.Flows)
		r.groups += len(want.Groups) - len(old.Groups)
	}
	s.planMembers(&r, host, snap, ports, work, base, pods)
	return r, nil
}

// planMembers adds to r the changes of pods whose members alone changed
// (learned or refused MACs): the members' flows compiled from base and
// from now, diffed. A pod in pods was recompiled whole already.
func (s *session) planMembers(r *roundPlan, host string, snap *topology.Snapshot, ports policy.Ports, work sessionWork, base reconciledBase, pods map[string]struct{}) {
	names := make([]string, 0, len(work.members))
	for pod := range work.members {
		if _, whole := pods[pod]; !whole {
			names = append(names, pod)
		}
	}
	slices.Sort(names)
	for _, pod := range names {
		scopes := work.members.policyScopes(pod)
		old := policy.CompileMembers(base.snap, host, base.ports, pod, scopes)
		want := policy.CompileMembers(snap, host, ports, pod, scopes)
		diffFlowSets(r.plan, old, want)
		r.flows += len(want.Flows) - len(old.Flows)
		r.stale = append(r.stale, pod)
	}
}

// roundSlot is a turn to compute a whole desired state: a thousand
// switches connecting at once must not all hold one in memory together.
// They take turns at about the speed the CPUs allow anyway; the slot is
// given back once the plan is made, before it is sent.
type roundSlot struct {
	c    *Controller
	held bool
}

func (r *roundSlot) take(ctx context.Context) error {
	select {
	case r.c.fullRounds <- struct{}{}:
		r.held = true
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *roundSlot) release() {
	if r.held {
		r.held = false
		<-r.c.fullRounds
	}
}

// nextRoundFull predicts whether the next round computes everything, so
// that the loop can wait for a slot before the round's time starts.
func (s *session) nextRoundFull() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.work.full || s.base.snap == nil || tunnelChanged(s.base.ports, s.ports)
}

func tunnelChanged(a, b policy.Ports) bool {
	x, okA := a[policy.TunnelPort]
	y, okB := b[policy.TunnelPort]
	return okA != okB || x != y
}

// changedPortPods lists the pods of the attachments on host whose port was
// added, removed or renumbered since base.
func changedPortPods(host string, base reconciledBase, snap *topology.Snapshot, ports policy.Ports) []string {
	var changed []string
	for name, no := range ports {
		if old, ok := base.ports[name]; !ok || old != no {
			changed = append(changed, name)
		}
	}
	for name := range base.ports {
		if _, ok := ports[name]; !ok {
			changed = append(changed, name)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	podOfPort := map[string]string{}
	for _, sn := range []*topology.Snapshot{base.snap, snap} {
		for _, a := range sn.AttachmentsOn(host) {
			podOfPort[a.Port] = a.Pod
		}
	}
	var pods []string
	for _, name := range changed {
		if pod, ok := podOfPort[name]; ok {
			pods = append(pods, pod)
		}
	}
	return pods
}

// diffFlowSets appends to p the messages that turn old into want, two
// FlowSets in policy order, by one merge pass: nothing is encoded to
// compare, and only what differs is translated to OpenFlow.
func diffFlowSets(p *plan, old, want *policy.FlowSet) {
	diffMeterSets(p, old.Meters, want.Meters)
	diffGroupSets(p, old.Groups, want.Groups)
	var adds []ofproto.Message
	o, w := old.Flows, want.Flows
	for len(o) > 0 || len(w) > 0 {
		c := 0
		switch {
		case len(o) == 0:
			c = 1
		case len(w) == 0:
			c = -1
		default:
			c = policy.CompareFlows(&o[0], &w[0])
		}
		switch {
		case c < 0:
			p.flows = append(p.flows, deleteStrict(&o[0]))
			p.flowDeletes++
			o = o[1:]
		case c > 0:
			adds = append(adds, flowAdd{&w[0]})
			p.flowAdds++
			w = w[1:]
		default:
			// ADD replaces a flow with the same table, priority and match
			// atomically, cookie included (MODIFY would keep the old one).
			if !o[0].SameEffect(&w[0]) {
				adds = append(adds, flowAdd{&w[0]})
				p.flowAdds++
			}
			o, w = o[1:], w[1:]
		}
	}
	// Deletes first: should two policy matches ever encode to the same
	// OpenFlow match, the add must be what remains.
	p.flows = append(p.flows, adds...)
}

func deleteStrict(f *policy.Flow) *ofproto.FlowMod {
	return &ofproto.FlowMod{
		Command: ofproto.FlowModDeleteStrict, TableID: f.Table, Priority: f.Priority, Match: flowMatch(f.Match),
		BufferID: ofproto.BufferNone, OutPort: ofproto.PortAny, OutGroup: ofproto.GroupAny,
	}
}

func diffGroupSets(p *plan, old, want []policy.Group) {
	for len(old) > 0 || len(want) > 0 {
		switch {
		case len(want) == 0 || len(old) > 0 && old[0].ID < want[0].ID:
			p.groupDeletes = append(p.groupDeletes, &ofproto.GroupMod{
				Command: ofproto.GroupModDelete, GroupType: ofproto.GroupTypeAll, GroupID: old[0].ID,
			})
			old = old[1:]
		case len(old) == 0 || want[0].ID < old[0].ID:
			p.groupAdds = append(p.groupAdds, groupMod(want[0]))
			want = want[1:]
		default:
			if !old[0].Equal(&want[0]) {
				m := groupMod(want[0])
				m.Command = ofproto.GroupModModify
				p.groupAdds = append(p.groupAdds, m)
			}
			old, want = old[1:], want[1:]
		}
	}
}

func diffMeterSets(p *plan, old, want []policy.Meter) {
	for len(old) > 0 || len(want) > 0 {
		switch {
		case len(want) == 0 || len(old) > 0 && old[0].ID < want[0].ID:
			p.meterDeletes = append(p.meterDeletes, &ofproto.MeterMod{Command: ofproto.MeterModDelete, MeterID: old[0].ID})
			old = old[1:]
		case len(old) == 0 || want[0].ID < old[0].ID:
			p.meterAdds = append(p.meterAdds, meterMod(want[0]))
			want = want[1:]
		default:
			if old[0] != want[0] {
				m := meterMod(want[0])
				m.Command = ofproto.MeterModModify
				p.meterAdds = append(p.meterAdds, m)
			}
			old, want = old[1:], want[1:]
		}
	}
}
