package controller

import (
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
)

// A learn's store write waits for flushDeferred, but an API change made
// meanwhile commits it first, in the same transaction: the store never
// holds a learned MAC of an attachment it no longer has, and never lacks
// one the model had before an API change it stored.
func TestDeferredLearnsCommitInModelOrder(t *testing.T) {
	st := store.NewMemory()
	c, a, b := learnFixture(t, st)
	macX := topology.MAC{0x02, 0xaa, 0, 0, 0, 1}
	macY := topology.MAC{0x02, 0xaa, 0, 0, 0, 2}
	learnDeferred(t, c, a, macX)
	learnDeferred(t, c, b, macY)
	if saved, _ := st.Load(); len(saved.Learned) != 0 {
		t.Fatalf("learned state stored before any flush: %+v", saved.Learned)
	}
	// a is detached: its transaction carries both pending learns first.
	if _, err := c.Detach(a.ID); err != nil {
		t.Fatal(err)
	}
	saved, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.Learned) != 1 || saved.Learned[0].MAC != macY {
		t.Fatalf("stored learned after detach: %+v, want only b's %s", saved.Learned, macY)
	}
	if err := c.flushDeferred(); err != nil {
		t.Fatal(err)
	}
	c2, err := New(Config{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("restart on the store: %v", err)
	}
	if rep, _ := c2.MACs("blue"); len(rep.Bindings) != 2 { // b's own and macY
		t.Fatalf("after restart: %+v", rep.Bindings)
	}
}

// failAfter fails every Update once armed.
type failAfter struct {
	store.Store
	armed atomic.Bool
}

func (f *failAfter) Update(fn func(store.Tx) error) error {
	if f.armed.Load() {
		return errors.New("disk full")
	}
	return f.Store.Update(fn)
}

// A deferred write that cannot be stored takes the model back to the
// stored state: the learned MAC is gone again, and every switch is told
// to reconcile (a full round) so none keeps flows for it.
func TestDeferredFlushFailureRevertsToStore(t *testing.T) {
	st := &failAfter{Store: store.NewMemory()}
	c, a, _ := learnFixture(t, st)
	sw := &session{c: c, kickCh: make(chan struct{}, 1)}
	c.mu.Lock()
	c.sessions[topology.DatapathID(99)] = sw
	c.mu.Unlock()
	st.armed.Store(true)
	macX := topology.MAC{0x02, 0xaa, 0, 0, 0, 1}
	learnDeferred(t, c, a, macX)
	if rep, _ := c.MACs("blue"); len(rep.Bindings) != 3 {
		t.Fatalf("bindings before the flush: %+v", rep.Bindings)
	}
	if err := c.flushDeferred(); err == nil {
		t.Fatal("a failed store write was not reported")
	}
	if rep, _ := c.MACs("blue"); len(rep.Bindings) != 2 {
		t.Fatalf("bindings after a failed store write: %+v, want only the two static ones", rep.Bindings)
	}
	if _, held := c.Snapshot().Pod("blue"); !held {
		t.Fatal("the reload lost the pod")
	}
	sw.mu.Lock()
	full := sw.work.full
	sw.mu.Unlock()
	if !full {
		t.Fatal("switches were not sent back to the stored state")
	}
}

// learnDeferred learns mac on a the way learnMACs does, without starting
// the flush learnMACs starts, so the test decides when writes commit.
func learnDeferred(t *testing.T, c *Controller, a topology.Attachment, mac topology.MAC) {
	t.Helper()
	_, err := c.updateDeferred(nil, func(m *topology.Model, ch *change) (func(store.Tx) error, error) {
		o, err := m.Learn(a.ID, mac)
		if err != nil || !o.New {
			return nil, err
		}
		ch.member(a.Pod, a.ID, mac)
		return func(tx store.Tx) error { return tx.PutLearned(o.Binding) }, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Learning stores its writes by itself, shortly after: a burst of
// learns from several switches ends up stored with no API call and no
// explicit flush.
func TestLearnsReachTheStoreOnTheirOwn(t *testing.T) {
	st := store.NewMemory()
	c, a, b := learnFixture(t, st)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			att := a
			if i%2 == 1 {
				att = b
			}
			if _, _, err := c.learnMACs(nil, []*learnRequest{{att: att, mac: topology.MAC{0x02, 0xaa, 0, 0, 1, byte(i)}}}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	metricsWaitFor(t, "20 learned MACs stored", 5*time.Second, func() bool {
		saved, err := st.Load()
		return err == nil && len(saved.Learned) == 20
	})
	c.wg.Wait() // the flusher ends once nothing is pending
	c.mu.Lock()
	pending := len(c.deferred)
	c.mu.Unlock()
	if pending != 0 || c.flushing.Load() {
		t.Fatalf("after the flusher ended: %d writes pending, flushing=%v", pending, c.flushing.Load())
	}
}
