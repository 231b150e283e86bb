package topology

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// queries are the names a dump asks a snapshot about: everything the test
// ever created, plus names that never existed.
type queries struct {
	hosts, pods, ids []string
	dpids            []DatapathID
	vnis             []uint32
}

func (q *queries) note(s State) {
	add := func(list *[]string, v string) {
		if !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	for _, h := range s.Hosts {
		add(&q.hosts, h.Name)
		if !slices.Contains(q.dpids, h.DatapathID) {
			q.dpids = append(q.dpids, h.DatapathID)
		}
	}
	for _, p := range s.Pods {
		add(&q.pods, p.Name)
		if !slices.Contains(q.vnis, p.VNI) {
			q.vnis = append(q.vnis, p.VNI)
		}
	}
	for _, a := range s.Attachments {
		add(&q.ids, a.ID)
	}
}

func (q *queries) clone() *queries {
	return &queries{hosts: slices.Clone(q.hosts), pods: slices.Clone(q.pods), ids: slices.Clone(q.ids),
		dpids: slices.Clone(q.dpids), vnis: slices.Clone(q.vnis)}
}

func newQueries() *queries {
	return &queries{hosts: []string{"nohost"}, pods: []string{"nopod", ""}, ids: []string{"0000000000000000"},
		dpids: []DatapathID{0xdead}, vnis: []uint32{0xbeef}}
}

// dump renders everything a snapshot answers about q.
func dump(s *Snapshot, q *queries) string {
	var b strings.Builder
	fmt.Fprintf(&b, "hosts %v\npods %v\nall %v\ncount %d\n", s.Hosts, s.Pods, s.AttachmentList(), s.AttachmentCount())
	for _, h := range q.hosts {
		hh, ok := s.Host(h)
		fmt.Fprintf(&b, "host %s: %v %v on %v\n", h, hh, ok, s.AttachmentsOn(h))
	}
	for _, d := range q.dpids {
		hh, ok := s.HostByDatapathID(d)
		fmt.Fprintf(&b, "dpid %v: %v %v\n", d, hh, ok)
	}
	for _, p := range q.pods {
		pp, ok := s.Pod(p)
		fmt.Fprintf(&b, "pod %s: %v %v members %d %v hosts %v learned %d\nbindings %v\nconflicts %v\n", p, pp, ok,
			s.MemberCount(p), s.Members(p), s.HostsWithPod(p), s.LearnedCount(p), s.Bindings(p), s.ConflictsIn(p))
	}
	for _, v := range q.vnis {
		pp, ok := s.PodByVNI(v)
		fmt.Fprintf(&b, "vni %d: %v %v\n", v, pp, ok)
	}
	for _, id := range q.ids {
		fmt.Fprintf(&b, "id %s: learned %v conflicts %v\n", id, s.LearnedOf(id), s.ConflictsOf(id))
	}
	return b.String()
}

// naiveSnapshot answers the same questions as a Snapshot by scanning a
// State: the reference the incremental indexes are checked against.
type naiveSnapshot struct{ st State }

func (n naiveSnapshot) dump(q *queries) string {
	st := n.st
	filter := func(keep func(Attachment) bool) []Attachment {
		out := []Attachment{}
		for _, a := range st.Attachments {
			if keep(a) {
				out = append(out, a)
			}
		}
		return out
	}
	var b strings.Builder
	fmt.Fprintf(&b, "hosts %v\npods %v\nall %v\ncount %d\n", st.Hosts, st.Pods, st.Attachments, len(st.Attachments))
	for _, h := range q.hosts {
		i := slices.IndexFunc(st.Hosts, func(x Host) bool { return x.Name == h })
		hh := Host{}
		if i >= 0 {
			hh = st.Hosts[i]
		}
		fmt.Fprintf(&b, "host %s: %v %v on %v\n", h, hh, i >= 0, filter(func(a Attachment) bool { return a.Host == h }))
	}
	for _, d := range q.dpids {
		i := slices.IndexFunc(st.Hosts, func(x Host) bool { return x.DatapathID == d })
		hh := Host{}
		if i >= 0 {
			hh = st.Hosts[i]
		}
		fmt.Fprintf(&b, "dpid %v: %v %v\n", d, hh, i >= 0)
	}
	for _, p := range q.pods {
		i := slices.IndexFunc(st.Pods, func(x Pod) bool { return x.Name == p })
		pp := Pod{}
		if i >= 0 {
			pp = st.Pods[i]
		}
		in := func(pod string) bool { return p == "" || pod == p }
		members := filter(func(a Attachment) bool { return a.Pod == p })
		var hosts []string
		for _, a := range members {
			if !slices.Contains(hosts, a.Host) {
				hosts = append(hosts, a.Host)
			}
		}
		slices.Sort(hosts)
		var bindings []Binding
		learned := 0
		for _, a := range st.Attachments {
			if in(a.Pod) {
				bindings = append(bindings, staticBinding(a))
			}
		}
		for _, l := range st.Learned {
			if in(l.Pod) {
				bindings = append(bindings, l)
				learned++
			}
		}
		sortBindings(bindings)
		var conflicts []Conflict
		for _, c := range st.Conflicts {
			if in(c.Pod) {
				conflicts = append(conflicts, c)
			}
		}
		fmt.Fprintf(&b, "pod %s: %v %v members %d %v hosts %v learned %d\nbindings %v\nconflicts %v\n", p, pp, i >= 0,
			len(members), members, hosts, learned, bindings, conflicts)
	}
	for _, v := range q.vnis {
		i := slices.IndexFunc(st.Pods, func(x Pod) bool { return x.VNI == v })
		pp := Pod{}
		if i >= 0 {
			pp = st.Pods[i]
		}
		fmt.Fprintf(&b, "vni %d: %v %v\n", v, pp, i >= 0)
	}
	for _, id := range q.ids {
		learned := []Binding{}
		for _, l := range st.Learned {
			if l.AttachmentID == id {
				learned = append(learned, l)
			}
		}
		conflicts := []Conflict{}
		for _, c := range st.Conflicts {
			if c.AttachmentID == id {
				conflicts = append(conflicts, c)
			}
		}
		slices.SortFunc(learned, func(x, y Binding) int { return compareMAC(x.MAC, y.MAC) })
		slices.SortFunc(conflicts, func(x, y Conflict) int { return compareMAC(x.MAC, y.MAC) })
		fmt.Fprintf(&b, "id %s: learned %v conflicts %v\n", id, learned, conflicts)
	}
	return b.String()
}

// randomChange applies one random change of any kind to m and names it.
// Changes may fail (a taken name, a missing host); a failed change changes
// nothing, which the caller's checks cover too.
func randomChange(rng *rand.Rand, m *Model, maxAttachments int) string {
	hostName := func() string { return fmt.Sprintf("h%d", rng.IntN(5)) }
	podName := func() string {
		if rng.IntN(3) == 0 {
			return DefaultPod
		}
		return fmt.Sprintf("p%d", rng.IntN(4))
	}
	anyAttachment := func() (Attachment, bool) {
		st := m.parts.all
		if st.Len() == 0 {
			return Attachment{}, false
		}
		as := st.attachments()
		return as[rng.IntN(len(as))], true
	}
	randomMAC := func() MAC { return MAC{0x02, 0xcc, 0, 0, byte(rng.IntN(4)), byte(rng.IntN(8))} }
	switch k := rng.IntN(20); {
	case k == 0:
		n := rng.IntN(5)
		h := Host{Name: fmt.Sprintf("h%d", n), DatapathID: DatapathID(100 + n),
			TunnelIP: netip.AddrFrom4([4]byte{198, 18, byte(rng.IntN(2)), byte(n)})}
		m.AddHost(h)
		return "add host " + h.Name
	case k == 1 && rng.IntN(4) == 0:
		h := hostName()
		m.RemoveHost(h, rng.IntN(2) == 0)
		return "remove host " + h
	case k == 2:
		p := podName()
		m.AddPod(p, 0)
		return "add pod " + p
	case k == 3 && rng.IntN(4) == 0:
		p := podName()
		m.DeletePod(p, rng.IntN(2) == 0)
		return "delete pod " + p
	case k < 10:
		if m.parts.all.Len() >= maxAttachments {
			return "nothing"
		}
		n := rng.IntN(4 * maxAttachments)
		a := Attachment{Host: hostName(), Container: fmt.Sprintf("c%d", n), IfName: "eth0", Pod: podName(),
			IP: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(n >> 8), byte(n)}), 16)}
		if rng.IntN(4) == 0 {
			a.MAC = randomMAC()
		}
		m.Attach(a)
		return "attach " + a.Container
	case k < 13:
		a, ok := anyAttachment()
		if !ok {
			return "nothing"
		}
		m.Detach(a.ID)
		return "detach " + a.Container
	case k < 18:
		a, ok := anyAttachment()
		if !ok {
			return "nothing"
		}
		mac := randomMAC()
		m.Learn(a.ID, mac)
		return "learn " + mac.String() + " on " + a.Container
	default:
		a, ok := anyAttachment()
		if !ok {
			return "nothing"
		}
		m.ReleaseLearned(a.ID)
		return "release " + a.Container
	}
}

