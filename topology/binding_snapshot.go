package topology

// indexLearned builds the per-attachment indexes of learned bindings and
// conflicts.
func (s *Snapshot) indexLearned() {
	s.learnedOf = make(map[string][]int, len(s.Learned))
	for i, b := range s.Learned {
		s.learnedOf[b.AttachmentID] = append(s.learnedOf[b.AttachmentID], i)
	}
	s.conflictsOf = make(map[string][]int, len(s.Conflicts))
	for i, c := range s.Conflicts {
		s.conflictsOf[c.AttachmentID] = append(s.conflictsOf[c.AttachmentID], i)
	}
}

// LearnedOf returns the learned bindings of an attachment, sorted by MAC.
func (s *Snapshot) LearnedOf(id string) []Binding {
	idx := s.learnedOf[id]
	out := make([]Binding, len(idx))
	for i, j := range idx {
		out[i] = s.Learned[j]
	}
	return out
}

// ConflictsOf returns the conflicts recorded against an attachment.
func (s *Snapshot) ConflictsOf(id string) []Conflict {
	idx := s.conflictsOf[id]
	out := make([]Conflict, len(idx))
	for i, j := range idx {
		out[i] = s.Conflicts[j]
	}
	return out
}

// Bindings returns every binding, static and learned, of pod ("" = all
// pods), sorted by pod and MAC.
func (s *Snapshot) Bindings(pod string) []Binding {
	var out []Binding
	for _, a := range s.Attachments {
		if pod == "" || a.Pod == pod {
			out = append(out, staticBinding(a))
		}
	}
	for _, b := range s.Learned {
		if pod == "" || b.Pod == pod {
			out = append(out, b)
		}
	}
	sortBindings(out)
	return out
}

// ConflictsIn returns the conflicts of pod ("" = all pods).
func (s *Snapshot) ConflictsIn(pod string) []Conflict {
	var out []Conflict
	for _, c := range s.Conflicts {
		if pod == "" || c.Pod == pod {
			out = append(out, c)
		}
	}
	return out
}
