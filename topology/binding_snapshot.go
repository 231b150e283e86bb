package topology

// LearnedOf returns the learned bindings of an attachment, sorted by MAC.
func (s *Snapshot) LearnedOf(id string) []Binding {
	r, ok := s.all.get(id)
	if !ok {
		return []Binding{}
	}
	return append(make([]Binding, 0, len(r.learned)), r.learned...)
}

// HasLearned reports whether attachment id has learned MACs, without
// copying them.
func (s *Snapshot) HasLearned(id string) bool {
	r, ok := s.all.get(id)
	return ok && len(r.learned) > 0
}

// Holds reports whether attachment id holds mac, as its own MAC or a
// learned one, without copying anything: the check a stream of frames
// makes once per frame.
func (s *Snapshot) Holds(id string, mac MAC) bool {
	r, ok := s.all.get(id)
	if !ok {
		return false
	}
	return r.Attachment.MAC == mac || r.hasLearned(mac)
}

// HasLearnedMAC reports whether attachment id learned mac, copying
// nothing.
func (s *Snapshot) HasLearnedMAC(id string, mac MAC) bool {
	r, ok := s.all.get(id)
	return ok && r.hasLearned(mac)
}

// ConflictsOf returns the conflicts recorded against an attachment, sorted
// by MAC.
func (s *Snapshot) ConflictsOf(id string) []Conflict {
	r, ok := s.all.get(id)
	if !ok {
		return []Conflict{}
	}
	return append(make([]Conflict, 0, len(r.conflicts)), r.conflicts...)
}

// LearnedCount returns how many learned bindings pod has ("" = all pods).
func (s *Snapshot) LearnedCount(pod string) int {
	if pod != "" {
		return s.learnedIn.get(pod)
	}
	n := 0
	s.learnedIn.each(func(_ string, c int) { n += c })
	return n
}

// records returns the records of pod's members ("" = every attachment).
func (s *Snapshot) records(pod string) idList {
	if pod == "" {
		return s.all
	}
	return s.inPod.get(pod)
}

// Bindings returns every binding, static and learned, of pod ("" = all
// pods), sorted by pod and MAC.
func (s *Snapshot) Bindings(pod string) []Binding {
	var out []Binding
	s.records(pod).each(func(r *record) {
		out = append(out, staticBinding(r.Attachment))
		out = append(out, r.learned...)
	})
	sortBindings(out)
	return out
}

// ConflictsIn returns the conflicts of pod ("" = all pods), sorted by pod,
// MAC and attachment.
func (s *Snapshot) ConflictsIn(pod string) []Conflict {
	var out []Conflict
	s.records(pod).each(func(r *record) { out = append(out, r.conflicts...) })
	sortConflicts(out)
	return out
}
