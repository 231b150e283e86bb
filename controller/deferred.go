package controller

import (
	"time"

	"github.com/lorispack/loris/store"
	"github.com/lorispack/loris/topology"
)

// Deferred persistence of learned state. A learned MAC, a refused one or a
// release is observed state: traffic recreates it. Making the switches
// wait for an fsync before they learn would put a disk write on every new
// MAC's path (and serialise all switches' learning on it), so learning
// changes the model and wakes the switches first, and is stored right
// after, by the learner that made it (flushDeferred), together with any
// other learner's pending writes: one transaction for all of them.
//
// What this trades: a controller killed in the few milliseconds between
// the two forgets those learns. On restart it reconciles the switches to
// the stored state, removing the forgotten MACs' flows; their next frame
// is punted and learned again. Configuration (hosts, pods, attachments)
// is never deferred: the API answers only once it is stored, and its
// transaction carries any pending learned writes before its own, so the
// store always holds a prefix of the model's changes.

// updateDeferred is update for learned state: the model changes and the
// concerned sessions are kicked now; the writes wait for flushDeferred.
// It returns the kicked sessions and the round generation each must reach
// to hold the change. The session of origin (the switch whose frames
// taught the change; nil: none) gets its round at once, the pod's other
// hosts within PeerLearnDelay (kickSoon).
func (c *Controller) updateDeferred(origin *session, mutate func(m *topology.Model, ch *change) (persist func(store.Tx) error, err error)) ([]kickedSession, error) {
	c.mu.Lock()
	ch := &change{}
	persist, err := mutate(c.model, ch)
	if err != nil || persist == nil {
		c.mu.Unlock()
		return nil, err
	}
	c.deferred = append(c.deferred, persist)
	kick := c.publish(ch)
	c.mu.Unlock()
	out := make([]kickedSession, len(kick))
	for i, s := range kick {
		if origin == nil || s == origin {
			s.kick()
		} else {
			s.kickSoon(c.cfg.PeerLearnDelay)
		}
		out[i] = kickedSession{s, s.wantGen.Load()}
	}
	return out, nil
}

// kickedSession is a session woken for a change and the generation whose
// round includes it.
type kickedSession struct {
	s   *session
	gen uint64
}

func (c *Controller) hasDeferred() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.deferred) > 0
}

// flushSpacing is the least time between the starts of two commits of
// learned state: a learn storm makes one commit (and one fsync) per
// spacing, rather than one after the other, each on the CPU the switches
// need. A learn is stored at most about this long plus a commit after
// the switches were told.
const flushSpacing = 10 * time.Millisecond

// scheduleFlush makes sure a flusher runs: one at a time, committing
// whatever is pending when it gets there, so that a burst of learns
// becomes a few transactions, not one each (and not a crowd of
// goroutines queueing for the store).
func (c *Controller) scheduleFlush() {
	if !c.flushing.CompareAndSwap(false, true) {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			// lastFlush belongs to the one flusher running; the
			// flushing flag orders its successive owners.
			time.Sleep(time.Until(c.lastFlush.Add(flushSpacing)))
			c.lastFlush = time.Now()
			c.flushDeferred()
			c.flushing.Store(false)
			// Writes added after the flush took its batch, whose
			// scheduleFlush saw this flusher still running.
			if !c.hasDeferred() || !c.flushing.CompareAndSwap(false, true) {
				return
			}
		}
	}()
}

// takeDeferred hands the pending writes to a transaction about to commit.
// Called with c.mu held.
func (c *Controller) takeDeferred() []func(store.Tx) error {
	w := c.deferred
	c.deferred = nil
	return w
}

// flushDeferred commits every pending learned write in one transaction.
// The commit itself runs without c.mu, so the model and the switches keep
// going meanwhile; persistMu, taken before c.mu is released, keeps it in
// order with the transactions of later changes. It never waits for
// persistMu while holding c.mu (a commit in flight would stall every
// reader of the model): if another commit is running it waits for that
// one outside c.mu and tries again.
//
// It returns once every write made before the call is committed, also
// those another flush had taken and was still committing. If the commit
// fails, the model goes back to the stored state and every switch is
// reconciled to it.
func (c *Controller) flushDeferred() error {
	c.mu.Lock()
	for !c.persistMu.TryLock() {
		c.mu.Unlock()
		c.persistMu.Lock() // the commit in flight
		c.persistMu.Unlock()
		c.mu.Lock()
	}
	writes := c.takeDeferred()
	c.mu.Unlock()
	var err error
	if len(writes) > 0 {
		err = c.cfg.Store.Update(inOrder(writes))
	}
	c.persistMu.Unlock()
	if err == nil {
		return nil
	}
	c.log.Error("storing learned MACs failed; going back to the stored state", "err", err)
	c.mu.Lock()
	kick := c.reloadAndMarkAll()
	c.mu.Unlock()
	kickAll(kick)
	return err
}

// reloadAndMarkAll replaces the model by the stored state and marks every
// session for a full round. Called with c.mu held.
func (c *Controller) reloadAndMarkAll() []*session {
	c.deferred = nil
	if err := c.reloadModel(); err != nil {
		c.log.Error("reloading the model from the store failed", "err", err)
	}
	return c.publish(&change{hosts: true})
}

// inOrder runs writes one after the other in one transaction.
func inOrder(writes []func(store.Tx) error) func(store.Tx) error {
	return func(tx store.Tx) error {
		for _, w := range writes {
			if err := w(tx); err != nil {
				return err
			}
		}
		return nil
	}
}
