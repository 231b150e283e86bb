package topology

import (
	"cmp"
	"slices"
)

// Snapshot is an immutable, indexed copy of a Model taken at one instant.
// The exported slices are sorted (hosts and pods by name, attachments by id)
// and must be treated as read-only; lookup methods return fresh copies.
type Snapshot struct {
	Hosts       []Host
	Pods        []Pod
	Attachments []Attachment
	Learned     []Binding
	Conflicts   []Conflict

	hostIndex    map[string]int
	hostByDPID   map[DatapathID]int
	podIndex     map[string]int
	podByVNI     map[uint32]int
	onHost       map[string][]int // indexes into Attachments, id order
	inPod        map[string][]int
	hostsWithPod map[string][]string // sorted host names
	learnedOf    map[string][]int    // attachment ID -> indexes into Learned
	conflictsOf  map[string][]int    // attachment ID -> indexes into Conflicts
}

// Snapshot returns a deep copy of the model with lookup indexes.
func (m *Model) Snapshot() *Snapshot { return NewSnapshot(m.State()) }

// NewSnapshot indexes s, which it takes ownership of. s is assumed to be
// consistent (as produced by Model.State); use FromState to validate
// untrusted state first.
func NewSnapshot(s State) *Snapshot {
	slices.SortFunc(s.Hosts, func(a, b Host) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Pods, func(a, b Pod) int { return cmp.Compare(a.Name, b.Name) })
	byID := func(a, b Attachment) int { return cmp.Compare(a.ID, b.ID) }
	if !slices.IsSortedFunc(s.Attachments, byID) {
		slices.SortFunc(s.Attachments, byID)
	}
	snap := &Snapshot{
		Hosts:        s.Hosts,
		Pods:         s.Pods,
		Attachments:  s.Attachments,
		Learned:      s.Learned,
		Conflicts:    s.Conflicts,
		hostIndex:    make(map[string]int, len(s.Hosts)),
		hostByDPID:   make(map[DatapathID]int, len(s.Hosts)),
		podIndex:     make(map[string]int, len(s.Pods)),
		podByVNI:     make(map[uint32]int, len(s.Pods)),
		onHost:       map[string][]int{},
		inPod:        map[string][]int{},
		hostsWithPod: map[string][]string{},
	}
	for i, h := range s.Hosts {
		snap.hostIndex[h.Name] = i
		snap.hostByDPID[h.DatapathID] = i
	}
	for i, p := range s.Pods {
		snap.podIndex[p.Name] = i
		snap.podByVNI[p.VNI] = i
	}
	podHosts := map[string]map[string]struct{}{}
	for i, a := range s.Attachments {
		snap.onHost[a.Host] = append(snap.onHost[a.Host], i)
		snap.inPod[a.Pod] = append(snap.inPod[a.Pod], i)
		if podHosts[a.Pod] == nil {
			podHosts[a.Pod] = map[string]struct{}{}
		}
		podHosts[a.Pod][a.Host] = struct{}{}
	}
	snap.indexLearned()
	for pod, hosts := range podHosts {
		names := make([]string, 0, len(hosts))
		for h := range hosts {
			names = append(names, h)
		}
		slices.Sort(names)
		snap.hostsWithPod[pod] = names
	}
	return snap
}

// Host returns the named host.
func (s *Snapshot) Host(name string) (Host, bool) {
	i, ok := s.hostIndex[name]
	if !ok {
		return Host{}, false
	}
	return s.Hosts[i], true
}

// HostByDatapathID returns the host whose bridge has datapath id d.
func (s *Snapshot) HostByDatapathID(d DatapathID) (Host, bool) {
	i, ok := s.hostByDPID[d]
	if !ok {
		return Host{}, false
	}
	return s.Hosts[i], true
}

// Pod returns the named pod.
func (s *Snapshot) Pod(name string) (Pod, bool) {
	i, ok := s.podIndex[name]
	if !ok {
		return Pod{}, false
	}
	return s.Pods[i], true
}

// PodByVNI returns the pod with the given VNI.
func (s *Snapshot) PodByVNI(vni uint32) (Pod, bool) {
	i, ok := s.podByVNI[vni]
	if !ok {
		return Pod{}, false
	}
	return s.Pods[i], true
}

// AttachmentsOn returns the attachments on host, sorted by id.
func (s *Snapshot) AttachmentsOn(host string) []Attachment {
	return s.pick(s.onHost[host])
}

// Members returns the attachments in pod, sorted by id.
func (s *Snapshot) Members(pod string) []Attachment {
	return s.pick(s.inPod[pod])
}

// HostsWithPod returns the sorted names of hosts with at least one member
// of pod.
func (s *Snapshot) HostsWithPod(pod string) []string {
	return slices.Clone(s.hostsWithPod[pod])
}

func (s *Snapshot) pick(idx []int) []Attachment {
	out := make([]Attachment, len(idx))
	for i, j := range idx {
		out[i] = s.Attachments[j]
	}
	return out
}

// MemberCount returns how many attachments pod has, without copying them.
func (s *Snapshot) MemberCount(pod string) int { return len(s.inPod[pod]) }
