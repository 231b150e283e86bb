package ofproto

import (
	"context"
	"fmt"
)

// waiter is a caller waiting for messages that carry one of its xids. accept
// runs on the read loop, under pendMu, with a message that owns its bytes;
// it returns true when the waiter has everything it waits for. The waiting
// caller reads the result fields only after ready is closed.
type waiter struct {
	xids   []uint32
	accept func(w *waiter, h Header, m Message) bool
	ready  chan struct{}
	closed bool

	// Request
	h   Header
	m   Message
	err error

	// Multipart
	parts []Message

	// Apply
	index    map[uint32]int // xid → position in the batch
	barrier  uint32
	failures []BatchFailure
}

func newWaiter(accept func(*waiter, Header, Message) bool, xids ...uint32) *waiter {
	return &waiter{xids: xids, accept: accept, ready: make(chan struct{})}
}

// register makes w receive messages for its xids. It must happen before
// the request is queued, or a fast reply could find no one waiting.
func (c *Conn) register(w *waiter) error {
	c.pendMu.Lock()
	defer c.pendMu.Unlock()
	select {
	case <-c.done:
		return c.waitErr
	default:
	}
	for _, x := range w.xids {
		c.pending[x] = w
	}
	return nil
}

// finishLocked removes w from pending and wakes its caller. pendMu held.
func (c *Conn) finishLocked(w *waiter) {
	if w.closed {
		return
	}
	w.closed = true
	for _, x := range w.xids {
		if c.pending[x] == w {
			delete(c.pending, x)
		}
	}
	close(w.ready)
}

// abandon removes w after its caller gave up (context done).
func (c *Conn) abandon(w *waiter) {
	c.pendMu.Lock()
	if !w.closed {
		w.closed = true
		for _, x := range w.xids {
			if c.pending[x] == w {
				delete(c.pending, x)
			}
		}
	}
	c.pendMu.Unlock()
}

func (c *Conn) failPending(err error) {
	c.pendMu.Lock()
	defer c.pendMu.Unlock()
	for _, w := range c.pending {
		if !w.closed {
			w.err = err
			c.finishLocked(w)
		}
	}
	clear(c.pending)
}

// waiterFor returns who waits for xid, if anyone.
func (c *Conn) waiterFor(xid uint32) *waiter {
	c.pendMu.Lock()
	w := c.pending[xid]
	c.pendMu.Unlock()
	return w
}

// deliver hands an owned message to w if w still waits for its xid.
func (c *Conn) deliver(w *waiter, h Header, m Message) {
	c.pendMu.Lock()
	defer c.pendMu.Unlock()
	if c.pending[h.XID] != w || w.closed {
		return
	}
	if w.accept(w, h, m) {
		c.finishLocked(w)
	}
}

// wait blocks until w completes, ctx ends or the connection closes.
func (c *Conn) wait(ctx context.Context, w *waiter) error {
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		c.abandon(w)
		select {
		case <-w.ready: // completed while we were giving up: use the result
			return nil
		default:
		}
		return ctx.Err()
	}
}

// replyError is the error an ERROR reply stands for.
func replyError(h Header, m Message) error {
	if h.Type != TypeError {
		return nil
	}
	if err, ok := m.(error); ok {
		return err
	}
	return fmt.Errorf("ofproto: ERROR reply of type %T", m)
}

func acceptSingle(w *waiter, h Header, m Message) bool {
	w.h, w.m, w.err = h, m, replyError(h, m)
	return true
}

// Request sends m and waits for the message answering it (same xid). An
// ERROR answer is returned as the error (an *ErrorMsg), together with its
// header and message. When ctx ends first, the request is forgotten: a late
// answer goes to the Handler. The returned message owns its bytes.
//
// Replies are read by Serve: Request blocks until ctx ends if nothing
// serves the connection, and a Handler must not call it synchronously (the
// read loop would be waiting on itself).
func (c *Conn) Request(ctx context.Context, m Message) (Header, Message, error) {
	w := newWaiter(acceptSingle, c.nextXID())
	if err := c.register(w); err != nil {
		return Header{}, nil, err
	}
	if err := c.enqueueFor(w, []Message{m}); err != nil {
		return Header{}, nil, err
	}
	if err := c.wait(ctx, w); err != nil {
		return Header{}, nil, err
	}
	return w.h, w.m, w.err
}

// enqueueFor queues ms with w's xids (in order), unregistering w on failure.
func (c *Conn) enqueueFor(w *waiter, ms []Message) error {
	if _, err := c.out.enqueue(w.xids, ms); err != nil {
		c.abandon(w)
		return c.sendErr(err)
	}
	return nil
}

// Barrier waits until the switch has finished every message sent before it.
func (c *Conn) Barrier(ctx context.Context) error {
	h, _, err := c.Request(ctx, &BarrierRequest{})
	if err != nil {
		return err
	}
	if h.Type != TypeBarrierReply {
		return fmt.Errorf("ofproto: barrier answered with %s", h.Type)
	}
	return nil
}

func acceptBatch(w *waiter, h Header, m Message) bool {
	if h.XID == w.barrier {
		if err := replyError(h, m); err != nil {
			w.err = fmt.Errorf("ofproto: barrier of batch failed: %w", err)
		} else if h.Type != TypeBarrierReply {
			w.err = fmt.Errorf("ofproto: barrier of batch answered with %s", h.Type)
		}
		return true
	}
	if err := replyError(h, m); err != nil {
		w.failures = append(w.failures, BatchFailure{Index: w.index[h.XID], XID: h.XID, Err: err})
	}
	// Any other answer to a batch message (none of the modification
	// messages Apply is for has one) is dropped.
	return false
}

// Apply sends ms followed by a barrier, in one write batch, and waits for
// the barrier's reply. Because the switch answers the barrier only after
// processing everything before it, the outcome is known for every message:
// the ones listed in the returned *BatchError were rejected, all others
// were applied. Other errors (closed connection, ctx) leave the outcome
// unknown.
func (c *Conn) Apply(ctx context.Context, ms []Message) error {
	p, err := c.ApplyAsync(ms)
	if err != nil {
		return err
	}
	return p.Wait(ctx)
}

// Applied is a batch sent by ApplyAsync whose outcome is not known yet.
type Applied struct {
	c *Conn
	w *waiter
}

// ApplyAsync sends ms followed by a barrier, as Apply does, without
// waiting: the caller may send more (the switch finishes this batch
// before anything sent after its barrier) and learn the outcome later
// with Wait.
func (c *Conn) ApplyAsync(ms []Message) (*Applied, error) {
	xids := make([]uint32, len(ms)+1)
	w := newWaiter(acceptBatch, xids...)
	w.index = make(map[uint32]int, len(ms))
	for i := range xids {
		xids[i] = c.nextXID()
		if i < len(ms) {
			w.index[xids[i]] = i
		}
	}
	w.barrier = xids[len(ms)]
	if err := c.register(w); err != nil {
		return nil, err
	}
	all := make([]Message, 0, len(ms)+1)
	all = append(append(all, ms...), &BarrierRequest{})
	if err := c.enqueueFor(w, all); err != nil {
		return nil, err
	}
	return &Applied{c: c, w: w}, nil
}

// Wait waits for the batch's barrier and reports its outcome as Apply
// does. When ctx ends first the outcome stays unknown.
func (a *Applied) Wait(ctx context.Context) error {
	if err := a.c.wait(ctx, a.w); err != nil {
		return err
	}
	if a.w.err != nil {
		return a.w.err
	}
	if len(a.w.failures) > 0 {
		return &BatchError{Failures: a.w.failures}
	}
	return nil
}
