package store

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	"github.com/lorispack/loris/topology"
)

// Learned bindings and conflicts are keyed "<attachment id>/<mac>", so
// that deleting an attachment can delete everything learned about it by
// prefix.

func attachmentPrefix(id string) string { return id + "/" }

func learnedKey(attachmentID string, mac topology.MAC) (string, error) {
	if attachmentID == "" {
		return "", fmt.Errorf("store: MAC %s without attachment id", mac)
	}
	return attachmentPrefix(attachmentID) + mac.String(), nil
}

func sortLearned(s *topology.State) {
	slices.SortFunc(s.Learned, func(a, b topology.Binding) int {
		if c := cmp.Compare(a.Pod, b.Pod); c != 0 {
			return c
		}
		return slices.Compare(a.MAC[:], b.MAC[:])
	})
	slices.SortFunc(s.Conflicts, func(a, b topology.Conflict) int {
		if c := cmp.Compare(a.Pod, b.Pod); c != 0 {
			return c
		}
		if c := slices.Compare(a.MAC[:], b.MAC[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.AttachmentID, b.AttachmentID)
	})
}

func (t *boltTx) PutLearned(b topology.Binding) error {
	k, err := learnedKey(b.AttachmentID, b.MAC)
	if err != nil {
		return err
	}
	return t.put(bucketLearned, k, b)
}

func (t *boltTx) DeleteLearned(attachmentID string, mac topology.MAC) error {
	k, err := learnedKey(attachmentID, mac)
	if err != nil {
		return err
	}
	return t.del(bucketLearned, k)
}

func (t *boltTx) PutConflict(c topology.Conflict) error {
	k, err := learnedKey(c.AttachmentID, c.MAC)
	if err != nil {
		return err
	}
	return t.put(bucketConflicts, k, c)
}

func (t *boltTx) DeleteConflict(attachmentID string, mac topology.MAC) error {
	k, err := learnedKey(attachmentID, mac)
	if err != nil {
		return err
	}
	return t.del(bucketConflicts, k)
}

func (t *boltTx) delPrefix(bucket []byte, prefix string) error {
	c := t.tx.Bucket(bucket).Cursor()
	p := []byte(prefix)
	var keys [][]byte
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := t.tx.Bucket(bucket).Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (t *memoryTx) PutLearned(b topology.Binding) error {
	k, err := learnedKey(b.AttachmentID, b.MAC)
	if err != nil {
		return err
	}
	remember(t, t.data.learned, k)
	t.data.learned[k] = b
	return nil
}

func (t *memoryTx) DeleteLearned(attachmentID string, mac topology.MAC) error {
	k, err := learnedKey(attachmentID, mac)
	if err != nil {
		return err
	}
	remember(t, t.data.learned, k)
	delete(t.data.learned, k)
	return nil
}

func (t *memoryTx) PutConflict(c topology.Conflict) error {
	k, err := learnedKey(c.AttachmentID, c.MAC)
	if err != nil {
		return err
	}
	remember(t, t.data.conflicts, k)
	t.data.conflicts[k] = c
	return nil
}

func (t *memoryTx) DeleteConflict(attachmentID string, mac topology.MAC) error {
	k, err := learnedKey(attachmentID, mac)
	if err != nil {
		return err
	}
	remember(t, t.data.conflicts, k)
	delete(t.data.conflicts, k)
	return nil
}