// TestSnapshotUnaffectedByLaterChanges takes a snapshot before every change
// of a random sequence (hosts, pods, attachments, learned MACs, conflicts,
// releases) and checks that it still answers exactly as before the change,
// and that each new snapshot answers exactly as a scan of Model.State.
// Sizes above chunkMax make the shared lists split and merge chunks.
func TestSnapshotUnaffectedByLaterChanges(t *testing.T) {
	for _, size := range []struct{ maxAttachments, seeds, steps int }{{12, 6, 400}, {3 * chunkMax, 2, 1200}} {
		maxAttachments := size.maxAttachments
		for seed := range uint64(size.seeds) {
			rng := rand.New(rand.NewPCG(seed, uint64(maxAttachments)))
			m := newTestModel(t)
			q := newQueries()
			type kept struct {
				snap *Snapshot
				q    *queries
				want string
				by   string
			}
			var old []kept // some earlier snapshots, rechecked at the end
			prev, prevQ := m.Snapshot(), q.clone()
			prevDump := dump(prev, prevQ)
			for step := range size.steps {
				change := randomChange(rng, m, maxAttachments)
				if got := dump(prev, prevQ); got != prevDump {
					t.Fatalf("seed %d step %d: %s changed the snapshot taken before it:\nbefore:\n%s\nafter:\n%s", seed, step, change, prevDump, got)
				}
				st := m.State()
				q.note(st)
				next := m.Snapshot()
				want := naiveSnapshot{st}.dump(q)
				if got := dump(next, q); got != want {
					t.Fatalf("seed %d step %d after %s: snapshot differs from the model's state\ngot:\n%s\nwant:\n%s", seed, step, change, got, want)
				}
				if step%50 == 0 {
					old = append(old, kept{next, q.clone(), want, change})
				}
				prev, prevQ, prevDump = next, q.clone(), want
			}
			for _, k := range old {
				if got := dump(k.snap, k.q); got != k.want {
					t.Fatalf("seed %d: snapshot taken after %s changed later", seed, k.by)
				}
			}
		}
	}
}

