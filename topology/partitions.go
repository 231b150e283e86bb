package topology

import (
	"cmp"
	"math/rand/v2"
	"slices"
)

// partitions are the parts of the model that snapshots share instead of
// copying, so that a snapshot costs O(what changed since the previous one):
// persistent attachment lists (all, per host, per pod), small copy-on-write
// maps keyed by host or pod, and host and pod tables rebuilt only when a
// host or pod changes.
//
// epoch counts snapshots. Anything built in the current epoch is not yet
// visible to any snapshot and may be changed in place; Snapshot ends the
// epoch, after which everything it handed out is only ever replaced.
type partitions struct {
	epoch uint64

	all          idList
	onHost       cowMap[idList]
	inPod        cowMap[idList]
	hostsWithPod cowMap[hostNames]
	learnedIn    cowMap[int] // learned bindings per pod

	podHostCount map[string]map[string]int // members per pod and host; model only

	// attachVersion changes whenever an attachment is added or removed
	// (Snapshot.AttachmentsVersion). It starts at a random value, so that
	// a model rebuilt from the store does not repeat an old one's.
	attachVersion uint64

	hosts *hostTable // nil after a host changed
	pods  *podTable  // nil after a pod changed
}

func newPartitions() partitions {
	return partitions{epoch: 1, podHostCount: map[string]map[string]int{}, attachVersion: rand.Uint64()}
}

// hostNames are the sorted names of the hosts with members of one pod.
type hostNames struct {
	gen   uint64 // epoch that built names
	names []string
}

type hostTable struct {
	sorted []Host
	byName map[string]Host
	byDPID map[DatapathID]Host
}

type podTable struct {
	sorted []Pod
	byName map[string]Pod
	byVNI  map[uint32]Pod
}

// putRecord stores r, a new attachment or a new version of one.
func (m *Model) putRecord(r *record) {
	p := &m.parts
	_, existed := m.attachments[r.ID]
	m.attachments[r.ID] = r
	p.all = p.all.put(r, p.epoch)
	p.onHost.set(r.Host, p.onHost.get(r.Host).put(r, p.epoch), p.epoch)
	p.inPod.set(r.Pod, p.inPod.get(r.Pod).put(r, p.epoch), p.epoch)
	if !existed {
		m.countMember(r.Pod, r.Host, 1)
	}
}

// dropRecord removes attachment id from the partitions.
func (m *Model) dropRecord(id string) {
	r, ok := m.attachments[id]
	if !ok {
		return
	}
	p := &m.parts
	delete(m.attachments, id)
	p.all, _ = p.all.remove(id, p.epoch)
	dropFrom(&p.onHost, r.Host, id, p.epoch)
	dropFrom(&p.inPod, r.Pod, id, p.epoch)
	m.countMember(r.Pod, r.Host, -1)
}

func dropFrom(lists *cowMap[idList], key, id string, epoch uint64) {
	l, _ := lists.get(key).remove(id, epoch)
	if l.Len() == 0 {
		lists.delete(key, epoch)
		return
	}
	lists.set(key, l, epoch)
}

// countMember keeps hostsWithPod: a host joins a pod's list with its first
// member and leaves it with its last.
func (m *Model) countMember(pod, host string, delta int) {
	p := &m.parts
	counts := p.podHostCount[pod]
	if counts == nil {
		counts = map[string]int{}
		p.podHostCount[pod] = counts
	}
	before := counts[host]
	after := before + delta
	if after == 0 {
		delete(counts, host)
		if len(counts) == 0 {
			delete(p.podHostCount, pod)
		}
	} else {
		counts[host] = after
	}
	if (before == 0) == (after == 0) {
		return
	}
	hn := p.hostsWithPod.get(pod)
	i, found := slices.BinarySearch(hn.names, host)
	if hn.gen != p.epoch {
		// A snapshot may hold the names: change a copy.
		hn = hostNames{gen: p.epoch, names: slices.Clone(hn.names)}
	}
	switch {
	case after > 0 && !found:
		hn.names = slices.Insert(hn.names, i, host)
	case after == 0 && found:
		hn.names = slices.Delete(hn.names, i, i+1)
	}
	if len(hn.names) == 0 {
		p.hostsWithPod.delete(pod, p.epoch)
		return
	}
	p.hostsWithPod.set(pod, hn, p.epoch)
}

// countLearned keeps the number of learned bindings per pod.
func (m *Model) countLearned(pod string, delta int) {
	p := &m.parts
	if n := p.learnedIn.get(pod) + delta; n > 0 {
		p.learnedIn.set(pod, n, p.epoch)
	} else {
		p.learnedIn.delete(pod, p.epoch)
	}
}

func (m *Model) hostTable() *hostTable {
	if m.parts.hosts != nil {
		return m.parts.hosts
	}
	t := &hostTable{
		sorted: make([]Host, 0, len(m.hosts)),
		byName: make(map[string]Host, len(m.hosts)),
		byDPID: make(map[DatapathID]Host, len(m.hosts)),
	}
	for _, h := range m.hosts {
		t.sorted = append(t.sorted, h)
		t.byName[h.Name] = h
		t.byDPID[h.DatapathID] = h
	}
	slices.SortFunc(t.sorted, func(a, b Host) int { return cmp.Compare(a.Name, b.Name) })
	m.parts.hosts = t
	return t
}

func (m *Model) podTable() *podTable {
	if m.parts.pods != nil {
		return m.parts.pods
	}
	t := &podTable{
		sorted: make([]Pod, 0, len(m.pods)),
		byName: make(map[string]Pod, len(m.pods)),
		byVNI:  make(map[uint32]Pod, len(m.pods)),
	}
	for _, p := range m.pods {
		t.sorted = append(t.sorted, p)
		t.byName[p.Name] = p
		t.byVNI[p.VNI] = p
	}
	slices.SortFunc(t.sorted, func(a, b Pod) int { return cmp.Compare(a.Name, b.Name) })
	m.parts.pods = t
	return t
}
