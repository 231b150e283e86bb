package topology

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Binding ties a MAC to one attachment's port within a pod: frames from
// that port with that source MAC belong to the pod, and frames to that MAC
// in the pod go to that port. Every attachment's own MAC is a static
// binding for as long as it is attached; learned bindings are extra MACs
// the controller saw on the port (a container changing its MAC, a bridge
// or macvlan inside it).
type Binding struct {
	Pod          string    `json:"pod"`
	MAC          MAC       `json:"mac"`
	Host         string    `json:"host"`
	AttachmentID string    `json:"attachment_id"`
	Port         string    `json:"port"`
	Learned      bool      `json:"learned"`
	Since        time.Time `json:"since"`
}

// Conflict records that a port sent from a MAC already bound to another
// attachment of its pod. The port's frames from that MAC are dropped on its
// host until the holder's binding goes away or the port does.
type Conflict struct {
	Pod          string    `json:"pod"`
	MAC          MAC       `json:"mac"`
	Host         string    `json:"host"`
	AttachmentID string    `json:"attachment_id"`
	Port         string    `json:"port"`
	HolderID     string    `json:"holder_id"`
	HolderHost   string    `json:"holder_host"`
	Since        time.Time `json:"since"`
}

// Limits on what one attachment can make the controller remember, so that
// a container sending from random MACs cannot grow the model (and every
// host's flow table) without bound.
const (
	MaxLearnedPerAttachment   = 16
	MaxConflictsPerAttachment = 64
)

// LearnResult says what Learn did.
type LearnResult uint8

const (
	// LearnBound: the MAC was free in the pod and is now bound to the port.
	LearnBound LearnResult = iota + 1
	// LearnAlreadyBound: the MAC was already bound to this attachment.
	LearnAlreadyBound
	// LearnRefused: another attachment of the pod holds the MAC; a Conflict
	// was recorded (or already existed).
	LearnRefused
	// LearnLimited: the attachment already has MaxLearnedPerAttachment
	// learned MACs (or MaxConflictsPerAttachment conflicts); nothing changed.
	LearnLimited
)

func (r LearnResult) String() string {
	switch r {
	case LearnBound:
		return "bound"
	case LearnAlreadyBound:
		return "already-bound"
	case LearnRefused:
		return "refused"
	case LearnLimited:
		return "limited"
	}
	return fmt.Sprintf("LearnResult(%d)", uint8(r))
}

// LearnOutcome is the result of one Learn call. Binding is the new or
// existing binding (LearnBound, LearnAlreadyBound) or the holder's
// (LearnRefused); Conflict is set for LearnRefused, and New says whether
// the call changed the model.
type LearnOutcome struct {
	Result   LearnResult
	Binding  Binding
	Conflict Conflict
	New      bool
}

type attachmentMAC struct {
	id  string
	mac MAC
}

// Learn records that attachment id sent a frame from mac. A free MAC is
// bound to the attachment; a MAC held by another attachment of the pod is
// refused with a Conflict; the MAC of the attachment itself or one it
// already learned changes nothing.
func (m *Model) Learn(id string, mac MAC) (LearnOutcome, error) {
	r, ok := m.attachments[id]
	if !ok {
		return LearnOutcome{}, fmt.Errorf("learn %s: attachment %q: %w", mac, id, ErrNotFound)
	}
	a := r.Attachment
	if err := mac.ValidateUnicast(); err != nil {
		return LearnOutcome{}, fmt.Errorf("learn on %s/%s: %w", a.Host, a.Container, err)
	}
	if holder, used := m.macInPod[podMAC{a.Pod, mac}]; used {
		hb := m.binding(holder, mac)
		if holder == id {
			return LearnOutcome{Result: LearnAlreadyBound, Binding: hb}, nil
		}
		key := attachmentMAC{id, mac}
		if c, exists := m.conflicts[key]; exists {
			return LearnOutcome{Result: LearnRefused, Binding: hb, Conflict: c}, nil
		}
		if len(r.conflicts) >= MaxConflictsPerAttachment {
			return LearnOutcome{Result: LearnLimited}, nil
		}
		c := Conflict{Pod: a.Pod, MAC: mac, Host: a.Host, AttachmentID: id, Port: a.Port,
			HolderID: holder, HolderHost: hb.Host, Since: m.now().UTC().Round(0)}
		m.insertConflict(c)
		return LearnOutcome{Result: LearnRefused, Binding: hb, Conflict: c, New: true}, nil
	}
	if len(r.learned) >= MaxLearnedPerAttachment {
		return LearnOutcome{Result: LearnLimited}, nil
	}
	b := Binding{Pod: a.Pod, MAC: mac, Host: a.Host, AttachmentID: id, Port: a.Port, Learned: true,
		Since: m.now().UTC().Round(0)}
	m.insertLearned(b)
	return LearnOutcome{Result: LearnBound, Binding: b, New: true}, nil
}

