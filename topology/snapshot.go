package topology

import (
	"slices"
)

// Snapshot is an immutable, indexed view of a Model at one instant, safe
// to read from any goroutine while the model changes. It shares its storage
// with the model and with other snapshots (the model only ever replaces
// what a snapshot holds, never changes it), so taking one costs O(what
// changed since the previous one), not O(model). The exported slices are
// sorted by name and must be treated as read-only; lookup methods return
// fresh copies.
type Snapshot struct {
	Hosts []Host
	Pods  []Pod

	hosts        *hostTable
	pods         *podTable
	all          idList
	onHost       shardedMap[idList]
	inPod        shardedMap[idList]
	hostsWithPod shardedMap[hostNames]
	learnedIn    shardedMap[int]

	attachVersion uint64
}

// Snapshot returns the model's current state as a Snapshot.
func (m *Model) Snapshot() *Snapshot {
	p := &m.parts
	hosts, pods := m.hostTable(), m.podTable()
	s := &Snapshot{
		Hosts:        hosts.sorted,
		Pods:         pods.sorted,
		hosts:        hosts,
		pods:         pods,
		all:          p.all,
		onHost:       p.onHost.shared(),
		inPod:        p.inPod.shared(),
		hostsWithPod: p.hostsWithPod.shared(),
		learnedIn:    p.learnedIn.shared(),

		attachVersion: p.attachVersion,
	}
	// Everything above is now visible to s: from here on the model copies
	// before it changes any of it.
	p.epoch++
	return s
}

// NewSnapshot indexes s, which is assumed to be consistent (as produced by
// Model.State); use FromState to validate untrusted state first. Learned
// bindings and conflicts of attachments not in s are left out.
func NewSnapshot(s State) *Snapshot {
	m := newEmpty()
	for _, h := range s.Hosts {
		m.insertHost(h)
	}
	for _, p := range s.Pods {
		m.insertPod(p)
	}
	for _, a := range s.Attachments {
		m.insertAttachment(a)
	}
	for _, b := range s.Learned {
		if _, ok := m.attachments[b.AttachmentID]; ok {
			m.insertLearned(b)
		}
	}
	for _, c := range s.Conflicts {
		if _, ok := m.attachments[c.AttachmentID]; ok {
			m.insertConflict(c)
		}
	}
	return m.Snapshot()
}

// Host returns the named host.
func (s *Snapshot) Host(name string) (Host, bool) {
	h, ok := s.hosts.byName[name]
	return h, ok
}

// HostByDatapathID returns the host whose bridge has datapath id d.
func (s *Snapshot) HostByDatapathID(d DatapathID) (Host, bool) {
	h, ok := s.hosts.byDPID[d]
	return h, ok
}

// Pod returns the named pod.
func (s *Snapshot) Pod(name string) (Pod, bool) {
	p, ok := s.pods.byName[name]
	return p, ok
}

// PodByVNI returns the pod with the given VNI.
func (s *Snapshot) PodByVNI(vni uint32) (Pod, bool) {
	p, ok := s.pods.byVNI[vni]
	return p, ok
}

// AttachmentList returns every attachment, sorted by id. It copies all of
// them: for one host or pod use AttachmentsOn or Members.
func (s *Snapshot) AttachmentList() []Attachment { return s.all.attachments() }

// Attachment returns the attachment with the given id.
func (s *Snapshot) Attachment(id string) (Attachment, bool) {
	r, ok := s.all.get(id)
	if !ok {
		return Attachment{}, false
	}
	return r.Attachment, true
}

// AttachmentCount returns how many attachments there are, without copying
// them.
func (s *Snapshot) AttachmentCount() int { return s.all.Len() }

// AttachmentsVersion identifies the snapshot's set of attachments: two
// snapshots of one model with the same version hold the same attachments,
// field for field (their learned MACs and conflicts may differ). A reader
// that indexes attachments can keep its index while the version stays.
func (s *Snapshot) AttachmentsVersion() uint64 { return s.attachVersion }

// AttachmentsOn returns the attachments on host, sorted by id.
func (s *Snapshot) AttachmentsOn(host string) []Attachment {
	return s.onHost.get(host).attachments()
}

// AttachmentsOnWhere returns the attachments on host that keep accepts,
// sorted by id, copying only those. keep must not change or retain what
// it is shown.
func (s *Snapshot) AttachmentsOnWhere(host string, keep func(*Attachment) bool) []Attachment {
	var out []Attachment
	s.onHost.get(host).each(func(r *record) {
		if keep(&r.Attachment) {
			out = append(out, r.Attachment)
		}
	})
	return out
}

// AnyAttachmentOn reports whether match holds for one of the attachments
// on host, trying them in id order and stopping at the first that
// matches; nothing is copied. match must not keep or change the
// attachment.
func (s *Snapshot) AnyAttachmentOn(host string, match func(*Attachment) bool) bool {
	return s.onHost.get(host).any(func(r *record) bool { return match(&r.Attachment) })
}

// Members returns the attachments in pod, sorted by id.
func (s *Snapshot) Members(pod string) []Attachment {
	return s.inPod.get(pod).attachments()
}

// HostsWithPod returns the sorted names of hosts with at least one member
// of pod.
func (s *Snapshot) HostsWithPod(pod string) []string {
	return slices.Clone(s.hostsWithPod.get(pod).names)
}

// MemberCount returns how many attachments pod has, without copying them.
func (s *Snapshot) MemberCount(pod string) int { return s.inPod.get(pod).Len() }