// TestSnapshotReadsRaceFree reads old snapshots on other goroutines while
// the model changes (run with -race): snapshots share storage with the
// model, so any write to something a snapshot holds shows up as a race.
func TestSnapshotReadsRaceFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := newTestModel(t)
	q := newQueries()
	for range 300 {
		randomChange(rng, m, 3*chunkMax)
	}
	q.note(m.State())
	snaps := make(chan *Snapshot, 8)
	var wg sync.WaitGroup
	failed := make(chan string, 4)
	for range 2 {
		wg.Go(func() {
			for s := range snaps {
				first := dump(s, q)
				if again := dump(s, q); again != first {
					failed <- "a snapshot changed while it was read"
					return
				}
			}
		})
	}
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < 300 && time.Now().Before(deadline); i++ {
		snaps <- m.Snapshot()
		for range 5 {
			randomChange(rng, m, 3*chunkMax)
		}
	}
	close(snaps)
	wg.Wait()
	select {
	case msg := <-failed:
		t.Fatal(msg)
	default:
	}
}

// TestIDListChunks puts and removes many ids with snapshots in between and
// checks every kept version of the list against a plain sorted slice.
func TestIDListChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var l idList
	var want []string
	epoch := uint64(1)
	type version struct {
		l    idList
		want []string
	}
	var versions []version
	for step := range 20_000 {
		id := fmt.Sprintf("%04d", rng.IntN(2000))
		i, found := slices.BinarySearch(want, id)
		if rng.IntN(5) < 3 || step < 1000 {
			l = l.put(&record{Attachment: Attachment{ID: id}}, epoch)
			if !found {
				want = slices.Insert(want, i, id)
			}
		} else {
			var removed bool
			l, removed = l.remove(id, epoch)
			if removed != found {
				t.Fatalf("step %d: remove(%s) = %v, want %v", step, id, removed, found)
			}
			if found {
				want = slices.Delete(want, i, i+1)
			}
		}
		if rng.IntN(10) == 0 {
			versions = append(versions, version{l, slices.Clone(want)})
			epoch++
		}
	}
	versions = append(versions, version{l, want})
	for n, v := range versions {
		var got []string
		v.l.each(func(r *record) { got = append(got, r.ID) })
		if !slices.Equal(got, v.want) || v.l.Len() != len(v.want) {
			t.Fatalf("version %d: %d ids, want %d (or order differs)", n, len(got), len(v.want))
		}
		for c, ch := range v.l.chunks {
			if len(ch.recs) == 0 || len(ch.recs) > chunkMax {
				t.Fatalf("version %d chunk %d has %d records", n, c, len(ch.recs))
			}
		}
		if len(v.want) > 0 {
			if r, ok := v.l.get(v.want[len(v.want)/2]); !ok || r.ID != v.want[len(v.want)/2] {
				t.Fatalf("version %d: get missed %s", n, v.want[len(v.want)/2])
			}
		}
		if _, ok := v.l.get("zzzz"); ok {
			t.Fatalf("version %d: found an id never put", n)
		}
	}
	most := slices.MaxFunc(versions, func(a, b version) int { return cmp.Compare(len(a.l.chunks), len(b.l.chunks)) })
	if len(versions) < 100 || len(most.l.chunks) < 10 {
		t.Fatalf("%d versions, at most %d chunks: too few to test splitting", len(versions), len(most.l.chunks))
	}
}
