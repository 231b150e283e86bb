package store

import (
	"reflect"
	"testing"

	"github.com/lorispack/loris/topology"
)

func TestLearnedAndConflictsPersistAndCascade(t *testing.T) {
	backends(t, func(t *testing.T, s Store) {
		st := sampleState(t)
		_, err := topology.FromState(st)
		if err != nil {
			t.Fatal(err)
		}
		a, b := st.Attachments[0], st.Attachments[1]
		// Put both in one pod so that b can conflict with a.
		mac := topology.MAC{0x02, 0xee, 0, 0, 0, 1}
		learned := topology.Binding{Pod: a.Pod, MAC: mac, Host: a.Host, AttachmentID: a.ID, Port: a.Port, Learned: true, Since: a.Created}
		conflict := topology.Conflict{Pod: b.Pod, MAC: b.MAC, Host: b.Host, AttachmentID: b.ID, Port: b.Port, HolderID: a.ID, Since: a.Created}
		err = s.Update(func(tx Tx) error {
			if err := putState(tx, st); err != nil {
				return err
			}
			if err := tx.PutLearned(learned); err != nil {
				return err
			}
			return tx.PutConflict(conflict)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Learned, []topology.Binding{learned}) || !reflect.DeepEqual(got.Conflicts, []topology.Conflict{conflict}) {
			t.Fatalf("loaded %+v %+v", got.Learned, got.Conflicts)
		}
		if err := s.Update(func(tx Tx) error { return tx.DeleteAttachment(a.ID) }); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Load()
		if len(got.Learned) != 0 || len(got.Conflicts) != 1 {
			t.Fatalf("after deleting a: learned %+v conflicts %+v (want a's learned gone, b's conflict kept)", got.Learned, got.Conflicts)
		}
		if err := s.Update(func(tx Tx) error { return tx.DeleteConflict(b.ID, b.MAC) }); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Load()
		if len(got.Conflicts) != 0 {
			t.Fatalf("conflict not deleted: %+v", got.Conflicts)
		}
		if err := s.Update(func(tx Tx) error { return tx.PutLearned(topology.Binding{MAC: mac}) }); err == nil {
			t.Fatal("learned binding without attachment id accepted")
		}
	})
}
