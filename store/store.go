// Package store persists the topology. The controller only sees the Store
// interface, so backends can be swapped: Bolt (a local bbolt file) for a
// single controller, Memory for tests, and later a replicated one such as
// etcd.
//
// A Store holds records, not a Model: it does not re-check topology rules.
// The controller validates changes in topology.Model first and then writes
// the same change through Update, so the store and the model agree.
package store

import (
	"errors"

	"github.com/lorispack/loris/topology"
)

// Tx is one atomic batch of writes. Deleting a record that does not exist is
// not an error, so replaying a change is harmless.
type Tx interface {
	PutHost(topology.Host) error
	DeleteHost(name string) error
	PutPod(topology.Pod) error
	DeletePod(name string) error
	PutAttachment(topology.Attachment) error
	// DeleteAttachment also deletes the attachment's learned bindings and
	// conflicts.
	DeleteAttachment(id string) error
	PutLearned(topology.Binding) error
	DeleteLearned(attachmentID string, mac topology.MAC) error
	PutConflict(topology.Conflict) error
	DeleteConflict(attachmentID string, mac topology.MAC) error
}

// Store is a persistent home for topology state.
type Store interface {
	// Load returns everything stored, sorted like topology.State.
	Load() (topology.State, error)
	// Update runs fn in a transaction: if fn returns an error (or any write
	// fails) nothing is written and that error is returned.
	Update(fn func(Tx) error) error
	Close() error
}

// ErrClosed is returned by operations on a closed store.
var ErrClosed = errors.New("store is closed")

var (
	_ Store = (*Bolt)(nil)
	_ Store = (*Memory)(nil)
)