// ReleaseLearned forgets the learned bindings and conflicts of attachment
// id (its port went away; its static MAC stays with it). Conflicts other
// attachments had over the released MACs are cleared too, so those ports
// may learn them. It returns what was removed.
func (m *Model) ReleaseLearned(id string) ([]Binding, []Conflict) {
	r, ok := m.attachments[id]
	if !ok || len(r.learned)+len(r.conflicts) == 0 {
		return nil, nil
	}
	released := slices.Clone(r.learned)
	cleared := slices.Clone(r.conflicts)
	m.putRecord(r.with(nil, nil))
	for _, b := range released {
		m.forgetLearned(b)
	}
	for _, c := range cleared {
		m.forgetConflict(c)
	}
	for _, b := range released {
		cleared = append(cleared, m.clearConflictsOver(b.Pod, b.MAC)...)
	}
	sortBindings(released)
	sortConflicts(cleared)
	return released, cleared
}

// clearConflictsOver removes every conflict over (pod, mac): its holder is
// gone.
func (m *Model) clearConflictsOver(pod string, mac MAC) []Conflict {
	var cleared []Conflict
	for id := range m.conflictsOver[podMAC{pod, mac}] {
		c := m.conflicts[attachmentMAC{id, mac}]
		cleared = append(cleared, c)
		r := m.attachments[id]
		m.putRecord(r.with(r.learned, withoutMAC(r.conflicts, mac, conflictMAC)))
		m.forgetConflict(c)
	}
	return cleared
}

// Bindings returns every binding, static and learned, sorted by pod, MAC.
func (m *Model) Bindings() []Binding {
	out := make([]Binding, 0, len(m.attachments)+len(m.learned))
	for _, r := range m.attachments {
		out = append(out, staticBinding(r.Attachment))
	}
	for _, b := range m.learned {
		out = append(out, b)
	}
	sortBindings(out)
	return out
}

// Conflicts returns every recorded conflict, sorted by pod, MAC, host.
func (m *Model) Conflicts() []Conflict {
	out := make([]Conflict, 0, len(m.conflicts))
	for _, c := range m.conflicts {
		out = append(out, c)
	}
	sortConflicts(out)
	return out
}

// BindingOf returns who holds mac in pod.
func (m *Model) BindingOf(pod string, mac MAC) (Binding, bool) {
	id, ok := m.macInPod[podMAC{pod, mac}]
	if !ok {
		return Binding{}, false
	}
	return m.binding(id, mac), true
}

func (m *Model) binding(id string, mac MAC) Binding {
	r := m.attachments[id]
	if r.MAC == mac {
		return staticBinding(r.Attachment)
	}
	return m.learned[podMAC{r.Pod, mac}]
}

func staticBinding(a Attachment) Binding {
	return Binding{Pod: a.Pod, MAC: a.MAC, Host: a.Host, AttachmentID: a.ID, Port: a.Port, Since: a.Created}
}

func (m *Model) insertLearned(b Binding) {
	key := podMAC{b.Pod, b.MAC}
	m.learned[key] = b
	m.macInPod[key] = b.AttachmentID
	r := m.attachments[b.AttachmentID]
	m.putRecord(r.with(withMAC(r.learned, b, bindingMAC), r.conflicts))
	m.countLearned(b.Pod, 1)
}

// forgetLearned drops b from the model's maps; the caller updates the
// attachment's record.
func (m *Model) forgetLearned(b Binding) {
	key := podMAC{b.Pod, b.MAC}
	delete(m.learned, key)
	delete(m.macInPod, key)
	m.countLearned(b.Pod, -1)
}

func (m *Model) insertConflict(c Conflict) {
	m.conflicts[attachmentMAC{c.AttachmentID, c.MAC}] = c
	over := podMAC{c.Pod, c.MAC}
	if m.conflictsOver[over] == nil {
		m.conflictsOver[over] = map[string]struct{}{}
	}
	m.conflictsOver[over][c.AttachmentID] = struct{}{}
	r := m.attachments[c.AttachmentID]
	m.putRecord(r.with(r.learned, withMAC(r.conflicts, c, conflictMAC)))
}

