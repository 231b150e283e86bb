package topology

import (
	"errors"
	"reflect"
	"testing"
)

// learnModel has pod p with a on h1 and b on h2, and pod q with c on h1.
func learnModel(t *testing.T) (*Model, Attachment, Attachment, Attachment) {
	t.Helper()
	m := newTestModel(t)
	for i, h := range []string{"h1", "h2"} {
		if _, _, err := m.AddHost(host(h, i+1)); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"p", "q"} {
		if _, err := m.AddPod(p, 0); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(h, ctr, ip, pod string) Attachment {
		at := attachment(h, ctr, ip)
		at.Pod = pod
		out, err := m.Attach(at)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return m, mk("h1", "a", "10.0.0.1/24", "p"), mk("h2", "b", "10.0.0.2/24", "p"), mk("h1", "c", "10.0.0.3/24", "q")
}

var macX = MAC{0x02, 0xaa, 0, 0, 0, 1}

func TestLearnFreeBindsAndStaticIsAlreadyBound(t *testing.T) {
	m, a, other, _ := learnModel(t)
	out, err := m.Learn(a.ID, a.MAC)
	if err != nil || out.Result != LearnAlreadyBound || out.New || out.Binding.Learned {
		t.Fatalf("own static MAC: %+v, %v", out, err)
	}
	out, err = m.Learn(a.ID, macX)
	if err != nil || out.Result != LearnBound || !out.New || !out.Binding.Learned || out.Binding.Port != a.Port || out.Binding.Host != "h1" {
		t.Fatalf("free MAC: %+v, %v", out, err)
	}
	out, err = m.Learn(a.ID, macX)
	if err != nil || out.Result != LearnAlreadyBound || out.New {
		t.Fatalf("second learn: %+v, %v", out, err)
	}
	if got := len(m.Bindings()); got != 4 {
		t.Fatalf("bindings: %d, want 3 static + 1 learned", got)
	}
	snap := m.Snapshot()
	if !snap.Holds(a.ID, a.MAC) || !snap.Holds(a.ID, macX) || snap.Holds(a.ID, MAC{0x02, 9, 9, 9, 9, 9}) || snap.Holds("nope", macX) {
		t.Fatal("Holds: want a's own and learned MAC only")
	}
	if !snap.HasLearned(a.ID) || snap.HasLearned(other.ID) || snap.HasLearned("nope") {
		t.Fatal("HasLearned: want true for a only")
	}
	if !snap.HasLearnedMAC(a.ID, macX) || snap.HasLearnedMAC(a.ID, a.MAC) || snap.HasLearnedMAC(other.ID, macX) || snap.HasLearnedMAC("nope", macX) {
		t.Fatal("HasLearnedMAC: want a's learned MAC only, not its own")
	}
	// Learning changes no attachment: readers' attachment indexes hold.
	if v := m.Snapshot().AttachmentsVersion(); v != snap.AttachmentsVersion() {
		t.Fatalf("AttachmentsVersion moved from %d to %d with no attachment changed", snap.AttachmentsVersion(), v)
	}
	if _, err := m.Learn(a.ID, MAC{0x02, 7, 7, 7, 7, 7}); err != nil {
		t.Fatal(err)
	}
	if m.Snapshot().AttachmentsVersion() != snap.AttachmentsVersion() {
		t.Fatal("AttachmentsVersion moved on a learn")
	}
	if _, err := m.Detach(other.ID); err != nil {
		t.Fatal(err)
	}
	if m.Snapshot().AttachmentsVersion() == snap.AttachmentsVersion() {
		t.Fatal("AttachmentsVersion did not move on a detach")
	}
	// A learned MAC is taken for attach too.
	b := attachment("h2", "d", "10.0.0.9/24")
	b.Pod, b.MAC = "p", macX
	mustNotChange(t, m, ErrConflict, func() error { _, err := m.Attach(b); return err })
}

func TestLearnConflictRefusesAndKeepsHolder(t *testing.T) {
	m, a, b, c := learnModel(t)
	out, err := m.Learn(b.ID, a.MAC)
	if err != nil || out.Result != LearnRefused || !out.New {
		t.Fatalf("b sending a's MAC: %+v, %v", out, err)
	}
	if out.Binding.AttachmentID != a.ID || out.Conflict.HolderID != a.ID || out.Conflict.HolderHost != "h1" || out.Conflict.Host != "h2" {
		t.Fatalf("conflict details: %+v", out)
	}
	again, _ := m.Learn(b.ID, a.MAC)
	if again.Result != LearnRefused || again.New {
		t.Fatalf("repeat: %+v", again)
	}
	if hb, _ := m.BindingOf("p", a.MAC); hb.AttachmentID != a.ID {
		t.Fatalf("holder changed: %+v", hb)
	}
	// Another pod may use the same MAC.
	if out, err := m.Learn(c.ID, a.MAC); err != nil || out.Result != LearnBound {
		t.Fatalf("other pod: %+v, %v", out, err)
	}
	if got := m.Conflicts(); len(got) != 1 {
		t.Fatalf("conflicts: %+v", got)
	}
}

func TestReleaseLetsTheMACMove(t *testing.T) {
	m, a, b, _ := learnModel(t)
	if _, err := m.Learn(a.ID, macX); err != nil {
		t.Fatal(err)
	}
	if out, _ := m.Learn(b.ID, macX); out.Result != LearnRefused {
		t.Fatalf("want refused, got %+v", out)
	}
	released, cleared := m.ReleaseLearned(a.ID)
	if len(released) != 1 || released[0].MAC != macX || len(cleared) != 1 || cleared[0].AttachmentID != b.ID {
		t.Fatalf("release: %+v %+v", released, cleared)
	}
	if len(m.Conflicts()) != 0 {
		t.Fatalf("conflicts left: %+v", m.Conflicts())
	}
	if out, _ := m.Learn(b.ID, macX); out.Result != LearnBound {
		t.Fatalf("after release: %+v", out)
	}
	// Detaching the holder frees its static MAC and clears conflicts over it.
	if out, _ := m.Learn(b.ID, a.MAC); out.Result != LearnRefused {
		t.Fatalf("want refused, got %+v", out)
	}
	if _, err := m.Detach(a.ID); err != nil {
		t.Fatal(err)
	}
	if len(m.Conflicts()) != 0 {
		t.Fatalf("conflicts after holder detach: %+v", m.Conflicts())
	}
	if out, _ := m.Learn(b.ID, a.MAC); out.Result != LearnBound {
		t.Fatalf("after holder detach: %+v", out)
	}
	// Detaching b releases everything it learned.
	if _, err := m.Detach(b.ID); err != nil {
		t.Fatal(err)
	}
	for _, bd := range m.Bindings() {
		if bd.Learned {
			t.Fatalf("learned binding survived detach: %+v", bd)
		}
	}
}

func TestLearnLimitsAndBadInput(t *testing.T) {
	m, a, b, _ := learnModel(t)
	for i := range MaxLearnedPerAttachment {
		if out, err := m.Learn(a.ID, MAC{0x02, 0xbb, 0, 0, 0, byte(i)}); err != nil || out.Result != LearnBound {
			t.Fatalf("learn %d: %+v %v", i, out, err)
		}
	}
	if out, err := m.Learn(a.ID, MAC{0x02, 0xcc, 0, 0, 0, 1}); err != nil || out.Result != LearnLimited || out.New {
		t.Fatalf("over the limit: %+v %v", out, err)
	}
	for i := range MaxConflictsPerAttachment {
		if i < MaxLearnedPerAttachment {
			if out, _ := m.Learn(b.ID, MAC{0x02, 0xbb, 0, 0, 0, byte(i)}); out.Result != LearnRefused {
				t.Fatalf("conflict %d: %+v", i, out)
			}
		}
	}
	if _, err := m.Learn(a.ID, MAC{0x01, 0, 0, 0, 0, 1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("multicast: %v", err)
	}
	if _, err := m.Learn("nope", macX); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown attachment: %v", err)
	}
}

func TestLearnedStateRoundTrips(t *testing.T) {
	m, a, b, _ := learnModel(t)
	m.Learn(a.ID, macX)
	m.Learn(b.ID, macX)
	s := m.State()
	if len(s.Learned) != 1 || len(s.Conflicts) != 1 {
		t.Fatalf("state: %+v %+v", s.Learned, s.Conflicts)
	}
	m2, err := FromState(s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m2.State(), s) {
		t.Fatalf("round trip differs:\n%+v\n%+v", m2.State(), s)
	}
	// Records about a detached attachment are dropped on load.
	s.Attachments = s.Attachments[:0]
	for _, at := range m.State().Attachments {
		if at.ID != a.ID {
			s.Attachments = append(s.Attachments, at)
		}
	}
	m3, err := FromState(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := m3.State(); len(got.Learned) != 0 || len(got.Conflicts) != 0 {
		t.Fatalf("orphans kept: %+v %+v", got.Learned, got.Conflicts)
	}
	// A conflict whose holder left (cleared in memory, still in the store)
	// is not restored, even when someone else now holds the MAC.
	stale := m.State()
	stale.Conflicts[0].HolderID = "someone-else"
	m4, err := FromState(stale)
	if err != nil {
		t.Fatal(err)
	}
	if got := m4.State().Conflicts; len(got) != 0 {
		t.Fatalf("stale conflict restored: %+v", got)
	}
	snap := m2.Snapshot()
	if got := snap.LearnedOf(a.ID); len(got) != 1 || got[0].MAC != macX {
		t.Fatalf("snapshot LearnedOf: %+v", got)
	}
	if got := snap.ConflictsOf(b.ID); len(got) != 1 {
		t.Fatalf("snapshot ConflictsOf: %+v", got)
	}
	if got := snap.Bindings("p"); len(got) != 3 {
		t.Fatalf("snapshot bindings of p: %+v", got)
	}
}
