package policy

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lorispack/loris/topology"
)

// The controller answers a learned, refused or released MAC by diffing
// CompileMembers of the one member before and after, instead of the whole
// pod. That is only right if the member's part holds every flow that can
// change and the rest of the pod stays identical: checked here over random
// topologies and random learn/release steps.
func TestCompileMembersDelta(t *testing.T) {
	for seed := range uint64(propertySeeds) {
		rng := rand.New(rand.NewPCG(seed, 23))
		m, ports := randomTopology(t, rng)
		as := m.State().Attachments
		if len(as) == 0 {
			continue
		}
		for step := range 4 {
			x := as[rng.IntN(len(as))]
			before := m.Snapshot()
			// The members whose flows may change: the one that learned or
			// released, and those whose conflicts over a released MAC
			// were cleared with it.
			ids := []string{x.ID}
			// What the controller passes: a learn scopes the member to the
			// MAC it bound or refused, a release to all its MACs.
			var scopes []MemberScope
			if rng.IntN(4) == 0 {
				_, cleared := m.ReleaseLearned(x.ID)
				for _, c := range cleared {
					ids = append(ids, c.AttachmentID)
				}
				scopes = AllMACsOf(ids...)
				if rng.IntN(2) == 0 {
					// The member named twice, narrowly first: its scopes
					// add up to all its MACs.
					scopes = append([]MemberScope{{ID: x.ID, MACs: []topology.MAC{{0x02, 0, 0, 0, 0, 1}}}}, scopes...)
				}
			} else {
				mac := topology.MAC{0x02, 0, 0, 0, byte(rng.IntN(2)), byte(1 + rng.IntN(6))}
				if _, err := m.Learn(x.ID, mac); err != nil {
					t.Fatal(err)
				}
				scopes = []MemberScope{{ID: x.ID, MACs: []topology.MAC{mac, mac}}}
			}
			after := m.Snapshot()
			for _, h := range after.Hosts {
				p := ports[h.Name]
				podB := CompilePod(before, h.Name, p, x.Pod)
				podA := CompilePod(after, h.Name, p, x.Pod)
				memB := CompileMembers(before, h.Name, p, x.Pod, AllMACsOf(ids...))
				memA := CompileMembers(after, h.Name, p, x.Pod, AllMACsOf(ids...))
				checkWellFormedPart(t, seed, h.Name, memA)
				// Scoped to what changed, the parts are smaller but differ
				// exactly as much.
				scB := CompileMembers(before, h.Name, p, x.Pod, scopes)
				scA := CompileMembers(after, h.Name, p, x.Pod, scopes)
				checkWellFormedPart(t, seed, h.Name, scA)
				if wantAdd, wantDel, gotAdd, gotDel := lineDiff(memB, memA), lineDiff(memA, memB), lineDiff(scB, scA), lineDiff(scA, scB); !slices.Equal(wantAdd, gotAdd) || !slices.Equal(wantDel, gotDel) {
					t.Fatalf("seed %d step %d host %s: scoped %v: adds %q deletes %q, want adds %q deletes %q",
						seed, step, h.Name, scopes, gotAdd, gotDel, wantAdd, wantDel)
				}
				restB := minus(t, seed, podB, memB)
				restA := minus(t, seed, podA, memA)
				if !slices.Equal(restB, restA) {
					t.Fatalf("seed %d step %d host %s: outside members %v the pod changed:\nbefore %q\nafter  %q",
						seed, step, h.Name, ids, restB, restA)
				}
				if !slices.EqualFunc(podB.Groups, podA.Groups, func(a, b Group) bool { return a.Equal(&b) }) {
					t.Fatalf("seed %d step %d host %s: groups changed on a learn", seed, step, h.Name)
				}
				// Every flow that names the member in its cookie is in its
				// part (cookie ids are hashes; the random ids do not collide).
				id := AttachmentCookieID(x.ID)
				own := lines(memA)
				for _, f := range podA.Flows {
					if uint32(f.Cookie&CookieLowMask) == id && CookieKindOf(f.Cookie) != KindClassifyTunnel && CookieKindOf(f.Cookie) != KindFlood &&
						!slices.Contains(own, f.String()) {
						t.Fatalf("seed %d host %s: flow of member %s missing from its part: %s", seed, h.Name, x.ID, f)
					}
				}
			}
		}
	}
}

// minus returns whole's flows and meters that are not in part, as
// strings, and fails if part has any that whole lacks.
func minus(t *testing.T, seed uint64, whole, part *FlowSet) []string {
	t.Helper()
	in := lines(whole)
	var rest []string
	for _, l := range lines(part) {
		if !slices.Contains(in, l) {
			t.Fatalf("seed %d: member part has %s, which the pod lacks", seed, l)
		}
	}
	partLines := lines(part)
	for _, l := range in {
		if !slices.Contains(partLines, l) {
			rest = append(rest, l)
		}
	}
	return rest
}

// lineDiff lists, sorted, the flows and meters of b that a lacks.
func lineDiff(a, b *FlowSet) []string {
	in := lines(a)
	var out []string
	for _, l := range lines(b) {
		if !slices.Contains(in, l) {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

func lines(fs *FlowSet) []string {
	var out []string
	for _, f := range fs.Flows {
		out = append(out, f.String())
	}
	for _, m := range fs.Meters {
		out = append(out, m.String())
	}
	return out
}