// forgetConflict drops c from the model's maps; the caller updates the
// attachment's record.
func (m *Model) forgetConflict(c Conflict) {
	delete(m.conflicts, attachmentMAC{c.AttachmentID, c.MAC})
	over := podMAC{c.Pod, c.MAC}
	delete(m.conflictsOver[over], c.AttachmentID)
	if len(m.conflictsOver[over]) == 0 {
		delete(m.conflictsOver, over)
	}
}

func bindingMAC(b Binding) MAC   { return b.MAC }
func conflictMAC(c Conflict) MAC { return c.MAC }

// withMAC returns a new slice: s, sorted by MAC, with v added.
func withMAC[T any](s []T, v T, mac func(T) MAC) []T {
	k := mac(v)
	i, _ := slices.BinarySearchFunc(s, k, func(e T, k MAC) int { return compareMAC(mac(e), k) })
	return slices.Insert(slices.Clip(s), i, v)
}

// withoutMAC returns a new slice: s without the entry for k (nil if
// nothing is left).
func withoutMAC[T any](s []T, k MAC, mac func(T) MAC) []T {
	i, found := slices.BinarySearchFunc(s, k, func(e T, k MAC) int { return compareMAC(mac(e), k) })
	if !found {
		return s
	}
	if len(s) == 1 {
		return nil
	}
	return slices.Delete(slices.Clone(s), i, i+1)
}

func compareMAC(a, b MAC) int { return slices.Compare(a[:], b[:]) }

// releaseAll removes everything attachment a learned or was refused, and
// the conflicts others had over its MACs; used when a leaves the model.
func (m *Model) releaseAll(a Attachment) {
	m.ReleaseLearned(a.ID)
	m.clearConflictsOver(a.Pod, a.MAC)
}

// restoreLearned re-adds persisted learned bindings and conflicts. Records
// about attachments that no longer exist, and conflicts whose recorded
// holder no longer holds the MAC, are dropped: a detach removes the
// attachment's own records with it, and a stale conflict would block a MAC
// that is free or wrongly accuse a port.
func (m *Model) restoreLearned(s State) error {
	for _, b := range s.Learned {
		a, ok := m.attachments[b.AttachmentID]
		if !ok {
			continue
		}
		if err := b.MAC.ValidateUnicast(); err != nil {
			return fmt.Errorf("learned binding on %s: %w", b.AttachmentID, err)
		}
		if holder, used := m.macInPod[podMAC{a.Pod, b.MAC}]; used {
			return fmt.Errorf("learned MAC %s of %s already bound to %s in pod %s: %w", b.MAC, m.describe(b.AttachmentID), m.describe(holder), a.Pod, ErrConflict)
		}
		b.Pod, b.Host, b.Port, b.Learned = a.Pod, a.Host, a.Port, true
		m.insertLearned(b)
	}
	for _, c := range s.Conflicts {
		a, ok := m.attachments[c.AttachmentID]
		if !ok {
			continue
		}
		// A conflict is with one holder: if the MAC is free now, or held
		// by someone else (the holder was detached, which clears its
		// conflicts in memory but leaves other attachments' records in the
		// store), the record is stale.
		holder, used := m.macInPod[podMAC{a.Pod, c.MAC}]
		if !used || holder == c.AttachmentID || holder != c.HolderID {
			continue
		}
		c.Pod, c.Host, c.Port = a.Pod, a.Host, a.Port
		c.HolderHost = m.attachments[holder].Host
		m.insertConflict(c)
	}
	return nil
}

func (m *Model) learnedState() ([]Binding, []Conflict) {
	learned := make([]Binding, 0, len(m.learned))
	for _, b := range m.learned {
		learned = append(learned, b)
	}
	sortBindings(learned)
	return learned, m.Conflicts()
}

func sortBindings(bs []Binding) {
	slices.SortFunc(bs, func(a, b Binding) int {
		if c := cmp.Compare(a.Pod, b.Pod); c != 0 {
			return c
		}
		return slices.Compare(a.MAC[:], b.MAC[:])
	})
}

func sortConflicts(cs []Conflict) {
	slices.SortFunc(cs, func(a, b Conflict) int {
		if c := cmp.Compare(a.Pod, b.Pod); c != 0 {
			return c
		}
		if c := slices.Compare(a.MAC[:], b.MAC[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.AttachmentID, b.AttachmentID)
	})
}
